/* OpenProcess, GetProcessId and process-handle rights (issue 13 §3). One program: run with a
   scratch directory argument it is the parent; "wait", "watch", "zombie" are the roles it
   starts itself in. */
#include "check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

static char self_path[MAX_PATH];

static BOOL start(const char *args, PROCESS_INFORMATION *pi)
{
    char line[1024];
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    snprintf(line, sizeof line, "\"%s\" %s", self_path, args);
    return CreateProcessA(self_path, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi);
}

static DWORD WINAPI report_tid(LPVOID p)
{
    *(volatile DWORD *)p = GetCurrentThreadId();
    Sleep(INFINITE);
    return 0;
}

/* Waits for the named event, then exits with 7. */
static int role_wait(void)
{
    HANDLE go = OpenEventA(SYNCHRONIZE, FALSE, "xproc-go");
    if (!go)
        return 100;
    WaitForSingleObject(go, INFINITE);
    return 7;
}

/* Opens the process argv[2] (not its child), kills it and watches it end. */
static int role_watch(char **argv)
{
    DWORD pid = (DWORD)strtoul(argv[2], NULL, 10), code = 0;
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION | PROCESS_TERMINATE,
                           FALSE, pid);
    CHECK(h != NULL);
    CHECK(GetProcessId(h) == pid);
    CHECK(WaitForSingleObject(h, 0) == WAIT_TIMEOUT);
    CHECK(GetExitCodeProcess(h, &code) && code == STILL_ACTIVE);
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE both[2] = {ev, h};
    CHECK(WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_TIMEOUT);
    CHECK(TerminateProcess(h, 3));
    CHECK(WaitForMultipleObjects(2, both, FALSE, 30000) == WAIT_OBJECT_0 + 1);
    CHECK(WaitForSingleObject(h, INFINITE) == WAIT_OBJECT_0);
    /* Not our child: SIGKILL's status (128 + 9) if it could still be read from the zombie,
       else the documented "unknown". */
    CHECK(GetExitCodeProcess(h, &code) && (code == 137 || code == 0xFFFFFFFF));
    /* Ended: TerminateProcess fails as on Windows. */
    CHECK_FAILS(TerminateProcess(h, 3), FALSE, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(h) && CloseHandle(ev));
    return checks_done("xproc watch");
}

/* argv[2]: a zombie (not our child) that exited with 5: its code is read from it. */
static int role_zombie(char **argv)
{
    DWORD pid = (DWORD)strtoul(argv[2], NULL, 10), code = 0;
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    CHECK(h != NULL);
    CHECK(WaitForSingleObject(h, 30000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(h, &code) && code == 5);
    if (code != 5)
        printf("zombie code %lu\n", (unsigned long)code);
    CHECK(CloseHandle(h));
    return checks_done("xproc zombie");
}

static HANDLE parse(const char *s) { return (HANDLE)(uintptr_t)strtoull(s, NULL, 16); }

/* Receives handles duplicated into it by its parent while it runs (values in "xproc-mail"). */
static int role_inbox(void)
{
    HANDLE mail = OpenFileMappingA(FILE_MAP_READ, FALSE, "xproc-mail");
    HANDLE posted = OpenEventA(SYNCHRONIZE, FALSE, "xproc-posted");
    HANDLE done = OpenEventA(EVENT_MODIFY_STATE, FALSE, "xproc-done");
    if (!mail || !posted || !done)
        return 100;
    char *m = MapViewOfFile(mail, FILE_MAP_READ, 0, 0, 0);
    CHECK(m != NULL);
    HANDLE own = CreateEventA(NULL, TRUE, FALSE, NULL);
    /* Kept, signaled, for the parent to duplicate out of this process. */
    HANDLE kept = CreateEventA(NULL, TRUE, TRUE, NULL);
    CHECK(kept != NULL);
    CHECK(WaitForSingleObject(posted, 30000) == WAIT_OBJECT_0);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", m);
    char *ev_s = strtok(copy, " "), *sec_s = strtok(NULL, " "), *held_s = strtok(NULL, " ");
    CHECK(ev_s && sec_s && held_s);
    if (!ev_s || !sec_s || !held_s)
        return checks_done("xproc inbox");
    HANDLE ev = parse(ev_s), sec = parse(sec_s), held = parse(held_s);
    CHECK(ev != own && sec != own && held != own && ev != sec && sec != held);
    CHECK(SetEvent(ev));
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    if (v) {
        CHECK(strcmp(v, "hello") == 0);
        strcpy(v + 16, "child");
        snprintf(v + 32, 32, "%llx", (unsigned long long)(uintptr_t)kept);
        CHECK(UnmapViewOfFile(v));
    }
    DWORD f = 0xff;
    CHECK(GetHandleInformation(held, &f) && f == HANDLE_FLAG_INHERIT);
    CHECK(GetHandleInformation(ev, &f) && f == 0);
    CHECK(WaitForSingleObject(held, 0) == WAIT_TIMEOUT);
    /* A value of the remote range nobody sent. */
    CHECK_FAILS(SetEvent((HANDLE)((uintptr_t)ev ^ 0x40)), FALSE, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(ev));
    CHECK_FAILS(SetEvent(ev), FALSE, ERROR_INVALID_HANDLE);
    HANDLE fresh = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(fresh != ev && fresh != sec && fresh != held);
    CHECK(CloseHandle(fresh) && CloseHandle(own) && CloseHandle(sec));
    CHECK(SetEvent(done));
    Sleep(INFINITE); /* holds `held` (and whatever was never looked up) until killed */
    return 0;
}

/* Takes a Global\\ section the parent pushes into it (its value in "xproc-gmail"), checks the
   parent's bytes, writes its own, then holds it until killed. */
static int role_global(void)
{
    HANDLE mail = OpenFileMappingA(FILE_MAP_READ, FALSE, "xproc-gmail");
    HANDLE posted = OpenEventA(SYNCHRONIZE, FALSE, "xproc-gposted");
    HANDLE done = OpenEventA(EVENT_MODIFY_STATE, FALSE, "xproc-gdone");
    if (!mail || !posted || !done)
        return 100;
    char *m = MapViewOfFile(mail, FILE_MAP_READ, 0, 0, 0);
    CHECK(m != NULL);
    CHECK(WaitForSingleObject(posted, 30000) == WAIT_OBJECT_0);
    HANDLE sec = parse(m);
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    if (v) {
        CHECK(strcmp(v, "global") == 0);
        strcpy(v + 16, "seen");
        CHECK(UnmapViewOfFile(v));
    }
    CHECK(SetEvent(done));
    Sleep(INFINITE); /* holds the section until killed */
    return 0;
}

/* A Global\\ section other users may open keeps its memory in a System V segment, which only
   attachments keep alive: pushed into another process with DUPLICATE_CLOSE_SOURCE, it must
   survive until that process has taken it over, though this one holds nothing of it any
   more. */
static void duplicate_global(void)
{
    for (int round = 0; round < 5; round++) {
        HANDLE mail = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                         "xproc-gmail");
        HANDLE posted = CreateEventA(NULL, TRUE, FALSE, "xproc-gposted");
        HANDLE done = CreateEventA(NULL, TRUE, FALSE, "xproc-gdone");
        CHECK(mail && posted && done);
        char *m = MapViewOfFile(mail, FILE_MAP_WRITE, 0, 0, 0);
        CHECK(m != NULL);
        PROCESS_INFORMATION pi;
        CHECK(start("global", &pi));
        HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 65536,
                                        "Global\\xproc-global");
        CHECK(sec != NULL);
        char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
        CHECK(v != NULL);
        if (v) {
            strcpy(v, "global");
            CHECK(UnmapViewOfFile(v));
        }
        HANDLE t = NULL;
        CHECK(DuplicateHandle(GetCurrentProcess(), sec, pi.hProcess, &t, 0, FALSE,
                              DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
        if (m)
            snprintf(m, 4096, "%llx", (unsigned long long)(uintptr_t)t);
        CHECK(SetEvent(posted));
        HANDLE w[2] = {done, pi.hProcess};
        DWORD got = WaitForMultipleObjects(2, w, FALSE, 60000);
        DWORD code = 0;
        if (got != WAIT_OBJECT_0) {
            GetExitCodeProcess(pi.hProcess, &code);
            printf("xproc global: wait %lu, child ended with %lu\n", (unsigned long)got,
                   (unsigned long)code);
        }
        CHECK(got == WAIT_OBJECT_0);
        HANDLE again = OpenFileMappingA(FILE_MAP_READ, FALSE, "Global\\xproc-global");
        CHECK(again != NULL);
        if (again) {
            char *r = MapViewOfFile(again, FILE_MAP_READ, 0, 0, 0);
            CHECK(r != NULL && strcmp(r, "global") == 0 && strcmp(r + 16, "seen") == 0);
            if (r)
                CHECK(UnmapViewOfFile(r));
            CHECK(CloseHandle(again));
        }
        CHECK(TerminateProcess(pi.hProcess, 9));
        CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
        CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "Global\\xproc-global"), NULL,
                    ERROR_FILE_NOT_FOUND);
        if (m)
            CHECK(UnmapViewOfFile(m));
        HANDLE all[] = {mail, posted, done, pi.hProcess, pi.hThread};
        for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
            CHECK(CloseHandle(all[i]));
    }
}

static void duplicate_into(void)
{
    HANDLE mail = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                     "xproc-mail");
    HANDLE posted = CreateEventA(NULL, TRUE, FALSE, "xproc-posted");
    HANDLE done = CreateEventA(NULL, TRUE, FALSE, "xproc-done");
    CHECK(mail && posted && done);
    char *m = MapViewOfFile(mail, FILE_MAP_WRITE, 0, 0, 0);
    PROCESS_INFORMATION pi;
    CHECK(start("inbox", &pi));
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, NULL);
    HANDLE held = CreateEventA(NULL, TRUE, FALSE, "xproc-held");
    HANDLE unclaimed = CreateEventA(NULL, TRUE, FALSE, "xproc-unclaimed");
    CHECK(ev && sec && held && unclaimed);
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    strcpy(v, "hello");
    HANDLE opened = OpenProcess(PROCESS_DUP_HANDLE, FALSE, pi.dwProcessId);
    CHECK(opened != NULL);
    HANDLE tev = NULL, tsec = NULL, theld = NULL, tun = NULL;
    CHECK(DuplicateHandle(GetCurrentProcess(), ev, pi.hProcess, &tev, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK(DuplicateHandle(GetCurrentProcess(), sec, opened, &tsec, FILE_MAP_WRITE, FALSE, 0));
    CHECK(DuplicateHandle(GetCurrentProcess(), held, pi.hProcess, &theld, 0, TRUE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    CHECK(DuplicateHandle(GetCurrentProcess(), unclaimed, pi.hProcess, &tun, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK_FAILS(CloseHandle(held), FALSE, ERROR_INVALID_HANDLE); /* closed by CLOSE_SOURCE */
    CHECK(CloseHandle(unclaimed));
    /* The values are another process's: not valid here. */
    CHECK_FAILS(SetEvent(tev), FALSE, ERROR_INVALID_HANDLE);
    /* Errors. */
    HANDLE sync_only = OpenProcess(SYNCHRONIZE, FALSE, pi.dwProcessId), x = NULL;
    CHECK_FAILS(DuplicateHandle(GetCurrentProcess(), ev, sync_only, &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_ACCESS_DENIED);
    /* Between two other processes (here both the child): not supported. */
    CHECK_FAILS(DuplicateHandle(pi.hProcess, tev, opened, &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_NOT_SUPPORTED);
    HANDLE th = CreateThread(NULL, 0, report_tid, (LPVOID)&(volatile DWORD){0}, 0, NULL);
    CHECK_FAILS(DuplicateHandle(GetCurrentProcess(), th, pi.hProcess, &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_NOT_SUPPORTED);
    CHECK(CloseHandle(th) && CloseHandle(sync_only));

    snprintf(m, 4096, "%llx %llx %llx", (unsigned long long)(uintptr_t)tev,
             (unsigned long long)(uintptr_t)tsec, (unsigned long long)(uintptr_t)theld);
    CHECK(SetEvent(posted));
    HANDLE w[2] = {done, pi.hProcess};
    CHECK(WaitForMultipleObjects(2, w, FALSE, 60000) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_OBJECT_0);
    CHECK(strcmp(v + 16, "child") == 0);
    /* Out of the child, which is asleep: its unnamed event (signaled), under a value of ours. */
    HANDLE kept = (HANDLE)(uintptr_t)strtoull(v + 32, NULL, 16), k1 = NULL, k2 = NULL;
    CHECK(kept != NULL);
    CHECK(DuplicateHandle(pi.hProcess, kept, GetCurrentProcess(), &k1, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK(k1 != NULL && WaitForSingleObject(k1, 0) == WAIT_OBJECT_0);
    CHECK(ResetEvent(k1));
    /* With exactly the access asked for: SYNCHRONIZE waits but cannot set. */
    CHECK(DuplicateHandle(pi.hProcess, kept, GetCurrentProcess(), &k2, SYNCHRONIZE, FALSE, 0));
    CHECK(WaitForSingleObject(k2, 0) == WAIT_TIMEOUT); /* the same object: reset through k1 */
    CHECK_FAILS(SetEvent(k2), FALSE, ERROR_ACCESS_DENIED);
    CHECK(SetEvent(k1) && WaitForSingleObject(k2, 0) == WAIT_OBJECT_0);
    /* DUPLICATE_CLOSE_SOURCE with no target handle closes it in the child. */
    CHECK(DuplicateHandle(pi.hProcess, kept, GetCurrentProcess(), NULL, 0, FALSE,
                          DUPLICATE_CLOSE_SOURCE));
    CHECK_FAILS(DuplicateHandle(pi.hProcess, kept, GetCurrentProcess(), &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_INVALID_HANDLE);
    CHECK(WaitForSingleObject(k1, 0) == WAIT_OBJECT_0); /* ours live on */
    CHECK(CloseHandle(k1) && CloseHandle(k2));
    /* A value the child never had. */
    CHECK_FAILS(DuplicateHandle(pi.hProcess, (HANDLE)(uintptr_t)0x7ff0, GetCurrentProcess(), &x,
                                0, FALSE, DUPLICATE_SAME_ACCESS), FALSE, ERROR_INVALID_HANDLE);
    /* The named event only the child holds: out of it with CLOSE_SOURCE, then the name lives
       by our handle alone. */
    HANDLE hb = NULL;
    CHECK(DuplicateHandle(pi.hProcess, theld, GetCurrentProcess(), &hb, 0, FALSE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    CHECK(hb != NULL && SetEvent(hb));
    HANDLE named = OpenEventA(SYNCHRONIZE, FALSE, "xproc-held");
    CHECK(named != NULL && WaitForSingleObject(named, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(named) && CloseHandle(hb));
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "xproc-held"), NULL, ERROR_FILE_NOT_FOUND);
    /* Held only by the child (also the one it never looked up); gone when it is killed. */
    HANDLE again = OpenEventA(SYNCHRONIZE, FALSE, "xproc-unclaimed");
    CHECK(again != NULL && CloseHandle(again));
    CHECK(TerminateProcess(pi.hProcess, 9));
    CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "xproc-unclaimed"), NULL, ERROR_FILE_NOT_FOUND);
    /* Into a process that has ended. */
    CHECK_FAILS(DuplicateHandle(GetCurrentProcess(), ev, pi.hProcess, &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_ACCESS_DENIED);
    CHECK(UnmapViewOfFile(v) && UnmapViewOfFile(m));
    HANDLE all[] = {mail, posted, done, ev, sec, opened, pi.hProcess, pi.hThread};
#ifdef __linux__
    /* A child started by CreateProcess gets its inbox before its exec: the duplicate waits
       there (the program never takes it) and the name lives until the child ends. */
    PROCESS_INFORMATION sl;
    char line[] = "sleep 60";
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    HANDLE e2 = CreateEventA(NULL, TRUE, FALSE, "xproc-sleeper");
    CHECK(CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &sl));
    CHECK(DuplicateHandle(GetCurrentProcess(), e2, sl.hProcess, &x, 0, FALSE,
                          DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    again = OpenEventA(SYNCHRONIZE, FALSE, "xproc-sleeper");
    CHECK(again != NULL && CloseHandle(again));
    CHECK(TerminateProcess(sl.hProcess, 1));
    CHECK(WaitForSingleObject(sl.hProcess, 30000) == WAIT_OBJECT_0);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "xproc-sleeper"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK(CloseHandle(sl.hProcess) && CloseHandle(sl.hThread));
    /* A process without fmap-win32's inbox (a forked copy: its pid has none). */
    pid_t plain = fork();
    if (plain == 0) {
        pause();
        _exit(0);
    }
    CHECK(plain > 0);
    HANDLE hp = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)plain);
    HANDLE e3 = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(hp != NULL && e3 != NULL);
    CHECK_FAILS(DuplicateHandle(GetCurrentProcess(), e3, hp, &x, 0, FALSE,
                                DUPLICATE_SAME_ACCESS), FALSE, ERROR_NOT_SUPPORTED);
    kill(plain, SIGKILL);
    CHECK(waitpid(plain, NULL, 0) == plain);
    CHECK(CloseHandle(hp) && CloseHandle(e3));
#endif
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(CloseHandle(all[i]));
}

static void open_self_and_errors(void)
{
    DWORD me = GetCurrentProcessId(), code = 0;
    CHECK(GetProcessId(GetCurrentProcess()) == me);
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, me);
    CHECK(h != NULL);
    CHECK(GetProcessId(h) == me);
    CHECK(WaitForSingleObject(h, 0) == WAIT_TIMEOUT);
    CHECK(GetExitCodeProcess(h, &code) && code == STILL_ACTIVE);
    /* Rights are checked per handle. */
    CHECK_FAILS(TerminateProcess(h, 1), FALSE, ERROR_ACCESS_DENIED);
    HANDLE d = NULL;
    CHECK_FAILS(DuplicateHandle(h, h, GetCurrentProcess(), &d, 0, FALSE, DUPLICATE_SAME_ACCESS),
                FALSE, ERROR_ACCESS_DENIED);
    HANDLE s = OpenProcess(SYNCHRONIZE, TRUE, me);
    CHECK(s != NULL);
    DWORD flags = 0;
    CHECK(GetHandleInformation(s, &flags) && flags == HANDLE_FLAG_INHERIT);
    CHECK_FAILS(GetExitCodeProcess(s, &code), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(GetProcessId(s), 0, ERROR_ACCESS_DENIED);
    HANDLE q = OpenProcess(PROCESS_QUERY_INFORMATION, FALSE, me);
    CHECK(q != NULL);
    CHECK(GetProcessId(q) == me); /* QUERY_INFORMATION implies the limited right */
    CHECK_FAILS(WaitForSingleObject(q, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    /* A duplicate with other rights. */
    CHECK(DuplicateHandle(GetCurrentProcess(), s, GetCurrentProcess(), &d,
                          SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, 0));
    CHECK(GetExitCodeProcess(d, &code) && code == STILL_ACTIVE);
    CHECK(CloseHandle(d));
    /* A handle of this process as DuplicateHandle's process arguments is this process. */
    HANDLE dup = OpenProcess(PROCESS_DUP_HANDLE, FALSE, me);
    CHECK(dup != NULL);
    HANDLE ev = CreateEventA(NULL, TRUE, FALSE, NULL), ev2 = NULL;
    CHECK(DuplicateHandle(dup, ev, dup, &ev2, 0, FALSE, DUPLICATE_SAME_ACCESS));
    CHECK(SetEvent(ev2) && WaitForSingleObject(ev, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(ev2) && CloseHandle(ev) && CloseHandle(dup));
    CHECK(CloseHandle(h) && CloseHandle(s) && CloseHandle(q));
    /* pid 0 (System Idle Process), no such process, a thread id. */
    CHECK_FAILS(OpenProcess(PROCESS_ALL_ACCESS, FALSE, 0), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenProcess(SYNCHRONIZE, FALSE, 0x7ffffff0), NULL, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(OpenProcess(SYNCHRONIZE, FALSE, 0xfffffff0), NULL, ERROR_INVALID_PARAMETER);
    volatile DWORD tid = 0;
    HANDLE t = CreateThread(NULL, 0, report_tid, (LPVOID)&tid, 0, NULL);
    CHECK(t != NULL);
    while (tid == 0)
        Sleep(1);
    CHECK_FAILS(OpenProcess(SYNCHRONIZE, FALSE, tid), NULL, ERROR_INVALID_PARAMETER);
    CHECK(CloseHandle(t));
    /* Not process handles. */
    CHECK_FAILS(GetProcessId(NULL), 0, ERROR_INVALID_HANDLE);
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK_FAILS(GetProcessId(e), 0, ERROR_INVALID_HANDLE);
    CHECK_FAILS(DuplicateHandle(e, e, GetCurrentProcess(), &d, 0, FALSE, DUPLICATE_SAME_ACCESS),
                FALSE, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(e));
}

#ifdef __linux__
/* Another user's process: only SYNCHRONIZE and PROCESS_QUERY_LIMITED_INFORMATION. As root,
   checked from a forked child that became nobody, on this (root) process. */
static void other_user(void)
{
    if (geteuid() == 0) {
        DWORD parent = GetCurrentProcessId();
        pid_t c = fork();
        if (c == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(90);
            HANDLE h = OpenProcess(PROCESS_TERMINATE, FALSE, parent);
            if (h != NULL || GetLastError() != ERROR_ACCESS_DENIED)
                _exit(91);
            h = OpenProcess(PROCESS_ALL_ACCESS, FALSE, parent);
            if (h != NULL || GetLastError() != ERROR_ACCESS_DENIED)
                _exit(92);
            h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, parent);
            if (h == NULL || WaitForSingleObject(h, 0) != WAIT_TIMEOUT)
                _exit(93);
            DWORD code = 0;
            if (!GetExitCodeProcess(h, &code) || code != STILL_ACTIVE)
                _exit(94);
            _exit(0);
        }
        int st = -1;
        CHECK(c > 0 && waitpid(c, &st, 0) == c);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            printf("other_user: child status %d\n", st);
        return;
    }
    struct stat st;
    if (stat("/proc/1", &st) == 0 && st.st_uid != geteuid()) {
        CHECK_FAILS(OpenProcess(PROCESS_TERMINATE, FALSE, 1), NULL, ERROR_ACCESS_DENIED);
        HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, 1);
        CHECK(h != NULL && WaitForSingleObject(h, 0) == WAIT_TIMEOUT);
        CHECK(CloseHandle(h));
    }
}

/* A zombie that is not the opener's child: its exit code is read from it. */
static void zombie(void)
{
    pid_t z = fork();
    if (z == 0)
        _exit(5);
    CHECK(z > 0);
    char args[64];
    snprintf(args, sizeof args, "zombie %d", (int)z);
    PROCESS_INFORMATION pi;
    CHECK(start(args, &pi));
    CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
    DWORD code = 1;
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
    CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));
    int st = 0;
    CHECK(waitpid(z, &st, 0) == z && WIFEXITED(st) && WEXITSTATUS(st) == 5);
}
#endif

static void children(void)
{
    /* A child of ours, opened by pid: its real exit code. */
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, "xproc-go");
    CHECK(go != NULL);
    PROCESS_INFORMATION pi;
    CHECK(start("wait", &pi));
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION, FALSE, pi.dwProcessId);
    CHECK(h != NULL);
    CHECK(GetProcessId(h) == pi.dwProcessId && GetProcessId(pi.hProcess) == pi.dwProcessId);
    CHECK(WaitForSingleObject(h, 0) == WAIT_TIMEOUT);
    CHECK(SetEvent(go));
    CHECK(WaitForSingleObject(h, 30000) == WAIT_OBJECT_0);
    DWORD code = 0;
    CHECK(GetExitCodeProcess(h, &code) && code == 7);
    CHECK_FAILS(TerminateProcess(h, 1), FALSE, ERROR_ACCESS_DENIED); /* no PROCESS_TERMINATE */
    CHECK(CloseHandle(h));
    CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));
    CHECK(ResetEvent(go));

    /* Not the opener's child: another process kills it and sees it end. */
    PROCESS_INFORMATION victim, watcher;
    CHECK(start("wait", &victim));
    char args[64];
    snprintf(args, sizeof args, "watch %lu", (unsigned long)victim.dwProcessId);
    CHECK(start(args, &watcher));
    CHECK(WaitForSingleObject(watcher.hProcess, 60000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(watcher.hProcess, &code) && code == 0);
    CHECK(WaitForSingleObject(victim.hProcess, 30000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(victim.hProcess, &code) && code == 137);
    HANDLE all[] = {victim.hProcess, victim.hThread, watcher.hProcess, watcher.hThread, go};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(CloseHandle(all[i]));
}

int main(int argc, char **argv)
{
    snprintf(self_path, sizeof self_path, "%s", argv[0]); /* started by its full path */
    if (argc > 1 && strcmp(argv[1], "wait") == 0)
        return role_wait();
    if (argc > 2 && strcmp(argv[1], "watch") == 0)
        return role_watch(argv);
    if (argc > 2 && strcmp(argv[1], "zombie") == 0)
        return role_zombie(argv);
    if (argc > 1 && strcmp(argv[1], "inbox") == 0)
        return role_inbox();
    if (argc > 1 && strcmp(argv[1], "global") == 0)
        return role_global();
    if (argc < 2)
        return 102;
#ifdef __linux__
    other_user(); /* first: it forks, best before other threads exist */
#endif
    open_self_and_errors();
    children();
    duplicate_into();
    duplicate_global();
#ifdef __linux__
    zombie();
#endif
    return checks_done("xproc");
}

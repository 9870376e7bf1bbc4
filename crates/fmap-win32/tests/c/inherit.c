/* Handle inheritance, GetHandleInformation/SetHandleInformation, CREATE_SUSPENDED with
   ResumeThread/SuspendThread (issue 13 §3). One program: run without arguments it is the parent;
   "child ..." and "hold ..." are the roles it starts itself in. Argument 1 of the parent: a
   scratch directory for files. */
#include "check.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static HANDLE parse(const char *s) { return (HANDLE)(uintptr_t)strtoull(s, NULL, 16); }

static char self_path[MAX_PATH];

static DWORD handle_flags(HANDLE h)
{
    DWORD f = 0xdeadbeef;
    if (!GetHandleInformation(h, &f))
        return 0xffffffff;
    return f;
}

/* Starts this program with `args`; returns the process information. */
static BOOL start(const char *args, BOOL inherit, DWORD flags, PROCESS_INFORMATION *pi)
{
    char line[1024];
    STARTUPINFOA si;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    snprintf(line, sizeof line, "\"%s\" %s", self_path, args);
    return CreateProcessA(self_path, line, NULL, NULL, inherit, flags, NULL, NULL, &si, pi);
}

/* The child: every handle value on the command line must name the parent's object. */
static int child(int argc, char **argv)
{
    if (argc < 11)
        return 100;
    HANDLE sec = parse(argv[2]), ev = parse(argv[3]), sem = parse(argv[4]), mtx = parse(argv[5]);
    HANDLE named = parse(argv[6]), priv = parse(argv[7]), file = parse(argv[8]);
    HANDLE unflagged = parse(argv[9]), dupd = parse(argv[10]);

    /* The unnamed section: the parent's bytes, and ours go back. */
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    if (v) {
        CHECK(strcmp(v, "hello") == 0);
        strcpy(v + 16, "child");
        CHECK(UnmapViewOfFile(v));
    }
    CHECK(handle_flags(sec) == HANDLE_FLAG_INHERIT);
    CHECK(handle_flags(dupd) == HANDLE_FLAG_INHERIT);
    /* Events, semaphores, mutexes, also through a duplicate made inheritable. */
    CHECK(SetEvent(ev));
    CHECK(ReleaseSemaphore(sem, 2, NULL));
    CHECK(WaitForSingleObject(mtx, 0) == WAIT_OBJECT_0);
    CHECK(ReleaseMutex(mtx));
    CHECK(WaitForSingleObject(dupd, 0) == WAIT_OBJECT_0);
    CHECK(ReleaseMutex(dupd));
    /* The named event: the inherited handle keeps the name alive although the parent has
       closed its handle; opening the name finds the same object. */
    HANDLE again = OpenEventA(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, "inherit-named");
    CHECK(again != NULL);
    CHECK(handle_flags(again) == 0);
    CHECK(SetEvent(again));
    CHECK(WaitForSingleObject(named, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(again));
    /* Handles without HANDLE_FLAG_INHERIT are not inherited. */
    CHECK_FAILS(WaitForSingleObject(priv, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(GetHandleInformation(priv, &(DWORD){0}), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetEvent(unflagged), FALSE, ERROR_INVALID_HANDLE);
    /* The file shares its position with the parent's handle. */
    DWORD n = 0;
    CHECK(WriteFile(file, "def", 3, &n, NULL) && n == 3);
    /* New handles do not collide with inherited ones. */
    HANDLE fresh = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(fresh != NULL && fresh != sec && fresh != ev && fresh != sem && fresh != mtx &&
          fresh != named && fresh != file && fresh != dupd);
    CHECK(CloseHandle(fresh));
    CHECK(CloseHandle(sec));
    CHECK_FAILS(CloseHandle(sec), FALSE, ERROR_INVALID_HANDLE);
    return checks_done("inherit child");
}

/* Holds its inherited handle until it is killed. */
static int hold(int argc, char **argv)
{
    if (argc < 3)
        return 100;
    WaitForSingleObject(parse(argv[2]), INFINITE);
    return 0;
}

static void handle_information(void)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE a = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE b = CreateEventA(&sa, TRUE, FALSE, NULL);
    CHECK(a && b);
    CHECK(handle_flags(a) == 0);
    CHECK(handle_flags(b) == HANDLE_FLAG_INHERIT);
    CHECK(SetHandleInformation(a, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT));
    CHECK(handle_flags(a) == HANDLE_FLAG_INHERIT);
    CHECK(SetHandleInformation(a, HANDLE_FLAG_INHERIT, 0));
    CHECK(handle_flags(a) == 0);
    /* Only the bits in the mask change. */
    CHECK(SetHandleInformation(b, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0xffffffff));
    CHECK(handle_flags(b) == (HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE));
    CHECK_FAILS(CloseHandle(b), FALSE, ERROR_INVALID_HANDLE);
    CHECK(WaitForSingleObject(b, 0) == WAIT_TIMEOUT); /* still open */
    CHECK(SetHandleInformation(b, HANDLE_FLAG_PROTECT_FROM_CLOSE, 0));
    CHECK(handle_flags(b) == HANDLE_FLAG_INHERIT);
    /* Duplicates get the bInheritHandle asked for, not the source's flags. */
    HANDLE d1 = NULL, d2 = NULL;
    CHECK(DuplicateHandle(GetCurrentProcess(), b, GetCurrentProcess(), &d1, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK(DuplicateHandle(GetCurrentProcess(), a, GetCurrentProcess(), &d2, 0, TRUE,
                          DUPLICATE_SAME_ACCESS));
    CHECK(handle_flags(d1) == 0);
    CHECK(handle_flags(d2) == HANDLE_FLAG_INHERIT);
    /* Open* take bInheritHandle; Create* the SECURITY_ATTRIBUTES. */
    HANDLE n = CreateMutexA(&sa, FALSE, "inherit-info");
    CHECK(n != NULL && handle_flags(n) == HANDLE_FLAG_INHERIT);
    HANDLE o1 = OpenMutexA(SYNCHRONIZE, TRUE, "inherit-info");
    HANDLE o2 = OpenMutexA(SYNCHRONIZE, FALSE, "inherit-info");
    CHECK(handle_flags(o1) == HANDLE_FLAG_INHERIT && handle_flags(o2) == 0);
    HANDLE s = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 4096, NULL);
    CHECK(s != NULL && handle_flags(s) == HANDLE_FLAG_INHERIT);
    HANDLE sem = CreateSemaphoreA(&sa, 0, 1, NULL);
    CHECK(sem != NULL && handle_flags(sem) == HANDLE_FLAG_INHERIT);
    SECURITY_ATTRIBUTES no = {sizeof no, NULL, FALSE};
    HANDLE sem2 = CreateSemaphoreA(&no, 0, 1, NULL);
    CHECK(sem2 != NULL && handle_flags(sem2) == 0);
    /* Errors. */
    DWORD f;
    CHECK_FAILS(GetHandleInformation(NULL, &f), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(GetHandleInformation((HANDLE)(uintptr_t)0x7777770, &f), FALSE,
                ERROR_INVALID_HANDLE);
    CHECK_FAILS(GetHandleInformation(a, NULL), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(SetHandleInformation(NULL, HANDLE_FLAG_INHERIT, 0), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetHandleInformation(a, 4, 4), FALSE, ERROR_INVALID_PARAMETER);
    HANDLE all[] = {a, b, d1, d2, n, o1, o2, s, sem, sem2};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(CloseHandle(all[i]));
    CHECK_FAILS(GetHandleInformation(a, &f), FALSE, ERROR_INVALID_HANDLE);
}

static void inheritance(const char *dir)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 65536, NULL);
    HANDLE ev = CreateEventA(&sa, TRUE, FALSE, NULL);
    HANDLE sem = CreateSemaphoreA(&sa, 0, 10, NULL);
    HANDLE mtx = CreateMutexA(&sa, FALSE, NULL);
    HANDLE named = CreateEventA(&sa, TRUE, FALSE, "inherit-named");
    HANDLE priv = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE unflagged = CreateEventA(&sa, TRUE, FALSE, NULL);
    CHECK(SetHandleInformation(unflagged, HANDLE_FLAG_INHERIT, 0));
    HANDLE plain = CreateMutexA(NULL, FALSE, NULL), dupd = NULL;
    CHECK(DuplicateHandle(GetCurrentProcess(), plain, GetCurrentProcess(), &dupd, 0, TRUE,
                          DUPLICATE_SAME_ACCESS));
    char path[MAX_PATH];
    snprintf(path, sizeof path, "%s/inherited.txt", dir);
    HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, &sa,
                              CREATE_ALWAYS, 0, NULL);
    CHECK(sec && ev && sem && mtx && named && priv && unflagged && file != INVALID_HANDLE_VALUE);
    DWORD n = 0;
    CHECK(WriteFile(file, "abc", 3, &n, NULL) && n == 3);
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    CHECK(v != NULL);
    strcpy(v, "hello");

    char args[512];
    snprintf(args, sizeof args, "child %llx %llx %llx %llx %llx %llx %llx %llx %llx",
             (unsigned long long)(uintptr_t)sec, (unsigned long long)(uintptr_t)ev,
             (unsigned long long)(uintptr_t)sem, (unsigned long long)(uintptr_t)mtx,
             (unsigned long long)(uintptr_t)named, (unsigned long long)(uintptr_t)priv,
             (unsigned long long)(uintptr_t)file, (unsigned long long)(uintptr_t)unflagged,
             (unsigned long long)(uintptr_t)dupd);
    PROCESS_INFORMATION pi;
    CHECK(start(args, TRUE, CREATE_SUSPENDED, &pi));
    /* Suspended: it has not run (it would have written to the section first). */
    CHECK(WaitForSingleObject(pi.hProcess, 0) == WAIT_TIMEOUT);
    CHECK(strcmp(v + 16, "") == 0);
    DWORD code = 0;
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == STILL_ACTIVE);
    /* The inherited named event outlives the parent's handle. */
    CHECK(CloseHandle(named));
    CHECK(SuspendThread(pi.hThread) == 1);
    CHECK(ResumeThread(pi.hThread) == 2);
    CHECK(ResumeThread(pi.hThread) == 1);
    CHECK(ResumeThread(pi.hThread) == 0);
    CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code));
    CHECK(code == 0);
    CHECK(strcmp(v + 16, "child") == 0);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_OBJECT_0);
    LONG prev = -1;
    CHECK(ReleaseSemaphore(sem, 1, &prev) && prev == 2);
    /* The child's last handle closed the named event (nobody else holds it). */
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "inherit-named"), NULL, ERROR_FILE_NOT_FOUND);
    /* Shared file position: the child's write followed ours. */
    char buf[16] = {0};
    CHECK(SetFilePointer(file, 0, NULL, FILE_BEGIN) == 0);
    CHECK(ReadFile(file, buf, sizeof buf - 1, &n, NULL) && n == 6);
    CHECK(strcmp(buf, "abcdef") == 0);
    CHECK_FAILS(ResumeThread(pi.hProcess), (DWORD)-1, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));

    /* Without bInheritHandles nothing is inherited. */
    snprintf(args, sizeof args, "child %llx %llx %llx %llx %llx %llx %llx %llx %llx",
             (unsigned long long)(uintptr_t)sec, (unsigned long long)(uintptr_t)ev,
             (unsigned long long)(uintptr_t)sem, (unsigned long long)(uintptr_t)mtx,
             (unsigned long long)(uintptr_t)named, (unsigned long long)(uintptr_t)priv,
             (unsigned long long)(uintptr_t)file, (unsigned long long)(uintptr_t)unflagged,
             (unsigned long long)(uintptr_t)dupd);
    CHECK(start(args, FALSE, 0, &pi));
    CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code != 0);
    CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));

    CHECK(UnmapViewOfFile(v));
    HANDLE all[] = {sec, ev, sem, mtx, priv, unflagged, plain, dupd, file};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        CHECK(CloseHandle(all[i]));
}

/* A named object shared only through inheritance lives while the child holds it, and not
   after the child is killed; also for a child killed while still suspended. */
static void lifetime(void)
{
    for (int resume = 0; resume < 2; resume++) {
        SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
        HANDLE named = CreateEventA(&sa, TRUE, FALSE, "inherit-kill");
        HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 4096,
                                        "inherit-kill-section");
        CHECK(named != NULL && sec != NULL);
        char args[64];
        snprintf(args, sizeof args, "hold %llx", (unsigned long long)(uintptr_t)named);
        PROCESS_INFORMATION pi;
        CHECK(start(args, TRUE, CREATE_SUSPENDED, &pi));
        if (resume)
            CHECK(ResumeThread(pi.hThread) == 1);
        CHECK(CloseHandle(named));
        CHECK(CloseHandle(sec));
        HANDLE again = OpenEventA(SYNCHRONIZE, FALSE, "inherit-kill");
        CHECK(again != NULL);
        CHECK(CloseHandle(again));
        again = OpenFileMappingA(FILE_MAP_READ, FALSE, "inherit-kill-section");
        CHECK(again != NULL);
        CHECK(CloseHandle(again));
        CHECK(TerminateProcess(pi.hProcess, 9));
        CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
        DWORD code = 0;
        CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 9);
        CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "inherit-kill"), NULL, ERROR_FILE_NOT_FOUND);
        CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "inherit-kill-section"), NULL,
                    ERROR_FILE_NOT_FOUND);
        CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));
    }
}

/* A Global\\ section other users may open keeps its memory in a System V segment, which only
   attachments keep alive, and an attachment does not survive exec: an inherited handle must
   still keep the memory when the parent closes its own handle right after CreateProcess,
   before the child has taken over its copy. Also with the child held suspended. */
static void global_section(void)
{
    for (int round = 0; round < 10; round++) {
        int suspended = round % 2;
        SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
        HANDLE ev = CreateEventA(&sa, TRUE, FALSE, NULL);
        HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 65536,
                                        "Global\\inherit-global-section");
        CHECK(ev != NULL && sec != NULL);
        char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
        CHECK(v != NULL);
        if (v) {
            v[100] = 42;
            CHECK(UnmapViewOfFile(v));
        }
        char args[64];
        snprintf(args, sizeof args, "hold %llx", (unsigned long long)(uintptr_t)ev);
        PROCESS_INFORMATION pi;
        CHECK(start(args, TRUE, suspended ? CREATE_SUSPENDED : 0, &pi));
        CHECK(CloseHandle(sec));
        if (suspended)
            CHECK(ResumeThread(pi.hThread) == 1);
        HANDLE again = OpenFileMappingA(FILE_MAP_READ, FALSE, "Global\\inherit-global-section");
        CHECK(again != NULL);
        if (again) {
            char *r = MapViewOfFile(again, FILE_MAP_READ, 0, 0, 0);
            CHECK(r != NULL && r[100] == 42);
            if (r)
                CHECK(UnmapViewOfFile(r));
            CHECK(CloseHandle(again));
        }
        CHECK(SetEvent(ev));
        CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
        DWORD code = 1;
        CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
        /* The child's exit closed the last handle. */
        CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "Global\\inherit-global-section"),
                    NULL, ERROR_FILE_NOT_FOUND);
        CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread) && CloseHandle(ev));
    }
}

/* A launcher: creates a Global\\ section holding 42 at offset 100, starts "readinh" with it
   inherited, closes its handle and exits at once. */
static int launcher(void)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    HANDLE sec = CreateFileMappingA(INVALID_HANDLE_VALUE, &sa, PAGE_READWRITE, 0, 65536,
                                    "Global\\inherit-launcher");
    if (!sec)
        return 100;
    char *v = MapViewOfFile(sec, FILE_MAP_WRITE, 0, 0, 0);
    if (!v)
        return 101;
    v[100] = 42;
    UnmapViewOfFile(v);
    char args[64];
    snprintf(args, sizeof args, "readinh %llx", (unsigned long long)(uintptr_t)sec);
    PROCESS_INFORMATION pi;
    if (!start(args, TRUE, 0, &pi))
        return 102;
    CloseHandle(sec);
    return 0; /* exits before the child has done anything much */
}

/* Started by the launcher: once the launcher is gone, its inherited section must still hold
   the launcher's bytes. Reports by setting "inherit-launch-ok" or "inherit-launch-bad". */
static int readinh(char **argv)
{
    HANDLE ok = OpenEventA(EVENT_MODIFY_STATE, FALSE, "inherit-launch-ok");
    HANDLE bad = OpenEventA(EVENT_MODIFY_STATE, FALSE, "inherit-launch-bad");
    if (!ok || !bad)
        return 100;
    Sleep(200); /* the launcher has exited by now */
    char *v = MapViewOfFile(parse(argv[2]), FILE_MAP_READ, 0, 0, 0);
    SetEvent(v != NULL && v[100] == 42 ? ok : bad);
    return 0;
}

/* The memory of an inherited Global\\ section lives on when its parent exits right after
   CreateProcess, before the child has taken its handle over (a launcher). */
static void launched(void)
{
    for (int round = 0; round < 5; round++) {
        HANDLE ok = CreateEventA(NULL, TRUE, FALSE, "inherit-launch-ok");
        HANDLE bad = CreateEventA(NULL, TRUE, FALSE, "inherit-launch-bad");
        CHECK(ok != NULL && bad != NULL);
        PROCESS_INFORMATION pi;
        CHECK(start("launcher", FALSE, 0, &pi));
        CHECK(WaitForSingleObject(pi.hProcess, 30000) == WAIT_OBJECT_0);
        DWORD code = 1;
        CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
        HANDLE w[2] = {ok, bad};
        CHECK(WaitForMultipleObjects(2, w, FALSE, 30000) == WAIT_OBJECT_0);
        /* The grandchild ends right after: then the name goes (hang guard 30 s). */
        HANDLE again = NULL;
        for (int i = 0; i < 3000; i++) {
            again = OpenFileMappingA(FILE_MAP_READ, FALSE, "Global\\inherit-launcher");
            if (!again)
                break;
            CloseHandle(again);
            Sleep(10);
        }
        CHECK(again == NULL && GetLastError() == ERROR_FILE_NOT_FOUND);
        CHECK(CloseHandle(pi.hProcess) && CloseHandle(pi.hThread));
        CHECK(CloseHandle(ok) && CloseHandle(bad));
    }
}

int main(int argc, char **argv)
{
    snprintf(self_path, sizeof self_path, "%s", argv[0]); /* started by its full path */
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child(argc, argv);
    if (argc > 1 && strcmp(argv[1], "hold") == 0)
        return hold(argc, argv);
    if (argc > 1 && strcmp(argv[1], "launcher") == 0)
        return launcher();
    if (argc > 2 && strcmp(argv[1], "readinh") == 0)
        return readinh(argv);
    if (argc < 2)
        return 102;
    handle_information();
    inheritance(argv[1]);
    lifetime();
    global_section();
    launched();
    return checks_done("inherit");
}

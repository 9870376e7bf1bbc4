/* Thread and process handles (waitable, exit codes), CreateProcess command lines, and the
   cross-process cases: a SIGKILLed (TerminateProcess'd) mutex owner gives WAIT_ABANDONED, a
   killed last holder takes the name with it, two processes share a section.
   Usage: procs            (runs the checks; starts itself as the child processes) */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static char g_self[MAX_PATH];

static DWORD WINAPI wait_then_return(LPVOID p)
{
    DWORD r = WaitForSingleObject((HANDLE)p, 10000);
    return r == WAIT_OBJECT_0 ? 42 : 1000 + r;
}

static DWORD WINAPI report_tid(LPVOID p)
{
    *(DWORD *)p = GetCurrentThreadId();
    return 7;
}

static BOOL spawn(const char *args, PROCESS_INFORMATION *pi)
{
    char line[2 * MAX_PATH];
    STARTUPINFOA si;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    snprintf(line, sizeof line, "\"%s\" %s", g_self, args);
    return CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, pi);
}

static void threads(void)
{
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, NULL), t, t2, both[2];
    DWORD tid = 0, seen = 0, code = 0;

    t = CreateThread(NULL, 0, wait_then_return, go, 0, &tid);
    CHECK(t != NULL && tid != 0 && tid != GetCurrentThreadId());
    CHECK(GetExitCodeThread(t, &code) && code == STILL_ACTIVE);
    CHECK(WaitForSingleObject(t, 20) == WAIT_TIMEOUT);
    both[0] = go;
    both[1] = t;
    CHECK(WaitForMultipleObjects(2, both, FALSE, 20) == WAIT_TIMEOUT);
    CHECK(SetEvent(go));
    CHECK(WaitForSingleObject(t, 10000) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(t, 0) == WAIT_OBJECT_0); /* stays signaled */
    CHECK(GetExitCodeThread(t, &code) && code == 42);
    t2 = CreateThread(NULL, 64 * 1024, report_tid, &seen, 0, &tid);
    both[0] = t;
    both[1] = t2;
    CHECK(WaitForMultipleObjects(2, both, TRUE, 10000) == WAIT_OBJECT_0);
    CHECK(seen == tid);
    CHECK(GetExitCodeThread(t2, &code) && code == 7);
    CHECK_FAILS(GetExitCodeProcess(t2, &code), FALSE, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(t) && CloseHandle(t2));
    CHECK_FAILS(GetExitCodeThread(t, &code), FALSE, ERROR_INVALID_HANDLE);
#ifndef _WIN32
    /* fmap-win32 refuses a NULL start routine; Windows starts a thread that faults */
    CHECK_FAILS(CreateThread(NULL, 0, NULL, NULL, 0, NULL), NULL, ERROR_INVALID_PARAMETER);
#endif
    CHECK(GetExitCodeThread(GetCurrentThread(), &code) && code == STILL_ACTIVE);
    CloseHandle(go);
}

static void processes(void)
{
    PROCESS_INFORMATION pi;
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, "procs_go"), both[2];
    DWORD code = 0;
    STARTUPINFOA si;
    char bad[] = "no-such-program-fmap arg";

    CHECK(spawn("child-exit 42", &pi));
    CHECK(pi.dwProcessId != 0 && pi.dwProcessId != GetCurrentProcessId());
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == STILL_ACTIVE);
    CHECK(WaitForSingleObject(pi.hProcess, 20) == WAIT_TIMEOUT);
    CHECK(SetEvent(go));
    both[0] = pi.hProcess;
    both[1] = pi.hThread;
    CHECK(WaitForMultipleObjects(2, both, TRUE, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 42);
    CHECK(GetExitCodeThread(pi.hThread, &code) && code == 42);
    CHECK_FAILS(GetExitCodeProcess(pi.hThread, &code), FALSE, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(pi.hThread) && CloseHandle(pi.hProcess));
    CloseHandle(go);

    /* the command line is split like Windows does it */
    CHECK(spawn("child-args \"a b\" c\\\"d e\\\\f \"g\\\\\" \"\"", &pi));
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);

    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    CHECK_FAILS(CreateProcessA(NULL, bad, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi), FALSE,
                ERROR_FILE_NOT_FOUND);
}

static void cross_process(void)
{
    PROCESS_INFORMATION pi;
    HANDLE m = CreateMutexA(NULL, FALSE, "procs_abandon");
    HANDLE owned = CreateEventA(NULL, TRUE, FALSE, "procs_owned");
    HANDLE holding = CreateEventA(NULL, TRUE, FALSE, "procs_holding"), h;
    DWORD code = 0, *data;

    /* an owner killed while holding the mutex: the next waiter gets WAIT_ABANDONED */
    CHECK(spawn("child-own", &pi));
    CHECK(WaitForSingleObject(owned, 10000) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(m, 0) == WAIT_TIMEOUT);
    CHECK(TerminateProcess(pi.hProcess, 9));
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 9);
    CHECK_FAILS(TerminateProcess(pi.hProcess, 1), FALSE, ERROR_ACCESS_DENIED);
    CHECK(WaitForSingleObject(m, 10000) == WAIT_ABANDONED);
    CHECK(ReleaseMutex(m));
    CHECK(WaitForSingleObject(m, 0) == WAIT_OBJECT_0 && ReleaseMutex(m));
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);

    /* the last holder of a name is killed: the name is gone */
    CHECK(spawn("child-hold", &pi));
    CHECK(WaitForSingleObject(holding, 10000) == WAIT_OBJECT_0);
    h = OpenFileMappingA(FILE_MAP_READ, FALSE, "procs_held");
    CHECK(h != NULL);
    CloseHandle(h);
    CHECK(TerminateProcess(pi.hProcess, 1));
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    CHECK_FAILS(OpenFileMappingA(FILE_MAP_READ, FALSE, "procs_held"), NULL, ERROR_FILE_NOT_FOUND);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);

    /* two processes share a section */
    h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, "procs_data");
    data = (DWORD *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    CHECK(data != NULL);
    data[0] = 41;
    CHECK(spawn("child-share", &pi));
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
    CHECK(data[0] == 42);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    UnmapViewOfFile(data);
    CloseHandle(h);
    CloseHandle(m);
    CloseHandle(owned);
    CloseHandle(holding);
}

static void clocks(void)
{
    ULONGLONG t0 = GetTickCount64();
    LARGE_INTEGER f, c0, c1;
    CHECK(QueryPerformanceFrequency(&f) && f.QuadPart > 0);
    CHECK(QueryPerformanceCounter(&c0));
    Sleep(50);
    CHECK(QueryPerformanceCounter(&c1));
    CHECK(GetTickCount64() - t0 >= 45);
    CHECK((c1.QuadPart - c0.QuadPart) * 1000 / f.QuadPart >= 45);
    CHECK((DWORD)(GetTickCount() - (DWORD)t0) >= 45);
}

static int child(int argc, char **argv)
{
    const char *role = argv[1];
    if (strcmp(role, "child-exit") == 0) {
        HANDLE go = OpenEventA(SYNCHRONIZE, FALSE, "procs_go");
        if (!go || WaitForSingleObject(go, 10000) != WAIT_OBJECT_0)
            return 100;
        return atoi(argv[2]);
    }
    if (strcmp(role, "child-args") == 0) {
        return !(argc == 7 && strcmp(argv[2], "a b") == 0 && strcmp(argv[3], "c\"d") == 0 &&
                 strcmp(argv[4], "e\\\\f") == 0 && strcmp(argv[5], "g\\") == 0 &&
                 strcmp(argv[6], "") == 0);
    }
    if (strcmp(role, "child-own") == 0) {
        HANDLE m = OpenMutexA(SYNCHRONIZE, FALSE, "procs_abandon");
        HANDLE ev = OpenEventA(EVENT_MODIFY_STATE, FALSE, "procs_owned");
        if (!m || !ev || WaitForSingleObject(m, 10000) != WAIT_OBJECT_0)
            return 100;
        SetEvent(ev);
        Sleep(INFINITE);
    }
    if (strcmp(role, "child-hold") == 0) {
        HANDLE h = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096,
                                      "procs_held");
        HANDLE ev = OpenEventA(EVENT_MODIFY_STATE, FALSE, "procs_holding");
        if (!h || !ev)
            return 100;
        SetEvent(ev);
        Sleep(INFINITE);
    }
    if (strcmp(role, "child-share") == 0) {
        HANDLE h = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, "procs_data");
        DWORD *d = h ? (DWORD *)MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
        if (!d || d[0] != 41)
            return 100;
        d[0] = 42;
        return 0;
    }
    return 99;
}

int main(int argc, char **argv)
{
    if (argc >= 2)
        return child(argc, argv);
    snprintf(g_self, sizeof g_self, "%s", argv[0]);
    threads();
    processes();
    cross_process();
    clocks();
    return checks_done("procs");
}

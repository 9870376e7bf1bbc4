/* Waitable timers: CreateWaitableTimer(Ex)A/W, OpenWaitableTimerA/W, SetWaitableTimer(Ex),
   CancelWaitableTimer, waits on timers (alone, with an event, across processes), return
   values and exact last errors. No latency upper bound is checked: only that a wait does not
   return before the due time (QueryPerformanceCounter is CLOCK_MONOTONIC) and hang guards.
   Usage: timers            (runs the checks; starts itself as the child process) */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "check.h"

#define GUARD 30000

static char g_self[MAX_PATH];

static LONGLONG now_ms(void)
{
    LARGE_INTEGER c, f;
    QueryPerformanceCounter(&c);
    QueryPerformanceFrequency(&f);
    return c.QuadPart * 1000 / f.QuadPart;
}

static BOOL set_rel(HANDLE t, LONGLONG ms, LONG period)
{
    LARGE_INTEGER due;
    due.QuadPart = -ms * 10000;
    return SetWaitableTimer(t, &due, period, NULL, NULL, FALSE);
}

static void APIENTRY_unused(LPVOID a, DWORD lo, DWORD hi)
{
    (void)a;
    (void)lo;
    (void)hi;
}

static void semantics(void)
{
    HANDLE t = CreateWaitableTimerA(NULL, TRUE, NULL), s, ev, both[2];
    LONGLONG t0;
    LARGE_INTEGER due;
    int i;

    CHECK(t != NULL);
    /* Never set: not signaled. */
    CHECK(WaitForSingleObject(t, 0) == WAIT_TIMEOUT);
    /* Not before its due time; manual reset: stays signaled. */
    t0 = now_ms();
    CHECK(set_rel(t, 30, 0));
    CHECK(WaitForSingleObject(t, GUARD) == WAIT_OBJECT_0);
    CHECK(now_ms() - t0 >= 30);
    CHECK(WaitForSingleObject(t, 0) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(t, 0) == WAIT_OBJECT_0);
    /* Setting resets the signal; cancel does not change it. */
    CHECK(set_rel(t, 3600 * 1000, 0));
    CHECK(WaitForSingleObject(t, 0) == WAIT_TIMEOUT);
    CHECK(WaitForSingleObject(t, 5) == WAIT_TIMEOUT);
    CHECK(CancelWaitableTimer(t));
    CHECK(WaitForSingleObject(t, 0) == WAIT_TIMEOUT);
    CHECK(set_rel(t, 0, 0));
    CHECK(WaitForSingleObject(t, GUARD) == WAIT_OBJECT_0);
    CHECK(CancelWaitableTimer(t));
    CHECK(WaitForSingleObject(t, 0) == WAIT_OBJECT_0);

    /* Absolute due times (FILETIME, UTC): in the past, due at once; an hour ahead, not. */
    due.QuadPart = ((LONGLONG)time(NULL) + 11644473600LL - 10) * 10000000LL;
    CHECK(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK(WaitForSingleObject(t, 0) == WAIT_OBJECT_0);
    due.QuadPart = ((LONGLONG)time(NULL) + 11644473600LL + 3600) * 10000000LL;
    CHECK(SetWaitableTimer(t, &due, 0, NULL, NULL, FALSE));
    CHECK(WaitForSingleObject(t, 0) == WAIT_TIMEOUT);
    CHECK(CloseHandle(t));

    /* Synchronization timer: a wait resets it; periodic: fires again and again. */
    s = CreateWaitableTimerExW(NULL, NULL, 0, TIMER_ALL_ACCESS);
    CHECK(s != NULL);
    CHECK(set_rel(s, 1, 0));
    CHECK(WaitForSingleObject(s, GUARD) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(s, 0) == WAIT_TIMEOUT);
    t0 = now_ms();
    CHECK(set_rel(s, 10, 10));
    for (i = 1; i <= 4; i++) {
        CHECK(WaitForSingleObject(s, GUARD) == WAIT_OBJECT_0);
        CHECK(now_ms() - t0 >= 10 * i);
    }
    CHECK(CancelWaitableTimer(s));
    CHECK(SetWaitableTimerEx(s, &due, 0, NULL, NULL, NULL, 0));
    CHECK(WaitForSingleObject(s, 0) == WAIT_TIMEOUT);

    /* With an event: wait-any returns the timer's index; wait-all needs both. */
    ev = CreateEventA(NULL, FALSE, FALSE, NULL);
    both[0] = ev;
    both[1] = s;
    CHECK(set_rel(s, 10, 0));
    CHECK(WaitForMultipleObjects(2, both, FALSE, GUARD) == WAIT_OBJECT_0 + 1);
    CHECK(SetEvent(ev));
    CHECK(set_rel(s, 3600 * 1000, 0));
    CHECK(WaitForMultipleObjects(2, both, TRUE, 5) == WAIT_TIMEOUT);
    CHECK(set_rel(s, 5, 0));
    CHECK(WaitForMultipleObjects(2, both, TRUE, GUARD) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(ev, 0) == WAIT_TIMEOUT);
    CHECK(WaitForSingleObject(s, 0) == WAIT_TIMEOUT);
    CHECK(CloseHandle(ev));
    CHECK(CloseHandle(s));
}

static void errors(void)
{
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, NULL), ev = CreateEventA(NULL, TRUE, FALSE, NULL);
    LARGE_INTEGER due;
    due.QuadPart = -1;

    /* Not a timer. */
    CHECK_FAILS(SetWaitableTimer(ev, &due, 0, NULL, NULL, FALSE), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetWaitableTimer(NULL, &due, 0, NULL, NULL, FALSE), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CancelWaitableTimer(ev), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CancelWaitableTimer((HANDLE)(LONG_PTR)0x7777), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(SetEvent(t), FALSE, ERROR_INVALID_HANDLE);
    /* Bad arguments. */
    CHECK_FAILS(SetWaitableTimer(t, NULL, 0, NULL, NULL, FALSE), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(SetWaitableTimer(t, &due, -1, NULL, NULL, FALSE), FALSE, ERROR_INVALID_PARAMETER);
    /* Completion routines need APCs: not supported. */
    CHECK_FAILS(SetWaitableTimer(t, &due, 0, APIENTRY_unused, NULL, FALSE), FALSE,
                ERROR_NOT_SUPPORTED);
    CHECK_FAILS(SetWaitableTimerEx(t, &due, 0, APIENTRY_unused, NULL, NULL, 0), FALSE,
                ERROR_NOT_SUPPORTED);
    /* fResume: set, TRUE, and ERROR_NOT_SUPPORTED (no resume support). */
    SetLastError(0);
    CHECK(SetWaitableTimer(t, &due, 0, NULL, NULL, TRUE) == TRUE);
    CHECK(GetLastError() == ERROR_NOT_SUPPORTED);
    CHECK(WaitForSingleObject(t, GUARD) == WAIT_OBJECT_0);
    /* Flags. */
    CHECK_FAILS(CreateWaitableTimerExA(NULL, NULL, 4, TIMER_ALL_ACCESS), NULL,
                ERROR_INVALID_PARAMETER);
    {
        HANDLE h = CreateWaitableTimerExA(NULL, NULL,
                                          CREATE_WAITABLE_TIMER_MANUAL_RESET |
                                              CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                          TIMER_ALL_ACCESS);
        CHECK(h != NULL);
        CHECK(set_rel(h, 0, 0));
        CHECK(WaitForSingleObject(h, GUARD) == WAIT_OBJECT_0);
        CHECK(WaitForSingleObject(h, 0) == WAIT_OBJECT_0); /* manual reset */
        CHECK(CloseHandle(h));
    }
    CHECK(CloseHandle(t));
    CHECK(CloseHandle(ev));
}

static void names_and_rights(void)
{
    static const WCHAR wname[] = {'t', 'm', '_', 'w', 0};
    HANDLE a, b, ev, h, d;
    LARGE_INTEGER due;
    due.QuadPart = -1;

    SetLastError(0xdeadbeef);
    a = CreateWaitableTimerA(NULL, TRUE, "tm_a");
    CHECK(a != NULL && GetLastError() == 0);
    SetLastError(0xdeadbeef);
    b = CreateWaitableTimerA(NULL, FALSE, "tm_a");
    CHECK(b != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    /* The existing timer's reset type wins: manual. */
    CHECK(SetWaitableTimer(b, &due, 0, NULL, NULL, FALSE));
    CHECK(WaitForSingleObject(a, GUARD) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(a, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(b));

    /* One namespace for every type. */
    ev = CreateEventA(NULL, FALSE, FALSE, "tm_ev");
    CHECK(ev != NULL);
    CHECK_FAILS(CreateWaitableTimerA(NULL, FALSE, "tm_ev"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_ev"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenEventA(SYNCHRONIZE, FALSE, "tm_a"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateMutexA(NULL, FALSE, "tm_a"), NULL, ERROR_INVALID_HANDLE);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_none"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);
    CHECK(CloseHandle(ev));

    /* Rights. */
    h = OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_a");
    CHECK(h != NULL);
    CHECK_FAILS(SetWaitableTimer(h, &due, 0, NULL, NULL, FALSE), FALSE, ERROR_ACCESS_DENIED);
    CHECK_FAILS(CancelWaitableTimer(h), FALSE, ERROR_ACCESS_DENIED);
    CHECK(WaitForSingleObject(h, 0) == WAIT_OBJECT_0);
    CHECK(CloseHandle(h));
    h = OpenWaitableTimerA(TIMER_MODIFY_STATE, FALSE, "tm_a");
    CHECK(h != NULL);
    CHECK(CancelWaitableTimer(h));
    CHECK_FAILS(WaitForSingleObject(h, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    /* DuplicateHandle: same access, or the access asked for. */
    CHECK(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    CHECK_FAILS(WaitForSingleObject(d, 0), WAIT_FAILED, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d));
    CHECK(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, SYNCHRONIZE, FALSE,
                          0));
    CHECK(WaitForSingleObject(d, 0) == WAIT_OBJECT_0);
    CHECK_FAILS(CancelWaitableTimer(d), FALSE, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(d));
    CHECK(CloseHandle(h));
    CHECK_FAILS(OpenWaitableTimerA(0x4, FALSE, "tm_a"), NULL, ERROR_ACCESS_DENIED);
    CHECK_FAILS(OpenWaitableTimerW(TIMER_QUERY_STATE | SYNCHRONIZE, FALSE, NULL), NULL,
                ERROR_INVALID_PARAMETER);
    /* CreateWaitableTimerEx gives the access asked for. */
    h = CreateWaitableTimerExA(NULL, "tm_a", 0, SYNCHRONIZE);
    CHECK(h != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK_FAILS(SetWaitableTimer(h, &due, 0, NULL, NULL, FALSE), FALSE, ERROR_ACCESS_DENIED);
    CHECK(CloseHandle(h));
    CHECK(CloseHandle(a));
    /* The last handle takes the name with it. */
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_a"), NULL, ERROR_FILE_NOT_FOUND);

    /* Wide names. */
    a = CreateWaitableTimerW(NULL, FALSE, wname);
    CHECK(a != NULL);
    h = OpenWaitableTimerW(TIMER_ALL_ACCESS, FALSE, wname);
    CHECK(h != NULL);
    CHECK(SetWaitableTimer(h, &due, 0, NULL, NULL, FALSE));
    CHECK(WaitForSingleObject(a, GUARD) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(a, 0) == WAIT_TIMEOUT);
    CHECK(CloseHandle(h));
    h = CreateWaitableTimerExW(NULL, wname, 0, TIMER_ALL_ACCESS);
    CHECK(h != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    CHECK(CloseHandle(h));
    CHECK(CloseHandle(a));
}

/* A timer set here wakes a waiter in another process, not before its due time. */
static void cross_process(void)
{
    HANDLE t = CreateWaitableTimerA(NULL, FALSE, "tm_cross");
    HANDLE ready = CreateEventA(NULL, TRUE, FALSE, "tm_ready");
    PROCESS_INFORMATION pi;
    STARTUPINFOA si;
    char line[2 * MAX_PATH];
    DWORD code = 1;

    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    snprintf(line, sizeof line, "\"%s\" child-wait", g_self);
    CHECK(t != NULL && ready != NULL);
    CHECK(CreateProcessA(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    CHECK(WaitForSingleObject(ready, GUARD) == WAIT_OBJECT_0);
    Sleep(20); /* most likely asleep in its wait by now; either way it must be woken */
    CHECK(set_rel(t, 30, 0));
    CHECK(WaitForSingleObject(pi.hProcess, GUARD) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code));
    CHECK(code == 0);
    /* The child consumed the synchronization timer's expiry. */
    CHECK(WaitForSingleObject(t, 0) == WAIT_TIMEOUT);
    CHECK(CloseHandle(pi.hProcess));
    CHECK(CloseHandle(pi.hThread));
    CHECK(CloseHandle(t));
    CHECK(CloseHandle(ready));
    CHECK_FAILS(OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_cross"), NULL, ERROR_FILE_NOT_FOUND);
}

static int child_wait(void)
{
    HANDLE t = OpenWaitableTimerA(SYNCHRONIZE, FALSE, "tm_cross");
    HANDLE ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, "tm_ready");
    LONGLONG t0 = now_ms();
    if (!t || !ready || !SetEvent(ready))
        return 100;
    if (WaitForSingleObject(t, GUARD) != WAIT_OBJECT_0)
        return 101;
    /* The parent set it at least 20 ms after `ready`, 30 ms ahead. */
    if (now_ms() - t0 < 50)
        return 102;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "child-wait") == 0)
        return child_wait();
    snprintf(g_self, sizeof g_self, "%s", argv[0]);
    semantics();
    errors();
    names_and_rights();
    cross_process();
    return checks_done("timers");
}

/* ExitThread, _endthreadex, _beginthread/_endthread and TerminateThread: a thread that ends
   from inside (deep in nested calls, holding nothing) reports its code to GetExitCodeThread and
   releases its waiters; TerminateThread refuses another running thread. */
#include "check.h"
#include <errno.h>
#include <process.h>
#include <string.h>

static volatile LONG g_cleanup;
static HANDLE g_go;

static void deep(int n, DWORD code)
{
    char frame[64];
    if (n < 0)
        return;
    if (n == 0)
        ExitThread(code);
    memset(frame, n, sizeof frame);
    deep(n - 1, code);
    g_cleanup = frame[0]; /* never reached */
}

static DWORD WINAPI exits_deep(LPVOID p)
{
    deep(10, (DWORD)(UINT_PTR)p);
    return 1; /* never reached */
}

static unsigned __stdcall ends_crt(void *p)
{
    _endthreadex((unsigned)(UINT_PTR)p);
}

static DWORD WINAPI returns(LPVOID p)
{
    return (DWORD)(UINT_PTR)p;
}

static DWORD WINAPI waits(LPVOID p)
{
    (void)p;
    WaitForSingleObject(g_go, INFINITE);
    return 5;
}

static DWORD WINAPI terminates_self(LPVOID p)
{
    (void)p;
    TerminateThread(GetCurrentThread(), 77);
    return 1;
}

static void crt_routine(void *p)
{
    InterlockedIncrement((volatile LONG *)p);
    SetEvent(g_go);
    _endthread();
}

static void crt_returns(void *p)
{
    InterlockedIncrement((volatile LONG *)p);
}

static DWORD WINAPI outlives_main(LPVOID p)
{
    (void)p;
    Sleep(200);
    return 7;
}

int main(int argc, char **argv)
{
    DWORD code = 0;
    if (argc > 1 && strcmp(argv[1], "main-first") == 0) {
        /* The main thread ends first: the process exits with the last thread's code (7). */
        HANDLE last = CreateThread(NULL, 0, outlives_main, NULL, 0, NULL);
        if (!last)
            return 1;
        ExitThread(3);
    }
    g_go = CreateEventA(NULL, TRUE, FALSE, NULL);
    CHECK(g_go != NULL);

    /* ExitThread deep in a call chain: exit code and waiters */
    HANDLE t = CreateThread(NULL, 0, exits_deep, (LPVOID)(UINT_PTR)1234, 0, NULL);
    CHECK(t != NULL);
    CHECK(WaitForSingleObject(t, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(t, &code) && code == 1234);
    CHECK(g_cleanup == 0);
    /* a second waiter on the same ended thread, with another object */
    HANDLE both[2] = {t, g_go};
    CHECK(WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_OBJECT_0);
    /* TerminateThread on an ended thread: TRUE, code unchanged */
    CHECK(TerminateThread(t, 9) == TRUE);
    CHECK(GetExitCodeThread(t, &code) && code == 1234);
    CHECK(CloseHandle(t));

    /* many threads ending by ExitThread */
    HANDLE many[16];
    for (int i = 0; i < 16; i++)
        many[i] = CreateThread(NULL, 64 * 1024, exits_deep, (LPVOID)(UINT_PTR)(100 + i), 0, NULL);
    CHECK(WaitForMultipleObjects(16, many, TRUE, 10000) == WAIT_OBJECT_0);
    for (int i = 0; i < 16; i++) {
        CHECK(GetExitCodeThread(many[i], &code) && code == (DWORD)(100 + i));
        CloseHandle(many[i]);
    }

    /* _endthreadex */
    unsigned id = 0;
    HANDLE c = (HANDLE)_beginthreadex(NULL, 0, ends_crt, (void *)(UINT_PTR)0xC0DE, 0, &id);
    CHECK(c != NULL && id != 0);
    CHECK(WaitForSingleObject(c, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(c, &code) && code == 0xC0DE);
    CloseHandle(c);

    /* returning still works; STILL_ACTIVE while running */
    HANDLE w = CreateThread(NULL, 0, waits, NULL, 0, NULL);
    CHECK(GetExitCodeThread(w, &code) && code == STILL_ACTIVE);
    /* TerminateThread of another running thread: refused, no harm done */
    CHECK_FAILS(TerminateThread(w, 3), FALSE, ERROR_NOT_SUPPORTED);
    CHECK(GetExitCodeThread(w, &code) && code == STILL_ACTIVE);
    SetEvent(g_go);
    CHECK(WaitForSingleObject(w, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(w, &code) && code == 5);
    CloseHandle(w);
    ResetEvent(g_go);
    HANDLE r = CreateThread(NULL, 0, returns, (LPVOID)(UINT_PTR)42, 0, NULL);
    CHECK(WaitForSingleObject(r, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(r, &code) && code == 42);
    CloseHandle(r);

    /* TerminateThread of the calling thread = ExitThread */
    HANDLE s = CreateThread(NULL, 0, terminates_self, NULL, 0, NULL);
    CHECK(WaitForSingleObject(s, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeThread(s, &code) && code == 77);
    CloseHandle(s);

    /* bad arguments */
    CHECK_FAILS(TerminateThread(NULL, 1), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(TerminateThread(g_go, 1), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(TerminateThread((HANDLE)(UINT_PTR)0x7ffffff0, 1), FALSE, ERROR_INVALID_HANDLE);

    /* _beginthread / _endthread: the handle closes itself */
    volatile LONG count = 0;
    uintptr_t b = _beginthread(crt_routine, 0, (void *)&count);
    CHECK(b != (uintptr_t)-1 && b != 0);
    CHECK(WaitForSingleObject(g_go, 10000) == WAIT_OBJECT_0);
    uintptr_t b2 = _beginthread(crt_returns, 0, (void *)&count);
    CHECK(b2 != (uintptr_t)-1);
    for (int i = 0; i < 1000 && count < 2; i++)
        Sleep(5);
    CHECK(count == 2);
    errno = 0;
    SetLastError(0);
    CHECK(_beginthread(NULL, 0, NULL) == (uintptr_t)-1 && errno == EINVAL &&
          GetLastError() == ERROR_INVALID_PARAMETER);
    /* both handles are closed once their threads are gone */
    size_t closed = 0;
    for (int i = 0; i < 1000 && closed < 2; i++) {
        closed = 0;
        Sleep(5);
        DWORD f;
        closed += !GetHandleInformation((HANDLE)b, &f);
        closed += !GetHandleInformation((HANDLE)b2, &f);
    }
    CHECK(closed == 2);
    CloseHandle(g_go);
    int rc = checks_done("thread_exit");
    fflush(stdout);
    /* ExitThread on the main thread: the process ends when no thread is left, status 0 */
    ExitThread(rc);
}

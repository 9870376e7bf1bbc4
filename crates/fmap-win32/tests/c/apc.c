/* Alertable waits and APCs: QueueUserAPC, SleepEx, WaitForSingleObjectEx,
   WaitForMultipleObjectsEx. */
#include "check.h"

static volatile LONG g_ran;
static DWORD g_apc_thread;
static ULONG_PTR g_order[8];

static void CALLBACK apc(ULONG_PTR data)
{
    LONG i = InterlockedIncrement(&g_ran) - 1;
    if (i < 8)
        g_order[i] = data;
    g_apc_thread = GetCurrentThreadId();
}

static HANDLE g_go, g_ev;

/* Waits alertably on g_ev; reports what the wait returned. */
static DWORD WINAPI alertable_waiter(LPVOID arg)
{
    (void)arg;
    SetEvent(g_go);
    return WaitForSingleObjectEx(g_ev, 30000, TRUE);
}

int main(void)
{
    g_go = CreateEventA(NULL, FALSE, FALSE, NULL);
    g_ev = CreateEventA(NULL, TRUE, FALSE, NULL);

    /* Queued to this thread: nothing runs until an alertable wait; then all run, in order. */
    CHECK(QueueUserAPC(apc, GetCurrentThread(), 1));
    CHECK(QueueUserAPC(apc, GetCurrentThread(), 2));
    CHECK(WaitForSingleObject(g_ev, 0) == WAIT_TIMEOUT); /* not alertable: APCs stay queued */
    Sleep(1);
    CHECK(g_ran == 0);
    CHECK(SleepEx(30000, TRUE) == WAIT_IO_COMPLETION);
    CHECK(g_ran == 2 && g_order[0] == 1 && g_order[1] == 2);
    CHECK(g_apc_thread == GetCurrentThreadId());
    CHECK(SleepEx(10, TRUE) == 0); /* nothing queued: times out */

    /* Another thread waiting alertably is woken by an APC queued to it. */
    HANDLE t = CreateThread(NULL, 0, alertable_waiter, NULL, 0, NULL);
    CHECK(WaitForSingleObject(g_go, 30000) == WAIT_OBJECT_0);
    CHECK(QueueUserAPC(apc, t, 3));
    CHECK(WaitForSingleObject(t, 30000) == WAIT_OBJECT_0);
    DWORD code = 0;
    CHECK(GetExitCodeThread(t, &code) && code == WAIT_IO_COMPLETION);
    CHECK(g_ran == 3 && g_order[2] == 3 && g_apc_thread != GetCurrentThreadId());
    CloseHandle(t);

    /* The object still wins when it is signaled; WaitForMultipleObjectsEx any and all. */
    SetEvent(g_ev);
    CHECK(WaitForSingleObjectEx(g_ev, 0, TRUE) == WAIT_OBJECT_0);
    HANDLE sem = CreateSemaphoreA(NULL, 0, 1, NULL);
    HANDLE hs[2] = {sem, g_ev};
    CHECK(WaitForMultipleObjectsEx(2, hs, FALSE, 1000, TRUE) == WAIT_OBJECT_0 + 1);
    CHECK(QueueUserAPC(apc, GetCurrentThread(), 4));
    CHECK(WaitForMultipleObjectsEx(2, hs, TRUE, 30000, TRUE) == WAIT_IO_COMPLETION);
    CHECK(g_ran == 4);
    CHECK(ReleaseSemaphore(sem, 1, NULL));
    CHECK(WaitForMultipleObjectsEx(2, hs, TRUE, 1000, TRUE) == WAIT_OBJECT_0);
    CHECK(WaitForMultipleObjectsEx(2, hs, TRUE, 20, TRUE) == WAIT_TIMEOUT);
    CHECK(WaitForSingleObjectEx(sem, 20, FALSE) == WAIT_TIMEOUT);

    /* Errors. */
    CHECK_FAILS(QueueUserAPC(NULL, GetCurrentThread(), 0), 0, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(QueueUserAPC(apc, g_ev, 0), 0, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObjectEx((HANDLE)(UINT_PTR)0x12340, 0, TRUE), WAIT_FAILED, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForMultipleObjectsEx(0, hs, FALSE, 0, TRUE), WAIT_FAILED, ERROR_INVALID_PARAMETER);

    CloseHandle(sem);
    CloseHandle(g_ev);
    CloseHandle(g_go);
    return checks_done("apc");
}

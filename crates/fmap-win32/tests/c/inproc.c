/* In-process synchronization (CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE, INIT_ONCE,
   Interlocked*) and the environment functions, as programs that pair them with shared memory
   use them. Windows' return values and last errors. */
#include "check.h"
#include <stdlib.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 20000

static CRITICAL_SECTION g_cs;
static long g_counter;
static SRWLOCK g_srw = SRWLOCK_INIT;
static long g_a, g_b; /* always equal under g_srw */
static volatile LONG g_torn;

static DWORD WINAPI cs_worker(LPVOID arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        EnterCriticalSection(&g_cs);
        EnterCriticalSection(&g_cs); /* recursive */
        g_counter++;
        LeaveCriticalSection(&g_cs);
        LeaveCriticalSection(&g_cs);
    }
    return 0;
}

static DWORD WINAPI srw_worker(LPVOID arg)
{
    int writer = (int)(INT_PTR)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (writer) {
            AcquireSRWLockExclusive(&g_srw);
            g_a++;
            g_b++;
            ReleaseSRWLockExclusive(&g_srw);
        } else {
            AcquireSRWLockShared(&g_srw);
            if (g_a != g_b)
                InterlockedIncrement(&g_torn);
            ReleaseSRWLockShared(&g_srw);
        }
    }
    return 0;
}

static DWORD WINAPI try_cs(LPVOID arg)
{
    (void)arg;
    BOOL got = TryEnterCriticalSection(&g_cs);
    if (got)
        LeaveCriticalSection(&g_cs);
    return (DWORD)got;
}

static DWORD WINAPI try_srw_exclusive(LPVOID arg)
{
    (void)arg;
    BOOLEAN got = TryAcquireSRWLockExclusive(&g_srw);
    if (got)
        ReleaseSRWLockExclusive(&g_srw);
    return (DWORD)got;
}

/* A bounded queue guarded by a critical section and two condition variables. */
static CRITICAL_SECTION q_cs;
static CONDITION_VARIABLE q_not_empty = CONDITION_VARIABLE_INIT, q_not_full;
static int q_items[4], q_len;
static long q_sum;

static DWORD WINAPI producer(LPVOID arg)
{
    (void)arg;
    for (int i = 1; i <= 1000; i++) {
        EnterCriticalSection(&q_cs);
        while (q_len == 4)
            SleepConditionVariableCS(&q_not_full, &q_cs, INFINITE);
        q_items[q_len++] = i;
        WakeConditionVariable(&q_not_empty);
        LeaveCriticalSection(&q_cs);
    }
    return 0;
}

static DWORD WINAPI consumer(LPVOID arg)
{
    (void)arg;
    for (int n = 0; n < 1000; n++) {
        EnterCriticalSection(&q_cs);
        while (q_len == 0)
            SleepConditionVariableCS(&q_not_empty, &q_cs, INFINITE);
        q_sum += q_items[--q_len];
        WakeAllConditionVariable(&q_not_full);
        LeaveCriticalSection(&q_cs);
    }
    return 0;
}

static INIT_ONCE g_once = INIT_ONCE_STATIC_INIT;
static volatile LONG g_once_calls;
static int g_once_target;

static BOOL WINAPI once_fn(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    InterlockedIncrement(&g_once_calls);
    Sleep(20); /* let the other threads arrive and wait */
    *ctx = param;
    return TRUE;
}

static DWORD WINAPI once_worker(LPVOID arg)
{
    (void)arg;
    PVOID ctx = NULL;
    if (!InitOnceExecuteOnce(&g_once, once_fn, &g_once_target, &ctx))
        return 1;
    return ctx == &g_once_target ? 0 : 2;
}

static BOOL WINAPI failing_once(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    (void)once;
    (void)param;
    (void)ctx;
    SetLastError(ERROR_INVALID_DATA);
    return FALSE;
}

static void run_threads(LPTHREAD_START_ROUTINE fn, int n, int mixed, DWORD *codes)
{
    HANDLE t[THREADS];
    for (int i = 0; i < n; i++)
        t[i] = CreateThread(NULL, 0, fn, (LPVOID)(INT_PTR)(mixed ? (i % 2) : 0), 0, NULL);
    for (int i = 0; i < n; i++) {
        CHECK(WaitForSingleObject(t[i], 30000) == WAIT_OBJECT_0);
        if (codes)
            CHECK(GetExitCodeThread(t[i], &codes[i]));
        CloseHandle(t[i]);
    }
}

int main(void)
{
    DWORD codes[THREADS];

    /* CRITICAL_SECTION: mutual exclusion, recursion, TryEnter from another thread. */
    CHECK(sizeof(CRITICAL_SECTION) == 40);
    InitializeCriticalSection(&g_cs);
    run_threads(cs_worker, THREADS, 0, NULL);
    CHECK(g_counter == (long)THREADS * ROUNDS);
    EnterCriticalSection(&g_cs);
    CHECK(TryEnterCriticalSection(&g_cs)); /* the owner may re-enter */
    run_threads(try_cs, 1, 0, codes);
    CHECK(codes[0] == FALSE); /* held by this thread */
    LeaveCriticalSection(&g_cs);
    LeaveCriticalSection(&g_cs);
    run_threads(try_cs, 1, 0, codes);
    CHECK(codes[0] == TRUE);
    CHECK(InitializeCriticalSectionAndSpinCount(&q_cs, 4000));
    DeleteCriticalSection(&g_cs);

    /* SRWLOCK: writers exclude readers; TryAcquire. */
    CHECK(sizeof(SRWLOCK) == sizeof(void *));
    run_threads(srw_worker, THREADS, 1, NULL);
    CHECK(g_a == (long)(THREADS / 2) * ROUNDS && g_a == g_b);
    CHECK(g_torn == 0);
    AcquireSRWLockShared(&g_srw);
    CHECK(TryAcquireSRWLockShared(&g_srw));
    run_threads(try_srw_exclusive, 1, 0, codes);
    CHECK(codes[0] == FALSE);
    ReleaseSRWLockShared(&g_srw);
    ReleaseSRWLockShared(&g_srw);
    run_threads(try_srw_exclusive, 1, 0, codes);
    CHECK(codes[0] == TRUE);

    /* CONDITION_VARIABLE: a producer/consumer queue; a timed sleep times out. */
    InitializeConditionVariable(&q_not_full);
    HANDLE pc[2];
    pc[0] = CreateThread(NULL, 0, producer, NULL, 0, NULL);
    pc[1] = CreateThread(NULL, 0, consumer, NULL, 0, NULL);
    CHECK(WaitForMultipleObjects(2, pc, TRUE, 30000) == WAIT_OBJECT_0);
    CloseHandle(pc[0]);
    CloseHandle(pc[1]);
    CHECK(q_sum == 1000L * 1001 / 2);
    EnterCriticalSection(&q_cs);
    SetLastError(0);
    CHECK(!SleepConditionVariableCS(&q_not_empty, &q_cs, 30));
    CHECK(GetLastError() == ERROR_TIMEOUT);
    CHECK(TryEnterCriticalSection(&q_cs)); /* re-acquired after the timeout */
    LeaveCriticalSection(&q_cs);
    LeaveCriticalSection(&q_cs);
    AcquireSRWLockExclusive(&g_srw);
    CHECK(!SleepConditionVariableSRW(&q_not_empty, &g_srw, 10, 0));
    CHECK(GetLastError() == ERROR_TIMEOUT);
    ReleaseSRWLockExclusive(&g_srw);

    /* INIT_ONCE: the callback runs once; every caller gets its context. */
    run_threads(once_worker, THREADS, 0, codes);
    for (int i = 0; i < THREADS; i++)
        CHECK(codes[i] == 0);
    CHECK(g_once_calls == 1);
    INIT_ONCE again;
    InitOnceInitialize(&again);
    SetLastError(0);
    CHECK(!InitOnceExecuteOnce(&again, failing_once, NULL, NULL));
    CHECK(GetLastError() == ERROR_INVALID_DATA);
    PVOID ctx = NULL;
    CHECK(InitOnceExecuteOnce(&again, once_fn, &g_once_target, &ctx)); /* may run again */
    CHECK(ctx == &g_once_target && g_once_calls == 2);

    /* Interlocked. */
    LONG v = 5;
    CHECK(InterlockedIncrement(&v) == 6 && v == 6);
    CHECK(InterlockedExchange(&v, 10) == 6 && v == 10);
    CHECK(InterlockedCompareExchange(&v, 20, 11) == 10 && v == 10);
    CHECK(InterlockedCompareExchange(&v, 20, 10) == 10 && v == 20);
    CHECK(InterlockedExchangeAdd(&v, 5) == 20 && v == 25);
    LONGLONG w = 1LL << 40;
    CHECK(InterlockedCompareExchange64(&w, 7, 1LL << 40) == (1LL << 40) && w == 7);
    CHECK(InterlockedDecrement64(&w) == 6);
    PVOID p = NULL;
    CHECK(InterlockedCompareExchangePointer(&p, &v, NULL) == NULL && p == &v);
    MemoryBarrier();

    /* Environment variables: the C library's, with Win32's buffer rules. */
    char buf[64];
    CHECK(SetEnvironmentVariableA("FMAP_INPROC_T", "value"));
    CHECK(strcmp(getenv("FMAP_INPROC_T"), "value") == 0);
    CHECK(GetEnvironmentVariableA("FMAP_INPROC_T", buf, sizeof buf) == 5 && strcmp(buf, "value") == 0);
    CHECK(GetEnvironmentVariableA("FMAP_INPROC_T", buf, 3) == 6); /* size needed, with the NUL */
    CHECK(GetEnvironmentVariableA("FMAP_INPROC_T", NULL, 0) == 6);
    CHECK(SetEnvironmentVariableA("FMAP_INPROC_T", NULL));
    CHECK(getenv("FMAP_INPROC_T") == NULL);
    CHECK_FAILS(GetEnvironmentVariableA("FMAP_INPROC_T", buf, sizeof buf), 0, 203 /* ERROR_ENVVAR_NOT_FOUND */);
    CHECK_FAILS(SetEnvironmentVariableA("A=B", "x"), FALSE, ERROR_INVALID_PARAMETER);
    CHECK_FAILS(SetEnvironmentVariableA("", "x"), FALSE, ERROR_INVALID_PARAMETER);
    WCHAR wname[] = {'F', 'M', 'W', 0}, wval[] = {'w', 'v', 0}, wbuf[8];
    CHECK(SetEnvironmentVariableW(wname, wval));
    CHECK(GetEnvironmentVariableW(wname, wbuf, 8) == 2 && wbuf[0] == 'w' && wbuf[2] == 0);

    /* Command line, computer name. */
    CHECK(strstr(GetCommandLineA(), "inproc") != NULL);
    CHECK(GetCommandLineW()[0] != 0);
    DWORD size = 1;
    CHECK_FAILS(GetComputerNameA(buf, &size), FALSE, 111 /* ERROR_BUFFER_OVERFLOW */);
    CHECK(size >= 2 && size <= MAX_COMPUTERNAME_LENGTH + 1);
    size = sizeof buf;
    CHECK(GetComputerNameA(buf, &size));
    CHECK(size == strlen(buf) && size <= MAX_COMPUTERNAME_LENGTH);
    CHECK_FAILS(GetComputerNameA(buf, NULL), FALSE, ERROR_INVALID_PARAMETER);

    /* Time. */
    SYSTEMTIME st, lt;
    GetSystemTime(&st);
    GetLocalTime(&lt);
    CHECK(st.wYear >= 2024 && st.wMonth >= 1 && st.wMonth <= 12 && st.wDay >= 1 && st.wDay <= 31);
    CHECK(st.wDayOfWeek <= 6 && st.wHour <= 23 && st.wMinute <= 59 && st.wMilliseconds <= 999);
    CHECK(lt.wYear >= 2024);
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    ULONGLONG t = ((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    CHECK(t > 133000000000000000ULL); /* after 2022 */

    /* Debugging. */
    OutputDebugStringA("inproc: OutputDebugString goes to stderr\n");
    CHECK(IsDebuggerPresent() == FALSE);

    /* FormatMessage: the system's text for the codes fmap returns. */
    char msg[256];
    CHECK(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                         ERROR_FILE_NOT_FOUND, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), msg,
                         sizeof msg, NULL) == strlen("The system cannot find the file specified.\r\n"));
    CHECK(strcmp(msg, "The system cannot find the file specified.\r\n") == 0);
    LPSTR alloc = NULL;
    DWORD n = FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, ERROR_ACCESS_DENIED, 0, (LPSTR)&alloc, 0, NULL);
    CHECK(n == strlen("Access is denied.\r\n") && alloc && strcmp(alloc, "Access is denied.\r\n") == 0);
    CHECK(LocalFree(alloc) == NULL);
    CHECK_FAILS(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_ACCESS_DENIED, 0, msg, 5, NULL), 0,
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, 0x7777, 0,
                               msg, sizeof msg, NULL),
                0, ERROR_MR_MID_NOT_FOUND);
    CHECK(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, 193, 0, msg,
                         sizeof msg, NULL) > 0 &&
          strncmp(msg, "%1 is not", 9) == 0);
    CHECK(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_MAX_WIDTH_MASK, NULL, ERROR_TIMEOUT, 0,
                         msg, sizeof msg, NULL) > 0 &&
          strchr(msg, '\n') == NULL);
    WCHAR wmsg[64];
    CHECK(FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_INVALID_HANDLE, 0, wmsg, 64, NULL) ==
              strlen("The handle is invalid.\r\n") &&
          wmsg[0] == 'T');
    CHECK_FAILS(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 2, 0, NULL, 10, NULL), 0,
                ERROR_INVALID_PARAMETER);

    /* Fixed-width types, min/max. */
    CHECK(sizeof(UINT32) == 4 && sizeof(INT64) == 8 && sizeof(UINT8) == 1 && sizeof(DWORD_PTR) == sizeof(void *));
    CHECK(min(3, 7) == 3 && max(3, 7) == 7);

    return checks_done("inproc");
}

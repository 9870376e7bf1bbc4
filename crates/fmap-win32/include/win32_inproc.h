/* In-process synchronization and the process environment, as Win32 programs that use shared
   memory also use them: CRITICAL_SECTION, SRWLOCK, CONDITION_VARIABLE, INIT_ONCE, the
   Interlocked family and MemoryBarrier; environment variables, the command line, the computer
   name, system time, OutputDebugString, IsDebuggerPresent. Included by <windows.h>; not meant
   to be included on its own. */
#ifndef FMAP_WIN32_INPROC_H
#define FMAP_WIN32_INPROC_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- critical sections (recursive, in-process) ---- */
typedef struct _RTL_CRITICAL_SECTION {
    PVOID DebugInfo;
    LONG LockCount;
    LONG RecursionCount;
    HANDLE OwningThread;
    HANDLE LockSemaphore;
    ULONG_PTR SpinCount;
} RTL_CRITICAL_SECTION, CRITICAL_SECTION, *PCRITICAL_SECTION, *LPCRITICAL_SECTION;

void WINAPI InitializeCriticalSection(LPCRITICAL_SECTION cs);
BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION cs, DWORD spin);
BOOL WINAPI InitializeCriticalSectionEx(LPCRITICAL_SECTION cs, DWORD spin, DWORD flags);
DWORD WINAPI SetCriticalSectionSpinCount(LPCRITICAL_SECTION cs, DWORD spin);
void WINAPI EnterCriticalSection(LPCRITICAL_SECTION cs);
BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION cs);
void WINAPI LeaveCriticalSection(LPCRITICAL_SECTION cs);
void WINAPI DeleteCriticalSection(LPCRITICAL_SECTION cs);

/* ---- slim reader/writer locks ---- */
typedef struct _RTL_SRWLOCK { PVOID Ptr; } RTL_SRWLOCK, SRWLOCK, *PSRWLOCK;
#define SRWLOCK_INIT {0}
void WINAPI InitializeSRWLock(PSRWLOCK l);
void WINAPI AcquireSRWLockExclusive(PSRWLOCK l);
void WINAPI AcquireSRWLockShared(PSRWLOCK l);
BOOLEAN WINAPI TryAcquireSRWLockExclusive(PSRWLOCK l);
BOOLEAN WINAPI TryAcquireSRWLockShared(PSRWLOCK l);
void WINAPI ReleaseSRWLockExclusive(PSRWLOCK l);
void WINAPI ReleaseSRWLockShared(PSRWLOCK l);

/* ---- condition variables ---- */
typedef struct _RTL_CONDITION_VARIABLE { PVOID Ptr; } RTL_CONDITION_VARIABLE, CONDITION_VARIABLE,
    *PCONDITION_VARIABLE;
#define CONDITION_VARIABLE_INIT {0}
#define CONDITION_VARIABLE_LOCKMODE_SHARED 0x1
void WINAPI InitializeConditionVariable(PCONDITION_VARIABLE cv);
BOOL WINAPI SleepConditionVariableCS(PCONDITION_VARIABLE cv, PCRITICAL_SECTION cs, DWORD ms);
BOOL WINAPI SleepConditionVariableSRW(PCONDITION_VARIABLE cv, PSRWLOCK l, DWORD ms, ULONG flags);
void WINAPI WakeConditionVariable(PCONDITION_VARIABLE cv);
void WINAPI WakeAllConditionVariable(PCONDITION_VARIABLE cv);

/* ---- one-time initialization ---- */
typedef union _RTL_RUN_ONCE { PVOID Ptr; } RTL_RUN_ONCE, INIT_ONCE, *PINIT_ONCE, *LPINIT_ONCE;
#define INIT_ONCE_STATIC_INIT {0}
#define RTL_RUN_ONCE_INIT {0}
#define INIT_ONCE_CTX_RESERVED_BITS 2
typedef BOOL(WINAPI *PINIT_ONCE_FN)(PINIT_ONCE InitOnce, PVOID Parameter, PVOID *Context);
void WINAPI InitOnceInitialize(PINIT_ONCE once);
BOOL WINAPI InitOnceExecuteOnce(PINIT_ONCE once, PINIT_ONCE_FN fn, PVOID param, LPVOID *ctx);

/* ---- interlocked operations and barriers (full barriers, as on Windows) ---- */
static inline LONG InterlockedIncrement(LONG volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedDecrement(LONG volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedExchange(LONG volatile *p, LONG v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedExchangeAdd(LONG volatile *p, LONG v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedAdd(LONG volatile *p, LONG v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedAnd(LONG volatile *p, LONG v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedOr(LONG volatile *p, LONG v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedXor(LONG volatile *p, LONG v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }
static inline LONG InterlockedCompareExchange(LONG volatile *p, LONG v, LONG cmp)
{
    __atomic_compare_exchange_n(p, &cmp, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return cmp;
}
static inline LONGLONG InterlockedIncrement64(LONGLONG volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedDecrement64(LONGLONG volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedExchange64(LONGLONG volatile *p, LONGLONG v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedExchangeAdd64(LONGLONG volatile *p, LONGLONG v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedAdd64(LONGLONG volatile *p, LONGLONG v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedAnd64(LONGLONG volatile *p, LONGLONG v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedOr64(LONGLONG volatile *p, LONGLONG v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedXor64(LONGLONG volatile *p, LONGLONG v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }
static inline LONGLONG InterlockedCompareExchange64(LONGLONG volatile *p, LONGLONG v, LONGLONG cmp)
{
    __atomic_compare_exchange_n(p, &cmp, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return cmp;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID v, PVOID cmp)
{
    __atomic_compare_exchange_n(p, &cmp, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return cmp;
}
static inline void MemoryBarrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#define _ReadWriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _ReadBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _WriteBarrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor() __builtin_ia32_pause()
#else
#define YieldProcessor() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

/* ---- environment, command line, computer name ---- */
DWORD WINAPI GetEnvironmentVariableA(LPCSTR name, LPSTR buf, DWORD size);
DWORD WINAPI GetEnvironmentVariableW(LPCWSTR name, LPWSTR buf, DWORD size);
BOOL WINAPI SetEnvironmentVariableA(LPCSTR name, LPCSTR value);
BOOL WINAPI SetEnvironmentVariableW(LPCWSTR name, LPCWSTR value);
LPSTR WINAPI GetCommandLineA(void);
LPWSTR WINAPI GetCommandLineW(void);
#define MAX_COMPUTERNAME_LENGTH 15
BOOL WINAPI GetComputerNameA(LPSTR buf, LPDWORD size);
BOOL WINAPI GetComputerNameW(LPWSTR buf, LPDWORD size);

/* ---- time ---- */
typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;
typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
void WINAPI GetSystemTime(LPSYSTEMTIME st);
void WINAPI GetLocalTime(LPSYSTEMTIME st);
void WINAPI GetSystemTimeAsFileTime(LPFILETIME ft);

/* ---- debugging ---- */
void WINAPI OutputDebugStringA(LPCSTR s);
void WINAPI OutputDebugStringW(LPCWSTR s);
BOOL WINAPI IsDebuggerPresent(void);

#ifdef UNICODE
#define GetEnvironmentVariable GetEnvironmentVariableW
#define SetEnvironmentVariable SetEnvironmentVariableW
#define GetCommandLine GetCommandLineW
#define GetComputerName GetComputerNameW
#define OutputDebugString OutputDebugStringW
#else
#define GetEnvironmentVariable GetEnvironmentVariableA
#define SetEnvironmentVariable SetEnvironmentVariableA
#define GetCommandLine GetCommandLineA
#define GetComputerName GetComputerNameA
#define OutputDebugString OutputDebugStringA
#endif

#ifdef __cplusplus
}
#endif

#endif /* FMAP_WIN32_INPROC_H */

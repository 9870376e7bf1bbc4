/* Tool Help and PSAPI from /proc: this process and its threads in a snapshot, EnumProcesses,
   GetProcessMemoryInfo, GetModuleBaseName, GetModuleFileNameEx, and their errors. */
#include "check.h"
#include <psapi.h>
#include <string.h>
#include <tlhelp32.h>

static HANDLE g_stop;
static volatile DWORD g_tid;

static DWORD WINAPI idle(LPVOID p)
{
    (void)p;
    g_tid = GetCurrentThreadId();
    WaitForSingleObject(g_stop, INFINITE);
    return 0;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int main(void)
{
    char exe[MAX_PATH], name[MAX_PATH];
    DWORD me = GetCurrentProcessId();
    CHECK(GetModuleFileNameA(NULL, exe, MAX_PATH) > 0);
    g_stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE t = CreateThread(NULL, 0, idle, NULL, 0, NULL);
    while (!g_tid)
        Sleep(1);

    /* processes */
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS | TH32CS_SNAPTHREAD, 0);
    CHECK(snap != INVALID_HANDLE_VALUE);
    PROCESSENTRY32 pe;
    memset(&pe, 0, sizeof pe);
    pe.dwSize = sizeof pe;
    int count = 0, found = 0;
    BOOL ok = Process32First(snap, &pe);
    CHECK(ok);
    for (; ok; ok = Process32Next(snap, &pe)) {
        count++;
        if (pe.th32ProcessID == me) {
            found++;
            CHECK(strcmp(pe.szExeFile, base_name(exe)) == 0);
            CHECK(pe.th32ParentProcessID != 0 && pe.cntThreads >= 2);
            CHECK(pe.dwSize == sizeof pe);
        }
    }
    CHECK(GetLastError() == ERROR_NO_MORE_FILES);
    CHECK(count > 1 && found == 1);
    CHECK_FAILS(Process32Next(snap, &pe), FALSE, ERROR_NO_MORE_FILES);
    /* First starts over; W entries */
    PROCESSENTRY32W pw;
    memset(&pw, 0, sizeof pw);
    pw.dwSize = sizeof pw;
    CHECK(Process32FirstW(snap, &pw));
    found = 0;
    do {
        if (pw.th32ProcessID == me) {
            char n8[MAX_PATH];
            WideCharToMultiByte(CP_UTF8, 0, pw.szExeFile, -1, n8, MAX_PATH, NULL, NULL);
            found = strcmp(n8, base_name(exe)) == 0;
        }
    } while (Process32NextW(snap, &pw));
    CHECK(found);
    /* threads: this one and the idle one */
    THREADENTRY32 te;
    te.dwSize = sizeof te;
    int mine = 0, main_seen = 0, idle_seen = 0;
    for (ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te)) {
        if (te.th32OwnerProcessID == me) {
            mine++;
            main_seen |= te.th32ThreadID == GetCurrentThreadId();
            idle_seen |= te.th32ThreadID == g_tid;
        }
    }
    CHECK(mine >= 2 && main_seen && idle_seen);
    /* errors */
    pe.dwSize = 8;
    CHECK_FAILS(Process32First(snap, &pe), FALSE, ERROR_BAD_LENGTH);
    te.dwSize = 4;
    CHECK_FAILS(Thread32First(snap, &te), FALSE, ERROR_BAD_LENGTH);
    CHECK_FAILS(Process32First(snap, NULL), FALSE, ERROR_NOACCESS);
    CHECK_FAILS(Process32First(NULL, &pe), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(Thread32First(g_stop, &te), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(WaitForSingleObject(snap, 0), WAIT_FAILED, ERROR_INVALID_HANDLE);
    HANDLE dup = NULL;
    CHECK(DuplicateHandle(GetCurrentProcess(), snap, GetCurrentProcess(), &dup, 0, FALSE,
                          DUPLICATE_SAME_ACCESS));
    pe.dwSize = sizeof pe;
    CHECK(Process32First(dup, &pe));
    CHECK(CloseHandle(dup));
    CHECK(CloseHandle(snap));
    CHECK_FAILS(Process32First(snap, &pe), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(CreateToolhelp32Snapshot(TH32CS_SNAPMODULE, 0), INVALID_HANDLE_VALUE,
                ERROR_NOT_SUPPORTED);
    CHECK_FAILS(CreateToolhelp32Snapshot(0, 0), INVALID_HANDLE_VALUE, ERROR_INVALID_PARAMETER);
    HANDLE only = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    CHECK_FAILS(Thread32First(only, &te), FALSE, ERROR_BAD_LENGTH); /* dwSize 4 still */
    te.dwSize = sizeof te;
    CHECK_FAILS(Thread32First(only, &te), FALSE, ERROR_NO_MORE_FILES);
    CloseHandle(only);

    /* PSAPI */
    DWORD pids[4096], needed = 0;
    CHECK(EnumProcesses(pids, sizeof pids, &needed));
    CHECK(needed > 4 && needed % 4 == 0 && needed <= sizeof pids);
    found = 0;
    for (DWORD i = 0; i < needed / 4; i++)
        found |= pids[i] == me;
    CHECK(found);
    CHECK(EnumProcesses(pids, 4, &needed) && needed == 4);
    CHECK_FAILS(EnumProcesses(pids, sizeof pids, NULL), FALSE, ERROR_NOACCESS);
    CHECK_FAILS(EnumProcesses(NULL, 8, &needed), FALSE, ERROR_NOACCESS);

    PROCESS_MEMORY_COUNTERS pmc;
    CHECK(GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc));
    CHECK(pmc.cb == sizeof pmc && pmc.WorkingSetSize > 0 &&
          pmc.PeakWorkingSetSize >= pmc.WorkingSetSize && pmc.PagefileUsage > 0 &&
          pmc.PageFaultCount > 0);
    PROCESS_MEMORY_COUNTERS_EX pmx;
    CHECK(GetProcessMemoryInfo(GetCurrentProcess(), (PPROCESS_MEMORY_COUNTERS)&pmx, sizeof pmx));
    CHECK(pmx.cb == sizeof pmx && pmx.PrivateUsage == pmx.PagefileUsage);
    CHECK_FAILS(GetProcessMemoryInfo(GetCurrentProcess(), &pmc, 8), FALSE,
                ERROR_INSUFFICIENT_BUFFER);
    CHECK_FAILS(GetProcessMemoryInfo(g_stop, &pmc, sizeof pmc), FALSE, ERROR_INVALID_HANDLE);
    CHECK_FAILS(GetProcessMemoryInfo(GetCurrentProcess(), NULL, sizeof pmc), FALSE,
                ERROR_NOACCESS);

    CHECK(GetModuleBaseNameA(GetCurrentProcess(), NULL, name, MAX_PATH) == strlen(base_name(exe)));
    CHECK(strcmp(name, base_name(exe)) == 0);
    CHECK(GetModuleFileNameExA(GetCurrentProcess(), NULL, name, MAX_PATH) == strlen(exe));
    CHECK(strcmp(name, exe) == 0);
    WCHAR wname[MAX_PATH];
    CHECK(GetModuleBaseNameW(GetCurrentProcess(), NULL, wname, MAX_PATH) ==
          strlen(base_name(exe)));
    CHECK(GetModuleFileNameExW(GetCurrentProcess(), NULL, wname, MAX_PATH) == strlen(exe));
    /* an opened handle of this process, with and without a query right */
    HANDLE self = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, me);
    CHECK(self != NULL);
    CHECK(GetModuleBaseNameA(self, NULL, name, MAX_PATH) > 0 && strcmp(name, base_name(exe)) == 0);
    CloseHandle(self);
    HANDLE sync = OpenProcess(SYNCHRONIZE, FALSE, me);
    CHECK(sync != NULL);
    CHECK_FAILS(GetModuleBaseNameA(sync, NULL, name, MAX_PATH), 0, ERROR_ACCESS_DENIED);
    CHECK_FAILS(GetProcessMemoryInfo(sync, &pmc, sizeof pmc), FALSE, ERROR_ACCESS_DENIED);
    CloseHandle(sync);
    /* too small: truncated, ERROR_INSUFFICIENT_BUFFER (as GetModuleFileName) */
    CHECK_FAILS(GetModuleFileNameExA(GetCurrentProcess(), NULL, name, 4), 4,
                ERROR_INSUFFICIENT_BUFFER);
    CHECK(strlen(name) == 3);
    CHECK_FAILS(GetModuleBaseNameA(NULL, NULL, name, MAX_PATH), 0, ERROR_INVALID_HANDLE);

    SetEvent(g_stop);
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    CloseHandle(g_stop);
    return checks_done("toolhelp");
}

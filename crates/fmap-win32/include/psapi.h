/* psapi.h for fmap-win32: the process status API from /proc — EnumProcesses,
 * GetProcessMemoryInfo, GetModuleBaseName, GetModuleFileNameEx (see the README for what each
 * field means on Linux). */
#ifndef FMAP_WIN32_PSAPI_H
#define FMAP_WIN32_PSAPI_H
#include "windows.h"
#ifdef __cplusplus
extern "C" {
#endif
/* The fields PROCESS_MEMORY_COUNTERS and PROCESS_MEMORY_COUNTERS_EX share, in order. */
#define FMAP_PROCESS_MEMORY_COUNTERS_FIELDS                                                \
    DWORD cb;                                                                               \
    DWORD PageFaultCount;                                                                   \
    SIZE_T PeakWorkingSetSize;                                                              \
    SIZE_T WorkingSetSize;                                                                  \
    SIZE_T QuotaPeakPagedPoolUsage;                                                         \
    SIZE_T QuotaPagedPoolUsage;                                                             \
    SIZE_T QuotaPeakNonPagedPoolUsage;                                                      \
    SIZE_T QuotaNonPagedPoolUsage;                                                          \
    SIZE_T PagefileUsage;                                                                   \
    SIZE_T PeakPagefileUsage;
typedef struct _PROCESS_MEMORY_COUNTERS {
    FMAP_PROCESS_MEMORY_COUNTERS_FIELDS
} PROCESS_MEMORY_COUNTERS, *PPROCESS_MEMORY_COUNTERS;
typedef struct _PROCESS_MEMORY_COUNTERS_EX {
    FMAP_PROCESS_MEMORY_COUNTERS_FIELDS
    SIZE_T PrivateUsage;
} PROCESS_MEMORY_COUNTERS_EX, *PPROCESS_MEMORY_COUNTERS_EX;
BOOL WINAPI EnumProcesses(DWORD *lpidProcess, DWORD cb, LPDWORD lpcbNeeded);
BOOL WINAPI GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb);
DWORD WINAPI GetModuleBaseNameA(HANDLE hProcess, HMODULE hModule, LPSTR lpBaseName, DWORD nSize);
DWORD WINAPI GetModuleBaseNameW(HANDLE hProcess, HMODULE hModule, LPWSTR lpBaseName, DWORD nSize);
DWORD WINAPI GetModuleFileNameExA(HANDLE hProcess, HMODULE hModule, LPSTR lpFilename, DWORD nSize);
DWORD WINAPI GetModuleFileNameExW(HANDLE hProcess, HMODULE hModule, LPWSTR lpFilename,
                                  DWORD nSize);
/* Windows 7's kernel32 names of the same functions (PSAPI_VERSION 2). */
#define K32EnumProcesses EnumProcesses
#define K32GetProcessMemoryInfo GetProcessMemoryInfo
#define K32GetModuleBaseNameA GetModuleBaseNameA
#define K32GetModuleBaseNameW GetModuleBaseNameW
#define K32GetModuleFileNameExA GetModuleFileNameExA
#define K32GetModuleFileNameExW GetModuleFileNameExW
#ifdef UNICODE
#define GetModuleBaseName GetModuleBaseNameW
#define GetModuleFileNameEx GetModuleFileNameExW
#else
#define GetModuleBaseName GetModuleBaseNameA
#define GetModuleFileNameEx GetModuleFileNameExA
#endif
#ifdef __cplusplus
}
#endif
#endif

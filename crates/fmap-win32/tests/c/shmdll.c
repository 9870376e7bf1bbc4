/* "Using Shared Memory in a Dynamic-Link Library" (after Microsoft's sample, written anew): the
   DLL creates or opens a named 4 KiB section when it is loaded, maps it, and lets its users
   store and fetch a string in it. Build: cc -shared -fPIC shmdll.c -lfmap_win32 -o libshmdll.so */
#include <windows.h>
#include "shmdll.h"

#define SHMEMSIZE 4096

static LPVOID lpvMem = NULL;      /* the shared memory */
static HANDLE hMapObject = NULL;  /* the section */

BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)
{
    BOOL fInit, fIgnore;
    (void)hinstDLL;
    (void)lpvReserved;

    switch (fdwReason) {
    case DLL_PROCESS_ATTACH:
        hMapObject = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, SHMEMSIZE,
                                       TEXT("dllmemfilemap"));
        if (hMapObject == NULL)
            return FALSE;
        /* the first process to attach initializes the memory */
        fInit = (GetLastError() != ERROR_ALREADY_EXISTS);
        lpvMem = MapViewOfFile(hMapObject, FILE_MAP_WRITE, 0, 0, 0);
        if (lpvMem == NULL)
            return FALSE;
        if (fInit)
            memset(lpvMem, '\0', SHMEMSIZE);
        break;
    case DLL_THREAD_ATTACH:
    case DLL_THREAD_DETACH:
        break;
    case DLL_PROCESS_DETACH:
        fIgnore = UnmapViewOfFile(lpvMem);
        fIgnore = CloseHandle(hMapObject);
        (void)fIgnore;
        break;
    default:
        break;
    }
    return TRUE;
}
#ifdef FMAP_DLLMAIN
FMAP_DLLMAIN(DllMain)
#endif

SHMDLL_API BOOL SetSharedMem(LPCTSTR lpszBuf)
{
    LPTSTR lpszTmp = (LPTSTR)lpvMem;
    DWORD dwCount = 1;
    while (*lpszBuf && dwCount < SHMEMSIZE / sizeof(TCHAR)) {
        *lpszTmp++ = *lpszBuf++;
        dwCount++;
    }
    *lpszTmp = '\0';
    return TRUE;
}

SHMDLL_API BOOL GetSharedMem(LPTSTR lpszBuf, DWORD cchSize)
{
    LPTSTR lpszTmp = (LPTSTR)lpvMem;
    while (*lpszTmp && --cchSize)
        *lpszBuf++ = *lpszTmp++;
    *lpszBuf = '\0';
    return TRUE;
}

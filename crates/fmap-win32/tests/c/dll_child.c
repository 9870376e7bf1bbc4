/* The DLL sample's child: loads the same DLL at run time and prints what the parent stored. */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include "shmdll.h"

int _tmain()
{
    TCHAR cBuf[MAX_PATH];
    HMODULE dll = LoadLibrary(TEXT("shmdll.dll"));
    GETSHAREDMEM get;

    if (dll == NULL) {
        _tprintf(TEXT("LoadLibrary failed (%lu).\n"), (unsigned long)GetLastError());
        return 1;
    }
    get = (GETSHAREDMEM)GetProcAddress(dll, "GetSharedMem");
    if (get == NULL) {
        _tprintf(TEXT("GetProcAddress failed (%lu).\n"), (unsigned long)GetLastError());
        return 1;
    }
    get(cBuf, MAX_PATH);
    _tprintf(TEXT("Child process read from shared memory: %s\n"), cBuf);
    FreeLibrary(dll);
    return 0;
}

/* The DLL sample's parent (linked with the DLL): writes a string into the DLL's shared memory,
   then runs the child program given as argument and waits for it. */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include "shmdll.h"

int _tmain(int argc, TCHAR *argv[])
{
    STARTUPINFO si;
    PROCESS_INFORMATION pi;
    DWORD code = 1;

    if (argc < 2) {
        _tprintf(TEXT("Please specify an input file"));
        return 0;
    }
    _tprintf(TEXT("\nProcess is writing to shared memory...\n\n"));
    SetSharedMem(TEXT("This is a test string"));

    ZeroMemory(&si, sizeof(si));
    si.cb = sizeof(si);
    ZeroMemory(&pi, sizeof(pi));
    fflush(stdout);
    if (!CreateProcess(NULL, argv[1], NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        _tprintf(TEXT("CreateProcess failed (%lu).\n"), (unsigned long)GetLastError());
        return 1;
    }
    CloseHandle(pi.hThread);
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    return (int)code;
}

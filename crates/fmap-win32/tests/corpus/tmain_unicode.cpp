// A UNICODE console program in the Visual Studio wizard style: _tmain, TCHAR, _T(), StrSafe,
// <strsafe.h> and the _t CRT family. It creates a named section with a wide name, writes a
// wide string, starts itself as a child (CreateProcess) that reads it back and answers through
// a named semaphore.
#include "stdafx.h"
#include <strsafe.h>

#define SECTION_NAME _T("Local\\FmapWideSection")
#define SEM_NAME _T("Local\\FmapWideAnswer")
#define BUF_CHARS 128

static int Child()
{
    HANDLE hMap = OpenFileMapping(FILE_MAP_READ, FALSE, SECTION_NAME);
    if (hMap == NULL) {
        _tprintf(_T("child: OpenFileMapping failed (%d)\n"), (int)GetLastError());
        return 1;
    }
    LPCTSTR pBuf = (LPCTSTR)MapViewOfFile(hMap, FILE_MAP_READ, 0, 0, BUF_CHARS * sizeof(TCHAR));
    HANDLE hSem = OpenSemaphore(SEMAPHORE_MODIFY_STATE, FALSE, SEM_NAME);
    size_t len = 0;
    if (pBuf == NULL || hSem == NULL || FAILED(StringCchLength(pBuf, BUF_CHARS, &len)))
        return 2;
    TCHAR upper[BUF_CHARS];
    StringCchCopy(upper, BUF_CHARS, pBuf);
    _tcsupr(upper);
    _tprintf(_T("child: read %d chars: %s\n"), (int)len, upper);
    ReleaseSemaphore(hSem, (LONG)len, NULL);
    UnmapViewOfFile(pBuf);
    CloseHandle(hSem);
    CloseHandle(hMap);
    return 0;
}

int _tmain(int argc, TCHAR *argv[])
{
    if (argc > 1 && _tcsicmp(argv[1], _T("CHILD")) == 0)
        return Child();

    HANDLE hMap = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                    BUF_CHARS * sizeof(TCHAR), SECTION_NAME);
    if (hMap == NULL) {
        _tprintf(_T("CreateFileMapping failed (%d)\n"), (int)GetLastError());
        return 1;
    }
    LPTSTR pBuf = (LPTSTR)MapViewOfFile(hMap, FILE_MAP_ALL_ACCESS, 0, 0, BUF_CHARS * sizeof(TCHAR));
    HANDLE hSem = CreateSemaphore(NULL, 0, 1000, SEM_NAME);
    if (pBuf == NULL || hSem == NULL)
        return 1;
    TCHAR number[16];
    _itot_s(42, number, 10);
    HRESULT hr = StringCchPrintf(pBuf, BUF_CHARS, _T("h\u00e9llo from %s #%s"), _T("_tmain"), number);
    if (FAILED(hr))
        return 1;

    TCHAR cmd[MAX_PATH * 2];
    StringCchPrintf(cmd, ARRAYSIZE(cmd), _T("\"%s\" child"), argv[0]);
    STARTUPINFO si;
    PROCESS_INFORMATION pi;
    ZeroMemory(&si, sizeof(si));
    si.cb = sizeof(si);
    ZeroMemory(&pi, sizeof(pi));
    if (!CreateProcess(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        _tprintf(_T("CreateProcess failed (%d)\n"), (int)GetLastError());
        return 1;
    }
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 99;
    GetExitCodeProcess(pi.hProcess, &code);
    LONG before = 0;
    ReleaseSemaphore(hSem, 1, &before);
    _tprintf(_T("parent: child exit %d, semaphore count %d\n"), (int)code, (int)before);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    UnmapViewOfFile(pBuf);
    CloseHandle(hSem);
    CloseHandle(hMap);
    return (int)code;
}

/* "Creating Named Shared Memory", first process (after Microsoft's sample, written anew): creates
   a 256-byte named section, copies a message into it and keeps it alive until a key is pressed. */
#include <windows.h>
#include <stdio.h>
#include <conio.h>
#include <tchar.h>

#define BUF_SIZE 256
TCHAR szName[] = TEXT("Global\\MyFileMappingObject");
TCHAR szMsg[] = TEXT("Message from first process.");

int _tmain()
{
    HANDLE hMapFile;
    LPCTSTR pBuf;

    hMapFile = CreateFileMapping(INVALID_HANDLE_VALUE, /* use the paging file */
                                 NULL,                 /* default security */
                                 PAGE_READWRITE,       /* read/write access */
                                 0,                    /* maximum object size (high-order DWORD) */
                                 BUF_SIZE,             /* maximum object size (low-order DWORD) */
                                 szName);              /* name of mapping object */
    if (hMapFile == NULL) {
        _tprintf(TEXT("Could not create file mapping object (%lu).\n"),
                 (unsigned long)GetLastError());
        return 1;
    }
    pBuf = (LPTSTR)MapViewOfFile(hMapFile, FILE_MAP_ALL_ACCESS, 0, 0, BUF_SIZE);
    if (pBuf == NULL) {
        _tprintf(TEXT("Could not map view of file (%lu).\n"), (unsigned long)GetLastError());
        CloseHandle(hMapFile);
        return 1;
    }

    /* no terminating NUL: the new section is zero-filled */
    CopyMemory((PVOID)pBuf, szMsg, (_tcslen(szMsg) * sizeof(TCHAR)));
    _getch();

    UnmapViewOfFile(pBuf);
    CloseHandle(hMapFile);
    return 0;
}

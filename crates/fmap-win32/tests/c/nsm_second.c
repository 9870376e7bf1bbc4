/* "Creating Named Shared Memory", second process (after Microsoft's sample, written anew): opens
   the section by name and shows the message (printed here instead of a message box). */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>

#define BUF_SIZE 256
TCHAR szName[] = TEXT("Global\\MyFileMappingObject");

int _tmain()
{
    HANDLE hMapFile;
    LPCTSTR pBuf;

    hMapFile = OpenFileMapping(FILE_MAP_ALL_ACCESS, /* read/write access */
                               FALSE,               /* do not inherit the name */
                               szName);             /* name of mapping object */
    if (hMapFile == NULL) {
        _tprintf(TEXT("Could not open file mapping object (%lu).\n"),
                 (unsigned long)GetLastError());
        return 1;
    }
    pBuf = (LPTSTR)MapViewOfFile(hMapFile, FILE_MAP_ALL_ACCESS, 0, 0, BUF_SIZE);
    if (pBuf == NULL) {
        _tprintf(TEXT("Could not map view of file (%lu).\n"), (unsigned long)GetLastError());
        CloseHandle(hMapFile);
        return 1;
    }

    _tprintf(TEXT("%s\n"), pBuf);

    UnmapViewOfFile(pBuf);
    CloseHandle(hMapFile);
    return 0;
}

/* A C program built with -DUNICODE that has its own int main(void) and includes tchar.h (the
   old tchar.h defined main(int, char**) and broke it), printing with _tprintf and
   StringCchPrintf, with an ordinary named event. */
#include <windows.h>
#include <tchar.h>
#include <strsafe.h>
#include <stdio.h>

int main(void)
{
    TCHAR msg[64];
    HANDLE e = CreateEvent(NULL, TRUE, FALSE, TEXT("Local\\FmapMainVoid"));
    if (e == NULL)
        return 1;
    SetEvent(e);
    DWORD w = WaitForSingleObject(e, 0);
    StringCchPrintf(msg, ARRAYSIZE(msg), TEXT("wait %lu, TCHAR %d bytes"), (unsigned long)w,
                    (int)sizeof(TCHAR));
    _tprintf(TEXT("%s\n"), msg);
    CloseHandle(e);
    return 0;
}

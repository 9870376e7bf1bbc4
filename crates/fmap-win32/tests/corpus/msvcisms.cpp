// MSVC accepts this; g++ does not: void main, ordered comparison of a HANDLE with 0, (int)HANDLE.
// Built only with fmap-c++ (which turns them into warnings); the corpus test also checks that
// plain g++ rejects it.
#include <windows.h>
#include <stdio.h>

void main()
{
    HANDLE hMutex = CreateMutex(NULL, FALSE, TEXT("Local\\FmapMsvcIsms"));
    if (hMutex <= 0) {
        printf("CreateMutex failed\n");
        return;
    }
    HANDLE hOpen = OpenMutex(SYNCHRONIZE, FALSE, TEXT("Local\\FmapMsvcIsms"));
    if (hOpen > 0 && (int)hOpen != 0)
        printf("opened: %s\n", WaitForSingleObject(hOpen, 0) == WAIT_OBJECT_0 ? "owned" : "busy");
    ReleaseMutex(hOpen);
    CloseHandle(hOpen);
    CloseHandle(hMutex);
}

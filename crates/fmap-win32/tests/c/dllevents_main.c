/* DLL_PROCESS_ATTACH/DETACH through LoadLibrary/FreeLibrary, for a DLL using DllMain. */
#include <windows.h>
#include "check.h"

typedef HINSTANCE (*INSTANCE_FN)(void);

int main(void)
{
    HANDLE attach = CreateEventA(NULL, TRUE, FALSE, "dllev_attach");
    HANDLE detach = CreateEventA(NULL, TRUE, FALSE, "dllev_detach");
    HMODULE dll;
    INSTANCE_FN fn;

    CHECK(attach != NULL && detach != NULL);
    dll = LoadLibraryA("dllevents.dll");
    CHECK(dll != NULL);
    CHECK(WaitForSingleObject(attach, 0) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(detach, 0) == WAIT_TIMEOUT);
    fn = (INSTANCE_FN)GetProcAddress(dll, "DllInstance");
    CHECK(fn != NULL && fn() != NULL);
    CHECK_FAILS(GetProcAddress(dll, "NoSuchFunction"), NULL, ERROR_PROC_NOT_FOUND);
    CHECK(FreeLibrary(dll));
    CHECK(WaitForSingleObject(detach, 0) == WAIT_OBJECT_0);

    /* DllMain returns FALSE for DLL_PROCESS_ATTACH: DETACH follows at once */
    CHECK(ResetEvent(attach) && ResetEvent(detach));
    dll = LoadLibraryA("dllevfail.dll");
#ifdef _WIN32
    CHECK(dll == NULL);
#else
    CHECK(dll != NULL); /* Linux cannot fail the load from a constructor */
    FreeLibrary(dll);
#endif
    CHECK(WaitForSingleObject(attach, 0) == WAIT_OBJECT_0);
    CHECK(WaitForSingleObject(detach, 0) == WAIT_OBJECT_0);

    CHECK_FAILS(LoadLibraryA("no-such-library.dll"), NULL, ERROR_MOD_NOT_FOUND);
    return checks_done("dllevents");
}

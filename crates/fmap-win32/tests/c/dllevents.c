/* A DLL that reports its DllMain calls through named events (dllev_attach, dllev_detach).
   Built twice: normally, and with -DFAIL_ATTACH (DllMain returns FALSE for ATTACH). */
#include <windows.h>

static HINSTANCE g_self;

static void signal_event(const char *name)
{
    HANDLE e = OpenEventA(EVENT_MODIFY_STATE, FALSE, name);
    if (e) {
        SetEvent(e);
        CloseHandle(e);
    }
}

BOOL WINAPI DllMain(HINSTANCE hinstDLL, DWORD fdwReason, LPVOID lpvReserved)
{
    (void)lpvReserved;
    if (fdwReason == DLL_PROCESS_ATTACH) {
        g_self = hinstDLL;
        signal_event("dllev_attach");
#ifdef FAIL_ATTACH
        return FALSE;
#endif
    } else if (fdwReason == DLL_PROCESS_DETACH) {
        signal_event("dllev_detach");
    }
    return TRUE;
}
#ifdef FMAP_DLLMAIN
FMAP_DLLMAIN(DllMain)
#endif

__declspec(dllexport) HINSTANCE DllInstance(void)
{
    return g_self;
}

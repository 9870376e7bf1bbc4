/* MoveFile(Ex), CopyFile, GetTempFileName, GetFileType, GetModuleFileName, GetModuleHandle,
   and the scheduling knobs: Windows' return values and last errors. Takes a scratch directory
   as its argument. */
#include "check.h"
#include <process.h>
#include <stdio.h>
#include <string.h>

static char dir[512];

static const char *at(const char *name)
{
    static char buf[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
    return buf[i];
}

static void write_file(const char *path, const char *text)
{
    HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD n;
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK(WriteFile(h, text, (DWORD)strlen(text), &n, NULL));
    CloseHandle(h);
}

static DWORD WINAPI idle(LPVOID arg)
{
    (void)arg;
    return 0;
}

static unsigned crt_thread(void *arg)
{
    *(int *)arg = 42;
    return 7;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(dir, sizeof dir, "%s", argv[1]);

    /* MoveFile / MoveFileEx */
    write_file(at("a.txt"), "alpha");
    write_file(at("b.txt"), "beta");
    CHECK_FAILS(MoveFileA(at("a.txt"), at("b.txt")), FALSE, ERROR_ALREADY_EXISTS);
    CHECK(MoveFileExA(at("a.txt"), at("b.txt"), MOVEFILE_REPLACE_EXISTING));
    CHECK_FAILS(MoveFileA(at("a.txt"), at("c.txt")), FALSE, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(MoveFileA(at("b.txt"), at("nodir/c.txt")), FALSE, ERROR_PATH_NOT_FOUND);
    CHECK(MoveFileA(at("b.txt"), at("c.txt")));
    CHECK_FAILS(MoveFileExA(at("c.txt"), at("d.txt"), MOVEFILE_DELAY_UNTIL_REBOOT), FALSE, ERROR_NOT_SUPPORTED);
    /* An open handle that does not share delete keeps the file where it is. */
    HANDLE h = CreateFileA(at("c.txt"), GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(h != INVALID_HANDLE_VALUE);
    CHECK_FAILS(MoveFileA(at("c.txt"), at("d.txt")), FALSE, ERROR_SHARING_VIOLATION);
    CHECK(GetFileType(h) == FILE_TYPE_DISK);
    CloseHandle(h);
    h = CreateFileA(at("c.txt"), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(MoveFileA(at("c.txt"), at("d.txt")));
    CloseHandle(h);

    /* CopyFile */
    CHECK(CopyFileA(at("d.txt"), at("e.txt"), TRUE));
    CHECK_FAILS(CopyFileA(at("d.txt"), at("e.txt"), TRUE), FALSE, ERROR_FILE_EXISTS);
    CHECK(CopyFileA(at("d.txt"), at("e.txt"), FALSE));
    CHECK_FAILS(CopyFileA(at("missing"), at("f.txt"), FALSE), FALSE, ERROR_FILE_NOT_FOUND);
    h = CreateFileA(at("e.txt"), GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    char buf[64] = {0};
    DWORD n = 0;
    CHECK(ReadFile(h, buf, sizeof buf, &n, NULL) && n == 5 && memcmp(buf, "alpha", 5) == 0);
    CloseHandle(h);

    /* GetTempFileName */
    char tmp[MAX_PATH];
    UINT u = GetTempFileNameA(dir, "fmp", 0, tmp);
    CHECK(u != 0 && strstr(tmp, "/fmp") != NULL && strstr(tmp, ".TMP") != NULL);
    h = CreateFileA(tmp, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    CHECK(h != INVALID_HANDLE_VALUE); /* it was created */
    CloseHandle(h);
    CHECK(DeleteFileA(tmp));
    CHECK(GetTempFileNameA(dir, "xyzw", 0x1234, tmp) == 0x1234 && strstr(tmp, "/xyz1234.TMP") != NULL);
    CHECK_FAILS(GetTempFileNameA(at("no-such-dir"), "x", 0, tmp), 0, ERROR_DIRECTORY);

    /* Modules */
    char self[MAX_PATH];
    DWORD len = GetModuleFileNameA(NULL, self, sizeof self);
    CHECK(len > 0 && len == strlen(self) && strstr(self, "paths") != NULL);
    char tiny[4];
    CHECK_FAILS(GetModuleFileNameA(NULL, tiny, sizeof tiny), sizeof tiny, ERROR_INSUFFICIENT_BUFFER);
    CHECK(tiny[3] == 0);
    CHECK(GetModuleHandleA(NULL) != NULL);
    CHECK_FAILS(GetModuleHandleA("libfmap-no-such-module.so"), NULL, ERROR_MOD_NOT_FOUND);
    HMODULE lib = GetModuleHandleA("libfmap_win32.so");
    CHECK(lib != NULL);
    char libpath[MAX_PATH];
    CHECK(GetModuleFileNameA(lib, libpath, sizeof libpath) > 0 && strstr(libpath, "libfmap_win32.so") != NULL);

    /* Scheduling knobs */
    CHECK(GetThreadPriority(GetCurrentThread()) == THREAD_PRIORITY_NORMAL);
    CHECK(SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_HIGHEST));
    CHECK(GetThreadPriority(GetCurrentThread()) == THREAD_PRIORITY_HIGHEST);
    CHECK_FAILS(SetThreadPriority(GetCurrentThread(), 7), FALSE, ERROR_INVALID_PARAMETER);
    HANDLE t = CreateThread(NULL, 0, idle, NULL, 0, NULL);
    CHECK(SetThreadPriority(t, THREAD_PRIORITY_BELOW_NORMAL) && GetThreadPriority(t) == THREAD_PRIORITY_BELOW_NORMAL);
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    CHECK_FAILS(SetThreadPriority((HANDLE)(UINT_PTR)0x12340, 0), FALSE, ERROR_INVALID_HANDLE);
    CHECK(GetPriorityClass(GetCurrentProcess()) == NORMAL_PRIORITY_CLASS);
    CHECK(SetPriorityClass(GetCurrentProcess(), HIGH_PRIORITY_CLASS));
    CHECK(GetPriorityClass(GetCurrentProcess()) == HIGH_PRIORITY_CLASS);
    CHECK_FAILS(SetPriorityClass(GetCurrentProcess(), 0x3), FALSE, ERROR_INVALID_PARAMETER);
    CHECK(timeBeginPeriod(1) == TIMERR_NOERROR && timeEndPeriod(1) == TIMERR_NOERROR);
    CHECK(timeBeginPeriod(0) == TIMERR_NOCANDO);
    DWORD t0 = timeGetTime();
    Sleep(20);
    CHECK(timeGetTime() - t0 >= 15);

    /* _beginthreadex */
    int out = 0;
    unsigned tid = 0;
    HANDLE bt = (HANDLE)_beginthreadex(NULL, 0, crt_thread, &out, 0, &tid);
    CHECK(bt != NULL && tid != 0);
    CHECK(WaitForSingleObject(bt, 30000) == WAIT_OBJECT_0);
    DWORD tcode = 0;
    CHECK(GetExitCodeThread(bt, &tcode) && tcode == 7 && out == 42);
    CHECK(CloseHandle(bt));
    CHECK(_beginthreadex(NULL, 0, NULL, NULL, 0, NULL) == 0);

    /* GetVersionEx */
    OSVERSIONINFOA vi = {0};
    vi.dwOSVersionInfoSize = sizeof vi;
    CHECK(GetVersionExA(&vi) && vi.dwMajorVersion == 10 && vi.dwPlatformId == VER_PLATFORM_WIN32_NT);
    OSVERSIONINFOEXW vx = {0};
    vx.dwOSVersionInfoSize = sizeof vx;
    CHECK(GetVersionExW((LPOSVERSIONINFOW)&vx) && vx.wProductType == VER_NT_WORKSTATION);
    vi.dwOSVersionInfoSize = 12;
    CHECK_FAILS(GetVersionExA(&vi), FALSE, ERROR_INSUFFICIENT_BUFFER);

    /* Mailslots: not supported, clearly. */
    CHECK_FAILS(CreateMailslotA("\\\\.\\mailslot\\fmap", 0, MAILSLOT_WAIT_FOREVER, NULL), INVALID_HANDLE_VALUE,
                ERROR_NOT_SUPPORTED);
    CHECK_FAILS(CreateFileA("\\\\.\\mailslot\\fmap", GENERIC_WRITE, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_NOT_SUPPORTED);
    CHECK_FAILS(CreateFileA("\\\\.\\pipe\\fmap", GENERIC_READ, 0, NULL, CREATE_ALWAYS, 0, NULL),
                INVALID_HANDLE_VALUE, ERROR_NOT_SUPPORTED);

    return checks_done("paths");
}

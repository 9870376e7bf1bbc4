/* Generic-text (TCHAR) program: built once as ANSI and once with -DUNICODE (with and without
   -fshort-wchar). Checks that the A and W functions name the same objects, non-ASCII names,
   wide file paths, CreateProcess with a TCHAR command line, and tchar.h formatting.
   Usage: tchar_wide <scratch directory> */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <tchar.h>
#include "check.h"

#define NAME TEXT("Local\\wide_\u00f1ame_\u2713")

static int child(TCHAR *arg)
{
    HANDLE e = OpenEvent(EVENT_MODIFY_STATE, FALSE, NAME);
    if (e == NULL || _tcscmp(arg, TEXT("\u00e9t\u00e9 \u2713")) != 0)
        return 3;
    return SetEvent(e) ? 0 : 4;
}

int _tmain(int argc, TCHAR *argv[])
{
    HANDLE e, e2, m, s, f, h;
    TCHAR path[MAX_PATH], line[2 * MAX_PATH], buf[64];
    char narrow[64];
    WCHAR wide[64];
    DWORD n, code = 99;
    PROCESS_INFORMATION pi;
    STARTUPINFO si;

    if (argc == 3 && _tcscmp(argv[1], TEXT("child")) == 0)
        return child(argv[2]);
    if (argc != 2) {
        _tprintf(TEXT("usage: tchar_wide <scratch directory>\n"));
        return 2;
    }

    /* W and A functions reach the same objects */
    SetLastError(0xdeadbeef);
    e = CreateEventW(NULL, TRUE, FALSE, u"Local\\wide_cross");
    CHECK(e != NULL && GetLastError() == 0);
    e2 = OpenEventA(SYNCHRONIZE, FALSE, "wide_cross");
    CHECK(e2 != NULL);
    CHECK(SetEvent(e) && WaitForSingleObject(e2, 0) == WAIT_OBJECT_0);
    CloseHandle(e2);
    CloseHandle(e);
    CHECK_FAILS(OpenEventW(SYNCHRONIZE, FALSE, u"wide_cross"), NULL, ERROR_FILE_NOT_FOUND);
    CHECK_FAILS(OpenMutexW(SYNCHRONIZE, FALSE, NULL), NULL, ERROR_INVALID_PARAMETER);

    /* generic names with non-ASCII characters */
    m = CreateMutex(NULL, FALSE, NAME);
    CHECK(m != NULL && GetLastError() == 0);
    CHECK_FAILS(CreateSemaphore(NULL, 0, 1, NAME), NULL, ERROR_INVALID_HANDLE);
    CHECK(CloseHandle(m));
    s = CreateSemaphoreW(NULL, 1, 1, u"wide_s\u00e9m");
    CHECK(s != NULL);
#ifndef _WIN32
    /* ANSI strings are UTF-8 in fmap-win32 (Windows uses the ANSI code page) */
    h = OpenSemaphoreA(SYNCHRONIZE, FALSE, "wide_s\xc3\xa9m");
    CHECK(h != NULL && WaitForSingleObject(h, 0) == WAIT_OBJECT_0);
    CloseHandle(h);
#endif
    CloseHandle(s);
    h = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4096, u"wide_map");
    CHECK(h != NULL);
    s = OpenFileMapping(FILE_MAP_READ, FALSE, TEXT("wide_map"));
    CHECK(s != NULL);
    CloseHandle(s);
    CloseHandle(h);

    /* files with wide paths */
    n = GetTempPath(MAX_PATH, path);
    CHECK(n > 0 && n == _tcslen(path));
    _sntprintf(path, MAX_PATH, TEXT("%s/wide_f\u00efle.txt"), argv[1]);
    f = CreateFile(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    CHECK(f != INVALID_HANDLE_VALUE && GetLastError() == 0);
    CHECK(WriteFile(f, "abc", 3, &n, NULL) && n == 3);
    CloseHandle(f);
    CHECK(DeleteFile(path));
    CHECK_FAILS(DeleteFile(path), FALSE, ERROR_FILE_NOT_FOUND);

    /* CreateProcess with a TCHAR command line */
    e = CreateEvent(NULL, TRUE, FALSE, NAME);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    _sntprintf(line, 2 * MAX_PATH, TEXT("\"%s\" child \"\u00e9t\u00e9 \u2713\""), argv[0]);
    CHECK(CreateProcess(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi));
    CHECK(WaitForSingleObject(pi.hProcess, 10000) == WAIT_OBJECT_0);
    CHECK(GetExitCodeProcess(pi.hProcess, &code) && code == 0);
    CHECK(WaitForSingleObject(e, 0) == WAIT_OBJECT_0);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(e);

    /* conversions and formatting */
    CHECK(MultiByteToWideChar(CP_UTF8, 0, "\xe2\x9c\x93x", -1, wide, 64) == 3);
    CHECK(wide[0] == 0x2713 && wide[1] == 'x' && wide[2] == 0);
    CHECK(lstrlenW(wide) == 2);
    CHECK(WideCharToMultiByte(CP_UTF8, 0, wide, -1, narrow, 64, NULL, NULL) == 5);
    CHECK(strcmp(narrow, "\xe2\x9c\x93x") == 0);
    CHECK(_sntprintf(buf, 64, TEXT("%d|%5s|%-3s|%c|%x|%.2s"), 42, TEXT("ab"), TEXT("x"),
                     TEXT('q'), 255, TEXT("xyz")) == 20);
    CHECK(_tcscmp(buf, TEXT("42|   ab|x  |q|ff|xy")) == 0);
    CHECK(_tcslen(buf) == 20 && lstrlen(buf) == 20);
#ifdef _UNICODE
    /* wide printf counts characters (UTF-16 units), not UTF-8 bytes; %hs is a narrow string */
    CHECK(_sntprintf(buf, 64, TEXT("%-3s|%3s|%hs"), TEXT("\u2713"), TEXT("\u00e9"), "n") == 9);
    CHECK(_tcscmp(buf, TEXT("\u2713  |  \u00e9|n")) == 0);
#endif
    return checks_done(sizeof(TCHAR) == 2 ? "tchar_wide (UNICODE)" : "tchar_wide (ANSI)");
}

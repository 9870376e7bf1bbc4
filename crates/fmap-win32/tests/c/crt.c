/* The MSVC C runtime extras, StrSafe and the generic-text names, as Microsoft documents them,
   including the invalid-parameter rules (here: the error code with errno set, never a crash).
   Built as ANSI, with -DUNICODE -fshort-wchar and with -D_UNICODE.
   Usage: crt <scratch directory> */
#include <windows.h>
#include <io.h>
#include <direct.h>
#include <process.h>
#include <strsafe.h>
#include <conio.h>
#include <intrin.h>
#include <tchar.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "check.h"

#define CHECK_E(call, code, err)                                                            \
    do {                                                                                    \
        errno = 0;                                                                          \
        CHECK((call) == (code));                                                            \
        CHECK(errno == (err));                                                              \
    } while (0)

static int run_child(int argc, char **argv)
{
    /* child <exit code> [args...]: prints its arguments, exits with the code */
    for (int i = 2; i < argc; i++)
        printf("[%s]", argv[i]);
    printf("\n");
    return atoi(argv[1]);
}

static void narrow_strings(void)
{
    char b[8], big[64];
    memset(b, 'x', sizeof b);
    CHECK(strcpy_s(b, sizeof b, "abc") == 0 && strcmp(b, "abc") == 0);
    CHECK(strcpy_s(b, sizeof b, "1234567") == 0 && strcmp(b, "1234567") == 0);
    CHECK_E(strcpy_s(b, sizeof b, "12345678"), ERANGE, ERANGE);
    CHECK(b[0] == 0);
    CHECK_E(strcpy_s(NULL, 8, "a"), EINVAL, EINVAL);
    strcpy(b, "zz");
    CHECK_E(strcpy_s(b, 0, "a"), EINVAL, EINVAL);
    CHECK(strcmp(b, "zz") == 0);
    CHECK_E(strcpy_s(b, sizeof b, NULL), EINVAL, EINVAL);
    CHECK(b[0] == 0);

    strcpy(b, "ab");
    CHECK(strcat_s(b, sizeof b, "cde") == 0 && strcmp(b, "abcde") == 0);
    CHECK_E(strcat_s(b, sizeof b, "fgh"), ERANGE, ERANGE);
    CHECK(b[0] == 0);
    memset(b, 'x', sizeof b); /* not terminated */
    CHECK_E(strcat_s(b, sizeof b, "a"), EINVAL, EINVAL);
    CHECK(b[0] == 0);
    CHECK_E(strcat_s(b, sizeof b, NULL), EINVAL, EINVAL);

    CHECK(strncpy_s(b, sizeof b, "abcdef", 3) == 0 && strcmp(b, "abc") == 0);
    CHECK_E(strncpy_s(b, sizeof b, "abcdefghij", 9), ERANGE, ERANGE);
    CHECK(b[0] == 0);
    CHECK(strncpy_s(b, sizeof b, "abcdefghij", _TRUNCATE) == STRUNCATE);
    CHECK(strcmp(b, "abcdefg") == 0);
    CHECK(strncpy_s(NULL, 0, NULL, 0) == 0);
    CHECK_E(strncpy_s(b, sizeof b, NULL, 2), EINVAL, EINVAL);
    strcpy(b, "ab");
    CHECK(strncat_s(b, sizeof b, "cdefgh", 2) == 0 && strcmp(b, "abcd") == 0);
    CHECK(strncat_s(b, sizeof b, "efghij", _TRUNCATE) == STRUNCATE && strcmp(b, "abcdefg") == 0);

    memset(big, 'q', sizeof big);
    CHECK(memcpy_s(big, 4, "abcd", 4) == 0 && memcmp(big, "abcdq", 5) == 0);
    CHECK_E(memcpy_s(big, 3, "abcd", 4), ERANGE, ERANGE);
    CHECK(big[0] == 0 && big[2] == 0 && big[3] == 'd');
    CHECK_E(memcpy_s(big, 8, NULL, 4), EINVAL, EINVAL);
    CHECK_E(memcpy_s(NULL, 8, "a", 1), EINVAL, EINVAL);
    CHECK(memcpy_s(NULL, 0, NULL, 0) == 0);
    CHECK(memmove_s(big, 8, "xy", 2) == 0 && big[1] == 'y');

    CHECK(strcmp(_itoa(-42, big, 10), "-42") == 0);
    CHECK(strcmp(_itoa(255, big, 16), "ff") == 0);
    CHECK(strcmp(_itoa(-1, big, 16), "ffffffff") == 0);
    CHECK(strcmp(_itoa(5, big, 2), "101") == 0);
    CHECK(strcmp(_i64toa(-9000000000LL, big, 10), "-9000000000") == 0);
    CHECK(strcmp(_ui64toa(18446744073709551615ULL, big, 36), "3w5e11264sgsf") == 0);
    CHECK(_itoa_s(12345, b, sizeof b, 10) == 0 && strcmp(b, "12345") == 0);
    CHECK_E(_itoa_s(-1234567, b, sizeof b, 10), ERANGE, ERANGE);
    CHECK(b[0] == 0);
    CHECK_E(_itoa_s(1, b, sizeof b, 1), EINVAL, EINVAL);
    CHECK_E(_itoa_s(1, NULL, 8, 10), EINVAL, EINVAL);
    CHECK_E(_itoa(1, NULL, 10), NULL, EINVAL);

    CHECK(sprintf_s(big, sizeof big, "%d-%s", 7, "x") == 3 && strcmp(big, "7-x") == 0);
    CHECK(sprintf_s(big, sizeof big, "%I64d|%I64u|%Iu|%I32d", -5LL, 6ULL, (size_t)7, 8) == 8);
    CHECK(strcmp(big, "-5|6|7|8") == 0 || printf("got %s\n", big) < 0);
    CHECK_E(sprintf_s(b, sizeof b, "%s", "123456789"), -1, ERANGE);
    CHECK(b[0] == 0);
    CHECK_E(sprintf_s(NULL, 4, "x"), -1, EINVAL);
    memset(b, 'x', sizeof b);
    CHECK(_snprintf(b, 4, "%s", "ab") == 2 && strcmp(b, "ab") == 0);
    memset(b, 'x', sizeof b);
    CHECK(_snprintf(b, 4, "%s", "abcd") == 4 && memcmp(b, "abcdx", 5) == 0);
    CHECK(_snprintf(b, 4, "%s", "abcde") == -1 && memcmp(b, "abcdx", 5) == 0);
    CHECK(_snprintf_s(b, sizeof b, _TRUNCATE, "%s", "abcdefghij") == -1 && strcmp(b, "abcdefg") == 0);
    CHECK(_snprintf_s(b, sizeof b, 3, "%s", "abcdef") == -1 && strcmp(b, "abc") == 0);
    CHECK(_snprintf_s(b, sizeof b, 5, "%d", 42) == 2 && strcmp(b, "42") == 0);
    CHECK_E(_snprintf_s(b, 4, 6, "%s", "abcdef"), -1, ERANGE);

    CHECK(_stricmp("Hello", "hELLO") == 0 && _stricmp("a", "B") < 0 && _stricmp("b", "A") > 0);
    CHECK(_strnicmp("HelloX", "helloY", 5) == 0 && _strnicmp("ab", "AC", 2) < 0);
    CHECK_E(_stricmp(NULL, "a"), _NLSCMPERROR, EINVAL);
    char *d = _strdup("MiXeD");
    CHECK(d && strcmp(_strupr(d), "MIXED") == 0 && strcmp(_strlwr(d), "mixed") == 0);
    free(d);
    char tok[] = "a,b;;c", *ctx = NULL, *t;
    t = strtok_s(tok, ",;", &ctx);
    CHECK(t && strcmp(t, "a") == 0);
    t = strtok_s(NULL, ",;", &ctx);
    CHECK(t && strcmp(t, "b") == 0);
    t = strtok_s(NULL, ",;", &ctx);
    CHECK(t && strcmp(t, "c") == 0);
    CHECK(strtok_s(NULL, ",;", &ctx) == NULL);
}

static void time_env_files(const char *dir)
{
    struct tm tm;
    time_t t = 86400 * 365;
    char buf[64], path[MAX_PATH];
    CHECK(localtime_s(&tm, &t) == 0 && tm.tm_year == 71 - (tm.tm_mday == 31 && tm.tm_mon == 11));
    CHECK(gmtime_s(&tm, &t) == 0 && tm.tm_year == 71 && tm.tm_mon == 0 && tm.tm_mday == 1);
    CHECK_E(gmtime_s(NULL, &t), EINVAL, EINVAL);
    CHECK_E(gmtime_s(&tm, NULL), EINVAL, EINVAL);
    CHECK(tm.tm_year == -1 && tm.tm_mday == -1);
    t = -5;
    CHECK_E(localtime_s(&tm, &t), EINVAL, EINVAL);
    t = 0;
    CHECK(gmtime_s(&tm, &t) == 0 && asctime_s(buf, sizeof buf, &tm) == 0);
    CHECK(strcmp(buf, "Thu Jan  1 00:00:00 1970\n") == 0);
    CHECK_E(asctime_s(buf, 10, &tm), ERANGE, ERANGE);
    CHECK(ctime_s(buf, sizeof buf, &t) == 0 && strlen(buf) == 25);
    __time64_t now = 0;
    CHECK(_time64(&now) > 1600000000 && now == _time64(NULL));
    CHECK(_getpid() == (int)GetCurrentProcessId());

    char *v = NULL;
    size_t n = 99;
    setenv("FMAP_CRT_TEST", "value", 1);
    CHECK(_dupenv_s(&v, &n, "FMAP_CRT_TEST") == 0 && v && strcmp(v, "value") == 0 && n == 6);
    free(v);
    CHECK(_dupenv_s(&v, &n, "FMAP_CRT_UNSET") == 0 && v == NULL && n == 0);
    CHECK_E(_dupenv_s(NULL, &n, "X"), EINVAL, EINVAL);
    CHECK_E(_dupenv_s(&v, &n, NULL), EINVAL, EINVAL);
    CHECK(getenv_s(&n, NULL, 0, "FMAP_CRT_TEST") == 0 && n == 6);
    CHECK_E(getenv_s(&n, buf, 3, "FMAP_CRT_TEST"), ERANGE, ERANGE);
    CHECK(getenv_s(&n, buf, sizeof buf, "FMAP_CRT_TEST") == 0 && strcmp(buf, "value") == 0);

    FILE *f = (FILE *)1;
    sprintf_s(path, sizeof path, "%s/crt.txt", dir);
    CHECK(fopen_s(&f, path, "wt") == 0 && f != NULL);
    fputs("line\n", f);
    fclose(f);
    CHECK(fopen_s(&f, path, "r, ccs=UTF-8") == 0 && f != NULL && fgets(buf, sizeof buf, f));
    fclose(f);
    CHECK(strcmp(buf, "line\n") == 0);
    sprintf_s(path, sizeof path, "%s/missing/x", dir);
    CHECK(fopen_s(&f, path, "r") == ENOENT && f == NULL);
    CHECK_E(fopen_s(NULL, path, "r"), EINVAL, EINVAL);
    CHECK_E(fopen_s(&f, path, "q"), EINVAL, EINVAL);

    /* io.h, direct.h */
    sprintf_s(path, sizeof path, "%s/sub", dir);
    CHECK(_mkdir(path) == 0 && _access(path, 0) == 0 && _rmdir(path) == 0 && _access(path, 0) == -1);
    sprintf_s(path, sizeof path, "%s/io.bin", dir);
    int fd = _open(path, _O_CREAT | _O_RDWR | _O_BINARY, _S_IREAD | _S_IWRITE);
    CHECK(fd >= 0 && _write(fd, "abc", 3) == 3 && _filelength(fd) == 3 && _lseek(fd, 0, SEEK_SET) == 0);
    CHECK(_read(fd, buf, 8) == 3 && _close(fd) == 0 && _unlink(path) == 0);
    CHECK(_getcwd(buf, sizeof buf) == buf);
    CHECK(_kbhit() == 0); /* stdin is at its end in the test (an empty pipe or /dev/null) */
}

static void spawning(const char *self)
{
    int status = -7;
    CHECK(_spawnl(_P_WAIT, self, self, "child", "3", "a", "b c", NULL) == 3);
    intptr_t h = _spawnl(_P_NOWAIT, self, self, "child", "5", NULL);
    CHECK(h > 0);
    CHECK(WaitForSingleObject((HANDLE)h, 10000) == WAIT_OBJECT_0);
    CHECK(_cwait(&status, h, _WAIT_CHILD) == h && status == 5);
    CHECK_E(_cwait(&status, h, _WAIT_CHILD), -1, ECHILD); /* _cwait closed it */
    const char *args[] = {self, "child", "0", NULL};
    CHECK(_spawnv(_P_WAIT, self, args) == 0);
    CHECK_E(_spawnl(_P_WAIT, "./no-such-program", "x", NULL), -1, ENOENT);
    CHECK_E(_spawnv(_P_WAIT, self, NULL), -1, EINVAL);
    CHECK_E(_spawnl(_P_WAIT, NULL, "x", NULL), -1, EINVAL);
    CHECK_E(_spawnl(99, self, self, NULL), -1, EINVAL);
    CHECK(_spawnlp(_P_WAIT, "true", "true", NULL) == 0);
    CHECK_E(_cwait(NULL, 0, 0), -1, ECHILD);
}

static void strsafe(void)
{
    char a[8];
    WCHAR w[8];
    size_t n = 99;
    CHECK(StringCchCopyA(a, 8, "abc") == S_OK && strcmp(a, "abc") == 0);
    CHECK(StringCchCopyA(a, 8, "abcdefghij") == STRSAFE_E_INSUFFICIENT_BUFFER);
    CHECK(strcmp(a, "abcdefg") == 0);
    CHECK(StringCchCopyA(a, 0, "x") == STRSAFE_E_INVALID_PARAMETER);
    CHECK(StringCchCopyA(NULL, 8, "x") == STRSAFE_E_INVALID_PARAMETER);
    CHECK(StringCchCopyA(a, 8, NULL) == STRSAFE_E_INVALID_PARAMETER && a[0] == 0);
    CHECK(StringCbCopyA(a, sizeof a, "12") == S_OK && StringCchCatA(a, 8, "345") == S_OK);
    CHECK(StringCchCatA(a, 8, "6789") == STRSAFE_E_INSUFFICIENT_BUFFER && strcmp(a, "1234567") == 0);
    memset(a, 'x', sizeof a);
    CHECK(StringCchCatA(a, 8, "1") == STRSAFE_E_INVALID_PARAMETER && a[0] == 'x');
    CHECK(StringCchCopyNA(a, 8, "abcdef", 2) == S_OK && strcmp(a, "ab") == 0);
    CHECK(StringCchLengthA("abc", 8, &n) == S_OK && n == 3);
    CHECK(StringCchLengthA("abc", 3, &n) == STRSAFE_E_INVALID_PARAMETER && n == 0);
    CHECK(StringCchLengthA(NULL, 3, &n) == STRSAFE_E_INVALID_PARAMETER);
    CHECK(StringCbLengthW(u"ab", 16, &n) == S_OK && n == 4);
    CHECK(StringCchPrintfA(a, 8, "%d-%d", 12, 34) == S_OK && strcmp(a, "12-34") == 0);
    CHECK(StringCchPrintfA(a, 8, "%s", "123456789") == STRSAFE_E_INSUFFICIENT_BUFFER);
    CHECK(strcmp(a, "1234567") == 0);
    CHECK(StringCbPrintfA(a, sizeof a, "%I64u", 99ULL) == S_OK && strcmp(a, "99") == 0);
    CHECK(StringCchCopyW(w, 8, u"wide") == S_OK && lstrlenW(w) == 4);
    CHECK(StringCbCatW(w, sizeof w, u"stuff") == STRSAFE_E_INSUFFICIENT_BUFFER && lstrlenW(w) == 7);
    CHECK(StringCchPrintfW(w, 8, u"%d|%hs", 5, "ab") == S_OK && w[0] == '5' && w[3] == 'b' && w[4] == 0);
    CHECK(StringCbPrintfW(w, sizeof w, u"%s", u"0123456789") == STRSAFE_E_INSUFFICIENT_BUFFER);
    CHECK(lstrlenW(w) == 7);
    CHECK(SUCCEEDED(S_OK) && FAILED(E_FAIL) && HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) == STRSAFE_E_INSUFFICIENT_BUFFER);
}

static void generic_text(const char *dir)
{
    TCHAR t[16], u[16], *end = NULL, *ctx = NULL;
    char narrow[MAX_PATH];
    CHECK(_tcscpy_s(t, 16, _T("Hello")) == 0 && _tcslen(t) == 5);
    CHECK(_tcscat_s(t, 16, _T(", W")) == 0 && _tcscmp(t, _T("Hello, W")) == 0);
    CHECK(_tcscat_s(t, 10, _T("orld")) == ERANGE && t[0] == 0);
    CHECK(_tcsncpy_s(t, 16, _T("abcdef"), 3) == 0 && _tcscmp(t, _T("abc")) == 0);
    CHECK(_tcsicmp(_T("ABC"), _T("abc")) == 0 && _tcsnicmp(_T("ABx"), _T("aby"), 2) == 0);
    CHECK(_tcsicmp(_T("a"), _T("B")) < 0);
    CHECK(_itot_s(-255, t, 16, 10) == 0 && _tcscmp(t, _T("-255")) == 0);
    CHECK(_tcscmp(_itot(255, u, 16), _T("ff")) == 0);
    CHECK(_ttoi(_T("42abc")) == 42 && _ttol(_T(" -7")) == -7 && _ttoi64(_T("9000000000")) == 9000000000LL);
    CHECK(_tcstol(_T("0x1fZ"), &end, 16) == 31 && *end == 'Z');
    CHECK(_tcstoul(_T("77"), NULL, 8) == 63);
    CHECK(_stprintf_s(t, 16, _T("%d:%s"), 9, _T("ok")) == 4 && _tcscmp(t, _T("9:ok")) == 0);
    CHECK(_stprintf_s(t, 4, _T("%s"), _T("long")) == -1 && t[0] == 0);
    CHECK(_sntprintf_s(t, 16, _TRUNCATE, _T("%s"), _T("0123456789abcdefgh")) == -1 && _tcslen(t) == 15);
    CHECK(_tcschr(_T("abc"), 'b') != NULL && _tcsstr(_T("abcd"), _T("cd")) != NULL);
    _tcscpy_s(t, 16, _T("x y  z"));
    CHECK(_tcscmp(_tcstok_s(t, _T(" "), &ctx), _T("x")) == 0);
    CHECK(_tcscmp(_tcstok_s(NULL, _T(" "), &ctx), _T("y")) == 0);
    CHECK(_tcscmp(_tcstok_s(NULL, _T(" "), &ctx), _T("z")) == 0);
    CHECK(_tcstok_s(NULL, _T(" "), &ctx) == NULL);
    TCHAR *dup = _tcsdup(_T("MiX"));
    CHECK(dup && _tcscmp(_tcsupr(dup), _T("MIX")) == 0 && _totlower(dup[0]) == 'm');
    free(dup);
    CHECK(_istdigit('5') && !_istdigit('a') && _istspace(' ') && _istalpha('Q'));

    TCHAR path[MAX_PATH];
    FILE *f = NULL;
    snprintf(narrow, sizeof narrow, "%s/t\xc3\xa9st.txt", dir);
    MultiByteToWideChar(CP_UTF8, 0, narrow, -1, (LPWSTR)u, 0); /* size only */
#ifdef _UNICODE
    MultiByteToWideChar(CP_UTF8, 0, narrow, -1, path, MAX_PATH);
#else
    strcpy_s(path, MAX_PATH, narrow);
#endif
    CHECK(_tfopen_s(&f, path, _T("w")) == 0 && f != NULL);
    _fputts(_T("t\u00e9xt\n"), f);
    fclose(f);
    f = _tfopen(path, _T("r"));
    CHECK(f != NULL && _fgetts(t, 16, f) != NULL);
    fclose(f);
    CHECK(_tcscmp(t, _T("t\u00e9xt\n")) == 0);
    CHECK(_tremove(path) == 0);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0)
        return run_child(argc - 1, argv + 1);
    if (argc != 2) {
        printf("usage: crt <scratch directory>\n");
        return 2;
    }
    narrow_strings();
    time_env_files(argv[1]);
    spawning(argv[0]);
    strsafe();
    generic_text(argv[1]);
    unsigned long idx = 0;
    CHECK(_BitScanForward(&idx, 0x50) && idx == 4 && _BitScanReverse(&idx, 0x50) && idx == 6);
    CHECK(!_BitScanForward(&idx, 0) && __popcnt(0xF0F0) == 8 && _rotl(0x80000001u, 1) == 3u);
    CHECK(__rdtsc() != 0);
    return checks_done(sizeof(TCHAR) == 2 ? "crt (UNICODE)" : "crt (ANSI)");
}

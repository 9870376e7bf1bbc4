/* user32 for console programs: MessageBoxA/W write "caption: text" to stderr and return the
   default button's answer; wsprintfA/W and wvsprintfA/W with user32's rules. */
#include "check.h"
#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

static int wvs(LPSTR buf, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfA(buf, fmt, ap);
    va_end(ap);
    return n;
}

static int wvsw(LPWSTR buf, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfW(buf, fmt, ap);
    va_end(ap);
    return n;
}

int main(int argc, char **argv)
{
    char buf[1100];
    WCHAR wbuf[1100];

    /* wsprintfA */
    CHECK(wsprintfA(buf, "%d|%5u|%-4x|%04X|%s|%S|%c|%C|%hs|%ls|%%", -12, 7u, 255u, 0xABu, "n\xc3\xa9",
                    W("w\u00e9"), 'a', (WCHAR)0x4e2d, "h", W("l")) == 39);
    CHECK(strcmp(buf, "-12|    7|ff  |00AB|n\xc3\xa9|w\xc3\xa9|a|\xe4\xb8\xad|h|l|%") == 0);
    CHECK(wsprintfA(buf, "%ld %lu %I64d %.3s %#x", -5L, 6UL, (long long)-7000000000LL, "abcdef", 16u) ==
          25 && strcmp(buf, "-5 6 -7000000000 abc 0x10") == 0);
    /* no floating point: the letter, no argument taken */
    CHECK(wsprintfA(buf, "%f %d", 3) == 3 && strcmp(buf, "f 3") == 0);
    /* 1024 characters at most, NUL included */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(wsprintfA(buf, "%s", big) == 1023 && strlen(buf) == 1023);
    CHECK(wvs(buf, "<%s:%d>", "k", 9) == 5 && strcmp(buf, "<k:9>") == 0);
    SetLastError(0);
    CHECK(wsprintfA(NULL, "x") == -1 && GetLastError() == ERROR_INVALID_PARAMETER);
    CHECK(wsprintfA(buf, NULL) == -1);

    /* wsprintfW: %s wide, %S narrow */
    CHECK(wsprintfW(wbuf, W("%s-%S-%d-%c-%hs-%ls"), W("w\u00e9"), "n", 42, (WCHAR)'z', "h", W("l")) ==
          13);
    CHECK(same(wbuf, W("w\u00e9-n-42-z-h-l")));
    CHECK(wvsw(wbuf, W("%08lX"), 0xBEEFUL) == 8 && same(wbuf, W("0000BEEF")));
    CHECK(wsprintfW(wbuf, W("%s"), W("\U0001F600")) == 2); /* a surrogate pair: 2 units */
    CHECK(wsprintfW(wbuf, W("%S"), big) == 1023 && wbuf[1023] == 0);
#ifdef UNICODE
    CHECK(wsprintf(wbuf, TEXT("%s!"), TEXT("t")) == 2);
#else
    CHECK(wsprintf(buf, TEXT("%s!"), TEXT("t")) == 2);
#endif

    /* MessageBox: answers */
    CHECK(MessageBoxA(NULL, "text A", "Caption A", MB_OK | MB_ICONINFORMATION) == IDOK);
    CHECK(MessageBoxW(NULL, W("text \u00e9"), W("Caption W"), MB_OKCANCEL) == IDOK);
    CHECK(MessageBoxA(NULL, "q", "c", MB_YESNO | MB_ICONQUESTION) == IDYES);
    CHECK(MessageBoxA(NULL, "q", "c", MB_YESNO | MB_DEFBUTTON2) == IDNO);
    CHECK(MessageBoxA(NULL, "q", "c", MB_YESNOCANCEL | MB_DEFBUTTON3) == IDCANCEL);
    CHECK(MessageBoxA(NULL, "q", "c", MB_RETRYCANCEL) == IDRETRY);
    CHECK(MessageBoxA(NULL, "q", "c", MB_ABORTRETRYIGNORE | MB_DEFBUTTON3) == IDIGNORE);
    CHECK(MessageBoxA(NULL, "q", "c", MB_CANCELTRYCONTINUE | MB_DEFBUTTON2) == IDTRYAGAIN);
    CHECK(MessageBoxA(NULL, "q", "c", MB_OK | MB_DEFBUTTON4) == IDOK);
    CHECK(MessageBoxExW(NULL, NULL, NULL, MB_OK, 0) == IDOK);
    CHECK(MessageBoxExA(NULL, "ex", "Ex", MB_OK, 0) == IDOK);
    CHECK_FAILS(MessageBoxA(NULL, "q", "c", 7), 0, ERROR_INVALID_MSGBOX_STYLE);
    CHECK_FAILS(MessageBoxW(NULL, NULL, NULL, 0xF), 0, ERROR_INVALID_MSGBOX_STYLE);
    CHECK(MessageBeep(MB_OK));

#ifndef _WIN32
    /* what goes to stderr */
    if (argc > 1) {
        char path[600], got[256] = "";
        snprintf(path, sizeof path, "%s/user32_stderr.txt", argv[1]);
        FILE *f = fopen(path, "w+");
        CHECK(f != NULL);
        if (f) {
            int saved = dup(2);
            dup2(fileno(f), 2);
            MessageBoxA(NULL, "Disk full", "Writer", MB_ICONERROR);
            MessageBoxW(NULL, W("caf\u00e9"), NULL, MB_OK);
            dup2(saved, 2);
            close(saved);
            rewind(f);
            size_t n = fread(got, 1, sizeof got - 1, f);
            got[n] = 0;
            fclose(f);
        }
        CHECK(strcmp(got, "Writer: Disk full\nError: caf\xc3\xa9\n") == 0);
    }
#endif
    (void)argv;
    return checks_done("user32");
}

/* Minimal checking helpers for the C test programs (plain C and Win32 only, so the programs
   also build for Windows). */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <windows.h>

static int g_pass, g_fail;

/* Records one check; prints the failing expression, line and last error. */
#define CHECK(cond)                                                                         \
    do {                                                                                    \
        int check_ok_ = (cond) ? 1 : 0;                                                     \
        DWORD check_err_ = GetLastError();                                                  \
        if (check_ok_) {                                                                    \
            g_pass++;                                                                       \
        } else {                                                                            \
            g_fail++;                                                                       \
            printf("FAIL %s:%d: %s (last error %lu)\n", __FILE__, __LINE__, #cond,         \
                   (unsigned long)check_err_);                                              \
        }                                                                                   \
        SetLastError(check_err_);                                                           \
    } while (0)

/* `call` must fail (evaluate to `bad`) with last error `err`. */
#define CHECK_FAILS(call, bad, err)                                                         \
    do {                                                                                    \
        SetLastError(0xdeadbeef);                                                           \
        CHECK((call) == (bad));                                                             \
        CHECK(GetLastError() == (DWORD)(err));                                              \
    } while (0)

/* A WCHAR string literal: L"..." where wchar_t is 16 bits (-fshort-wchar, Windows), else
   u"...". */
#if __SIZEOF_WCHAR_T__ == 2
#define W(s) L##s
#else
#define W(s) u##s
#endif

/* Equal as 16-bit strings. */
static inline int same(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int checks_done(const char *what)
{
    printf("%s: %d checks passed, %d failed\n", what, g_pass, g_fail);
    return g_fail ? 1 : 0;
}
#endif

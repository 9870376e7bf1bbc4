/* The wide C runtime on 16-bit WCHAR strings (fmap_wcrt.h): built with -fshort-wchar (L"..." is
   WCHAR; every wcs* name is the 16-bit implementation) and without it in C (u"..." is WCHAR and
   picks the 16-bit implementation, L"..." stays glibc's). */
#include "check.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h> /* after windows.h: must change nothing */

static int vsw(WCHAR *buf, size_t n, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vswprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

static int vsnw(WCHAR *buf, size_t n, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = _vsnwprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* The bytes of a file. */
static size_t slurp(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return (size_t)-1;
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
    return n;
}

int main(void)
{
    WCHAR buf[64], small[4];
    const WCHAR *hello = W("Hello, w\u00f6rld");

    /* lengths, copies, comparisons, searches */
    CHECK(wcslen(hello) == 12);
    CHECK(wcslen(W("")) == 0);
    CHECK(wcsnlen(hello, 5) == 5);
    CHECK(wcscpy(buf, hello) == buf && same(buf, hello) && buf[12] == 0);
    CHECK(wcscat(buf, W("!")) == buf && same(buf, W("Hello, w\u00f6rld!")));
    wmemset(buf, 'x', 8);
    CHECK(wcsncpy(buf, W("ab"), 5) == buf && buf[0] == 'a' && buf[1] == 'b' && buf[2] == 0 &&
          buf[4] == 0 && buf[5] == 'x');
    wcscpy(buf, W("ab"));
    CHECK(wcsncat(buf, W("cdef"), 2) == buf && same(buf, W("abcd")));
    CHECK(wcscmp(W("abc"), W("abc")) == 0);
    CHECK(wcscmp(W("abc"), W("abd")) < 0);
    CHECK(wcscmp(W("b"), W("abc")) > 0);
    CHECK(wcscmp(W("\u00e9"), W("z")) > 0); /* unsigned 16-bit units */
    CHECK(wcsncmp(W("abcX"), W("abcY"), 3) == 0);
    CHECK(wcsncmp(W("abcX"), W("abcY"), 4) < 0);
    CHECK(_wcsicmp(W("HeLLo"), W("hello")) == 0);
    CHECK(_wcsicmp(W("a"), W("B")) < 0);
    CHECK(_wcsnicmp(W("ABCx"), W("abcy"), 3) == 0);
    CHECK(wcsstr(hello, W("w\u00f6r")) == hello + 7);
    CHECK(wcsstr(hello, W("xyz")) == NULL);
    CHECK(wcsstr(hello, W("")) == hello);
    CHECK(wcschr(hello, 'l') == hello + 2);
    CHECK(wcschr(hello, 0) == hello + 12);
    CHECK(wcschr(hello, 'Z') == NULL);
    CHECK(wcsrchr(hello, 'l') == hello + 10);
    CHECK(wcsrchr(hello, 'Z') == NULL);
    CHECK(wcsspn(W("aabx"), W("ab")) == 3 && wcscspn(W("aabx"), W("x")) == 3);
    {
        WCHAR t[] = W("a, b,,c"), *ctx = NULL;
        WCHAR *p1 = wcstok(t, W(", "), &ctx), *p2 = wcstok(NULL, W(", "), &ctx),
              *p3 = wcstok(NULL, W(", "), &ctx), *p4 = wcstok(NULL, W(", "), &ctx);
        CHECK(p1 && same(p1, W("a")) && p2 && same(p2, W("b")) && p3 && same(p3, W("c")) &&
              p4 == NULL);
    }
    {
        WCHAR *d = _wcsdup(hello);
        CHECK(d && same(d, hello));
        CHECK(same(_wcsupr(d), W("HELLO, W\u00f6RLD")) && same(_wcslwr(d), W("hello, w\u00f6rld")));
        free(d);
    }
    CHECK(towupper('a') == 'A' && towlower('Q') == 'q');
    {
        WCHAR a[4] = {1, 2, 3, 4}, b[4];
        CHECK(wmemcpy(b, a, 4) == b && wmemcmp(a, b, 4) == 0 && wmemchr(a, 3, 4) == a + 2);
        b[3] = 5;
        CHECK(wmemcmp(a, b, 4) < 0 && wmemmove(a + 1, a, 3) == a + 1 && a[3] == 3);
    }

    /* the _s forms: strcpy_s's rules */
    CHECK(wcscpy_s(buf, 64, W("abc")) == 0 && same(buf, W("abc")));
    CHECK(wcscpy_s(small, 4, W("abcd")) == ERANGE && small[0] == 0);
    CHECK(wcscpy_s(small, 4, W("abc")) == 0 && same(small, W("abc")));
    CHECK(wcscpy_s(NULL, 4, W("a")) == EINVAL);
    CHECK(wcscpy_s(small, 4, NULL) == EINVAL && small[0] == 0);
    CHECK(wcscpy_s(small, 0, W("a")) == EINVAL);
    wcscpy(small, W("ab"));
    CHECK(wcscat_s(small, 4, W("c")) == 0 && same(small, W("abc")));
    CHECK(wcscat_s(small, 4, W("d")) == ERANGE && small[0] == 0);
    CHECK(wcscat_s(NULL, 4, W("d")) == EINVAL);
    CHECK(wcsncpy_s(small, 4, W("abcdef"), _TRUNCATE) == STRUNCATE && same(small, W("abc")));
    CHECK(wcsncpy_s(small, 4, W("abcdef"), 2) == 0 && same(small, W("ab")));
    CHECK(wcsncat_s(small, 4, W("xyz"), 1) == 0 && same(small, W("abx")));

    /* formatting: Microsoft's wide printf (%s is WCHAR, %hs/%S narrow) */
    CHECK(swprintf(buf, 64, W("%d-%s-%hs-%S-%c|%5.1f|%04x|%-3s|"), 42, W("w\u00f6"), "n\xc3\xa9",
                   "N", 'C', 2.25, 255, W("a")) == 28);
    CHECK(same(buf, W("42-w\u00f6-n\u00e9-N-C|  2.2|00ff|a  |")));
    CHECK(swprintf(small, 4, W("%d"), 12345) == -1 && small[3] == 0);
    CHECK(swprintf(buf, 64, W("%I64d %ls %%"), (long long)-5000000000LL, W("x")) == 15 &&
          same(buf, W("-5000000000 x %")));
    CHECK(swprintf(NULL, 4, W("x")) == -1);
    CHECK(vsw(buf, 64, W("%s=%u"), W("k"), 7u) == 3 && same(buf, W("k=7")));
    CHECK(swprintf_s(buf, 64, W("%s%d"), W("n"), 1) == 2 && same(buf, W("n1")));
    CHECK(swprintf_s(small, 4, W("%s"), W("toolong")) == -1 && small[0] == 0 && errno == ERANGE);
    CHECK(swprintf_s(NULL, 4, W("x")) == -1 && errno == EINVAL);
    wmemset(small, 'z', 4);
    CHECK(_snwprintf(small, 4, W("%d"), 1234) == 4 && small[3] == '4'); /* fits, no NUL */
    CHECK(_snwprintf(small, 4, W("%d"), 12345) == -1 && small[3] == '4');
    CHECK(_snwprintf(small, 4, W("%d"), 12) == 2 && same(small, W("12")));
    CHECK(_snwprintf(NULL, 0, W("%d"), 12345) == 5);
    CHECK(vsnw(buf, 64, W("[%3d]"), 7) == 5 && same(buf, W("[  7]")));
    CHECK(_snwprintf_s(small, 4, _TRUNCATE, W("%s"), W("abcdef")) == -1 && same(small, W("abc")));
    CHECK(_snwprintf_s(buf, 64, 2, W("%s"), W("abcdef")) == -1 && same(buf, W("ab")));

    /* numbers */
    CHECK(same(_itow(-123, buf, 10), W("-123")));
    CHECK(same(_itow(255, buf, 16), W("ff")));
    CHECK(same(_i64tow(-5000000000LL, buf, 10), W("-5000000000")));
    CHECK(same(_ui64tow(18446744073709551615ULL, buf, 16), W("ffffffffffffffff")));
    CHECK(_itow_s(-42, buf, 64, 10) == 0 && same(buf, W("-42")));
    CHECK(_itow_s(12345, small, 4, 10) == ERANGE && small[0] == 0);
    CHECK(_itow_s(1, NULL, 4, 10) == EINVAL);
    CHECK(_wtoi(W("  -77xyz")) == -77 && _wtoi(W("x")) == 0);
    CHECK(_wtol(W("123456")) == 123456L && _wtoi64(W("-5000000000")) == -5000000000LL);
    {
        const WCHAR *s = W(" 0x1fZ");
        WCHAR *end;
        CHECK(wcstol(s, &end, 16) == 31 && end == s + 5);
        CHECK(wcstoul(W("4294967295"), NULL, 10) == 4294967295UL);
        CHECK(wcstol(W("-12"), &end, 0) == -12);
        CHECK(wcstoll(W("-9000000000"), NULL, 10) == -9000000000LL);
        CHECK(wcstod(W("2.5e1"), NULL) == 25.0 && _wtof(W("0.5")) == 0.5);
    }

    /* files: a UTF-16 path is a UTF-8 name on disk; fwprintf writes UTF-8 */
    {
        char bytes[128];
        const WCHAR *path = W("wide_crt_\u00e9\u4e2d.txt");
        const char *utf8 = "wide_crt_\xc3\xa9\xe4\xb8\xad.txt";
        FILE *f = _wfopen(path, W("w"));
        CHECK(f != NULL);
        if (f) {
            CHECK(fwprintf(f, W("%s %d %hs\n"), W("\u00e9t\u00e9"), 7, "ok") == 9);
            CHECK(fputws(W("\u4e2d\n"), f) >= 0);
            fclose(f);
        }
        CHECK(slurp(utf8, bytes, sizeof bytes) == 15 &&
              memcmp(bytes, "\xc3\xa9t\xc3\xa9 7 ok\n\xe4\xb8\xad\n", 15) == 0);
        FILE *g = NULL;
        CHECK(_wfopen_s(&g, path, W("r")) == 0 && g != NULL);
        if (g)
            fclose(g);
        CHECK(_wfopen_s(&g, W("no/such/dir/x"), W("r")) == ENOENT && g == NULL);
        CHECK(_wfopen_s(NULL, path, W("r")) == EINVAL);
        CHECK(_wfopen(NULL, W("r")) == NULL);
        CHECK(_wremove(path) == 0 && fopen(utf8, "r") == NULL);
    }
    /* stdout: the harness compares this line */
    CHECK(wprintf(W("wide: %s %d\n"), W("\u00e9"), 1) == 10);
    fflush(stdout);

#if __SIZEOF_WCHAR_T__ != 2
    /* 32-bit wchar_t (C): L"..." strings still go to glibc */
    CHECK(wcslen(L"abc\U0001F600") == 4 && wcscmp(L"a", L"b") < 0);
    {
        wchar_t wb[16];
        CHECK(swprintf(wb, 16, L"%ls-%d", L"x", 3) == 3 && wcscmp(wb, L"x-3") == 0);
    }
#else
    CHECK(wcslen(L"abc\U0001F600") == 5); /* a surrogate pair is two units */
#endif
    return checks_done("wide_crt");
}

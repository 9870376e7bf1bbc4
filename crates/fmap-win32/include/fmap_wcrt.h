/*
 * fmap_wcrt.h for fmap-win32: the C runtime's wide-string names (wcslen, wcscpy_s, swprintf,
 * wprintf, _wfopen, _itow, _wtoi, wcstol, ...) on the 16-bit WCHAR strings of the headers.
 * windows.h includes it last; define FMAP_NO_WIDE_CRT before it to keep the C library's own.
 *
 * glibc's wide functions take a 32-bit wchar_t. Which implementation a name gets:
 *   - wchar_t is 16-bit (-fshort-wchar, which fmap-cc/fmap-c++ add under -DUNICODE), C and C++:
 *     every name below is a macro for the 16-bit implementation of fmap_wstr.h (glibc's would
 *     read two WCHARs as one character). <wchar.h>/<wctype.h> (C++: <cwchar>/<cwctype>) are
 *     included first, so a later #include of them changes nothing; in C++ the std:: names
 *     (std::wcslen, ...) are the same functions. std::wstring is not usable with
 *     -fshort-wchar: most of its members are compiled into libstdc++ with a 32-bit wchar_t
 *     (std::u16string is all inline and works).
 *   - wchar_t is 32-bit, C: the names glibc also has (wcslen, swprintf, wprintf, wcstol, ...)
 *     choose by the type of their string argument (C11 _Generic): a WCHAR (unsigned short,
 *     char16_t, u"...") string goes to the 16-bit implementation, a wchar_t one (L"...") to
 *     glibc. The Microsoft-only names (_wcsicmp, _itow, _wtoi, _wfopen, wcscpy_s, swprintf_s,
 *     _snwprintf, ...) always take WCHAR.
 *   - wchar_t is 32-bit, C++ (WCHAR is char16_t): the ISO names get overloads for WCHAR
 *     strings (u"...", TEXT("..."), WCHAR buffers), in :: and std::, beside glibc's for
 *     wchar_t; L"..." literals are then 32-bit and mix with neither. Build UNICODE C++ with
 *     -fshort-wchar (fmap-c++ adds it) so that L"..." is WCHAR too.
 *
 * Microsoft semantics: printf %s/%c in a wide format are WCHAR strings/characters (%hs/%S
 * narrow), output to a FILE is UTF-8; swprintf and vswprintf are the ISO forms with a count
 * (swprintf(buf, count, fmt, ...); MSVC's since 2015 unless _CRT_NON_CONFORMING_SWPRINTFS) and
 * return -1 when the output does not fit (truncated, NUL-terminated); _snwprintf writes at most
 * count characters, NUL-terminated only if there is room, -1 if the output was longer;
 * wcscpy_s and the other _s forms follow strcpy_s (too small: dest emptied, ERANGE); wcstok is
 * the ISO three-argument form; towupper/towlower are glibc's (they take code points, whatever
 * the size of wchar_t).
 */
#ifndef FMAP_WIN32_WCRT_H
#define FMAP_WIN32_WCRT_H

#ifndef FMAP_NO_WIDE_CRT

#ifdef __cplusplus
#include <cwchar>
#include <cwctype>
#else
#include <wchar.h>
#include <wctype.h>
#endif
#include "fmap_wstr.h"

#define FMAP_WCRT_FN_ static __attribute__((unused))

FMAP_WCRT_FN_ size_t fmap_wcsnlen_(const WCHAR *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}
/* swprintf (ISO form): buf or fmt NULL, or count 0: -1 (EINVAL for NULL). */
FMAP_WCRT_FN_ int fmap_vswprintf_(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap)
{
    if (!buf || !fmt) {
        errno = EINVAL;
        return -1;
    }
    return fmap_vsntprintf_(buf, count, fmt, ap);
}
FMAP_WCRT_FN_ int fmap_swprintf_(WCHAR *buf, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vswprintf_(buf, count, fmt, ap);
    va_end(ap);
    return n;
}
/* _vsnwprintf: as _vsnprintf. buf NULL with count 0: the length the output needs. */
FMAP_WCRT_FN_ int fmap_vsnwprintf_(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap)
{
    if (!fmt || (!buf && count)) {
        errno = EINVAL;
        return -1;
    }
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tformat_(&b, fmt, ap);
    if (!b.p) {
        errno = ENOMEM;
        return -1;
    }
    int n = MultiByteToWideChar(CP_UTF8, 0, b.p, (int)b.n, NULL, 0);
    WCHAR *tmp = (WCHAR *)malloc(((size_t)n + 1) * sizeof(WCHAR));
    if (!tmp) {
        free(b.p);
        errno = ENOMEM;
        return -1;
    }
    if (n > 0)
        MultiByteToWideChar(CP_UTF8, 0, b.p, (int)b.n, tmp, n);
    tmp[n] = 0;
    size_t len = (size_t)n;
    if (buf && len < count)
        memcpy(buf, tmp, (len + 1) * sizeof(WCHAR));
    else if (buf && count)
        memcpy(buf, tmp, count * sizeof(WCHAR));
    free(tmp);
    free(b.p);
    return len <= count || !buf ? (int)len : -1;
}
FMAP_WCRT_FN_ int fmap_snwprintf_(WCHAR *buf, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vsnwprintf_(buf, count, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_WCRT_FN_ int fmap_vfwprintf_(FILE *f, const WCHAR *fmt, va_list ap)
{
    if (!f || !fmt) {
        errno = EINVAL;
        return -1;
    }
    /* Written as UTF-8; returns the characters (UTF-16 units) written, as Windows does. */
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tformat_(&b, fmt, ap);
    if (!b.p) {
        errno = ENOMEM;
        return -1;
    }
    size_t put = fwrite(b.p, 1, b.n, f);
    int n = b.n ? MultiByteToWideChar(CP_UTF8, 0, b.p, (int)b.n, NULL, 0) : 0;
    free(b.p);
    return put == b.n ? n : -1;
}
FMAP_WCRT_FN_ int fmap_fwprintf_(FILE *f, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vfwprintf_(f, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_WCRT_FN_ int fmap_vwprintf_(const WCHAR *fmt, va_list ap)
{
    return fmap_vfwprintf_(stdout, fmt, ap);
}
FMAP_WCRT_FN_ int fmap_wprintf_(const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vfwprintf_(stdout, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_WCRT_FN_ int fmap_fputws_(const WCHAR *s, FILE *f)
{
    if (!s || !f) {
        errno = EINVAL;
        return EOF;
    }
    return fmap_fputts_(s, f) < 0 ? EOF : 0;
}
FMAP_WCRT_FN_ int fmap_putws_(const WCHAR *s)
{
    if (!s) {
        errno = EINVAL;
        return EOF;
    }
    return fmap_putts_(s) < 0 ? EOF : 0;
}
FMAP_WCRT_FN_ WCHAR *fmap_ltow_(long v, WCHAR *buf, int radix)
{
    return fmap_i64tot_((long long)v, buf, radix);
}
FMAP_WCRT_FN_ WCHAR *fmap_ultow_(unsigned long v, WCHAR *buf, int radix)
{
    return fmap_ui64tot_((unsigned long long)v, buf, radix);
}

/* wmem* on 16-bit units (glibc's move 4 bytes each). */
FMAP_WCRT_FN_ WCHAR *fmap_wmemcpy_(WCHAR *d, const WCHAR *s, size_t n)
{
    return (WCHAR *)memcpy(d, s, n * sizeof(WCHAR));
}
FMAP_WCRT_FN_ WCHAR *fmap_wmemmove_(WCHAR *d, const WCHAR *s, size_t n)
{
    return (WCHAR *)memmove(d, s, n * sizeof(WCHAR));
}
FMAP_WCRT_FN_ WCHAR *fmap_wmemset_(WCHAR *d, WCHAR c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d[i] = c;
    return d;
}
FMAP_WCRT_FN_ int fmap_wmemcmp_(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}
FMAP_WCRT_FN_ WCHAR *fmap_wmemchr_(const WCHAR *s, WCHAR c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == c)
            return (WCHAR *)(s + i);
    return NULL;
}

/* ---- the Microsoft-only names: WCHAR in every mode ---- */
#define _wcsicmp fmap_tcsicmp_
#define _wcsnicmp fmap_tcsnicmp_
#define _wcsdup fmap_tcsdup_
#define _wcslwr fmap_tcslwr_
#define _wcsupr fmap_tcsupr_
#define wcscpy_s fmap_tcscpy_s_
#define wcsncpy_s fmap_tcsncpy_s_
#define wcscat_s fmap_tcscat_s_
#define wcsncat_s fmap_tcsncat_s_
#define wcstok_s fmap_tcstok_s_
#define swprintf_s fmap_stprintf_s_
#define vswprintf_s fmap_vstprintf_s_
#define _snwprintf fmap_snwprintf_
#define _vsnwprintf fmap_vsnwprintf_
#define _snwprintf_s fmap_sntprintf_s_
#define _vsnwprintf_s fmap_vsntprintf_s_
#define _wfopen fmap_tfopen_
#define _wfopen_s fmap_tfopen_s_
#define _wremove fmap_tremove_
#define _putws fmap_putws_
#define _itow fmap_itot_
#define _itow_s fmap_itot_s_
#define _ltow fmap_ltow_
#define _ultow fmap_ultow_
#define _i64tow fmap_i64tot_
#define _i64tow_s fmap_i64tot_s_
#define _ui64tow fmap_ui64tot_
#define _ui64tow_s fmap_ui64tot_s_
#define _wtoi fmap_ttoi_
#define _wtol fmap_ttol_
#define _wtoi64 fmap_ttoi64_
#define _wtof fmap_ttof_
#define _wcstoi64 fmap_tcstoll_
#define _wcstoui64 fmap_tcstoull_

/* ---- the names glibc has too ---- */
#if __SIZEOF_WCHAR_T__ == 2

#define wcslen fmap_tcslen_
#define wcsnlen fmap_wcsnlen_
#define wcscpy fmap_tcscpy_
#define wcsncpy fmap_tcsncpy_
#define wcscat fmap_tcscat_
#define wcsncat fmap_tcsncat_
#define wcscmp fmap_tcscmp_
#define wcsncmp fmap_tcsncmp_
#define wcscasecmp fmap_tcsicmp_
#define wcschr fmap_tcschr_
#define wcsrchr fmap_tcsrchr_
#define wcsstr fmap_tcsstr_
#define wcsspn fmap_tcsspn_
#define wcscspn fmap_tcscspn_
#define wcsdup fmap_tcsdup_
#define wcstok fmap_tcstok_s_
#define wcstol fmap_tcstol_
#define wcstoul fmap_tcstoul_
#define wcstoll fmap_tcstoll_
#define wcstoull fmap_tcstoull_
#define wcstod fmap_tcstod_
#define swprintf fmap_swprintf_
#define vswprintf fmap_vswprintf_
#define wprintf fmap_wprintf_
#define vwprintf fmap_vwprintf_
#define fwprintf fmap_fwprintf_
#define vfwprintf fmap_vfwprintf_
#define fputws fmap_fputws_
#define wmemcpy fmap_wmemcpy_
#define wmemmove fmap_wmemmove_
#define wmemset fmap_wmemset_
#define wmemcmp fmap_wmemcmp_
#define wmemchr fmap_wmemchr_
#ifdef __cplusplus
namespace std {
using ::fmap_tcslen_;
using ::fmap_wcsnlen_;
using ::fmap_tcscpy_;
using ::fmap_tcsncpy_;
using ::fmap_tcscat_;
using ::fmap_tcsncat_;
using ::fmap_tcscmp_;
using ::fmap_tcsncmp_;
using ::fmap_tcsicmp_;
using ::fmap_tcschr_;
using ::fmap_tcsrchr_;
using ::fmap_tcsstr_;
using ::fmap_tcsspn_;
using ::fmap_tcscspn_;
using ::fmap_tcsdup_;
using ::fmap_tcstok_s_;
using ::fmap_tcstol_;
using ::fmap_tcstoul_;
using ::fmap_tcstoll_;
using ::fmap_tcstoull_;
using ::fmap_tcstod_;
using ::fmap_swprintf_;
using ::fmap_vswprintf_;
using ::fmap_wprintf_;
using ::fmap_vwprintf_;
using ::fmap_fwprintf_;
using ::fmap_vfwprintf_;
using ::fmap_fputws_;
using ::fmap_wmemcpy_;
using ::fmap_wmemmove_;
using ::fmap_wmemset_;
using ::fmap_wmemcmp_;
using ::fmap_wmemchr_;
} // namespace std
#endif

#elif defined(__cplusplus)
/* 32-bit wchar_t in C++ (WCHAR is char16_t): overloads of the ISO names for WCHAR strings
   (glibc's wchar_t ones stay), in :: and std:: (in std:: not for wcstol & co. and vswprintf,
   whose address libstdc++ takes). */
inline size_t wcslen(const WCHAR *s) { return fmap_tcslen_(s); }
inline size_t wcsnlen(const WCHAR *s, size_t n) { return fmap_wcsnlen_(s, n); }
inline WCHAR *wcscpy(WCHAR *d, const WCHAR *s) { return fmap_tcscpy_(d, s); }
inline WCHAR *wcsncpy(WCHAR *d, const WCHAR *s, size_t n) { return fmap_tcsncpy_(d, s, n); }
inline WCHAR *wcscat(WCHAR *d, const WCHAR *s) { return fmap_tcscat_(d, s); }
inline WCHAR *wcsncat(WCHAR *d, const WCHAR *s, size_t n) { return fmap_tcsncat_(d, s, n); }
inline int wcscmp(const WCHAR *a, const WCHAR *b) { return fmap_tcscmp_(a, b); }
inline int wcsncmp(const WCHAR *a, const WCHAR *b, size_t n) { return fmap_tcsncmp_(a, b, n); }
inline const WCHAR *wcschr(const WCHAR *s, WCHAR c) { return fmap_tcschr_(s, c); }
inline WCHAR *wcschr(WCHAR *s, WCHAR c) { return fmap_tcschr_(s, c); }
inline const WCHAR *wcsrchr(const WCHAR *s, WCHAR c) { return fmap_tcsrchr_(s, c); }
inline WCHAR *wcsrchr(WCHAR *s, WCHAR c) { return fmap_tcsrchr_(s, c); }
inline const WCHAR *wcsstr(const WCHAR *h, const WCHAR *n) { return fmap_tcsstr_(h, n); }
inline WCHAR *wcsstr(WCHAR *h, const WCHAR *n) { return fmap_tcsstr_(h, n); }
inline size_t wcsspn(const WCHAR *s, const WCHAR *c) { return fmap_tcsspn_(s, c); }
inline size_t wcscspn(const WCHAR *s, const WCHAR *c) { return fmap_tcscspn_(s, c); }
inline WCHAR *wcstok(WCHAR *s, const WCHAR *d, WCHAR **c) { return fmap_tcstok_s_(s, d, c); }
inline long wcstol(const WCHAR *s, WCHAR **e, int b) { return fmap_tcstol_(s, e, b); }
inline unsigned long wcstoul(const WCHAR *s, WCHAR **e, int b) { return fmap_tcstoul_(s, e, b); }
inline long long wcstoll(const WCHAR *s, WCHAR **e, int b) { return fmap_tcstoll_(s, e, b); }
inline unsigned long long wcstoull(const WCHAR *s, WCHAR **e, int b)
{
    return fmap_tcstoull_(s, e, b);
}
inline double wcstod(const WCHAR *s, WCHAR **e) { return fmap_tcstod_(s, e); }
inline WCHAR *wmemcpy(WCHAR *d, const WCHAR *s, size_t n) { return fmap_wmemcpy_(d, s, n); }
inline WCHAR *wmemmove(WCHAR *d, const WCHAR *s, size_t n) { return fmap_wmemmove_(d, s, n); }
inline WCHAR *wmemset(WCHAR *d, WCHAR c, size_t n) { return fmap_wmemset_(d, c, n); }
inline int wmemcmp(const WCHAR *a, const WCHAR *b, size_t n) { return fmap_wmemcmp_(a, b, n); }
inline int vswprintf(WCHAR *b, size_t n, const WCHAR *f, va_list ap)
{
    return fmap_vswprintf_(b, n, f, ap);
}
inline int swprintf(WCHAR *b, size_t n, const WCHAR *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmap_vswprintf_(b, n, f, ap);
    va_end(ap);
    return r;
}
inline int vfwprintf(FILE *o, const WCHAR *f, va_list ap) { return fmap_vfwprintf_(o, f, ap); }
inline int fwprintf(FILE *o, const WCHAR *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmap_vfwprintf_(o, f, ap);
    va_end(ap);
    return r;
}
inline int vwprintf(const WCHAR *f, va_list ap) { return fmap_vfwprintf_(stdout, f, ap); }
inline int wprintf(const WCHAR *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmap_vfwprintf_(stdout, f, ap);
    va_end(ap);
    return r;
}
inline int fputws(const WCHAR *s, FILE *o) { return fmap_fputws_(s, o); }
namespace std {
using ::wcslen;
using ::wcscpy;
using ::wcsncpy;
using ::wcscat;
using ::wcsncat;
using ::wcscmp;
using ::wcsncmp;
using ::wcschr;
using ::wcsrchr;
using ::wcsstr;
using ::wcsspn;
using ::wcscspn;
using ::wcstok;
using ::wmemcpy;
using ::wmemmove;
using ::wmemset;
using ::wmemcmp;
using ::swprintf;
using ::vfwprintf;
using ::fwprintf;
using ::vwprintf;
using ::wprintf;
using ::fputws;
} // namespace std
#else
/* 32-bit wchar_t in C: a WCHAR string argument (the format for the printf family) picks the
   16-bit implementation. */
#define FMAP_WCRT_PICK_(x, impl, libc)                                                        \
    _Generic((x), WCHAR *: impl, const WCHAR *: impl, default: libc)
#define wcslen(s) FMAP_WCRT_PICK_(s, fmap_tcslen_, wcslen)(s)
#define wcsnlen(s, n) FMAP_WCRT_PICK_(s, fmap_wcsnlen_, wcsnlen)(s, n)
#define wcscpy(d, s) FMAP_WCRT_PICK_(d, fmap_tcscpy_, wcscpy)(d, s)
#define wcsncpy(d, s, n) FMAP_WCRT_PICK_(d, fmap_tcsncpy_, wcsncpy)(d, s, n)
#define wcscat(d, s) FMAP_WCRT_PICK_(d, fmap_tcscat_, wcscat)(d, s)
#define wcsncat(d, s, n) FMAP_WCRT_PICK_(d, fmap_tcsncat_, wcsncat)(d, s, n)
#define wcscmp(a, b) FMAP_WCRT_PICK_(a, fmap_tcscmp_, wcscmp)(a, b)
#define wcsncmp(a, b, n) FMAP_WCRT_PICK_(a, fmap_tcsncmp_, wcsncmp)(a, b, n)
#define wcschr(s, c) FMAP_WCRT_PICK_(s, fmap_tcschr_, wcschr)(s, c)
#define wcsrchr(s, c) FMAP_WCRT_PICK_(s, fmap_tcsrchr_, wcsrchr)(s, c)
#define wcsstr(h, n) FMAP_WCRT_PICK_(h, fmap_tcsstr_, wcsstr)(h, n)
#define wcsspn(s, c) FMAP_WCRT_PICK_(s, fmap_tcsspn_, wcsspn)(s, c)
#define wcscspn(s, c) FMAP_WCRT_PICK_(s, fmap_tcscspn_, wcscspn)(s, c)
#define wcsdup(s) FMAP_WCRT_PICK_(s, fmap_tcsdup_, wcsdup)(s)
#define wcstok(s, d, c) FMAP_WCRT_PICK_(d, fmap_tcstok_s_, wcstok)(s, d, c)
#define wcstol(s, e, b) FMAP_WCRT_PICK_(s, fmap_tcstol_, wcstol)(s, e, b)
#define wcstoul(s, e, b) FMAP_WCRT_PICK_(s, fmap_tcstoul_, wcstoul)(s, e, b)
#define wcstoll(s, e, b) FMAP_WCRT_PICK_(s, fmap_tcstoll_, wcstoll)(s, e, b)
#define wcstoull(s, e, b) FMAP_WCRT_PICK_(s, fmap_tcstoull_, wcstoull)(s, e, b)
#define wcstod(s, e) FMAP_WCRT_PICK_(s, fmap_tcstod_, wcstod)(s, e)
#define swprintf(b, n, ...)                                                                   \
    FMAP_WCRT_PICK_(FMAP_WCRT_FIRST_(__VA_ARGS__, 0), fmap_swprintf_, swprintf)(b, n, __VA_ARGS__)
#define vswprintf(b, n, f, a) FMAP_WCRT_PICK_(f, fmap_vswprintf_, vswprintf)(b, n, f, a)
#define wprintf(...)                                                                          \
    FMAP_WCRT_PICK_(FMAP_WCRT_FIRST_(__VA_ARGS__, 0), fmap_wprintf_, wprintf)(__VA_ARGS__)
#define vwprintf(f, a) FMAP_WCRT_PICK_(f, fmap_vwprintf_, vwprintf)(f, a)
#define fwprintf(o, ...)                                                                      \
    FMAP_WCRT_PICK_(FMAP_WCRT_FIRST_(__VA_ARGS__, 0), fmap_fwprintf_, fwprintf)(o, __VA_ARGS__)
#define vfwprintf(o, f, a) FMAP_WCRT_PICK_(f, fmap_vfwprintf_, vfwprintf)(o, f, a)
#define fputws(s, o) FMAP_WCRT_PICK_(s, fmap_fputws_, fputws)(s, o)
#define wmemcpy(d, s, n) FMAP_WCRT_PICK_(d, fmap_wmemcpy_, wmemcpy)(d, s, n)
#define wmemmove(d, s, n) FMAP_WCRT_PICK_(d, fmap_wmemmove_, wmemmove)(d, s, n)
#define wmemset(d, c, n) FMAP_WCRT_PICK_(d, fmap_wmemset_, wmemset)(d, c, n)
#define wmemcmp(a, b, n) FMAP_WCRT_PICK_(a, fmap_wmemcmp_, wmemcmp)(a, b, n)
#define wmemchr(s, c, n) FMAP_WCRT_PICK_(s, fmap_wmemchr_, wmemchr)(s, c, n)
#define FMAP_WCRT_FIRST_(x, ...) (x)
#endif

#endif /* FMAP_NO_WIDE_CRT */
#endif /* FMAP_WIN32_WCRT_H */

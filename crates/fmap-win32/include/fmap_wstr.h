/*
 * fmap_wstr.h for fmap-win32: string and printf functions on 16-bit WCHAR strings, used by
 * tchar.h (the _tcs and _t names under UNICODE) and strsafe.h (the W printf forms).
 *
 * The C library's wide functions assume a 32-bit wchar_t; these work on the UTF-16 strings the
 * headers produce, with or without -fshort-wchar. The printf here follows Microsoft's wide
 * printf: %s and %c take WCHAR strings/characters, %hs/%hc/%S/%C narrow ones, %ls/%ws/%lc/%wc
 * wide ones; numbers as in C (also %I64d, %Iu); output is UTF-8 (to a FILE) or UTF-16.
 */
#ifndef FMAP_WIN32_WSTR_H
#define FMAP_WIN32_WSTR_H

#include "windows.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FMAP_TCHAR_FN_ static __attribute__((unused))

FMAP_TCHAR_FN_ size_t fmap_tcslen_(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcscpy_(WCHAR *d, const WCHAR *s)
{
    size_t i = 0;
    do
        d[i] = s[i];
    while (s[i++]);
    return d;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsncpy_(WCHAR *d, const WCHAR *s, size_t n)
{
    size_t i = 0;
    for (; i < n && s[i]; i++)
        d[i] = s[i];
    for (; i < n; i++)
        d[i] = 0;
    return d;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcscat_(WCHAR *d, const WCHAR *s)
{
    fmap_tcscpy_(d + fmap_tcslen_(d), s);
    return d;
}
FMAP_TCHAR_FN_ int fmap_tcsncmp_(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
        if (!a[i])
            return 0;
    }
    return 0;
}
FMAP_TCHAR_FN_ int fmap_tcscmp_(const WCHAR *a, const WCHAR *b)
{
    return fmap_tcsncmp_(a, b, (size_t)-1);
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcschr_(const WCHAR *s, WCHAR c)
{
    for (;; s++) {
        if (*s == c)
            return (WCHAR *)s;
        if (!*s)
            return NULL;
    }
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsrchr_(const WCHAR *s, WCHAR c)
{
    const WCHAR *r = NULL;
    for (;; s++) {
        if (*s == c)
            r = s;
        if (!*s)
            return (WCHAR *)r;
    }
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsstr_(const WCHAR *h, const WCHAR *n)
{
    size_t k = fmap_tcslen_(n);
    for (; *h; h++)
        if (fmap_tcsncmp_(h, n, k) == 0)
            return (WCHAR *)h;
    return k ? NULL : (WCHAR *)h;
}

/* A growable UTF-8 buffer. */
typedef struct {
    char *p;
    size_t n, cap;
} fmap_tbuf_;

FMAP_TCHAR_FN_ void fmap_tbuf_add_(fmap_tbuf_ *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256);
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = (char *)realloc(b->p, cap);
        if (!p)
            return;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

/* Appends one code point as UTF-8. */
FMAP_TCHAR_FN_ void fmap_tbuf_cp_(fmap_tbuf_ *b, unsigned long c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    fmap_tbuf_add_(b, u, n);
}

/* Appends up to n units (or up to the NUL, n = -1) of UTF-16 as UTF-8; returns units read. */
FMAP_TCHAR_FN_ size_t fmap_tbuf_wide_(fmap_tbuf_ *b, const WCHAR *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i]) {
        unsigned long c = s[i++];
        if (c >= 0xD800 && c < 0xDC00 && i < n && s[i] >= 0xDC00 && s[i] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (s[i++] - 0xDC00);
        else if (c >= 0xD800 && c < 0xE000)
            c = 0xFFFD;
        fmap_tbuf_cp_(b, c);
    }
    return i;
}

/* Formats one conversion with the C library and appends it. */
FMAP_TCHAR_FN_ void fmap_tbuf_fmt_(fmap_tbuf_ *b, const char *spec, ...)
{
    char small[128];
    va_list ap, ap2;
    va_start(ap, spec);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, spec, ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        fmap_tbuf_add_(b, small, (size_t)n);
    } else if (n >= 0) {
        char *big = (char *)malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, spec, ap2);
            fmap_tbuf_add_(b, big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
    va_end(ap);
}

/* Microsoft wide printf → UTF-8 in b. */
FMAP_TCHAR_FN_ void fmap_tformat_(fmap_tbuf_ *b, const WCHAR *f, va_list ap)
{
    fmap_tbuf_add_(b, "", 0);
    while (*f) {
        if (*f != '%') {
            const WCHAR *s = f;
            while (*f && *f != '%')
                f++;
            fmap_tbuf_wide_(b, s, (size_t)(f - s));
            continue;
        }
        f++;
        if (*f == '%') {
            fmap_tbuf_add_(b, "%", 1);
            f++;
            continue;
        }
        char spec[64];
        size_t k = 0;
        int left = 0, width = -1, prec = -1;
        spec[k++] = '%';
        while (*f == '-' || *f == '+' || *f == ' ' || *f == '#' || *f == '0') {
            left |= *f == '-';
            spec[k++] = (char)*f++;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                spec[k++] = '-';
                width = -width;
            }
            f++;
        } else if (*f >= '0' && *f <= '9') {
            width = 0;
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        if (width >= 0)
            k += (size_t)snprintf(spec + k, 16, "%d", width);
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
            if (prec >= 0)
                k += (size_t)snprintf(spec + k, 16, ".%d", prec);
        }
        /* length: 'H' hh, 'h', 'l', 'q' ll, 'L' long double, 'z', 'j', 't', 'w' wide */
        char len = 0;
        if (*f == 'h') {
            f++;
            len = 'h';
            if (*f == 'h') {
                f++;
                len = 'H';
            }
        } else if (*f == 'l') {
            f++;
            len = 'l';
            if (*f == 'l') {
                f++;
                len = 'q';
            }
        } else if (*f == 'L' || *f == 'z' || *f == 'j' || *f == 't' || *f == 'w') {
            len = (char)*f++;
        } else if (*f == 'I') {
            f++;
            if (f[0] == '6' && f[1] == '4') {
                f += 2;
                len = 'q';
            } else if (f[0] == '3' && f[1] == '2') {
                f += 2;
            } else {
                len = 'z';
            }
        }
        char conv = (char)*f;
        if (!conv)
            break;
        f++;
        switch (conv) {
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            int sign = conv == 'd' || conv == 'i';
            const char *mod = len == 'H' ? "hh" : len == 'h' ? "h" : len == 'l' ? "l"
                              : len == 'q' ? "ll" : len == 'z' ? "z" : len == 'j' ? "j"
                              : len == 't' ? "t" : "";
            spec[k] = 0;
            strcat(spec, mod);
            k = strlen(spec);
            spec[k++] = conv;
            spec[k] = 0;
            if (len == 'l')
                sign ? fmap_tbuf_fmt_(b, spec, va_arg(ap, long))
                     : fmap_tbuf_fmt_(b, spec, va_arg(ap, unsigned long));
            else if (len == 'q')
                sign ? fmap_tbuf_fmt_(b, spec, va_arg(ap, long long))
                     : fmap_tbuf_fmt_(b, spec, va_arg(ap, unsigned long long));
            else if (len == 'z' || len == 't')
                fmap_tbuf_fmt_(b, spec, va_arg(ap, size_t));
            else if (len == 'j')
                fmap_tbuf_fmt_(b, spec, va_arg(ap, intmax_t));
            else
                fmap_tbuf_fmt_(b, spec, va_arg(ap, int));
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (len == 'L') {
                spec[k++] = 'L';
                spec[k++] = conv;
                spec[k] = 0;
                fmap_tbuf_fmt_(b, spec, va_arg(ap, long double));
            } else {
                spec[k++] = conv;
                spec[k] = 0;
                fmap_tbuf_fmt_(b, spec, va_arg(ap, double));
            }
            break;
        case 'p':
            spec[k++] = 'p';
            spec[k] = 0;
            fmap_tbuf_fmt_(b, spec, va_arg(ap, void *));
            break;
        case 'c':
        case 'C':
        case 's':
        case 'S': {
            int narrow = len == 'h' || ((conv == 'C' || conv == 'S') && len != 'l' && len != 'w');
            WCHAR one;
            const WCHAR *ws = NULL;
            const char *ns = NULL;
            size_t units, i;
            if (conv == 'c' || conv == 'C') {
                int c = va_arg(ap, int);
                one = (WCHAR)(narrow ? (unsigned char)c : c);
                ws = &one;
                units = 1;
            } else if (narrow) {
                ns = va_arg(ap, const char *);
                ns = ns ? ns : "(null)";
                units = strlen(ns);
            } else {
                ws = va_arg(ap, const WCHAR *);
                if (!ws) {
                    ns = "(null)";
                    units = 6;
                } else {
                    units = fmap_tcslen_(ws);
                }
            }
            if (prec >= 0 && (size_t)prec < units && conv != 'c' && conv != 'C')
                units = (size_t)prec;
            for (i = units; !left && width > 0 && i < (size_t)width; i++)
                fmap_tbuf_add_(b, " ", 1);
            if (ns)
                fmap_tbuf_add_(b, ns, units);
            else
                fmap_tbuf_wide_(b, ws, units);
            for (i = units; left && width > 0 && i < (size_t)width; i++)
                fmap_tbuf_add_(b, " ", 1);
            break;
        }
        case 'n':
            *va_arg(ap, int *) = (int)b->n;
            break;
        default:
            fmap_tbuf_add_(b, "%", 1);
            fmap_tbuf_add_(b, &conv, 1);
        }
    }
}

FMAP_TCHAR_FN_ int fmap_vftprintf_(FILE *out, const WCHAR *fmt, va_list ap)
{
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tformat_(&b, fmt, ap);
    size_t n = b.p ? fwrite(b.p, 1, b.n, out) : 0;
    free(b.p);
    return (int)n;
}
FMAP_TCHAR_FN_ int fmap_ftprintf_(FILE *out, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vftprintf_(out, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_TCHAR_FN_ int fmap_tprintf_(const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vftprintf_(stdout, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_TCHAR_FN_ int fmap_vtprintf_(const WCHAR *fmt, va_list ap)
{
    return fmap_vftprintf_(stdout, fmt, ap);
}
/* Formats into a WCHAR buffer of `cap` units (NUL included); returns the units written or -1 if
   it did not fit (the output is then truncated). */
FMAP_TCHAR_FN_ int fmap_vsntprintf_(WCHAR *buf, size_t cap, const WCHAR *fmt, va_list ap)
{
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tformat_(&b, fmt, ap);
    WCHAR *tmp = (WCHAR *)malloc((b.n + 1) * sizeof(WCHAR));
    int n = tmp ? MultiByteToWideChar(CP_UTF8, 0, b.p, (int)b.n + 1, tmp, (int)b.n + 1) : 0;
    int r = -1;
    if (n > 0 && cap > 0) {
        size_t m = (size_t)n <= cap ? (size_t)n : cap;
        memcpy(buf, tmp, m * sizeof(WCHAR));
        buf[m - 1] = 0;
        r = (size_t)n <= cap ? n - 1 : -1;
    }
    free(tmp);
    free(b.p);
    return r;
}
FMAP_TCHAR_FN_ int fmap_sntprintf_(WCHAR *buf, size_t cap, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vsntprintf_(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_TCHAR_FN_ int fmap_stprintf_(WCHAR *buf, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vsntprintf_(buf, (size_t)1 << 30, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_TCHAR_FN_ int fmap_ttoi_(const WCHAR *s)
{
    char d[32];
    size_t i = 0;
    while (s[i] && i < sizeof d - 1 && s[i] < 128) {
        d[i] = (char)s[i];
        i++;
    }
    d[i] = 0;
    return atoi(d);
}
FMAP_TCHAR_FN_ int fmap_fputts_(const WCHAR *s, FILE *out)
{
    static const WCHAR f[] = {'%', 's', 0};
    return fmap_ftprintf_(out, f, s);
}
FMAP_TCHAR_FN_ int fmap_putts_(const WCHAR *s)
{
    static const WCHAR f[] = {'%', 's', '\n', 0};
    return fmap_ftprintf_(stdout, f, s);
}


/* ---- more of the generic-text family (wide forms) ---- */
FMAP_TCHAR_FN_ WCHAR fmap_towlower_(WCHAR c)
{
    return (WCHAR)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}
FMAP_TCHAR_FN_ WCHAR fmap_towupper_(WCHAR c)
{
    return (WCHAR)(c >= 'a' && c <= 'z' ? c - 32 : c);
}
FMAP_TCHAR_FN_ int fmap_tcsnicmp_(const WCHAR *a, const WCHAR *b, size_t n)
{
    if (!a || !b) {
        errno = EINVAL;
        return _NLSCMPERROR;
    }
    for (size_t i = 0; i < n; i++) {
        WCHAR x = fmap_towlower_(a[i]), y = fmap_towlower_(b[i]);
        if (x != y || !x)
            return (int)x - (int)y;
    }
    return 0;
}
FMAP_TCHAR_FN_ int fmap_tcsicmp_(const WCHAR *a, const WCHAR *b)
{
    return fmap_tcsnicmp_(a, b, (size_t)-1);
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsncat_(WCHAR *d, const WCHAR *s, size_t n)
{
    WCHAR *e = d + fmap_tcslen_(d);
    size_t i = 0;
    for (; i < n && s[i]; i++)
        e[i] = s[i];
    e[i] = 0;
    return d;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsdup_(const WCHAR *s)
{
    if (!s)
        return NULL;
    size_t n = fmap_tcslen_(s) + 1;
    WCHAR *d = (WCHAR *)malloc(n * sizeof(WCHAR));
    if (d)
        memcpy(d, s, n * sizeof(WCHAR));
    return d;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcslwr_(WCHAR *s)
{
    for (WCHAR *p = s; p && *p; p++)
        *p = fmap_towlower_(*p);
    return s;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcsupr_(WCHAR *s)
{
    for (WCHAR *p = s; p && *p; p++)
        *p = fmap_towupper_(*p);
    return s;
}
FMAP_TCHAR_FN_ size_t fmap_tcsspn_(const WCHAR *s, const WCHAR *set)
{
    size_t n = 0;
    while (s[n] && fmap_tcschr_(set, s[n]))
        n++;
    return n;
}
FMAP_TCHAR_FN_ size_t fmap_tcscspn_(const WCHAR *s, const WCHAR *set)
{
    size_t n = 0;
    while (s[n] && !fmap_tcschr_(set, s[n]))
        n++;
    return n;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcstok_s_(WCHAR *s, const WCHAR *delim, WCHAR **ctx)
{
    if (!delim || !ctx || (!s && !*ctx)) {
        errno = EINVAL;
        return NULL;
    }
    if (!s)
        s = *ctx;
    s += fmap_tcsspn_(s, delim);
    if (!*s) {
        *ctx = s;
        return NULL;
    }
    WCHAR *e = s + fmap_tcscspn_(s, delim);
    if (*e)
        *e++ = 0;
    *ctx = e;
    return s;
}
FMAP_TCHAR_FN_ WCHAR *fmap_tcstok_(WCHAR *s, const WCHAR *delim)
{
    static __thread WCHAR *ctx;
    return fmap_tcstok_s_(s, delim, &ctx);
}

/* A WCHAR string as UTF-8 in a malloc'ed buffer (NULL for NULL or no memory). */
FMAP_TCHAR_FN_ char *fmap_narrow_(const WCHAR *s)
{
    if (!s)
        return NULL;
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tbuf_add_(&b, "", 0);
    fmap_tbuf_wide_(&b, s, (size_t)-1);
    return b.p;
}
/* The number at the start of s (ASCII digits, sign, 0x, spaces), for strtol and friends:
   converts the prefix that can belong to a number and maps the end pointer back. */
#define FMAP_TCSTO_(name, type, fn)                                                           \
    FMAP_TCHAR_FN_ type name(const WCHAR *s, WCHAR **end, int base)                           \
    {                                                                                         \
        char d[80];                                                                           \
        size_t i = 0;                                                                         \
        while (s[i] && s[i] < 128 && i < sizeof d - 1) {                                      \
            d[i] = (char)s[i];                                                                \
            i++;                                                                              \
        }                                                                                     \
        d[i] = 0;                                                                             \
        char *e;                                                                              \
        type v = fn(d, &e, base);                                                             \
        if (end)                                                                              \
            *end = (WCHAR *)s + (e - d);                                                      \
        return v;                                                                             \
    }
FMAP_TCSTO_(fmap_tcstol_, long, strtol)
FMAP_TCSTO_(fmap_tcstoul_, unsigned long, strtoul)
FMAP_TCSTO_(fmap_tcstoll_, long long, strtoll)
FMAP_TCSTO_(fmap_tcstoull_, unsigned long long, strtoull)
FMAP_TCHAR_FN_ double fmap_tcstod_(const WCHAR *s, WCHAR **end)
{
    char d[80];
    size_t i = 0;
    while (s[i] && s[i] < 128 && i < sizeof d - 1) {
        d[i] = (char)s[i];
        i++;
    }
    d[i] = 0;
    char *e;
    double v = strtod(d, &e);
    if (end)
        *end = (WCHAR *)s + (e - d);
    return v;
}
FMAP_TCHAR_FN_ long fmap_ttol_(const WCHAR *s)
{
    return fmap_tcstol_(s, NULL, 10);
}
FMAP_TCHAR_FN_ long long fmap_ttoi64_(const WCHAR *s)
{
    return fmap_tcstoll_(s, NULL, 10);
}
FMAP_TCHAR_FN_ double fmap_ttof_(const WCHAR *s)
{
    return fmap_tcstod_(s, NULL);
}

/* Narrow ASCII digits → WCHAR. */
FMAP_TCHAR_FN_ void fmap_widen_ascii_(WCHAR *d, const char *s)
{
    while ((*d++ = (WCHAR)(unsigned char)*s++))
        ;
}
FMAP_TCHAR_FN_ WCHAR *fmap_itot_(int v, WCHAR *buf, int radix)
{
    char d[72];
    if (!buf) {
        errno = EINVAL;
        return buf;
    }
    fmap_widen_ascii_(buf, _itoa(v, d, radix));
    return buf;
}
FMAP_TCHAR_FN_ WCHAR *fmap_i64tot_(long long v, WCHAR *buf, int radix)
{
    char d[72];
    if (!buf) {
        errno = EINVAL;
        return buf;
    }
    fmap_widen_ascii_(buf, _i64toa(v, d, radix));
    return buf;
}
FMAP_TCHAR_FN_ WCHAR *fmap_ui64tot_(unsigned long long v, WCHAR *buf, int radix)
{
    char d[72];
    if (!buf) {
        errno = EINVAL;
        return buf;
    }
    fmap_widen_ascii_(buf, _ui64toa(v, d, radix));
    return buf;
}
#define FMAP_XTOT_S_(name, type, narrow)                                                      \
    FMAP_TCHAR_FN_ errno_t name(type v, WCHAR *buf, size_t size, int radix)                   \
    {                                                                                         \
        char d[72];                                                                           \
        if (!buf || !size) {                                                                  \
            errno = EINVAL;                                                                   \
            return EINVAL;                                                                    \
        }                                                                                     \
        errno_t e = narrow(v, d, size < sizeof d ? size : sizeof d, radix);                   \
        if (e) {                                                                              \
            buf[0] = 0;                                                                       \
            return e;                                                                         \
        }                                                                                     \
        fmap_widen_ascii_(buf, d);                                                            \
        return 0;                                                                             \
    }
FMAP_XTOT_S_(fmap_itot_s_, int, _itoa_s)
FMAP_XTOT_S_(fmap_i64tot_s_, long long, _i64toa_s)
FMAP_XTOT_S_(fmap_ui64tot_s_, unsigned long long, _ui64toa_s)

/* wcscpy_s-style bounds-checked copies on WCHAR, with strcpy_s's rules. */
FMAP_TCHAR_FN_ errno_t fmap_tcsncpy_s_(WCHAR *d, size_t size, const WCHAR *s, size_t count)
{
    if (!count && !d && !size)
        return 0;
    if (!d || !size) {
        errno = EINVAL;
        return EINVAL;
    }
    if (!count) {
        d[0] = 0;
        return 0;
    }
    if (!s) {
        d[0] = 0;
        errno = EINVAL;
        return EINVAL;
    }
    size_t n = 0, max = count < size ? count : size;
    while (n < max && s[n])
        n++;
    if (n == size) {
        if (count == _TRUNCATE) {
            memmove(d, s, (size - 1) * sizeof(WCHAR));
            d[size - 1] = 0;
            return STRUNCATE;
        }
        d[0] = 0;
        errno = ERANGE;
        return ERANGE;
    }
    memmove(d, s, n * sizeof(WCHAR));
    d[n] = 0;
    return 0;
}
FMAP_TCHAR_FN_ errno_t fmap_tcscpy_s_(WCHAR *d, size_t size, const WCHAR *s)
{
    if (d && size && !s) {
        d[0] = 0;
        errno = EINVAL;
        return EINVAL;
    }
    return fmap_tcsncpy_s_(d, size, s, (size_t)-2);
}
FMAP_TCHAR_FN_ errno_t fmap_tcsncat_s_(WCHAR *d, size_t size, const WCHAR *s, size_t count)
{
    if (!count && !d && !size)
        return 0;
    if (!d || !size) {
        errno = EINVAL;
        return EINVAL;
    }
    size_t len = 0;
    while (len < size && d[len])
        len++;
    if (len == size || (!s && count)) {
        d[0] = 0;
        errno = EINVAL;
        return EINVAL;
    }
    if (!count)
        return 0;
    errno_t e = fmap_tcsncpy_s_(d + len, size - len, s, count);
    if (e == ERANGE)
        d[0] = 0;
    return e;
}
FMAP_TCHAR_FN_ errno_t fmap_tcscat_s_(WCHAR *d, size_t size, const WCHAR *s)
{
    return fmap_tcsncat_s_(d, size, s, (size_t)-2);
}

/* Formatting into a WCHAR buffer with sprintf_s's and _snprintf_s's rules. */
FMAP_TCHAR_FN_ int fmap_vstprintf_s_(WCHAR *buf, size_t size, const WCHAR *fmt, va_list ap)
{
    if (!buf || !size || !fmt) {
        if (buf && size)
            buf[0] = 0;
        errno = EINVAL;
        return -1;
    }
    int n = fmap_vsntprintf_(buf, size, fmt, ap);
    if (n < 0) {
        buf[0] = 0;
        errno = ERANGE;
    }
    return n;
}
FMAP_TCHAR_FN_ int fmap_stprintf_s_(WCHAR *buf, size_t size, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vstprintf_s_(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
FMAP_TCHAR_FN_ int fmap_vsntprintf_s_(WCHAR *buf, size_t size, size_t count, const WCHAR *fmt,
                                      va_list ap)
{
    if (!buf || !size || !fmt) {
        if (buf && size)
            buf[0] = 0;
        errno = EINVAL;
        return -1;
    }
    size_t cap = count == _TRUNCATE ? size : (count + 1 < size ? count + 1 : size);
    int n = fmap_vsntprintf_(buf, cap, fmt, ap);
    if (n < 0 && count != _TRUNCATE && count + 1 > size) {
        buf[0] = 0;
        errno = ERANGE;
    }
    return n;
}
FMAP_TCHAR_FN_ int fmap_sntprintf_s_(WCHAR *buf, size_t size, size_t count, const WCHAR *fmt,
                                     ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vsntprintf_s_(buf, size, count, fmt, ap);
    va_end(ap);
    return n;
}

/* Files with WCHAR paths (UTF-8 on disk). */
FMAP_TCHAR_FN_ FILE *fmap_tfopen_(const WCHAR *name, const WCHAR *mode)
{
    char *n = fmap_narrow_(name), *m = fmap_narrow_(mode);
    FILE *f = NULL;
    if (n && m) {
        if (fopen_s(&f, n, m) != 0)
            f = NULL;
    } else {
        errno = EINVAL;
    }
    free(n);
    free(m);
    return f;
}
FMAP_TCHAR_FN_ errno_t fmap_tfopen_s_(FILE **pf, const WCHAR *name, const WCHAR *mode)
{
    if (!pf || !name || !mode) {
        if (pf)
            *pf = NULL;
        errno = EINVAL;
        return EINVAL;
    }
    *pf = fmap_tfopen_(name, mode);
    return *pf ? 0 : errno;
}
FMAP_TCHAR_FN_ int fmap_tremove_(const WCHAR *name)
{
    char *n = fmap_narrow_(name);
    int r = n ? remove(n) : -1;
    free(n);
    return r;
}
/* fgets of one UTF-8 line into a WCHAR buffer of n units. */
FMAP_TCHAR_FN_ WCHAR *fmap_fgetts_(WCHAR *buf, int n, FILE *f)
{
    char line[1024];
    if (!buf || n <= 0 || !fgets(line, n < (int)sizeof line ? n : (int)sizeof line, f))
        return NULL;
    int k = MultiByteToWideChar(CP_UTF8, 0, line, -1, buf, n);
    if (k <= 0)
        buf[0] = 0;
    return buf;
}
FMAP_TCHAR_FN_ int fmap_fputtc_(WCHAR c, FILE *f)
{
    WCHAR s[2] = {c, 0};
    return fmap_fputts_(s, f) < 0 ? EOF : c;
}
FMAP_TCHAR_FN_ int fmap_puttchar_(WCHAR c)
{
    return fmap_fputtc_(c, stdout);
}

#endif /* FMAP_WIN32_WSTR_H */

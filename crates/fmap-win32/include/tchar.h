/*
 * tchar.h for fmap-win32: generic-text (TCHAR) names.
 *
 * Without _UNICODE (or UNICODE) they map to the C library (_tprintf = printf, _tcslen = strlen,
 * _tmain = main, ...). With it, TCHAR is the 16-bit WCHAR and the C library's wide functions
 * cannot be used (they assume a 32-bit wchar_t), so the names map to the implementations below:
 *   - _tprintf/_ftprintf/_vtprintf/_vftprintf print a WCHAR format as UTF-8 with Microsoft's
 *     wide-printf conventions: %s and %c take WCHAR strings/characters, %hs/%hc/%S/%C narrow
 *     ones, %ls/%ws/%lc/%wc wide ones; numbers as in C (also %I64d, %Iu);
 *   - _stprintf/_sntprintf format into a WCHAR buffer;
 *   - _tcslen, _tcscpy, _tcsncpy, _tcscat, _tcscmp, _tcsncmp, _tcschr, _tcsrchr, _tcsstr, _ttoi;
 *   - _tmain is wmain, and a weak main() converts the UTF-8 arguments to UTF-16 and calls it
 *     (C only; define FMAP_NO_WMAIN to write your own main).
 */
#ifndef FMAP_WIN32_TCHAR_H
#define FMAP_WIN32_TCHAR_H

#include "windows.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define _T(x) __TEXT(x)
#define _TEXT(x) __TEXT(x)

#ifndef _UNICODE

#define _tmain main
#define _tprintf printf
#define _ftprintf fprintf
#define _vtprintf vprintf
#define _vftprintf vfprintf
#define _stprintf sprintf
#define _sntprintf snprintf
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _ttoi atoi
#define _tstoi atoi
#define _puttchar putchar
#define _putts puts
#define _fputts fputs

#else /* _UNICODE */

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
    fmap_tbuf_ b = {0};
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
    fmap_tbuf_ b = {0};
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
    return fmap_ftprintf_(out, __TEXT("%s"), s);
}
FMAP_TCHAR_FN_ int fmap_putts_(const WCHAR *s)
{
    return fmap_ftprintf_(stdout, __TEXT("%s\n"), s);
}

#define _tprintf fmap_tprintf_
#define _ftprintf fmap_ftprintf_
#define _vtprintf fmap_vtprintf_
#define _vftprintf fmap_vftprintf_
#define _stprintf fmap_stprintf_
#define _sntprintf fmap_sntprintf_
#define _tcslen fmap_tcslen_
#define _tcscpy fmap_tcscpy_
#define _tcsncpy fmap_tcsncpy_
#define _tcscat fmap_tcscat_
#define _tcscmp fmap_tcscmp_
#define _tcsncmp fmap_tcsncmp_
#define _tcschr fmap_tcschr_
#define _tcsrchr fmap_tcsrchr_
#define _tcsstr fmap_tcsstr_
#define _ttoi fmap_ttoi_
#define _tstoi fmap_ttoi_
#define _fputts fmap_fputts_
#define _putts fmap_putts_

#if !defined(FMAP_NO_WMAIN) && !defined(__cplusplus)
#define _tmain wmain
/* The program's wmain, reached through another C name so that any wmain signature compiles. */
extern int fmap_wmain_(int, WCHAR **) __asm__("wmain") __attribute__((weak));
__attribute__((weak)) int main(int argc, char **argv)
{
    if (!fmap_wmain_) {
        fputs("fmap-win32: the program defines neither main nor wmain\n", stderr);
        return 1;
    }
    return fmap_wmain_(argc, FmapArgvW(argc, argv));
}
#endif

#endif /* _UNICODE */
#endif /* FMAP_WIN32_TCHAR_H */

/*
 * fmap_user32.h for fmap-win32: wsprintfA/W and wvsprintfA/W (static inline: variadic), included
 * by windows.h.
 *
 * user32's formatting, not the C runtime's: the output is at most 1024 characters with the NUL
 * (longer output is cut at 1023 and terminated; the buffer must hold 1024); the result is the
 * number of characters stored without the NUL. Types: c, C, d, i, u, x, X, s, S, p with the
 * flags -, #, 0, a width and a precision, and the h and l prefixes (also ll and I64); in
 * wsprintfA %s and %c are narrow and %S/%C wide, in wsprintfW the other way round (%hs and %ls
 * are narrow and wide in both). No floating point, as in Windows: %e, %f, %g, %a (and %n) print
 * their letter and consume no argument. buf or fmt NULL (a fault on Windows): -1,
 * ERROR_INVALID_PARAMETER, nothing written.
 */
#ifndef FMAP_WIN32_USER32_H
#define FMAP_WIN32_USER32_H

#include "fmap_wstr.h"

#define FMAP_WSPRINTF_MAX_ 1024

/* A wsprintf format (narrow or wide, as units) into a Microsoft wide-printf format of
   fmap_wstr.h: explicit h/l on s and c (so that their meaning is wsprintf's), float and %n
   conversions turned into their letter. */
FMAP_TCHAR_FN_ WCHAR *fmap_wsfmt_(const void *fmt, int wide)
{
    size_t n = 0;
    if (wide)
        n = fmap_tcslen_((const WCHAR *)fmt);
    else
        n = strlen((const char *)fmt);
    WCHAR *out = (WCHAR *)malloc((n * 2 + 1) * sizeof(WCHAR));
    if (!out)
        return NULL;
    size_t i = 0, o = 0;
#define FMAP_AT_(k) (wide ? (unsigned)((const WCHAR *)fmt)[k] : (unsigned)((const unsigned char *)fmt)[k])
    while (i < n) {
        unsigned c = FMAP_AT_(i);
        if (c != '%') {
            out[o++] = (WCHAR)c;
            i++;
            continue;
        }
        size_t start = i++;
        while (i < n && strchr("-+ #0123456789.*", (int)FMAP_AT_(i)) && FMAP_AT_(i))
            i++;
        size_t len_at = i;
        int has_h = 0, has_l = 0;
        while (i < n && (FMAP_AT_(i) == 'h' || FMAP_AT_(i) == 'l' || FMAP_AT_(i) == 'I' ||
                         (FMAP_AT_(i) >= '0' && FMAP_AT_(i) <= '9'))) {
            has_h |= FMAP_AT_(i) == 'h';
            has_l |= FMAP_AT_(i) == 'l';
            i++;
        }
        unsigned conv = i < n ? FMAP_AT_(i) : 0;
        if (!conv) {
            break;
        }
        i++;
        if (strchr("eEfFgGaAn", (int)conv)) {
            out[o++] = (WCHAR)conv; /* no floating point in wsprintf */
            continue;
        }
        for (size_t k = start; k < len_at; k++)
            out[o++] = (WCHAR)FMAP_AT_(k);
        if ((conv == 's' || conv == 'c' || conv == 'S' || conv == 'C') && !has_h && !has_l) {
            int upper = conv == 'S' || conv == 'C';
            int narrow = wide ? upper : !upper;
            out[o++] = narrow ? 'h' : 'l';
            out[o++] = (WCHAR)(conv | 0x20);
            continue;
        }
        for (size_t k = len_at; k < i; k++)
            out[o++] = (WCHAR)FMAP_AT_(k);
    }
#undef FMAP_AT_
    out[o] = 0;
    return out;
}

/* The formatted text as UTF-8 (malloc'ed; NULL on failure). */
FMAP_TCHAR_FN_ char *fmap_wsformat_(const void *fmt, int wide, va_list ap)
{
    WCHAR *f = fmap_wsfmt_(fmt, wide);
    if (!f)
        return NULL;
    fmap_tbuf_ b = {NULL, 0, 0};
    fmap_tformat_(&b, f, ap);
    free(f);
    return b.p;
}

static __attribute__((unused)) int WINAPI wvsprintfA(LPSTR buf, LPCSTR fmt, va_list ap)
{
    if (!buf || !fmt) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return -1;
    }
    char *s = fmap_wsformat_(fmt, 0, ap);
    if (!s) {
        buf[0] = 0;
        return 0;
    }
    size_t n = strlen(s);
    if (n > FMAP_WSPRINTF_MAX_ - 1)
        n = FMAP_WSPRINTF_MAX_ - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
    free(s);
    return (int)n;
}
static __attribute__((unused)) int WINAPI wvsprintfW(LPWSTR buf, LPCWSTR fmt, va_list ap)
{
    if (!buf || !fmt) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return -1;
    }
    char *s = fmap_wsformat_(fmt, 1, ap);
    if (!s) {
        buf[0] = 0;
        return 0;
    }
    WCHAR *w = (WCHAR *)malloc((strlen(s) + 1) * sizeof(WCHAR));
    int n = w ? MultiByteToWideChar(CP_UTF8, 0, s, -1, w, (int)strlen(s) + 1) - 1 : 0;
    if (n < 0)
        n = 0;
    if (n > FMAP_WSPRINTF_MAX_ - 1)
        n = FMAP_WSPRINTF_MAX_ - 1;
    if (w)
        memcpy(buf, w, (size_t)n * sizeof(WCHAR));
    buf[n] = 0;
    free(w);
    free(s);
    return n;
}
static __attribute__((unused)) int WINAPIV wsprintfA(LPSTR buf, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfA(buf, fmt, ap);
    va_end(ap);
    return n;
}
static __attribute__((unused)) int WINAPIV wsprintfW(LPWSTR buf, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = wvsprintfW(buf, fmt, ap);
    va_end(ap);
    return n;
}

#endif /* FMAP_WIN32_USER32_H */

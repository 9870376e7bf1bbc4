/*
 * fmap_crt.h for fmap-win32: the Microsoft C runtime's extras that glibc does not have.
 *
 * MSVC declares these in <string.h>, <stdio.h>, <stdlib.h>, <time.h>, <process.h>; here
 * windows.h, tchar.h, strsafe.h and the CRT headers of this directory (io.h, process.h,
 * direct.h, conio.h) include this file, so a program that includes any of them has them.
 *
 * Invalid parameters. Where the MSVC runtime calls its invalid parameter handler (which ends
 * the program by default), these functions return the documented error code with errno set
 * and make the documented change to the output (strcpy_s into a buffer that is too small stores
 * an empty string and returns ERANGE): what a program that installed a returning handler sees.
 *
 * The functions without a variable argument list are in libfmap_win32 (src/runtime/crt.rs,
 * spawn.rs); the variadic ones (sprintf_s, _snprintf, _spawnl, ...) are static inline below, as
 * stable Rust cannot define C variadic functions. The narrow printf-style functions here also
 * accept Microsoft's size prefixes (%I64d, %I32u, %Iu), which glibc's printf does not.
 *
 * In C++ the "secure template overloads" are provided as MSVC has them: strcpy_s(buf, src),
 * sprintf_s(buf, fmt, ...), _itoa_s(v, buf, radix), ... for arrays of known size.
 */
#ifndef FMAP_WIN32_CRT_H
#define FMAP_WIN32_CRT_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if !defined(va_copy) && defined(__va_copy)
#define va_copy(d, s) __va_copy(d, s)
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _ERRNO_T_DEFINED
#define _ERRNO_T_DEFINED
typedef int errno_t;
#endif
#ifndef _RSIZE_T_DEFINED
#define _RSIZE_T_DEFINED
typedef size_t rsize_t;
#endif
typedef int64_t __time64_t;
typedef int32_t __time32_t;

#ifndef __int64
#define __int64 long long
#endif
#ifndef __int32
#define __int32 int
#endif
#ifndef __int16
#define __int16 short
#endif
#ifndef __int8
#define __int8 char
#endif

#ifndef _TRUNCATE
#define _TRUNCATE ((size_t)-1)
#endif
#ifndef STRUNCATE
#define STRUNCATE 80
#endif
#define _NLSCMPERROR 2147483647
#ifndef _countof
#define _countof(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define _MAX_PATH 260
#define _MAX_DRIVE 3
#define _MAX_DIR 256
#define _MAX_FNAME 256
#define _MAX_EXT 256

/* process.h: _spawn modes and _cwait actions */
#define _P_WAIT 0
#define _P_NOWAIT 1
#define _P_OVERLAY 2
#define _P_NOWAITO 3
#define _P_DETACH 4
#define P_WAIT _P_WAIT
#define P_NOWAIT _P_NOWAIT
#define P_OVERLAY _P_OVERLAY
#define P_NOWAITO _P_NOWAITO
#define P_DETACH _P_DETACH
#define _WAIT_CHILD 0
#define _WAIT_GRANDCHILD 1
#define WAIT_CHILD _WAIT_CHILD
#define WAIT_GRANDCHILD _WAIT_GRANDCHILD

/* ---- in libfmap_win32 ---- */
errno_t strcpy_s(char *dst, rsize_t size, const char *src);
errno_t strcat_s(char *dst, rsize_t size, const char *src);
errno_t strncpy_s(char *dst, rsize_t size, const char *src, rsize_t count);
errno_t strncat_s(char *dst, rsize_t size, const char *src, rsize_t count);
errno_t memcpy_s(void *dst, rsize_t size, const void *src, rsize_t count);
errno_t memmove_s(void *dst, rsize_t size, const void *src, rsize_t count);
char *_itoa(int value, char *buf, int radix);
char *_ltoa(long value, char *buf, int radix);
char *_ultoa(unsigned long value, char *buf, int radix);
char *_i64toa(long long value, char *buf, int radix);
char *_ui64toa(unsigned long long value, char *buf, int radix);
errno_t _itoa_s(int value, char *buf, size_t size, int radix);
errno_t _ltoa_s(long value, char *buf, size_t size, int radix);
errno_t _ultoa_s(unsigned long value, char *buf, size_t size, int radix);
errno_t _i64toa_s(long long value, char *buf, size_t size, int radix);
errno_t _ui64toa_s(unsigned long long value, char *buf, size_t size, int radix);
errno_t localtime_s(struct tm *result, const time_t *t);
errno_t gmtime_s(struct tm *result, const time_t *t);
errno_t asctime_s(char *buf, size_t size, const struct tm *tm);
errno_t ctime_s(char *buf, size_t size, const time_t *t);
__time64_t _time64(__time64_t *t);
errno_t fopen_s(FILE **pf, const char *name, const char *mode);
errno_t _dupenv_s(char **buf, size_t *size, const char *name);
errno_t getenv_s(size_t *needed, char *buf, rsize_t size, const char *name);
int _getpid(void);
int _stricmp(const char *a, const char *b);
int _strnicmp(const char *a, const char *b, size_t n);
char *_strdup(const char *s);
char *_strlwr(char *s);
char *_strupr(char *s);
intptr_t _spawnv(int mode, const char *cmd, const char *const *argv);
intptr_t _spawnvp(int mode, const char *cmd, const char *const *argv);
intptr_t _cwait(int *status, intptr_t handle, int action);
int _kbhit(void);

#define itoa _itoa
#define ltoa _ltoa
#define ultoa _ultoa
#define stricmp _stricmp
#define strcmpi _stricmp
#define _strcmpi _stricmp
#define strnicmp _strnicmp
#define strlwr _strlwr
#define strupr _strupr
#define _atoi64(s) atoll(s)
#define _strtoi64(s, e, b) strtoll((s), (e), (b))
#define _strtoui64(s, e, b) strtoull((s), (e), (b))
#define _localtime64_s localtime_s
#define _gmtime64_s gmtime_s
#define _ctime64_s ctime_s
#define _localtime64(t) localtime(t)
#define _gmtime64(t) gmtime(t)
#define _mktime64(t) mktime(t)
#define _difftime64(a, b) difftime((a), (b))
#define printf_s printf
#define fprintf_s fprintf
#define vprintf_s vprintf
#define vfprintf_s vfprintf
#define _getch_nolock _getch

/* ---- inline: variadic functions and small helpers ---- */
#define FMAP_CRT_FN_ static inline __attribute__((unused))

/* strtok_s (= POSIX strtok_r, declared here as it is hidden in strict C modes). */
FMAP_CRT_FN_ char *strtok_s(char *s, const char *delim, char **context)
{
    if (!delim || !context || (!s && !*context)) {
        errno = EINVAL;
        return NULL;
    }
    if (!s)
        s = *context;
    s += strspn(s, delim);
    if (!*s) {
        *context = s;
        return NULL;
    }
    char *end = s + strcspn(s, delim);
    if (*end)
        *end++ = 0;
    *context = end;
    return s;
}

/* Microsoft's printf size prefixes → C99's: %I64d → %lld, %I32d → %d, %Id → %zd. Returns fmt
   itself when there is nothing to change, else a malloc'ed copy (free it with fmap_msfmt_free_). */
FMAP_CRT_FN_ const char *fmap_msfmt_(const char *fmt)
{
    const char *p = fmt;
    int need = 0;
    while ((p = strchr(p, '%')) != NULL) {
        p++;
        p += strspn(p, "-+ #0123456789.*hlLzjt");
        if (*p == 'I') {
            need = 1;
            break;
        }
        if (*p)
            p++;
    }
    if (!need)
        return fmt;
    size_t n = strlen(fmt);
    char *out = (char *)malloc(n * 2 + 1), *o = out;
    if (!out)
        return fmt;
    for (p = fmt; *p;) {
        if (*p != '%') {
            *o++ = *p++;
            continue;
        }
        *o++ = *p++;
        size_t k = strspn(p, "-+ #0123456789.*");
        memcpy(o, p, k);
        o += k;
        p += k;
        if (*p == '%') {
            *o++ = *p++;
        } else if (p[0] == 'I' && p[1] == '6' && p[2] == '4') {
            *o++ = 'l';
            *o++ = 'l';
            p += 3;
        } else if (p[0] == 'I' && p[1] == '3' && p[2] == '2') {
            p += 3;
        } else if (p[0] == 'I') {
            *o++ = 'z';
            p += 1;
        }
    }
    *o = 0;
    return out;
}
FMAP_CRT_FN_ void fmap_msfmt_free_(const char *fixed, const char *fmt)
{
    if (fixed != fmt)
        free((void *)fixed);
}

/* vsnprintf with Microsoft's format prefixes. */
FMAP_CRT_FN_ int fmap_vsnprintf_(char *buf, size_t size, const char *fmt, va_list ap)
{
    const char *f = fmap_msfmt_(fmt);
    int n = vsnprintf(buf, size, f, ap);
    fmap_msfmt_free_(f, fmt);
    return n;
}

/* The whole output in a malloc'ed string (NULL on failure); *len its length. */
FMAP_CRT_FN_ char *fmap_vasprintf_(size_t *len, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = fmap_vsnprintf_(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = (char *)malloc((size_t)n + 1);
    if (s)
        fmap_vsnprintf_(s, (size_t)n + 1, fmt, ap);
    *len = (size_t)n;
    return s;
}

/* vsprintf_s: buf NULL, size 0 or fmt NULL: -1, EINVAL; does not fit: buf[0] = 0, -1, ERANGE. */
FMAP_CRT_FN_ int vsprintf_s(char *buf, size_t size, const char *fmt, va_list ap)
{
    if (!buf || !size || !fmt) {
        if (buf && size)
            buf[0] = 0;
        errno = EINVAL;
        return -1;
    }
    int n = fmap_vsnprintf_(buf, size, fmt, ap);
    if (n < 0 || (size_t)n >= size) {
        buf[0] = 0;
        errno = n < 0 ? EINVAL : ERANGE;
        return -1;
    }
    return n;
}
FMAP_CRT_FN_ int sprintf_s(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf_s(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* _vsnprintf: at most count characters; the length if it fits (NUL-terminated if there is room
   for it), else count characters without a NUL and -1. */
FMAP_CRT_FN_ int _vsnprintf(char *buf, size_t count, const char *fmt, va_list ap)
{
    size_t n;
    if (!fmt || (!buf && count)) {
        errno = EINVAL;
        return -1;
    }
    char *s = fmap_vasprintf_(&n, fmt, ap);
    if (!s) {
        errno = EINVAL;
        return -1;
    }
    if (n < count) {
        memcpy(buf, s, n + 1);
    } else if (count) {
        memcpy(buf, s, count);
    }
    free(s);
    return n <= count ? (int)n : -1;
}
FMAP_CRT_FN_ int _snprintf(char *buf, size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnprintf(buf, count, fmt, ap);
    va_end(ap);
    return n;
}

/* _vsnprintf_s: at most count characters (_TRUNCATE: as many as fit) and always a NUL. Output
   longer than count: truncated, -1. count characters and the NUL do not fit in size: buf[0] = 0,
   -1, ERANGE (with _TRUNCATE: truncated to size - 1, -1). buf NULL, size 0, fmt NULL: EINVAL. */
FMAP_CRT_FN_ int _vsnprintf_s(char *buf, size_t size, size_t count, const char *fmt, va_list ap)
{
    size_t n;
    if (!buf && !size && !count)
        return 0;
    if (!buf || !size || !fmt) {
        if (buf && size)
            buf[0] = 0;
        errno = EINVAL;
        return -1;
    }
    char *s = fmap_vasprintf_(&n, fmt, ap);
    if (!s) {
        buf[0] = 0;
        errno = EINVAL;
        return -1;
    }
    int r;
    if (count == _TRUNCATE) {
        size_t m = n < size ? n : size - 1;
        memcpy(buf, s, m);
        buf[m] = 0;
        r = n < size ? (int)n : -1;
    } else if (n <= count) {
        if (n >= size) {
            buf[0] = 0;
            errno = ERANGE;
            r = -1;
        } else {
            memcpy(buf, s, n + 1);
            r = (int)n;
        }
    } else if (count >= size) {
        buf[0] = 0;
        errno = ERANGE;
        r = -1;
    } else {
        memcpy(buf, s, count);
        buf[count] = 0;
        r = -1;
    }
    free(s);
    return r;
}
FMAP_CRT_FN_ int _snprintf_s(char *buf, size_t size, size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnprintf_s(buf, size, count, fmt, ap);
    va_end(ap);
    return n;
}
#define vsnprintf_s _vsnprintf_s

/* _spawnl, _spawnlp: the argument list (ending with NULL) as an argv for _spawnv(p). */
FMAP_CRT_FN_ intptr_t fmap_spawnl_(int search, int mode, const char *cmd, const char *arg0,
                                   va_list ap)
{
    va_list ap2;
    size_t n = 1;
    va_copy(ap2, ap);
    if (arg0)
        while (va_arg(ap2, const char *))
            n++;
    va_end(ap2);
    const char **argv = (const char **)malloc((n + 1) * sizeof *argv);
    if (!argv) {
        errno = ENOMEM;
        return -1;
    }
    argv[0] = arg0;
    for (size_t i = 1; i < n; i++)
        argv[i] = va_arg(ap, const char *);
    argv[n] = NULL;
    intptr_t r = search ? _spawnvp(mode, cmd, argv) : _spawnv(mode, cmd, argv);
    int e = errno;
    free(argv);
    errno = e;
    return r;
}
FMAP_CRT_FN_ intptr_t _spawnl(int mode, const char *cmd, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    intptr_t r = fmap_spawnl_(0, mode, cmd, arg0, ap);
    va_end(ap);
    return r;
}
FMAP_CRT_FN_ intptr_t _spawnlp(int mode, const char *cmd, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    intptr_t r = fmap_spawnl_(1, mode, cmd, arg0, ap);
    va_end(ap);
    return r;
}
#define spawnl _spawnl
#define spawnlp _spawnlp
#define spawnv _spawnv
#define spawnvp _spawnvp
#define cwait _cwait

#ifdef __cplusplus
} /* extern "C" */

/* MSVC's secure template overloads: the size of an array argument is taken from its type. */
extern "C++" {
template <size_t N> inline errno_t strcpy_s(char (&dst)[N], const char *src)
{
    return strcpy_s(dst, N, src);
}
template <size_t N> inline errno_t strcat_s(char (&dst)[N], const char *src)
{
    return strcat_s(dst, N, src);
}
template <size_t N> inline errno_t strncpy_s(char (&dst)[N], const char *src, size_t count)
{
    return strncpy_s(dst, N, src, count);
}
template <size_t N> inline errno_t strncat_s(char (&dst)[N], const char *src, size_t count)
{
    return strncat_s(dst, N, src, count);
}
template <size_t N> inline errno_t _itoa_s(int v, char (&buf)[N], int radix)
{
    return _itoa_s(v, buf, N, radix);
}
template <size_t N> inline errno_t _ltoa_s(long v, char (&buf)[N], int radix)
{
    return _ltoa_s(v, buf, N, radix);
}
template <size_t N> inline errno_t _ultoa_s(unsigned long v, char (&buf)[N], int radix)
{
    return _ultoa_s(v, buf, N, radix);
}
template <size_t N> inline errno_t _i64toa_s(long long v, char (&buf)[N], int radix)
{
    return _i64toa_s(v, buf, N, radix);
}
template <size_t N> inline errno_t _ui64toa_s(unsigned long long v, char (&buf)[N], int radix)
{
    return _ui64toa_s(v, buf, N, radix);
}
template <size_t N> inline errno_t asctime_s(char (&buf)[N], const struct tm *tm)
{
    return asctime_s(buf, N, tm);
}
template <size_t N> inline errno_t ctime_s(char (&buf)[N], const time_t *t)
{
    return ctime_s(buf, N, t);
}
template <size_t N> inline int vsprintf_s(char (&buf)[N], const char *fmt, va_list ap)
{
    return vsprintf_s(buf, N, fmt, ap);
}
template <size_t N> inline int sprintf_s(char (&buf)[N], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf_s(buf, N, fmt, ap);
    va_end(ap);
    return n;
}
template <size_t N>
inline int _vsnprintf_s(char (&buf)[N], size_t count, const char *fmt, va_list ap)
{
    return _vsnprintf_s(buf, N, count, fmt, ap);
}
template <size_t N> inline int _snprintf_s(char (&buf)[N], size_t count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = _vsnprintf_s(buf, N, count, fmt, ap);
    va_end(ap);
    return n;
}
template <size_t N>
inline errno_t getenv_s(size_t *needed, char (&buf)[N], const char *name)
{
    return getenv_s(needed, buf, N, name);
}
}
#endif /* __cplusplus */

#endif /* FMAP_WIN32_CRT_H */

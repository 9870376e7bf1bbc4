/*
 * tchar.h for fmap-win32: generic-text (TCHAR) names.
 *
 * Without _UNICODE (or UNICODE) they map to the C library and the MSVC runtime's extras of
 * fmap_crt.h (_tprintf = printf, _tcscpy_s = strcpy_s, _itot = _itoa, _tmain = main, ...).
 * With it, TCHAR is the 16-bit WCHAR, whose strings the C library's wide functions cannot take
 * (they assume a 32-bit wchar_t), so the names map to the implementations of fmap_wstr.h:
 *   - _tprintf/_ftprintf/_vtprintf/_vftprintf print a WCHAR format as UTF-8 with Microsoft's
 *     wide-printf conventions: %s and %c take WCHAR strings/characters, %hs/%hc/%S/%C narrow
 *     ones, %ls/%ws/%lc/%wc wide ones; numbers as in C (also %I64d, %Iu);
 *   - _stprintf/_sntprintf/_stprintf_s/_sntprintf_s format into a WCHAR buffer;
 *   - _tcslen, _tcscpy(_s), _tcsncpy(_s), _tcscat(_s), _tcsncat(_s), _tcscmp, _tcsncmp,
 *     _tcsicmp, _tcsnicmp, _tcschr, _tcsrchr, _tcsstr, _tcsspn, _tcscspn, _tcstok(_s), _tcsdup,
 *     _tcslwr, _tcsupr, _ttoi, _ttol, _ttoi64, _ttof, _tcstol, _tcstoul, _tcstod, _itot(_s),
 *     _i64tot(_s), _ui64tot(_s), _totlower, _totupper, _istdigit, ..., _tfopen(_s), _tremove,
 *     _fgetts, _fputts, _putts, _fputtc, _puttchar.
 *
 * The entry point. _tmain is main without UNICODE and wmain with it. A program's wmain (or
 * _tmain under UNICODE) gets a main, written by the wmain macro just before the function, that
 * converts the UTF-8 arguments to UTF-16 and calls it, in C and in C++ (C++: wmain(int,
 * TCHAR**), wmain(int, TCHAR**, TCHAR**) or wmain(void)). Nothing else is defined, so a file
 * with its own main (int main(void) included) compiles under UNICODE too. Define
 * FMAP_NO_WMAIN to keep the name wmain for your own use.
 */
#ifndef FMAP_WIN32_TCHAR_H
#define FMAP_WIN32_TCHAR_H

#include "windows.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define _T(x) __TEXT(x)
#define _TEXT(x) __TEXT(x)

typedef TCHAR _TCHAR;
typedef TCHAR _TSCHAR;
typedef TCHAR _TXCHAR;
#ifdef _UNICODE
typedef WCHAR _TUCHAR;
#else
typedef unsigned char _TUCHAR;
#endif
typedef int _TINT;

#ifndef _UNICODE

#define _TEOF EOF
#define _tprintf printf
#define _ftprintf fprintf
#define _vtprintf vprintf
#define _vftprintf vfprintf
#define _stprintf sprintf
#define _sntprintf _snprintf
#define _vstprintf vsprintf
#define _vsntprintf _vsnprintf
#define _stprintf_s sprintf_s
#define _sntprintf_s _snprintf_s
#define _vstprintf_s vsprintf_s
#define _vsntprintf_s _vsnprintf_s
#define _tprintf_s printf
#define _ftprintf_s fprintf
#define _tcslen strlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscpy_s strcpy_s
#define _tcsncpy_s strncpy_s
#define _tcscat_s strcat_s
#define _tcsncat_s strncat_s
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp _stricmp
#define _tcsnicmp _strnicmp
#define _tcscmpi _stricmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcsspn strspn
#define _tcscspn strcspn
#define _tcstok strtok
#define _tcstok_s strtok_s
#define _tcsdup _strdup
#define _tcslwr _strlwr
#define _tcsupr _strupr
#define _ttoi atoi
#define _tstoi atoi
#define _ttol atol
#define _tstol atol
#define _ttoi64 _atoi64
#define _tstoi64 _atoi64
#define _ttof atof
#define _tstof atof
#define _tcstol strtol
#define _tcstoul strtoul
#define _tcstoi64 _strtoi64
#define _tcstoui64 _strtoui64
#define _tcstod strtod
#define _itot _itoa
#define _itot_s _itoa_s
#define _ltot _ltoa
#define _ltot_s _ltoa_s
#define _i64tot _i64toa
#define _i64tot_s _i64toa_s
#define _ui64tot _ui64toa
#define _ui64tot_s _ui64toa_s
#define _totlower tolower
#define _totupper toupper
#define _istdigit isdigit
#define _istxdigit isxdigit
#define _istspace isspace
#define _istalpha isalpha
#define _istalnum isalnum
#define _istupper isupper
#define _istlower islower
#define _istprint isprint
#define _istpunct ispunct
#define _tfopen fopen
#define _tfopen_s fopen_s
#define _tremove remove
#define _tunlink remove
#define _tgetenv getenv
#define _tsystem system
#define _fgetts fgets
#define _fputts fputs
#define _fputtc fputc
#define _puttchar putchar
#define _putts puts
#define _tmain main

#else /* _UNICODE */

#include "fmap_wstr.h"

#define _TEOF 0xFFFF
#define _tprintf fmap_tprintf_
#define _ftprintf fmap_ftprintf_
#define _vtprintf fmap_vtprintf_
#define _vftprintf fmap_vftprintf_
#define _tprintf_s fmap_tprintf_
#define _ftprintf_s fmap_ftprintf_
#define _stprintf fmap_stprintf_
#define _sntprintf fmap_sntprintf_
#define _vsntprintf fmap_vsntprintf_
#define _stprintf_s fmap_stprintf_s_
#define _sntprintf_s fmap_sntprintf_s_
#define _vstprintf_s fmap_vstprintf_s_
#define _vsntprintf_s fmap_vsntprintf_s_
#define _tcslen fmap_tcslen_
#define _tcscpy fmap_tcscpy_
#define _tcsncpy fmap_tcsncpy_
#define _tcscat fmap_tcscat_
#define _tcsncat fmap_tcsncat_
#define _tcscpy_s fmap_tcscpy_s_
#define _tcsncpy_s fmap_tcsncpy_s_
#define _tcscat_s fmap_tcscat_s_
#define _tcsncat_s fmap_tcsncat_s_
#define _tcscmp fmap_tcscmp_
#define _tcsncmp fmap_tcsncmp_
#define _tcsicmp fmap_tcsicmp_
#define _tcsnicmp fmap_tcsnicmp_
#define _tcscmpi fmap_tcsicmp_
#define _tcschr fmap_tcschr_
#define _tcsrchr fmap_tcsrchr_
#define _tcsstr fmap_tcsstr_
#define _tcsspn fmap_tcsspn_
#define _tcscspn fmap_tcscspn_
#define _tcstok fmap_tcstok_
#define _tcstok_s fmap_tcstok_s_
#define _tcsdup fmap_tcsdup_
#define _tcslwr fmap_tcslwr_
#define _tcsupr fmap_tcsupr_
#define _ttoi fmap_ttoi_
#define _tstoi fmap_ttoi_
#define _ttol fmap_ttol_
#define _tstol fmap_ttol_
#define _ttoi64 fmap_ttoi64_
#define _tstoi64 fmap_ttoi64_
#define _ttof fmap_ttof_
#define _tstof fmap_ttof_
#define _tcstol fmap_tcstol_
#define _tcstoul fmap_tcstoul_
#define _tcstoi64 fmap_tcstoll_
#define _tcstoui64 fmap_tcstoull_
#define _tcstod fmap_tcstod_
#define _itot fmap_itot_
#define _itot_s fmap_itot_s_
#define _i64tot fmap_i64tot_
#define _i64tot_s fmap_i64tot_s_
#define _ui64tot fmap_ui64tot_
#define _ui64tot_s fmap_ui64tot_s_
#define _totlower fmap_towlower_
#define _totupper fmap_towupper_
#define _istdigit(c) ((c) >= '0' && (c) <= '9')
#define _istxdigit(c) (_istdigit(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define _istspace(c) ((c) == ' ' || ((c) >= 9 && (c) <= 13))
#define _istupper(c) ((c) >= 'A' && (c) <= 'Z')
#define _istlower(c) ((c) >= 'a' && (c) <= 'z')
#define _istalpha(c) (_istupper(c) || _istlower(c))
#define _istalnum(c) (_istalpha(c) || _istdigit(c))
#define _istprint(c) ((c) >= 0x20 && (c) != 0x7F)
#define _tfopen fmap_tfopen_
#define _tfopen_s fmap_tfopen_s_
#define _tremove fmap_tremove_
#define _tunlink fmap_tremove_
#define _fgetts fmap_fgetts_
#define _fputts fmap_fputts_
#define _fputtc fmap_fputtc_
#define _puttchar fmap_puttchar_
#define _putts fmap_putts_
#define _tmain wmain

#ifdef __cplusplus
/* MSVC's secure template overloads for the wide _s names. */
extern "C++" {
template <size_t N> inline errno_t fmap_tcscpy_s_(WCHAR (&d)[N], const WCHAR *s)
{
    return fmap_tcscpy_s_(d, N, s);
}
template <size_t N> inline errno_t fmap_tcscat_s_(WCHAR (&d)[N], const WCHAR *s)
{
    return fmap_tcscat_s_(d, N, s);
}
template <size_t N> inline errno_t fmap_tcsncpy_s_(WCHAR (&d)[N], const WCHAR *s, size_t n)
{
    return fmap_tcsncpy_s_(d, N, s, n);
}
template <size_t N> inline errno_t fmap_itot_s_(int v, WCHAR (&d)[N], int radix)
{
    return fmap_itot_s_(v, d, N, radix);
}
template <size_t N> inline int fmap_stprintf_s_(WCHAR (&d)[N], const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmap_vstprintf_s_(d, N, fmt, ap);
    va_end(ap);
    return n;
}
}
#endif

#endif /* _UNICODE */

/* ---- wmain (and _tmain under UNICODE): the main that runs it ---- */
#ifndef FMAP_NO_WMAIN
#ifdef __cplusplus
extern "C" char **environ; /* C linkage, as <unistd.h> declares it (included later or not) */
#else
extern char **environ;
#endif
#ifdef __cplusplus
extern "C++" {
int fmap_wmain_(int, WCHAR **) __attribute__((weak));
int fmap_wmain_(int, WCHAR **, WCHAR **) __attribute__((weak));
int fmap_wmain_(void) __attribute__((weak));
}
#else
extern int fmap_wmain_call_(int, WCHAR **, WCHAR **) __asm__("fmap_wmain_");
#endif
static inline __attribute__((unused)) int fmap_run_wmain_(int argc, char **argv)
{
    int envc = 0;
    while (environ && environ[envc])
        envc++;
    WCHAR **wargv = FmapArgvW(argc, argv);
    WCHAR **wenv = FmapArgvW(envc, environ);
#ifdef __cplusplus
    int (*f2)(int, WCHAR **) = fmap_wmain_;
    int (*f3)(int, WCHAR **, WCHAR **) = fmap_wmain_;
    int (*f0)(void) = fmap_wmain_;
    if (f2)
        return f2(argc, wargv);
    if (f3)
        return f3(argc, wargv, wenv);
    if (f0)
        return f0();
    fputs("fmap-win32: wmain must be int wmain(int, TCHAR **), int wmain(int, TCHAR **, TCHAR **)"
          " or int wmain(void) (TCHAR is WCHAR: build with -fshort-wchar for wchar_t)\n",
          stderr);
    return 1;
#else
    return fmap_wmain_call_(argc, wargv, wenv);
#endif
}
/* `int wmain(...) {...}` becomes `int main(int, char **) {...} int fmap_wmain_(...) {...}`. */
#define wmain                                                                                 \
    main(int fmap_argc_, char **fmap_argv_)                                                   \
    {                                                                                         \
        return fmap_run_wmain_(fmap_argc_, fmap_argv_);                                       \
    }                                                                                         \
    int fmap_wmain_
#endif /* FMAP_NO_WMAIN */

#endif /* FMAP_WIN32_TCHAR_H */

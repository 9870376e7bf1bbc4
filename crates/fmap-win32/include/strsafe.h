/*
 * strsafe.h for fmap-win32: the StrSafe string functions, A and W and generic (T) names.
 *
 *   StringCchCopy, StringCchCopyN, StringCchCat, StringCchCatN, StringCchLength,
 *   StringCchPrintf, StringCchVPrintf and the StringCb forms (sizes in bytes).
 *
 * As Microsoft's: S_OK; a result that does not fit is truncated (always NUL-terminated) and
 * STRSAFE_E_INSUFFICIENT_BUFFER returned; a size of 0 or above STRSAFE_MAX_CCH, or a Cat
 * destination with no NUL within its size, is STRSAFE_E_INVALID_PARAMETER. Microsoft's do not
 * check for NULL; these return STRSAFE_E_INVALID_PARAMETER (and store an empty string if they
 * can). The W printf forms follow Microsoft's wide printf (%s is a WCHAR string, %hs a narrow
 * one); the A forms also accept %I64d. Not provided: the Ex forms, StringCchGets,
 * StringCchCopyNEx and the other Ex functions.
 */
#ifndef FMAP_WIN32_STRSAFE_H
#define FMAP_WIN32_STRSAFE_H

#include "windows.h"
#include "fmap_wstr.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057L)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026L)
typedef char *STRSAFE_LPSTR;
typedef const char *STRSAFE_LPCSTR;
typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;

HRESULT StringCchCopyA(LPSTR dst, size_t cch, LPCSTR src);
HRESULT StringCchCopyW(LPWSTR dst, size_t cch, LPCWSTR src);
HRESULT StringCchCopyNA(LPSTR dst, size_t cch, LPCSTR src, size_t n);
HRESULT StringCchCopyNW(LPWSTR dst, size_t cch, LPCWSTR src, size_t n);
HRESULT StringCchCatA(LPSTR dst, size_t cch, LPCSTR src);
HRESULT StringCchCatW(LPWSTR dst, size_t cch, LPCWSTR src);
HRESULT StringCchCatNA(LPSTR dst, size_t cch, LPCSTR src, size_t n);
HRESULT StringCchCatNW(LPWSTR dst, size_t cch, LPCWSTR src, size_t n);
HRESULT StringCchLengthA(LPCSTR s, size_t max, size_t *len);
HRESULT StringCchLengthW(LPCWSTR s, size_t max, size_t *len);
HRESULT StringCbCopyA(LPSTR dst, size_t cb, LPCSTR src);
HRESULT StringCbCopyW(LPWSTR dst, size_t cb, LPCWSTR src);
HRESULT StringCbCopyNA(LPSTR dst, size_t cb, LPCSTR src, size_t cb_src);
HRESULT StringCbCopyNW(LPWSTR dst, size_t cb, LPCWSTR src, size_t cb_src);
HRESULT StringCbCatA(LPSTR dst, size_t cb, LPCSTR src);
HRESULT StringCbCatW(LPWSTR dst, size_t cb, LPCWSTR src);
HRESULT StringCbCatNA(LPSTR dst, size_t cb, LPCSTR src, size_t cb_src);
HRESULT StringCbCatNW(LPWSTR dst, size_t cb, LPCWSTR src, size_t cb_src);
HRESULT StringCbLengthA(LPCSTR s, size_t cb_max, size_t *len);
HRESULT StringCbLengthW(LPCWSTR s, size_t cb_max, size_t *len);

#define FMAP_STRSAFE_FN_ static inline __attribute__((unused))

FMAP_STRSAFE_FN_ HRESULT StringCchVPrintfA(LPSTR dst, size_t cch, LPCSTR fmt, va_list ap)
{
    if (!dst || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    if (!fmt) {
        dst[0] = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    int n = fmap_vsnprintf_(dst, cch, fmt, ap);
    if (n < 0) {
        dst[0] = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return (size_t)n >= cch ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}
FMAP_STRSAFE_FN_ HRESULT StringCchVPrintfW(LPWSTR dst, size_t cch, LPCWSTR fmt, va_list ap)
{
    if (!dst || cch == 0 || cch > STRSAFE_MAX_CCH)
        return STRSAFE_E_INVALID_PARAMETER;
    if (!fmt) {
        dst[0] = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    return fmap_vsntprintf_(dst, cch, fmt, ap) < 0 ? STRSAFE_E_INSUFFICIENT_BUFFER : S_OK;
}
FMAP_STRSAFE_FN_ HRESULT StringCchPrintfA(LPSTR dst, size_t cch, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfA(dst, cch, fmt, ap);
    va_end(ap);
    return hr;
}
FMAP_STRSAFE_FN_ HRESULT StringCchPrintfW(LPWSTR dst, size_t cch, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfW(dst, cch, fmt, ap);
    va_end(ap);
    return hr;
}
FMAP_STRSAFE_FN_ HRESULT StringCbVPrintfA(LPSTR dst, size_t cb, LPCSTR fmt, va_list ap)
{
    return StringCchVPrintfA(dst, cb, fmt, ap);
}
FMAP_STRSAFE_FN_ HRESULT StringCbVPrintfW(LPWSTR dst, size_t cb, LPCWSTR fmt, va_list ap)
{
    return StringCchVPrintfW(dst, cb / sizeof(WCHAR), fmt, ap);
}
FMAP_STRSAFE_FN_ HRESULT StringCbPrintfA(LPSTR dst, size_t cb, LPCSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfA(dst, cb, fmt, ap);
    va_end(ap);
    return hr;
}
FMAP_STRSAFE_FN_ HRESULT StringCbPrintfW(LPWSTR dst, size_t cb, LPCWSTR fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    HRESULT hr = StringCchVPrintfW(dst, cb / sizeof(WCHAR), fmt, ap);
    va_end(ap);
    return hr;
}

#ifdef __cplusplus
}
#endif

#ifdef UNICODE
#define StringCchCopy StringCchCopyW
#define StringCchCopyN StringCchCopyNW
#define StringCchCat StringCchCatW
#define StringCchCatN StringCchCatNW
#define StringCchLength StringCchLengthW
#define StringCchPrintf StringCchPrintfW
#define StringCchVPrintf StringCchVPrintfW
#define StringCbCopy StringCbCopyW
#define StringCbCopyN StringCbCopyNW
#define StringCbCat StringCbCatW
#define StringCbCatN StringCbCatNW
#define StringCbLength StringCbLengthW
#define StringCbPrintf StringCbPrintfW
#define StringCbVPrintf StringCbVPrintfW
#else
#define StringCchCopy StringCchCopyA
#define StringCchCopyN StringCchCopyNA
#define StringCchCat StringCchCatA
#define StringCchCatN StringCchCatNA
#define StringCchLength StringCchLengthA
#define StringCchPrintf StringCchPrintfA
#define StringCchVPrintf StringCchVPrintfA
#define StringCbCopy StringCbCopyA
#define StringCbCopyN StringCbCopyNA
#define StringCbCat StringCbCatA
#define StringCbCatN StringCbCatNA
#define StringCbLength StringCbLengthA
#define StringCbPrintf StringCbPrintfA
#define StringCbVPrintf StringCbVPrintfA
#endif

#endif /* FMAP_WIN32_STRSAFE_H */

/* winternl.h for fmap-win32: the NT types programs take from it (NTSTATUS, UNICODE_STRING).
 * The Nt/Rtl functions are not provided (see the README). */
#ifndef FMAP_WIN32_WINTERNL_H
#define FMAP_WIN32_WINTERNL_H
#include "windows.h"
#ifdef __cplusplus
extern "C" {
#endif
typedef LONG NTSTATUS;
#define NT_SUCCESS(status) (((NTSTATUS)(status)) >= 0)
#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif
typedef struct _UNICODE_STRING {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;
#ifdef __cplusplus
}
#endif
#endif

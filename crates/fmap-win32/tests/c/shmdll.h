#ifndef SHMDLL_H
#define SHMDLL_H
#include <windows.h>
#ifdef __cplusplus
extern "C" {
#endif
#define SHMDLL_API __declspec(dllexport)
SHMDLL_API BOOL SetSharedMem(LPCTSTR lpszBuf);
SHMDLL_API BOOL GetSharedMem(LPTSTR lpszBuf, DWORD cchSize);
typedef BOOL (*GETSHAREDMEM)(LPTSTR, DWORD);
#ifdef __cplusplus
}
#endif
#endif

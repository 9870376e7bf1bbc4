/* psapi.h for fmap-win32: the process status API. Its functions (EnumProcesses, GetModuleFileNameEx,
 * GetProcessMemoryInfo) are not provided (see the README); the header gives the rest of the
 * Win32 API, which is what most includers use. */
#ifndef FMAP_WIN32_PSAPI_H
#define FMAP_WIN32_PSAPI_H
#include "windows.h"
#endif

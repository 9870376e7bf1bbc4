/* processthreadsapi.h for fmap-win32: threads and processes (in windows.h). */
#ifndef FMAP_WIN32_PROCESSTHREADSAPI_H
#define FMAP_WIN32_PROCESSTHREADSAPI_H
#include "windows.h"
#endif

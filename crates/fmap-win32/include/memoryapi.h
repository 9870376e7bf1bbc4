/* memoryapi.h for fmap-win32: file mappings and views (in windows.h). */
#ifndef FMAP_WIN32_MEMORYAPI_H
#define FMAP_WIN32_MEMORYAPI_H
#include "windows.h"
#endif

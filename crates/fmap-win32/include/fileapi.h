/* fileapi.h for fmap-win32: files (in windows.h). */
#ifndef FMAP_WIN32_FILEAPI_H
#define FMAP_WIN32_FILEAPI_H
#include "windows.h"
#endif

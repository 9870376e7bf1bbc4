/* handleapi.h for fmap-win32: CloseHandle, DuplicateHandle (in windows.h). */
#ifndef FMAP_WIN32_HANDLEAPI_H
#define FMAP_WIN32_HANDLEAPI_H
#include "windows.h"
#endif

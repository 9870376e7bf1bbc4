/* winbase.h for fmap-win32: the kernel32 base API (all of it is in windows.h). */
#ifndef FMAP_WIN32_WINBASE_H
#define FMAP_WIN32_WINBASE_H
#include "windows.h"
#endif

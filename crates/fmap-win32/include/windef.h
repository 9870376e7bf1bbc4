/* windef.h for fmap-win32: the basic types (in windows.h). */
#ifndef FMAP_WIN32_WINDEF_H
#define FMAP_WIN32_WINDEF_H
#include "windows.h"
#endif

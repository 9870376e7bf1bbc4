/* minwindef.h for fmap-win32: the basic types (in windows.h). */
#ifndef FMAP_WIN32_MINWINDEF_H
#define FMAP_WIN32_MINWINDEF_H
#include "windows.h"
#endif

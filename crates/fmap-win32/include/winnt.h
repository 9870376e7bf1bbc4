/* winnt.h for fmap-win32: the basic types, access rights and constants (all in windows.h). */
#ifndef FMAP_WIN32_WINNT_H
#define FMAP_WIN32_WINNT_H
#include "windows.h"
#endif

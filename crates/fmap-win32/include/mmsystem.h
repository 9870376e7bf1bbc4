/* mmsystem.h for fmap-win32: only the timer part (timeapi.h). */
#ifndef FMAP_WIN32_MMSYSTEM_H
#define FMAP_WIN32_MMSYSTEM_H
#include "timeapi.h"
#endif

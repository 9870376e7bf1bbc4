/* synchapi.h for fmap-win32: mutexes, events, semaphores and waits (in windows.h). */
#ifndef FMAP_WIN32_SYNCHAPI_H
#define FMAP_WIN32_SYNCHAPI_H
#include "windows.h"
#endif

/* timeapi.h for fmap-win32: the multimedia timer types. timeBeginPeriod/timeEndPeriod and
 * timeGetTime are not provided yet (see the README). */
#ifndef FMAP_WIN32_TIMEAPI_H
#define FMAP_WIN32_TIMEAPI_H
#include "windows.h"
typedef UINT MMRESULT;
#define TIMERR_NOERROR 0
#define TIMERR_NOCANDO 97
#endif

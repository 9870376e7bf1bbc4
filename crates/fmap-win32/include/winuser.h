/* winuser.h for fmap-win32: the user32 calls console programs make (MessageBox, wsprintf, the
   MB_ and ID constants), all in windows.h. */
#ifndef FMAP_WIN32_WINUSER_H
#define FMAP_WIN32_WINUSER_H
#include "windows.h"
#endif

/* <Winuser.h>: the same header as <winuser.h> (file names are case-sensitive on Linux). */
#include "winuser.h"

/* <Winbase.h>: the same header as <winbase.h> (file names are case-sensitive on Linux). */
#include "winbase.h"

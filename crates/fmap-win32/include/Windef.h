/* <Windef.h>: the same header as <windef.h> (file names are case-sensitive on Linux). */
#include "windef.h"

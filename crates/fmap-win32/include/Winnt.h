/* <Winnt.h>: the same header as <winnt.h> (file names are case-sensitive on Linux). */
#include "winnt.h"

/* <Direct.h>: the same header as <direct.h> (file names are case-sensitive on Linux). */
#include "direct.h"

/* <MMSystem.h>: the same header as <mmsystem.h> (file names are case-sensitive on Linux). */
#include "mmsystem.h"

/* <Timeapi.h>: the same header as <timeapi.h> (file names are case-sensitive on Linux). */
#include "timeapi.h"

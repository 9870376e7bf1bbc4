/* <Minwindef.h>: the same header as <minwindef.h> (file names are case-sensitive on Linux). */
#include "minwindef.h"

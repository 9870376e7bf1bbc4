/* <Io.h>: the same header as <io.h> (file names are case-sensitive on Linux). */
#include "io.h"

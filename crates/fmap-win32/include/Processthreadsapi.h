/* <Processthreadsapi.h>: the same header as <processthreadsapi.h> (file names are case-sensitive on Linux). */
#include "processthreadsapi.h"

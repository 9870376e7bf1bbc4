/* <MemoryAPI.h>: the same header as <memoryapi.h> (file names are case-sensitive on Linux). */
#include "memoryapi.h"

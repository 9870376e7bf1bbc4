/* <SynchAPI.h>: the same header as <synchapi.h> (file names are case-sensitive on Linux). */
#include "synchapi.h"

/* <PsApi.h>: the same header as <psapi.h> (file names are case-sensitive on Linux). */
#include "psapi.h"

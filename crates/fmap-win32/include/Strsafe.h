/* <Strsafe.h>: the same header as <strsafe.h> (file names are case-sensitive on Linux). */
#include "strsafe.h"

/* <Intrin.h>: the same header as <intrin.h> (file names are case-sensitive on Linux). */
#include "intrin.h"

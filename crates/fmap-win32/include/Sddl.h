/* <Sddl.h>: the same header as <sddl.h> (file names are case-sensitive on Linux). */
#include "sddl.h"

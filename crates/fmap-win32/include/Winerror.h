/* <Winerror.h>: the same header as <winerror.h> (file names are case-sensitive on Linux). */
#include "winerror.h"

/* <Handleapi.h>: the same header as <handleapi.h> (file names are case-sensitive on Linux). */
#include "handleapi.h"

/* <Process.h>: the same header as <process.h> (file names are case-sensitive on Linux). */
#include "process.h"

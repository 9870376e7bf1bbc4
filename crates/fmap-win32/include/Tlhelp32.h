/* <Tlhelp32.h>: the same header as <tlhelp32.h> (file names are case-sensitive on Linux). */
#include "tlhelp32.h"

/* <TChar.h>: the same header as <tchar.h> (file names are case-sensitive on Linux). */
#include "tchar.h"

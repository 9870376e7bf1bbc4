/* <Conio.h>: the same header as <conio.h> (file names are case-sensitive on Linux). */
#include "conio.h"

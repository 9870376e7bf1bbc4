/* <Winternl.h>: the same header as <winternl.h> (file names are case-sensitive on Linux). */
#include "winternl.h"

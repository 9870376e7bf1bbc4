/* <Windows.h>: the same header as <windows.h> (file names are case-sensitive on Linux). */
#include "windows.h"

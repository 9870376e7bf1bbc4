/* <FileAPI.h>: the same header as <fileapi.h> (file names are case-sensitive on Linux). */
#include "fileapi.h"

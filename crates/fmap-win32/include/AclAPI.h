/* <AclAPI.h>: the same header as <aclapi.h> (file names are case-sensitive on Linux). */
#include "aclapi.h"

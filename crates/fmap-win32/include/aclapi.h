/* aclapi.h for fmap-win32: ACLs. SetEntriesInAcl and the other ACL functions are not provided yet (see the README). */
#ifndef FMAP_WIN32_ACLAPI_H
#define FMAP_WIN32_ACLAPI_H
#include "windows.h"
#endif

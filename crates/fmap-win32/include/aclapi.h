/* aclapi.h for fmap-win32: ACLs (SetEntriesInAcl, EXPLICIT_ACCESS, TRUSTEE, in windows.h). */
#ifndef FMAP_WIN32_ACLAPI_H
#define FMAP_WIN32_ACLAPI_H
#include "windows.h"
#endif

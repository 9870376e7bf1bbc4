/* sddl.h for fmap-win32: security descriptor strings (ConvertStringSecurityDescriptorToSecurityDescriptor, in windows.h). */
#ifndef FMAP_WIN32_SDDL_H
#define FMAP_WIN32_SDDL_H
#include "windows.h"
#endif

/* direct.h for fmap-win32: the MSVC runtime's directory functions on the POSIX calls. */
#ifndef FMAP_WIN32_DIRECT_H
#define FMAP_WIN32_DIRECT_H
#include "fmap_crt.h"
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __cplusplus
extern "C" {
#endif
/* _mkdir takes no mode: the directory gets 0777 less the umask. */
static inline __attribute__((unused)) int _mkdir(const char *path) { return mkdir(path, 0777); }
static inline __attribute__((unused)) int _rmdir(const char *path) { return rmdir(path); }
static inline __attribute__((unused)) int _chdir(const char *path) { return chdir(path); }
/* _getcwd(NULL, n) allocates (as glibc's getcwd does). */
static inline __attribute__((unused)) char *_getcwd(char *buf, int size)
{
    return getcwd(buf, size < 0 ? 0 : (size_t)size);
}
#ifdef __cplusplus
}
#endif
#endif

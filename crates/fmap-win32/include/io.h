/* io.h for fmap-win32: the MSVC runtime's low-level I/O names on the POSIX calls (_open,
 * _read, _write, _close, _lseek, _access, _unlink, _isatty, _dup, _fileno, _filelength, ...),
 * and fmap_crt.h. */
#ifndef FMAP_WIN32_IO_H
#define FMAP_WIN32_IO_H
#include "fmap_crt.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __cplusplus
extern "C" {
#else
/* Hidden by glibc in strict ISO C modes (-std=c99); the declarations are POSIX's. */
int fileno(FILE *);
int fsync(int);
int ftruncate(int, off_t);
#endif
#define _O_RDONLY O_RDONLY
#define _O_WRONLY O_WRONLY
#define _O_RDWR O_RDWR
#define _O_APPEND O_APPEND
#define _O_CREAT O_CREAT
#define _O_TRUNC O_TRUNC
#define _O_EXCL O_EXCL
#define _O_BINARY 0
#define _O_TEXT 0
#define _O_RAW 0
#define _O_NOINHERIT O_CLOEXEC
#define _O_SEQUENTIAL 0
#define _O_RANDOM 0
#define _O_SHORT_LIVED 0
#define _O_TEMPORARY 0
#define O_BINARY 0
#define O_TEXT 0
#define _S_IREAD 0444
#define _S_IWRITE 0222
#define _S_IFMT S_IFMT
#define _S_IFDIR S_IFDIR
#define _S_IFREG S_IFREG
#define FMAP_IO_FN_ static inline __attribute__((unused))
FMAP_IO_FN_ int _open(const char *path, int flags, ...)
{
    int mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
        /* _S_IREAD/_S_IWRITE are "readable"/"writable"; the umask decides the rest. */
        if ((mode & 0777) == 0444)
            mode = 0444;
        else if (mode & 0222)
            mode = 0666;
    }
    return open(path, flags, mode);
}
FMAP_IO_FN_ int _close(int fd) { return close(fd); }
FMAP_IO_FN_ int _read(int fd, void *buf, unsigned int n) { return (int)read(fd, buf, n); }
FMAP_IO_FN_ int _write(int fd, const void *buf, unsigned int n) { return (int)write(fd, buf, n); }
FMAP_IO_FN_ long _lseek(int fd, long off, int whence) { return (long)lseek(fd, off, whence); }
FMAP_IO_FN_ long long _lseeki64(int fd, long long off, int whence)
{
    return (long long)lseek(fd, (off_t)off, whence);
}
FMAP_IO_FN_ long _tell(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }
FMAP_IO_FN_ long long _telli64(int fd) { return (long long)lseek(fd, 0, SEEK_CUR); }
FMAP_IO_FN_ int _access(const char *path, int mode) { return access(path, mode & 6); }
FMAP_IO_FN_ errno_t _access_s(const char *path, int mode)
{
    if (!path) {
        errno = EINVAL;
        return EINVAL;
    }
    return access(path, mode & 6) == 0 ? 0 : errno;
}
FMAP_IO_FN_ int _unlink(const char *path) { return unlink(path); }
FMAP_IO_FN_ int _isatty(int fd) { return isatty(fd); }
FMAP_IO_FN_ int _dup(int fd) { return dup(fd); }
FMAP_IO_FN_ int _dup2(int fd, int fd2) { return dup2(fd, fd2) < 0 ? -1 : 0; }
FMAP_IO_FN_ int _fileno(FILE *f) { return fileno(f); }
FMAP_IO_FN_ int _commit(int fd) { return fsync(fd); }
FMAP_IO_FN_ int _chsize(int fd, long size) { return ftruncate(fd, (off_t)size); }
FMAP_IO_FN_ errno_t _chsize_s(int fd, long long size)
{
    return ftruncate(fd, (off_t)size) == 0 ? 0 : errno;
}
FMAP_IO_FN_ int _chmod(const char *path, int mode)
{
    return chmod(path, (mode & 0222) ? 0666 : 0444);
}
FMAP_IO_FN_ long _filelength(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1L;
}
FMAP_IO_FN_ long long _filelengthi64(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long long)st.st_size : -1LL;
}
#ifdef __cplusplus
}
#endif
#endif

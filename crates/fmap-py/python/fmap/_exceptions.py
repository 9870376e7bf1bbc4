"""fmap's exceptions and warnings.

Every failure of an fmap call is an :class:`Error`, a subclass of :class:`OSError` that carries
the Win32 error code in ``winerror`` (as ``OSError.winerror`` does on Windows) and the closest
POSIX code in ``errno``. Three kinds of failure are also the built-in exceptions Python users
expect for them:

* no object of that name: :class:`NotFoundError`, also a :class:`FileNotFoundError`
  (``ERROR_FILE_NOT_FOUND``, ``ERROR_PATH_NOT_FOUND``);
* the rights are not granted: :class:`AccessDeniedError`, also a :class:`PermissionError`
  (``ERROR_ACCESS_DENIED``, ``ERROR_SHARING_VIOLATION``);
* an exclusive create of a name that exists: :class:`AlreadyExistsError`, also a
  :class:`FileExistsError` (``ERROR_ALREADY_EXISTS``, ``ERROR_FILE_EXISTS``).
"""

from __future__ import annotations

import errno as _errno

__all__ = [
    "Error",
    "NotFoundError",
    "AccessDeniedError",
    "AlreadyExistsError",
    "AbandonedMutexWarning",
]


class Error(OSError):
    """An fmap failure. ``winerror`` is the Win32 error code (``GetLastError()``) Windows
    reports for the same failure, ``winerror_name`` its constant's name
    (``"ERROR_INVALID_HANDLE"``), ``errno`` the closest POSIX code and ``strerror`` the
    message."""

    winerror: int | None = None
    winerror_name: str | None = None

    def __str__(self) -> str:
        if self.winerror is None:
            return super().__str__()
        return f"[WinError {self.winerror}: {self.winerror_name}] {self.strerror}"


class NotFoundError(Error, FileNotFoundError):
    """No object of that name exists (``ERROR_FILE_NOT_FOUND``)."""


class AccessDeniedError(Error, PermissionError):
    """The handle or the object does not allow the operation (``ERROR_ACCESS_DENIED``)."""


class AlreadyExistsError(Error, FileExistsError):
    """An exclusive create found the name taken (``ERROR_ALREADY_EXISTS``)."""


class AbandonedMutexWarning(RuntimeWarning):
    """A wait acquired a mutex whose previous owner thread or process ended without releasing
    it (``WAIT_ABANDONED``). The calling thread owns the mutex now; the data it guards may be
    inconsistent. Issued by :meth:`Mutex.acquire`, ``with mutex:``, :func:`wait_any` and
    :func:`wait_all` (unless called with ``warn_abandoned=False``; the returned
    :class:`WaitResult` says ``abandoned`` in any case).

    To make it an error: ``warnings.simplefilter("error", fmap.AbandonedMutexWarning)`` —
    ``acquire()`` and the waits then raise it *owning* the mutex (release it), while
    ``with mutex:`` releases the mutex before the exception propagates."""


# Win32 error code -> (class, errno), as Python on Windows maps system errors to OSError
# subclasses (PC/errmap.h); codes not listed are Error with EINVAL.
_CLASSES: dict[int, tuple[type[Error], int]] = {
    2: (NotFoundError, _errno.ENOENT),  # ERROR_FILE_NOT_FOUND
    3: (NotFoundError, _errno.ENOENT),  # ERROR_PATH_NOT_FOUND
    4: (Error, _errno.EMFILE),  # ERROR_TOO_MANY_OPEN_FILES
    5: (AccessDeniedError, _errno.EACCES),  # ERROR_ACCESS_DENIED
    6: (Error, _errno.EBADF),  # ERROR_INVALID_HANDLE
    8: (Error, _errno.ENOMEM),  # ERROR_NOT_ENOUGH_MEMORY
    32: (AccessDeniedError, _errno.EACCES),  # ERROR_SHARING_VIOLATION
    50: (Error, _errno.EOPNOTSUPP),  # ERROR_NOT_SUPPORTED
    80: (AlreadyExistsError, _errno.EEXIST),  # ERROR_FILE_EXISTS
    112: (Error, _errno.ENOSPC),  # ERROR_DISK_FULL
    123: (Error, _errno.EINVAL),  # ERROR_INVALID_NAME
    183: (AlreadyExistsError, _errno.EEXIST),  # ERROR_ALREADY_EXISTS
    193: (Error, _errno.ENOEXEC),  # ERROR_BAD_EXE_FORMAT
    206: (Error, _errno.ENAMETOOLONG),  # ERROR_FILENAME_EXCED_RANGE
    1455: (Error, _errno.ENOMEM),  # ERROR_COMMITMENT_LIMIT
    1460: (Error, _errno.ETIMEDOUT),  # ERROR_TIMEOUT
}


def _from_win32(code: int, name: str, message: str) -> Error:
    """The exception for a Win32 error (called by the native module)."""
    cls, err = _CLASSES.get(code, (Error, _errno.EINVAL))
    exc = cls(err, message)
    exc.winerror = code
    exc.winerror_name = name
    return exc


for _cls in (Error, NotFoundError, AccessDeniedError, AlreadyExistsError, AbandonedMutexWarning):
    _cls.__module__ = "fmap"
del _cls

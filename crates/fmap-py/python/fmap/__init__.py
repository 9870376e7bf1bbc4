"""Windows-style named shared memory and named sync objects for Python on Linux.

No daemon, and crash-safe: a name exists while some process holds a handle to it — also after
``kill -9`` nothing is left behind — and a mutex whose owner dies is reported *abandoned* to
the next owner. Built on the Rust library fmap (PyO3).

>>> import fmap
>>> with fmap.Mapping.create("Local\\\\demo", 4096) as section:   # CreateFileMapping
...     view = section.map_view()                                  # MapViewOfFile
...     view[:5] = b"hello"                                         # or memoryview(view), numpy
...     bytes(view[:5])
b'hello'

* :class:`Mapping` / :class:`View`: sections and views; views support the buffer protocol.
* :class:`Mutex`, :class:`Event`, :class:`Semaphore`, :func:`wait_any`, :func:`wait_all`:
  timeouts in seconds (None: forever), the GIL released while waiting, Ctrl-C interrupts a
  wait in the main thread.
* :class:`mmap`: Python's ``mmap.mmap(-1, size, tagname=...)`` of Windows —
  ``import fmap as mmap`` runs code written for it unchanged.
* Errors: :class:`Error` (an ``OSError`` with ``winerror``) and its subclasses that are also
  ``FileNotFoundError``, ``PermissionError`` and ``FileExistsError``.

Names are Win32 names: ``"Local\\\\x"`` or ``"x"`` (private to the user), ``"Global\\\\x"``
(every user). ``$FMAP_ROOT`` (read once per process) moves the namespace root from
``/dev/shm`` to another tmpfs directory.
"""

from __future__ import annotations

import enum as _enum

from . import _fmap
from ._exceptions import (
    AbandonedMutexWarning,
    AccessDeniedError,
    AlreadyExistsError,
    Error,
    NotFoundError,
)
from ._fmap import (
    ACCESS_COPY,
    ACCESS_DEFAULT,
    ACCESS_READ,
    ACCESS_WRITE,
    ALLOCATIONGRANULARITY,
    ERROR_ACCESS_DENIED,
    ERROR_ALREADY_EXISTS,
    ERROR_COMMITMENT_LIMIT,
    ERROR_FILE_NOT_FOUND,
    ERROR_FILENAME_EXCED_RANGE,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_NAME,
    ERROR_INVALID_PARAMETER,
    ERROR_MAPPED_ALIGNMENT,
    ERROR_NOT_ENOUGH_MEMORY,
    ERROR_NOT_OWNER,
    ERROR_NOT_SUPPORTED,
    ERROR_PATH_NOT_FOUND,
    ERROR_TOO_MANY_POSTS,
    EVENT_ALL_ACCESS,
    FILE_MAP_ALL_ACCESS,
    FILE_MAP_COPY,
    FILE_MAP_EXECUTE,
    FILE_MAP_READ,
    FILE_MAP_WRITE,
    MAXIMUM_WAIT_OBJECTS,
    MUTEX_ALL_ACCESS,
    PAGE_EXECUTE_READ,
    PAGE_EXECUTE_READWRITE,
    PAGE_EXECUTE_WRITECOPY,
    PAGE_READONLY,
    PAGE_READWRITE,
    PAGE_WRITECOPY,
    PAGESIZE,
    ROOT_ENV,
    SEC_COMMIT,
    SEC_RESERVE,
    SEMAPHORE_ALL_ACCESS,
    SYNCHRONIZE,
    WAIT_ABANDONED_0,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
    Event,
    Mapping,
    Mutex,
    Semaphore,
    View,
    WaitResult,
    mmap,
    set_spin,
    wait_all,
    wait_any,
)

__version__ = "0.1.0"


class Access(_enum.IntFlag):
    """Rights of a section handle and view access (``FILE_MAP_*``), for :meth:`Mapping.open`
    and :meth:`Mapping.map_view`."""

    COPY = FILE_MAP_COPY
    WRITE = FILE_MAP_WRITE
    READ = FILE_MAP_READ
    EXECUTE = FILE_MAP_EXECUTE
    ALL = FILE_MAP_ALL_ACCESS


class SyncAccess(_enum.IntFlag):
    """Rights of a mutex, event or semaphore handle, for ``open``: ``SYNCHRONIZE`` to wait,
    ``MODIFY_STATE`` to set/reset/release (events, semaphores), ``QUERY_STATE`` to query, or
    the type's ``*_ALL_ACCESS``."""

    QUERY_STATE = 0x0001
    MODIFY_STATE = 0x0002
    SYNCHRONIZE = SYNCHRONIZE
    MUTEX_ALL_ACCESS = MUTEX_ALL_ACCESS
    EVENT_ALL_ACCESS = EVENT_ALL_ACCESS
    SEMAPHORE_ALL_ACCESS = SEMAPHORE_ALL_ACCESS


class Protection(_enum.IntEnum):
    """Page protection of a section (``PAGE_*``), for :meth:`Mapping.create`."""

    READONLY = PAGE_READONLY
    READWRITE = PAGE_READWRITE
    WRITECOPY = PAGE_WRITECOPY
    EXECUTE_READ = PAGE_EXECUTE_READ
    EXECUTE_READWRITE = PAGE_EXECUTE_READWRITE
    EXECUTE_WRITECOPY = PAGE_EXECUTE_WRITECOPY


def _reopen(kind: str, name: str, access: int) -> Mapping | Mutex | Event | Semaphore:
    """Unpickles a handle: opens the named object again (in the unpickling process)."""
    if kind == "Mapping":
        return Mapping.open(name, access)
    if kind == "Mutex":
        return Mutex.open(name, access)
    if kind == "Event":
        return Event.open(name, access)
    if kind == "Semaphore":
        return Semaphore.open(name, access)
    raise ValueError(f"unknown kind of handle {kind!r}")


__all__ = [
    "Access",
    "SyncAccess",
    "Protection",
    "Mapping",
    "View",
    "Mutex",
    "Event",
    "Semaphore",
    "WaitResult",
    "wait_any",
    "wait_all",
    "set_spin",
    "mmap",
    "Error",
    "NotFoundError",
    "AccessDeniedError",
    "AlreadyExistsError",
    "AbandonedMutexWarning",
    "ACCESS_DEFAULT",
    "ACCESS_READ",
    "ACCESS_WRITE",
    "ACCESS_COPY",
    "ALLOCATIONGRANULARITY",
    "PAGESIZE",
    "FILE_MAP_ALL_ACCESS",
    "FILE_MAP_COPY",
    "FILE_MAP_EXECUTE",
    "FILE_MAP_READ",
    "FILE_MAP_WRITE",
    "PAGE_READONLY",
    "PAGE_READWRITE",
    "PAGE_WRITECOPY",
    "PAGE_EXECUTE_READ",
    "PAGE_EXECUTE_READWRITE",
    "PAGE_EXECUTE_WRITECOPY",
    "SEC_COMMIT",
    "SEC_RESERVE",
    "SYNCHRONIZE",
    "MUTEX_ALL_ACCESS",
    "EVENT_ALL_ACCESS",
    "SEMAPHORE_ALL_ACCESS",
    "MAXIMUM_WAIT_OBJECTS",
    "WAIT_OBJECT_0",
    "WAIT_ABANDONED_0",
    "WAIT_TIMEOUT",
    "ERROR_FILE_NOT_FOUND",
    "ERROR_PATH_NOT_FOUND",
    "ERROR_ACCESS_DENIED",
    "ERROR_INVALID_HANDLE",
    "ERROR_NOT_ENOUGH_MEMORY",
    "ERROR_INVALID_PARAMETER",
    "ERROR_INVALID_NAME",
    "ERROR_ALREADY_EXISTS",
    "ERROR_FILENAME_EXCED_RANGE",
    "ERROR_NOT_OWNER",
    "ERROR_TOO_MANY_POSTS",
    "ERROR_MAPPED_ALIGNMENT",
    "ERROR_COMMITMENT_LIMIT",
    "ERROR_NOT_SUPPORTED",
    "ROOT_ENV",
]

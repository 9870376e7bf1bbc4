"""Type hints of the native module fmap._fmap (re-exported by the package fmap)."""

from collections.abc import Iterable
from types import TracebackType
from typing import Final, final, overload

from typing_extensions import Buffer, Self

_Waitable = Mutex | Event | Semaphore

@final
class Mapping:
    """A handle to a named (or unnamed) section of shared memory (``CreateFileMapping`` /
    ``OpenFileMapping``). ``with mapping:`` closes the handle at the end of the block."""

    @staticmethod
    def create(
        name: str | None,
        size: int,
        *,
        protection: int = ...,
        exclusive: bool = False,
    ) -> Mapping:
        """Creates the section ``name`` of ``size`` bytes, or opens it if it exists (then
        ``already_existed`` is true and ``size``/``protection`` are ignored). ``exclusive``:
        raise ``FileExistsError`` instead."""
    @staticmethod
    def open(name: str, access: int = ...) -> Mapping:
        """Opens the existing section ``name`` (``FileNotFoundError`` if there is none)."""
    def map_view(
        self, access: int | None = None, offset: int = 0, size: int | None = None
    ) -> View:
        """Maps ``size`` bytes (None: to the end) from ``offset`` (a multiple of 64 KiB)."""
    @property
    def name(self) -> str | None: ...
    @property
    def size(self) -> int: ...
    @property
    def already_existed(self) -> bool: ...
    @property
    def access(self) -> int: ...
    @property
    def protection(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class View(Buffer):
    """A mapped view of a section. Supports the buffer protocol (``memoryview``,
    ``numpy.frombuffer`` without copying), indexing and slicing like ``bytearray``.
    ``close()`` raises ``BufferError`` while an export exists."""

    @property
    def size(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def readonly(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    @property
    def address(self) -> int: ...
    @property
    def protection(self) -> int: ...
    def __len__(self) -> int: ...
    def read(self, offset: int = 0, size: int | None = None) -> bytes: ...
    def write(self, data: Buffer, offset: int = 0) -> int: ...
    @overload
    def __getitem__(self, key: int) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    @overload
    def __setitem__(self, key: int, value: int) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: Buffer) -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class WaitResult:
    """The outcome of a wait; true unless it timed out."""

    @property
    def index(self) -> int | None: ...
    @property
    def abandoned(self) -> bool: ...
    @property
    def timed_out(self) -> bool: ...
    @property
    def code(self) -> int: ...
    def __bool__(self) -> bool: ...

@final
class Mutex:
    """A named (or unnamed) mutex, owned by a thread, recursive, abandoned when its owner dies.
    ``with mutex:`` acquires and releases it."""

    @staticmethod
    def create(
        name: str | None = None, *, initial_owner: bool = False, exclusive: bool = False
    ) -> Mutex: ...
    @staticmethod
    def open(name: str, access: int = ...) -> Mutex: ...
    def acquire(
        self, blocking: bool = True, timeout: float | None = None, *, warn_abandoned: bool = True
    ) -> WaitResult:
        """Waits until the calling thread owns the mutex; see ``AbandonedMutexWarning``."""
    def release(self) -> None: ...
    @property
    def owned(self) -> bool: ...
    @property
    def name(self) -> str | None: ...
    @property
    def already_existed(self) -> bool: ...
    @property
    def access(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> WaitResult: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class Event:
    """A named (or unnamed) auto- or manual-reset event. ``with event:`` closes the handle."""

    @staticmethod
    def create(
        name: str | None = None,
        *,
        manual_reset: bool = False,
        initial_state: bool = False,
        exclusive: bool = False,
    ) -> Event: ...
    @staticmethod
    def open(name: str, access: int = ...) -> Event: ...
    def set(self) -> None: ...
    def reset(self) -> None: ...
    def clear(self) -> None: ...
    def pulse(self) -> None: ...
    def is_set(self) -> bool: ...
    @property
    def manual_reset(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool:
        """True if the event was set, False if the wait timed out."""
    @property
    def name(self) -> str | None: ...
    @property
    def already_existed(self) -> bool: ...
    @property
    def access(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class Semaphore:
    """A named (or unnamed) counting semaphore. ``with semaphore:`` takes and gives back a
    unit."""

    @staticmethod
    def create(
        name: str | None = None, initial: int = 1, maximum: int = ..., *, exclusive: bool = False
    ) -> Semaphore: ...
    @staticmethod
    def open(name: str, access: int = ...) -> Semaphore: ...
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool: ...
    def release(self, n: int = 1) -> int: ...
    @property
    def count(self) -> int: ...
    @property
    def maximum(self) -> int: ...
    @property
    def name(self) -> str | None: ...
    @property
    def already_existed(self) -> bool: ...
    @property
    def access(self) -> int: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> bool: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

@final
class mmap(Buffer):
    """Python's ``mmap.mmap`` of Windows for shared memory: ``mmap(-1, length,
    tagname=None, access=ACCESS_DEFAULT, offset=0)``."""

    def __init__(
        self,
        fileno: int,
        length: int,
        tagname: str | None = None,
        access: int = 0,
        offset: int = 0,
    ) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def tagname(self) -> str | None: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def size(self) -> int: ...
    def tell(self) -> int: ...
    def seek(self, pos: int, whence: int = 0) -> int: ...
    def seekable(self) -> bool: ...
    def read(self, n: int | None = None) -> bytes: ...
    def read_byte(self) -> int: ...
    def readline(self) -> bytes: ...
    def write(self, data: Buffer) -> int: ...
    def write_byte(self, byte: int) -> None: ...
    def find(self, sub: Buffer, start: int | None = None, end: int | None = None) -> int: ...
    def rfind(self, sub: Buffer, start: int | None = None, end: int | None = None) -> int: ...
    def move(self, dest: int, src: int, count: int) -> None: ...
    def flush(self, offset: int = 0, size: int | None = None) -> None: ...
    def resize(self, newsize: int) -> None: ...
    @overload
    def __getitem__(self, key: int) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    @overload
    def __setitem__(self, key: int, value: int) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: Buffer) -> None: ...
    def __buffer__(self, flags: int, /) -> memoryview: ...
    def __release_buffer__(self, buffer: memoryview, /) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool: ...

def wait_any(
    objects: Iterable[_Waitable], timeout: float | None = None, *, warn_abandoned: bool = True
) -> WaitResult:
    """Waits until any of ``objects`` is available and acquires that one."""

def wait_all(
    objects: Iterable[_Waitable], timeout: float | None = None, *, warn_abandoned: bool = True
) -> WaitResult:
    """Waits until all of ``objects`` are available at once and acquires them all."""

def set_spin(seconds: float) -> None:
    """How long a wait spins before it sleeps in the kernel, for this process."""

FILE_MAP_COPY: Final[int]
FILE_MAP_WRITE: Final[int]
FILE_MAP_READ: Final[int]
FILE_MAP_EXECUTE: Final[int]
FILE_MAP_ALL_ACCESS: Final[int]
PAGE_READONLY: Final[int]
PAGE_READWRITE: Final[int]
PAGE_WRITECOPY: Final[int]
PAGE_EXECUTE_READ: Final[int]
PAGE_EXECUTE_READWRITE: Final[int]
PAGE_EXECUTE_WRITECOPY: Final[int]
SEC_COMMIT: Final[int]
SEC_RESERVE: Final[int]
SYNCHRONIZE: Final[int]
DELETE: Final[int]
READ_CONTROL: Final[int]
WRITE_DAC: Final[int]
WRITE_OWNER: Final[int]
GENERIC_READ: Final[int]
GENERIC_WRITE: Final[int]
GENERIC_EXECUTE: Final[int]
GENERIC_ALL: Final[int]
MAXIMUM_ALLOWED: Final[int]
MUTEX_ALL_ACCESS: Final[int]
MUTANT_QUERY_STATE: Final[int]
EVENT_ALL_ACCESS: Final[int]
EVENT_QUERY_STATE: Final[int]
EVENT_MODIFY_STATE: Final[int]
SEMAPHORE_ALL_ACCESS: Final[int]
SEMAPHORE_QUERY_STATE: Final[int]
SEMAPHORE_MODIFY_STATE: Final[int]
WAIT_OBJECT_0: Final[int]
WAIT_ABANDONED_0: Final[int]
WAIT_TIMEOUT: Final[int]
ERROR_FILE_NOT_FOUND: Final[int]
ERROR_PATH_NOT_FOUND: Final[int]
ERROR_ACCESS_DENIED: Final[int]
ERROR_INVALID_HANDLE: Final[int]
ERROR_NOT_ENOUGH_MEMORY: Final[int]
ERROR_INVALID_PARAMETER: Final[int]
ERROR_INVALID_NAME: Final[int]
ERROR_ALREADY_EXISTS: Final[int]
ERROR_FILENAME_EXCED_RANGE: Final[int]
ERROR_NOT_OWNER: Final[int]
ERROR_TOO_MANY_POSTS: Final[int]
ERROR_MAPPED_ALIGNMENT: Final[int]
ERROR_COMMITMENT_LIMIT: Final[int]
ERROR_NOT_SUPPORTED: Final[int]
ACCESS_DEFAULT: Final[int]
ACCESS_READ: Final[int]
ACCESS_WRITE: Final[int]
ACCESS_COPY: Final[int]
ALLOCATIONGRANULARITY: Final[int]
PAGESIZE: Final[int]
MAXIMUM_WAIT_OBJECTS: Final[int]
ROOT_ENV: Final[str]

//! Win32-compatible C ABI over the fmap library: `CreateFileMapping`, `MapViewOfFile`,
//! `CreateMutex`, `WaitForMultipleObjects`, `CreateFile`, `CreateThread`, `CreateProcess`, …
//! for C and C++ programs on Linux, with Windows' return values and last-error codes.
//!
//! Build a program with the headers in `include/` and this crate's shared or static library,
//! from the source tree:
//!
//! ```sh
//! cargo build --release -p fmap-win32
//! cc prog.c -Icrates/fmap-win32/include -Ltarget/release -lfmap_win32
//! ```
//!
//! or install it as a C library ([cargo-c](https://crates.io/crates/cargo-c): the shared
//! library with its soname, the static one, the headers in `include/fmap-win32/`, a pkg-config
//! file and a CMake package; `scripts/cinstall.sh` in the repository also installs the
//! `fmap-cc`/`fmap-c++` drivers of `bin/`) and build against the installed files:
//!
//! ```sh
//! cargo cinstall -p fmap-win32 --prefix=/usr/local
//! cc prog.c $(pkg-config --cflags --libs fmap-win32)
//! ```
//!
//! ```cmake
//! find_package(fmap-win32 0.1 REQUIRED)     # or pkg_check_modules(... IMPORTED_TARGET fmap-win32)
//! target_link_libraries(prog PRIVATE fmap-win32::fmap-win32)   # or fmap-win32::fmap-win32-static
//! ```
//!
//! `examples/installed/` has a sample program with a Makefile and a `CMakeLists.txt` for both
//! CMake recipes.
//!
//! # Cargo features
//!
//! * `capi` (off by default) — marks the crate as a C library for cargo-c, which turns it on
//!   when it builds; it changes no code. Rust users (who call the functions in-process, as
//!   `fmap-bench` does) need no feature.
//!
//! Every rule about objects, names, access, views, files and waits is the library's
//! ([`fmap`]). The crate has three parts:
//!
//! * [`objects`] — the thin skin over the library: sections and views, mutexes, events,
//!   semaphores and waits, and the functions on handles. Each call converts its arguments,
//!   forwards to `fmap` and turns its error into the last error.
//! * [`runtime`] — what the library does not provide and this crate implements itself: files
//!   with Win32 I/O, threads and processes (waitable through an unnamed fmap event set when
//!   they end), time, system information, console input, DLLs and string conversion.
//! * [`abi`] — what both are written in terms of: the `windows.h` constants, the per-thread last
//!   error, `HANDLE` values and the handle table, and ANSI/UTF-16 argument conversion.
//!
//! Where each exported function is:
//!
//! * sections and views — [`objects::section`]: `CreateFileMappingA/W`, `OpenFileMappingA/W`,
//!   `MapViewOfFile`, `MapViewOfFileEx`, `UnmapViewOfFile`, `FlushViewOfFile`;
//! * mutexes, events, semaphores, waitable timers, waits — [`objects::sync`]: `CreateMutexA/W`,
//!   `OpenMutexA/W`, `ReleaseMutex`, `CreateEventA/W`, `OpenEventA/W`, `SetEvent`,
//!   `ResetEvent`, `PulseEvent`, `CreateSemaphoreA/W`, `OpenSemaphoreA/W`, `ReleaseSemaphore`,
//!   `CreateWaitableTimerA/W`, `CreateWaitableTimerExA/W`, `OpenWaitableTimerA/W`,
//!   `SetWaitableTimer`, `SetWaitableTimerEx`, `CancelWaitableTimer`, `WaitForSingleObject`,
//!   `WaitForMultipleObjects`, `SignalObjectAndWait`;
//! * handles — [`objects::handles`]: `CloseHandle`, `DuplicateHandle`;
//! * files — [`runtime::file`]: `CreateFileA/W`, `ReadFile`, `WriteFile`, `SetFilePointer`,
//!   `SetFilePointerEx`, `GetFileSize`, `GetFileSizeEx`, `SetEndOfFile`, `FlushFileBuffers`,
//!   `GetOverlappedResult`, `DeleteFileA/W`, `GetTempPathA/W`;
//! * threads and processes — [`runtime::process`]: `CreateThread`, `GetExitCodeThread`,
//!   `CreateProcessA/W`, `GetExitCodeProcess`, `TerminateProcess`, `ExitProcess`,
//!   `GetCurrentProcess`, `GetCurrentThread`, `GetCurrentProcessId`, `GetCurrentThreadId`;
//! * time — [`runtime::time`]: `Sleep`, `GetTickCount`, `GetTickCount64`,
//!   `QueryPerformanceCounter`, `QueryPerformanceFrequency`;
//! * system information — [`runtime::system`]: `GetSystemInfo`;
//! * console input (`conio.h`) — [`runtime::console`]: `_getch`, `_getche`, `_kbhit`;
//! * the MSVC C runtime's extras (`fmap_crt.h`) — [`runtime::crt`]: `strcpy_s`, `strcat_s`,
//!   `strncpy_s`, `memcpy_s`, `_itoa(_s)`, `localtime_s`, `fopen_s`, `_dupenv_s`, `_time64`,
//!   `_getpid`, `_stricmp`, …; [`runtime::spawn`]: `_spawnv`, `_spawnvp`, `_cwait`;
//! * StrSafe (`strsafe.h`) — [`runtime::strsafe`]: `StringCchCopyA/W`, `StringCchCatA/W`,
//!   `StringCchLengthA/W`, the `N` and `StringCb` forms;
//! * DLLs — [`runtime::dll`]: `LoadLibraryA/W`, `GetProcAddress`, `FreeLibrary`, and
//!   `FmapModuleFromAddress`, `FmapDllAttachFailed` (behind `FMAP_DLLMAIN`);
//! * strings — [`runtime::strings`]: `MultiByteToWideChar`, `WideCharToMultiByte`,
//!   `lstrlenA/W`, `FmapArgvW` (behind `tchar.h`'s `wmain`);
//! * alertable waits — [`objects::apc`]: `QueueUserAPC`, `SleepEx`, `WaitForSingleObjectEx`,
//!   `WaitForMultipleObjectsEx`;
//! * in-process synchronization — [`runtime::synch`]: `InitializeCriticalSection(…)`,
//!   `Enter/TryEnter/LeaveCriticalSection`, the `SRWLOCK` and `CONDITION_VARIABLE` functions,
//!   `InitOnceExecuteOnce` (the `Interlocked*` family is inline in `win32_inproc.h`);
//! * messages — [`runtime::message`]: `FormatMessageA/W`, `LocalAlloc`, `LocalFree`;
//! * virtual memory — [`runtime::memory`]: `VirtualAlloc`, `VirtualFree`, `VirtualProtect`,
//!   `VirtualQuery`;
//! * paths, modules, priorities — [`runtime::paths`]: `MoveFile(Ex)A/W`, `CopyFileA/W`,
//!   `GetTempFileNameA/W`, `GetFileType`, `GetModuleFileNameA/W`, `GetModuleHandleA/W`,
//!   `Set/GetThreadPriority`, `Set/GetPriorityClass`, `timeBeginPeriod`, `timeEndPeriod`,
//!   `timeGetTime`;
//! * environment — [`runtime::env`]: `Get/SetEnvironmentVariableA/W`, `GetCommandLineA/W`,
//!   `GetComputerNameA/W`, `GetSystemTime`, `GetLocalTime`, `GetSystemTimeAsFileTime`,
//!   `OutputDebugStringA/W`, `IsDebuggerPresent`;
//! * security descriptors — [`runtime::security`]: `InitializeSecurityDescriptor`,
//!   `SetSecurityDescriptorDacl`, `InitializeAcl`, `AddAccessAllowedAce`, `AddAccessDeniedAce`,
//!   `AllocateAndInitializeSid`, `FreeSid`, `GetLengthSid`, `SetEntriesInAclA/W`,
//!   `ConvertStringSecurityDescriptorToSecurityDescriptorA/W`;
//! * odds and ends — [`runtime::compat`]: `_beginthreadex`, `GetVersionExA/W`,
//!   `CreateMailslotA/W`;
//! * the last error — [`abi::error`]: `GetLastError`, `SetLastError`.
//!
//! See the crate's README for the differences from Windows.
//!
//! Every exported function has the contract of its Win32 namesake: pointer arguments must be
//! valid as the Win32 documentation describes (NULL where it allows NULL). Invalid *handles*
//! are always detected (`ERROR_INVALID_HANDLE`); invalid *pointers* cannot be.
#![allow(non_snake_case)]
// The exported functions' safety contract is the Win32 one, stated once above and summarised
// per function; pointer use is confined to small `// SAFETY:`-commented blocks.
#![allow(clippy::missing_safety_doc)]
// Every `unsafe` operation sits in an `unsafe {}` block, also inside an `unsafe fn`, and every
// `unsafe` block says why it is sound in a `// SAFETY:` comment (CI denies clippy warnings).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod abi;
pub mod objects;
pub mod runtime;

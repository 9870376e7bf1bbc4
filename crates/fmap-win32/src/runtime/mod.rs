//! What the library does not provide and this crate implements itself on Linux: files with
//! Win32 I/O semantics, threads and processes, time, system information, console input, DLLs
//! and string conversion.
//!
//! * [`file`](mod@file) — `CreateFileA/W`, `ReadFile`, `WriteFile`, `SetFilePointer`,
//!   `SetFilePointerEx`, `GetFileSize`, `GetFileSizeEx`, `SetEndOfFile`, `FlushFileBuffers`,
//!   `GetOverlappedResult`, `DeleteFileA/W`, `GetTempPathA/W`.
//! * [`process`] — `CreateThread`, `GetExitCodeThread`, `CreateProcessA/W`, `GetExitCodeProcess`,
//!   `TerminateProcess`, `ExitProcess`, `GetCurrentProcess`, `GetCurrentThread`,
//!   `GetCurrentProcessId`, `GetCurrentThreadId`.
//! * [`inherit`] — handle inheritance across `CreateProcess` (parent and child side).
//! * [`search`] — how `CreateProcess` finds the program it starts.
//! * [`time`] — `Sleep`, `GetTickCount`, `GetTickCount64`, `QueryPerformanceCounter`,
//!   `QueryPerformanceFrequency`.
//! * [`system`] — `GetSystemInfo`.
//! * [`console`] — `_getch`, `_getche`.
//! * [`dll`] — `LoadLibraryA/W`, `GetProcAddress`, `FreeLibrary`, and `FmapModuleFromAddress`,
//!   `FmapDllAttachFailed` (behind `FMAP_DLLMAIN`).
//! * [`strings`] — `MultiByteToWideChar`, `WideCharToMultiByte`, `lstrlenA/W`, `FmapArgvW`
//!   (behind `tchar.h`'s `wmain`).

pub mod console;
pub mod dll;
pub mod env;
pub mod file;
pub mod inherit;
pub mod memory;
pub mod message;
pub mod paths;
pub mod process;
pub mod search;
pub mod strings;
pub mod synch;
pub mod system;
pub mod time;
pub mod xproc;

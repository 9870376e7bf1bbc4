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
//! * [`console`] — `_getch`, `_getche`, `_kbhit`.
//! * [`user32`] — `MessageBoxA/W` (to stderr), `MessageBeep`.
//! * [`crt`] — the Microsoft C runtime's extras: `strcpy_s`, `strcat_s`, `strncpy_s`,
//!   `memcpy_s`, `_itoa(_s)`, `localtime_s`, `fopen_s`, `_dupenv_s`, `_time64`, `_getpid`,
//!   `_stricmp`, ... (the variadic ones are inline in `fmap_crt.h`).
//! * [`spawn`] — `_spawnv`, `_spawnvp`, `_cwait` (`process.h`).
//! * [`strsafe`] — `StringCchCopy`, `StringCchCat`, `StringCchLength`, ... A and W.
//! * [`dll`] — `LoadLibraryA/W`, `GetProcAddress`, `FreeLibrary`, and `FmapModuleFromAddress`,
//!   `FmapDllAttachFailed` (behind `FMAP_DLLMAIN`).
//! * [`strings`] — `MultiByteToWideChar`, `WideCharToMultiByte`, `lstrlenA/W`, `FmapArgvW`
//!   (behind `tchar.h`'s `wmain`).

pub mod compat;
pub mod console;
pub mod crt;
pub mod dll;
pub mod env;
pub mod file;
pub mod inherit;
pub mod memory;
pub mod message;
pub mod paths;
pub mod process;
pub mod psapi;
pub mod search;
pub mod security;
pub mod spawn;
pub mod strings;
pub mod strsafe;
pub mod synch;
pub mod system;
pub mod time;
pub mod toolhelp;
pub mod user32;
pub mod xproc;

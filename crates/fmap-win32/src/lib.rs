//! Win32-compatible C ABI over the fmap library: `CreateFileMapping`, `MapViewOfFile`,
//! `CreateMutex`, `WaitForMultipleObjects`, `CreateFile`, `CreateThread`, `CreateProcess`, …
//! for C and C++ programs on Linux, with Windows' return values and last-error codes.
//!
//! Build a program with the headers in `include/` and this crate's shared or static library:
//!
//! ```sh
//! cargo build --release -p fmap-win32
//! cc prog.c -Icrates/fmap-win32/include -Ltarget/release -lfmap_win32
//! ```
//!
//! This crate is a thin layer: every rule about objects, names, access, views, files and waits
//! is the library's ([`fmap`]); here are only what the C ABI itself needs — the handle table
//! ([`handles`]), the per-thread last error, conversion of ANSI/UTF-16 arguments ([`text`]),
//! and thread and process handles ([`process`]), which are waitable through an unnamed fmap
//! event set when they end. See the crate's README for the list of functions and the
//! differences from Windows.
//!
//! Every exported function has the contract of its Win32 namesake: pointer arguments must be
//! valid as the Win32 documentation describes (NULL where it allows NULL). Invalid *handles*
//! are always detected (`ERROR_INVALID_HANDLE`); invalid *pointers* cannot be.
#![allow(non_snake_case)]
// The exported functions' safety contract is the Win32 one, stated once above and summarised
// per function; pointer use is confined to small `// SAFETY:`-commented blocks.
#![allow(clippy::missing_safety_doc)]

pub mod consts;
pub mod file;
pub mod handles;
pub mod misc;
pub mod process;
pub mod section;
pub mod sync;
pub mod text;

//! What every exported function needs, whichever kind it is: the numeric constants of
//! `windows.h` ([`consts`]), the per-thread last error with `GetLastError` and `SetLastError`
//! ([`error`]), `HANDLE` values and the handle table ([`table`]), and the conversion of ANSI and
//! wide arguments and the writing of out-parameters ([`text`]).
//!
//! None of it forwards to the library and none of it is a Win32 service of its own: both
//! [`crate::objects`] and [`crate::runtime`] are written in terms of it, so it sits beside them
//! rather than in either.

pub mod consts;
pub mod error;
pub mod table;
pub mod text;

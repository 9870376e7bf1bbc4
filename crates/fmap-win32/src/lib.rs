//! Win32-compatible C ABI over the fmap library (work in progress: see the C ABI issue).

//! The thin skin over the [`fmap`] library: Win32 calls on sections, views and synchronization
//! objects, with their arguments converted (handle → object, ANSI/wide name → `&str`) and
//! forwarded; the library's [`fmap::Error`] becomes the last error. Every rule about names,
//! access, lifetime, views and waits is the library's.
//!
//! * [`section`] — `CreateFileMappingA/W`, `OpenFileMappingA/W`, `MapViewOfFile`,
//!   `MapViewOfFileEx`, `UnmapViewOfFile`, `FlushViewOfFile`.
//! * [`sync`] — `CreateMutexA/W`, `OpenMutexA/W`, `ReleaseMutex`, `CreateEventA/W`,
//!   `OpenEventA/W`, `SetEvent`, `ResetEvent`, `PulseEvent`, `CreateSemaphoreA/W`,
//!   `OpenSemaphoreA/W`, `ReleaseSemaphore`, `CreateWaitableTimer(Ex)A/W`,
//!   `OpenWaitableTimerA/W`, `SetWaitableTimer(Ex)`, `CancelWaitableTimer`,
//!   `WaitForSingleObject`, `WaitForMultipleObjects`, `SignalObjectAndWait`.
//! * [`handles`] — `CloseHandle`, `DuplicateHandle`.

pub mod apc;
pub mod handles;
pub mod section;
pub mod sync;

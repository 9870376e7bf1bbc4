//! Sections (file-mapping objects), their views, and files opened with Win32 share modes, on
//! top of the object store.

pub(crate) mod file;
pub(crate) mod mapping;
pub(crate) mod view;

//! The named-object store: names, namespace directories, object files and the holder-lock
//! protocol that gives Windows' name lifetime without a daemon. It knows nothing of what an
//! object is used for (sections, synchronization objects): those layers sit on top, and reach
//! back only through [`object::Object`]'s last-close hook.

pub(crate) mod header;
pub(crate) mod holders;
pub(crate) mod name;
pub(crate) mod namespace;
pub(crate) mod object;
pub(crate) mod segment;

//! The subcommands other than `watch` and `demo`, one module each, and the helpers several of
//! them (and `watch`, `demo`) share: name resolution, error wrapping, range checks, view mapping.

pub mod completions;
pub mod create;
pub mod gc;
pub mod ls;
pub mod manpages;
pub mod read;
pub mod release;
pub mod show;
pub mod signal;
pub mod wait;
pub mod write;

use crate::units::human_size;
use fmap::win32::ALLOCATION_GRANULARITY;
use fmap::{Access, Error, ErrorKind, Mapping, Name, Result};

/// The validated full name (`Local\x`) of what the user typed.
pub fn full_name(name: &str) -> Result<String> {
    Ok(Name::parse(name)?.to_string())
}

/// Puts `name` in front of a library message that does not mention it already.
pub fn named(name: &str) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        if e.message().contains(name) {
            e
        } else {
            Error::new(e.kind(), format!("{name}: {}", e.message()))
        }
    }
}

/// An error for writing our own output.
pub fn out_err(e: std::io::Error) -> Error {
    Error::os(e, "cannot write the output")
}

/// Checks `offset..offset+len` against a section of `size` bytes.
pub fn check_range(full: &str, size: u64, offset: u64, len: u64, verb: &str) -> Result<()> {
    if offset >= size {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "offset {offset} is past the end of {full}, which is {} ({size} bytes)",
                human_size(size)
            ),
        ));
    }
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "{verb} {len} bytes at offset {offset} would go past the end of {full}, which is {} ({size} bytes)",
                human_size(size)
            ),
        ));
    }
    Ok(())
}

/// Maps a view covering `offset..offset+len` (the view starts at the 64 KiB boundary below).
pub fn map_range(
    m: &Mapping,
    access: Access,
    offset: u64,
    len: u64,
) -> Result<(fmap::View, usize)> {
    let base = offset - offset % ALLOCATION_GRANULARITY;
    let view = m.map_view(access, base..offset + len)?;
    Ok((view, (offset - base) as usize))
}

/// The ASCII column's character for a byte.
pub fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

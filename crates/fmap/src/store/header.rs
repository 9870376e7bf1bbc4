//! Object files and their header: the format every fmap process reads from files that other
//! processes wrote, so every field is checked.
//!
//! # Object files
//!
//! A named object is one file in its namespace directory (see [`crate::store::namespace`]); an
//! unnamed one is a `memfd`. The first page is the header:
//!
//! | offset | field |
//! |---|---|
//! | 0 | magic `FMAPOBJ\0` |
//! | 8 | format version (1) |
//! | 12 | object type ([`Kind`]) |
//! | 16 | `closing` flag (see below) |
//! | 20 | flags (bit 0: file-backed section; bit 1: private, file mode 0600; bit 2: others read only; bit 3: data in a companion memfd; bit 4: data in a System V segment) |
//! | 24 | page protection (`PAGE_*`) |
//! | 28 | section attributes (`SEC_*`) |
//! | 32 | section size in bytes |
//! | 40, 48 | device and inode of a file-backed section's file, or of a section's companion memfd (bit 3); the segment id at 40 and the creator's IPC namespace inode at 48 (bit 4) |
//! | 56, 60 | name length, path length |
//! | 64 | creator's pid |
//! | 72 | creation time (ns since the Unix epoch) |
//! | 128..1024 | the full name (UTF-8) |
//! | 1024..2048 | type-specific state of synchronization objects; the holder table of an object with a companion memfd (bit 3; it runs on to 9216) |
//! | 2048..4096 | the file path of a file-backed section |
//!
//! A pagefile-backed section's data follows at offset 4096, unless it lives in a companion
//! memfd (flag bit 3; see [`crate::store::holders`]) or a System V segment (bit 4; see
//! [`crate::store::segment`]). The header is fully written before
//! the file gets its name (it is created with `O_TMPFILE` and published with `linkat`, which
//! fails if the name exists), so nobody ever sees a half-initialised object.

use crate::error::{bail, Error, Result};
use crate::store::name::Name;
use std::os::fd::BorrowedFd;

/// The type of a named object. All types share one namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Kind {
    /// A file-mapping object (section).
    Mapping = 1,
    /// A mutex.
    Mutex = 2,
    /// An event.
    Event = 3,
    /// A semaphore.
    Semaphore = 4,
    /// A waitable timer.
    Timer = 5,
}

impl Kind {
    fn from_raw(v: u32) -> Option<Kind> {
        Some(match v {
            1 => Kind::Mapping,
            2 => Kind::Mutex,
            3 => Kind::Event,
            4 => Kind::Semaphore,
            5 => Kind::Timer,
            _ => return None,
        })
    }

    /// The type with its indefinite article: `"a file mapping"`, `"an event"`, …
    pub fn with_article(self) -> &'static str {
        match self {
            Kind::Mapping => "a file mapping",
            Kind::Mutex => "a mutex",
            Kind::Event => "an event",
            Kind::Semaphore => "a semaphore",
            Kind::Timer => "a waitable timer",
        }
    }

    /// A lowercase word for messages: `"mapping"`, `"mutex"`, `"event"`, `"semaphore"`,
    /// `"timer"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mapping => "mapping",
            Kind::Mutex => "mutex",
            Kind::Event => "event",
            Kind::Semaphore => "semaphore",
            Kind::Timer => "timer",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(crate) const MAGIC: [u8; 8] = *b"FMAPOBJ\0";
pub(crate) const VERSION: u32 = 1;
/// Size of the header page; a pagefile section's data starts here.
pub(crate) const HEADER_SIZE: u64 = 4096;
pub(crate) const OFF_CLOSING: u64 = 16;
pub(crate) const NAME_OFF: usize = 128;
pub(crate) const NAME_MAX: usize = 1024 - NAME_OFF;
/// Offset of the type-specific state area in the header page.
pub(crate) const STATE_OFF: usize = 1024;
pub(crate) const PATH_OFF: usize = 2048;
pub(crate) const PATH_MAX: usize = 4096 - PATH_OFF;
pub(crate) const FLAG_FILE_BACKED: u32 = 1;
/// Created with [`Sharing::Private`](crate::Sharing::Private): the object file is `0600`.
pub(crate) const FLAG_PRIVATE: u32 = 2;
/// Created with [`Sharing::ReadOnly`](crate::Sharing::ReadOnly): others may only read it.
pub(crate) const FLAG_OTHERS_READ_ONLY: u32 = 4;
/// The object's data lives in an unlinked companion `memfd`, found through the holder table
/// that follows the header page (see [`crate::store::holders`]), not in the object file.
pub(crate) const FLAG_DATA_MEMFD: u32 = 8;
/// The object's data lives in a System V shared-memory segment marked for removal, whose id
/// is at offset 40 (see [`crate::store::segment`]), not in the object file.
pub(crate) const FLAG_DATA_SEGMENT: u32 = 16;

/// The header flags that record a creator's [`Sharing`](crate::Sharing).
pub(crate) fn sharing_flags(s: crate::store::namespace::Sharing) -> u32 {
    use crate::store::namespace::Sharing;
    match s {
        Sharing::Namespace => 0,
        Sharing::ReadOnly => FLAG_OTHERS_READ_ONLY,
        Sharing::Private => FLAG_PRIVATE,
    }
}

/// The decoded header of an object file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub kind: Kind,
    pub closing: u32,
    pub flags: u32,
    pub protection: u32,
    pub sec: u32,
    pub size: u64,
    pub file_dev: u64,
    pub file_ino: u64,
    pub creator_pid: u32,
    pub created_ns: u64,
    pub name: String,
    pub path: Vec<u8>,
}

impl Header {
    pub(crate) fn new(kind: Kind, name: Option<&Name>) -> Header {
        Header {
            kind,
            closing: 0,
            flags: 0,
            protection: 0,
            sec: 0,
            size: 0,
            file_dev: 0,
            file_ino: 0,
            creator_pid: crate::sys::proc::current_pid(),
            created_ns: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0),
            name: name.map(|n| n.to_string()).unwrap_or_default(),
            path: Vec::new(),
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; if self.path.is_empty() { 1024 } else { 4096 }];
        b[0..8].copy_from_slice(&MAGIC);
        put32(&mut b, 8, VERSION);
        put32(&mut b, 12, self.kind as u32);
        put32(&mut b, 16, self.closing);
        put32(&mut b, 20, self.flags);
        put32(&mut b, 24, self.protection);
        put32(&mut b, 28, self.sec);
        put64(&mut b, 32, self.size);
        put64(&mut b, 40, self.file_dev);
        put64(&mut b, 48, self.file_ino);
        put32(&mut b, 56, self.name.len() as u32);
        put32(&mut b, 60, self.path.len() as u32);
        put32(&mut b, 64, self.creator_pid);
        put64(&mut b, 72, self.created_ns);
        b[NAME_OFF..NAME_OFF + self.name.len()].copy_from_slice(self.name.as_bytes());
        if !self.path.is_empty() {
            b[PATH_OFF..PATH_OFF + self.path.len()].copy_from_slice(&self.path);
        }
        b
    }

    /// Decodes a header; any inconsistency is `ERROR_INVALID_DATA`, never a panic.
    pub(crate) fn decode(b: &[u8], what: &dyn std::fmt::Display) -> Result<Header> {
        if b.len() < 1024 || b[0..8] != MAGIC {
            bail!(InvalidData, "{what} is not an fmap object file");
        }
        let version = get32(b, 8);
        if version != VERSION {
            bail!(
                InvalidData,
                "{what} has format version {version}; this fmap reads version {VERSION}"
            );
        }
        let Some(kind) = Kind::from_raw(get32(b, 12)) else {
            bail!(
                InvalidData,
                "{what} has an unknown object type {}",
                get32(b, 12)
            );
        };
        let name_len = get32(b, 56) as usize;
        let path_len = get32(b, 60) as usize;
        if name_len > NAME_MAX
            || path_len >= PATH_MAX
            || (path_len > 0 && b.len() < PATH_OFF + path_len)
        {
            bail!(
                InvalidData,
                "{what} has a corrupt header (name or path length out of range)"
            );
        }
        let Ok(name) = std::str::from_utf8(&b[NAME_OFF..NAME_OFF + name_len]) else {
            bail!(
                InvalidData,
                "{what} has a corrupt header (name is not UTF-8)"
            );
        };
        Ok(Header {
            kind,
            closing: get32(b, 16),
            flags: get32(b, 20),
            protection: get32(b, 24),
            sec: get32(b, 28),
            size: get64(b, 32),
            file_dev: get64(b, 40),
            file_ino: get64(b, 48),
            creator_pid: get32(b, 64),
            created_ns: get64(b, 72),
            name: name.to_owned(),
            path: if path_len == 0 {
                Vec::new()
            } else {
                b[PATH_OFF..PATH_OFF + path_len].to_vec()
            },
        })
    }
}

/// Decodes `bytes` as an object file's header page and returns the object's name: the parser
/// that every open runs on files other processes wrote. For fuzzing and the corpus replay test
/// (`fuzz/`, `tests/fuzz_corpus.rs`); not a stable API.
#[doc(hidden)]
pub(crate) fn decode_for_fuzzing(bytes: &[u8]) -> Result<String> {
    Header::decode(bytes, &"fuzz input").map(|h| h.name)
}

pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
pub(crate) fn get64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// One `pread` of an object file's header (retried if interrupted); a descriptor that is no
/// regular file is refused.
fn pread_header(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    off: u64,
    what: &dyn std::fmt::Display,
) -> Result<usize> {
    loop {
        match rustix::io::pread(fd, &mut *buf, off) {
            Ok(n) => return Ok(n),
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::SPIPE) | Err(rustix::io::Errno::ISDIR) => {
                bail!(
                    AccessDenied,
                    "{what} is not a regular file; refusing to use it"
                )
            }
            Err(e) => return Err(Error::os(e, format!("cannot read {what}"))),
        }
    }
}

pub(crate) fn read_header(fd: BorrowedFd<'_>, what: &dyn std::fmt::Display) -> Result<Header> {
    let mut buf = [0u8; 4096];
    // The fixed fields and the name fit in the first KiB; only file-backed sections need more.
    let mut want = 1024;
    let mut got = 0;
    while got < want {
        match pread_header(fd, &mut buf[got..want], got as u64, what)? {
            0 => break,
            n => got += n,
        }
        if got >= 64 && want == 1024 && get32(&buf, 60) != 0 {
            want = buf.len();
        }
    }
    Header::decode(&buf[..got], what)
}

/// [`read_header`] in one `pread` of the whole header page (a short read of a regular file is
/// its end); also returns the bytes read from [`STATE_OFF`] on (a section's holder table, for
/// instance), so that callers need not read them again.
pub(crate) fn read_header_page(
    fd: BorrowedFd<'_>,
    what: &dyn std::fmt::Display,
) -> Result<(Header, Vec<u8>)> {
    let mut buf = vec![0u8; HEADER_SIZE as usize];
    let got = pread_header(fd, &mut buf, 0, what)?;
    let header = Header::decode(&buf[..got], what)?;
    buf.truncate(got);
    let rest = if got > STATE_OFF {
        buf.split_off(STATE_OFF)
    } else {
        Vec::new()
    };
    Ok((header, rest))
}

pub(crate) fn write_closing(fd: BorrowedFd<'_>, v: u32) -> std::io::Result<()> {
    let n = rustix::io::pwrite(fd, &v.to_le_bytes(), OFF_CLOSING)?;
    if n != 4 {
        return Err(std::io::Error::from(std::io::ErrorKind::WriteZero));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let mut h = Header::new(Kind::Mapping, Some(&Name::parse("Local\\x").unwrap()));
        h.size = 12345;
        h.protection = 4;
        let b = h.encode();
        assert_eq!(b.len(), 1024);
        assert_eq!(Header::decode(&b, &"t").unwrap(), h);
        h.path = b"/tmp/file".to_vec();
        h.flags = FLAG_FILE_BACKED;
        let b = h.encode();
        assert_eq!(Header::decode(&b, &"t").unwrap(), h);
        // A header read short of its path is refused, not a panic.
        assert_eq!(
            Header::decode(&b[..1024], &"t").unwrap_err().kind(),
            ErrorKind::InvalidData
        );
    }

    proptest! {
        #[test]
        fn corrupt_headers_are_errors_not_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..4200), magic in any::<bool>()) {
            if magic && bytes.len() >= 16 {
                bytes[..8].copy_from_slice(&MAGIC);
                bytes[8..12].copy_from_slice(&VERSION.to_le_bytes());
            }
            let _ = Header::decode(&bytes, &"fuzz");
        }
    }
}

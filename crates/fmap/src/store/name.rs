//! Object names: Win32 syntax in, a safe file name out.
//!
//! A name is `Global\rest`, `Local\rest` or a bare `rest` (the same object as `Local\rest`).
//! The rules follow Windows' object manager as observed through kernel32:
//!
//! * comparison is exact (case-sensitive), including the `Global`/`Local` keywords, so
//!   `global\x` is not a prefix but a path whose directory does not exist;
//! * a backslash after the prefix fails with `ERROR_PATH_NOT_FOUND` (there are no
//!   subdirectories), and so does `Session\…` (there are no sessions on Linux);
//! * the bare keywords `Global`, `Local`, `Session` and an empty remainder (`Local\`) name the
//!   namespace directories themselves, which are not objects: `ERROR_INVALID_HANDLE`
//!   (Windows reports the type mismatch the same way);
//! * a name longer than `MAX_PATH - 1` UTF-16 code units fails with
//!   `ERROR_FILENAME_EXCED_RANGE`, the limit of kernel32's ANSI entry points, applied to every
//!   entry point so that names are portable between the A and W functions;
//! * a NUL character cannot be passed through the C API and is rejected with
//!   `ERROR_INVALID_NAME`.
//!
//! The name never becomes part of a path. The file that holds the object is named by the first
//! 128 bits of the SHA-256 of the name (32 hex digits), so no input can reach outside the
//! namespace directory; the full name is stored inside the object file and compared on open.

use crate::error::{bail, Result};
use crate::win32::MAX_PATH;
use sha2::{Digest, Sha256};
use std::fmt;

/// Which namespace directory a name lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `Local\name` or a bare `name`: private to the user.
    Local,
    /// `Global\name`: shared by every user of the machine.
    Global,
}

impl Scope {
    /// The prefix this scope is written with (`"Local\\"` or `"Global\\"`).
    pub fn prefix(self) -> &'static str {
        match self {
            Scope::Local => "Local\\",
            Scope::Global => "Global\\",
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Number of lock buckets per namespace directory (bytes of its `.lock` file).
pub(crate) const BUCKETS: u32 = 4096;

/// A parsed, valid object name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name {
    scope: Scope,
    rest: String,
    digest: [u8; 32],
    /// The object file's name: the first 16 digest bytes in lowercase hex.
    hex: [u8; 32],
}

impl Name {
    /// `Local\{base}`: a name private to the calling user. `base` must not start with a
    /// scope prefix (`Name::local("Global\\x")` is refused rather than taken as `Global\x`).
    ///
    /// ```
    /// let n = fmap::Name::local("telemetry")?;
    /// assert_eq!(n.to_string(), "Local\\telemetry");
    /// # Ok::<(), fmap::Error>(())
    /// ```
    pub fn local(base: &str) -> Result<Name> {
        Name::scoped(Scope::Local, base)
    }

    /// `Global\{base}`: a name every user of the machine shares.
    ///
    /// ```
    /// let n = fmap::Name::global("ready")?;
    /// assert_eq!(n.scope(), fmap::Scope::Global);
    /// # Ok::<(), fmap::Error>(())
    /// ```
    pub fn global(base: &str) -> Result<Name> {
        Name::scoped(Scope::Global, base)
    }

    fn scoped(scope: Scope, base: &str) -> Result<Name> {
        let n = Name::parse(&format!("{}{base}", scope.prefix()))?;
        if n.scope() != scope || n.base() != base {
            bail!(
                InvalidName,
                "{base:?} is not a base name (it carries a scope prefix of its own)"
            );
        }
        Ok(n)
    }

    /// Parses a Win32 object name. See the module documentation for the rules.
    pub fn parse(name: &str) -> Result<Name> {
        if name.is_empty() {
            bail!(InvalidHandle, "an empty name does not name an object");
        }
        let units = name.encode_utf16().count();
        if units >= MAX_PATH {
            bail!(
                FilenameExcedRange,
                "name is {units} UTF-16 characters long; at most {} are allowed",
                MAX_PATH - 1
            );
        }
        if name.contains('\0') {
            bail!(InvalidName, "name {name:?} contains a NUL character");
        }
        let (scope, rest) = if let Some(rest) = name.strip_prefix("Global\\") {
            (Scope::Global, rest)
        } else if let Some(rest) = name.strip_prefix("Local\\") {
            (Scope::Local, rest)
        } else if name.starts_with("Session\\") {
            bail!(
                PathNotFound,
                "name {name:?}: per-session namespaces (Session\\) do not exist on Linux"
            );
        } else {
            (Scope::Local, name)
        };
        if matches!(name, "Global" | "Local" | "Session") || rest.is_empty() {
            bail!(
                InvalidHandle,
                "name {name:?} names a namespace directory, not an object"
            );
        }
        if rest.contains('\\') {
            bail!(
                PathNotFound,
                "name {name:?}: a backslash is only allowed after the Global\\ or Local\\ prefix"
            );
        }
        let digest = Sha256::new()
            .chain_update(rest.as_bytes())
            .finalize()
            .into();
        let digest: [u8; 32] = digest;
        let mut hex = [0u8; 32];
        for (i, b) in digest[..16].iter().enumerate() {
            hex[2 * i] = HEX[(b >> 4) as usize];
            hex[2 * i + 1] = HEX[(b & 15) as usize];
        }
        Ok(Name {
            scope,
            rest: rest.to_owned(),
            digest,
            hex,
        })
    }

    /// The namespace the name lives in.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The part after the prefix.
    pub fn base(&self) -> &str {
        &self.rest
    }

    /// The file name that holds this object inside its namespace directory: 32 lowercase hex
    /// digits.
    pub fn file_name(&self) -> String {
        self.file_name_str().to_owned()
    }

    /// [`file_name`](Name::file_name) without allocating.
    pub(crate) fn file_name_str(&self) -> &str {
        // The bytes are ASCII hex digits by construction.
        std::str::from_utf8(&self.hex).unwrap_or("")
    }

    /// The lock bucket (byte offset in the namespace's `.lock` file) that serialises
    /// operations on this name.
    pub(crate) fn bucket(&self) -> u32 {
        // The first 16 bits of the digest, i.e. the first four hex digits of the file name, so
        // that a sweeper that only sees the file name finds the same bucket.
        (u32::from(self.digest[0]) << 8 | u32::from(self.digest[1])) % BUCKETS
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.scope.prefix(), self.rest)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({:?})", self.to_string())
    }
}

/// Is `s` a file name that [`Name::file_name`] can produce?
pub(crate) fn is_object_file_name(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use proptest::prelude::*;

    fn kind(s: &str) -> ErrorKind {
        Name::parse(s).unwrap_err().kind()
    }

    #[test]
    fn prefixes() {
        let a = Name::parse("foo").unwrap();
        let b = Name::parse("Local\\foo").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.file_name(), b.file_name());
        assert_eq!(a.to_string(), "Local\\foo");
        let g = Name::parse("Global\\foo").unwrap();
        assert_eq!(g.scope(), Scope::Global);
        assert_eq!(g.base(), "foo");
        assert_eq!(g.file_name(), a.file_name());
        assert_ne!(g, a);
    }

    #[test]
    fn case_sensitive() {
        let a = Name::parse("Foo").unwrap();
        let b = Name::parse("foo").unwrap();
        assert_ne!(a.file_name(), b.file_name());
        assert_eq!(kind("global\\x"), ErrorKind::PathNotFound);
        assert_eq!(kind("LOCAL\\x"), ErrorKind::PathNotFound);
    }

    #[test]
    fn rejects() {
        assert_eq!(kind("Local\\a\\b"), ErrorKind::PathNotFound);
        assert_eq!(kind("a\\b"), ErrorKind::PathNotFound);
        assert_eq!(kind("Session\\1\\x"), ErrorKind::PathNotFound);
        assert_eq!(kind("Global"), ErrorKind::InvalidHandle);
        assert_eq!(kind("Local"), ErrorKind::InvalidHandle);
        assert_eq!(kind("Local\\"), ErrorKind::InvalidHandle);
        assert_eq!(kind(""), ErrorKind::InvalidHandle);
        assert_eq!(kind("a\0b"), ErrorKind::InvalidName);
        assert_eq!(kind(&"x".repeat(260)), ErrorKind::FilenameExcedRange);
        assert!(Name::parse(&"x".repeat(259)).is_ok());
        // The limit counts UTF-16 units, like the A entry points' conversion buffer.
        assert_eq!(kind(&"😀".repeat(130)), ErrorKind::FilenameExcedRange);
        assert!(Name::parse(&"😀".repeat(129)).is_ok());
        // Slashes, dots and other path syntax are ordinary characters.
        for ok in [
            "..",
            ".",
            "/",
            "../../etc/passwd",
            "a/b",
            " ",
            "Global\\..",
            "-",
        ] {
            let n = Name::parse(ok).unwrap();
            assert!(is_object_file_name(&n.file_name()));
        }
    }

    proptest! {
        #[test]
        fn never_escapes(s in ".*") {
            if let Ok(n) = Name::parse(&s) {
                let f = n.file_name();
                prop_assert!(is_object_file_name(&f));
                prop_assert!(!f.contains('/') && f != "." && f != "..");
                prop_assert!(n.bucket() < BUCKETS);
                prop_assert_eq!(crate::store::namespace::bucket_of_file(&f), n.bucket());
                // The name round-trips.
                let again = Name::parse(&n.to_string()).unwrap();
                prop_assert_eq!(again, n);
            }
        }

        #[test]
        fn distinct_names_distinct_files(a in "[^\\\\]{1,40}", b in "[^\\\\]{1,40}") {
            prop_assume!(a != b && !a.contains('\0') && !b.contains('\0'));
            prop_assume!(!matches!(a.as_str(), "Global" | "Local" | "Session"));
            prop_assume!(!matches!(b.as_str(), "Global" | "Local" | "Session"));
            let na = Name::parse(&a).unwrap();
            let nb = Name::parse(&b).unwrap();
            prop_assert_ne!(na.file_name(), nb.file_name());
        }
    }
}

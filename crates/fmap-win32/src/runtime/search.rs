//! How `CreateProcess` finds the program to run, the Windows way:
//!
//! * `lpApplicationName` is never searched: a relative name is completed from the current
//!   directory (the caller's, not `lpCurrentDirectory`), and no extension is added.
//! * Otherwise the program is the first token of `lpCommandLine`: up to the closing quote if
//!   the line starts with one; else up to the first blank — and if no program has that name,
//!   up to the next blank, and so on (`C:\Program Files\x.exe` unquoted tries `C:\Program`
//!   first). A bare name is searched in the directory of the running program, the current
//!   directory, then each directory of `$PATH`; a name with a directory is taken relative to
//!   the current directory. `.exe` is appended when the name has no extension.
//! * On Linux programs have no `.exe`: every name ending in `.exe` (given or appended) is also
//!   tried without it, in the same directory, so a port that starts `"child.exe"` finds
//!   `./child`.
//!
//! Not found: `ERROR_FILE_NOT_FOUND`, or `ERROR_PATH_NOT_FOUND` when the directory part of the
//! name does not exist. A directory named as the program is `ERROR_ACCESS_DENIED` (what
//! Windows gives for opening a directory as a file); a file that cannot be executed is reported
//! when it is started (`ERROR_ACCESS_DENIED` without execute permission, `ERROR_BAD_EXE_FORMAT`
//! for a file that is no program).

use crate::abi::consts::*;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Backslashes are directory separators.
pub fn slashes(s: &[u8]) -> PathBuf {
    let b: Vec<u8> = s
        .iter()
        .map(|&c| if c == b'\\' { b'/' } else { c })
        .collect();
    PathBuf::from(OsString::from_vec(b))
}

/// The names tried for `name`, in order: the name (with `.exe` appended first when it has no
/// extension and `append_exe`), and every `….exe` also without `.exe`.
fn variants(name: &Path, append_exe: bool) -> Vec<PathBuf> {
    let b = name.as_os_str().as_bytes();
    let last = b.rsplit(|&c| c == b'/').next().unwrap_or(b);
    let with = |suffix: &[u8]| PathBuf::from(OsString::from_vec([b, suffix].concat()));
    let cut = |n: usize| PathBuf::from(OsString::from_vec(b[..b.len() - n].to_vec()));
    if last.is_empty() {
        return Vec::new(); // a directory, not a file name
    }
    if last.len() > 4 && last[last.len() - 4..].eq_ignore_ascii_case(b".exe") {
        vec![name.to_owned(), cut(4)]
    } else if let Some(dots) = last
        .iter()
        .rev()
        .position(|&c| c != b'.')
        .filter(|&n| n > 0)
    {
        // "prog." (a trailing period: no extension, Windows drops the period)
        vec![name.to_owned(), cut(dots)]
    } else if append_exe && !last.contains(&b'.') {
        vec![with(b".exe"), name.to_owned()]
    } else {
        vec![name.to_owned()]
    }
}

/// What is found at `p`: `Some(Ok)` a file, `Some(Err)` a directory, `None` nothing.
fn probe(p: &Path) -> Option<Result<(), ()>> {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => Some(Err(())),
        Ok(_) => Some(Ok(())),
        Err(_) => None,
    }
}

/// The error for a name that was not found: `ERROR_PATH_NOT_FOUND` when its directory is
/// missing, else `ERROR_FILE_NOT_FOUND`.
fn not_found(full: &Path) -> u32 {
    match full.parent() {
        Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => ERROR_PATH_NOT_FOUND,
        _ => ERROR_FILE_NOT_FOUND,
    }
}

/// `lpApplicationName`: `app` as given (relative: from `cwd`), or without its `.exe`.
pub fn application(app: &Path, cwd: &Path) -> Result<PathBuf, u32> {
    if app.as_os_str().is_empty() {
        return Err(ERROR_PATH_NOT_FOUND);
    }
    let full = cwd.join(app);
    for v in variants(&full, false) {
        match probe(&v) {
            Some(Ok(())) => return Ok(v),
            Some(Err(())) => return Err(ERROR_ACCESS_DENIED),
            None => {}
        }
    }
    match probe(&full) {
        Some(Err(())) => Err(ERROR_ACCESS_DENIED), // "dir/"
        _ => Err(not_found(&full)),
    }
}

/// The directories a bare program name is searched in: the running program's, the current
/// one, then `$PATH`'s.
fn search_dirs(cwd: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_owned))
    {
        dirs.push(d);
    }
    dirs.push(cwd.to_owned());
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(
            std::env::split_paths(&path)
                .filter(|d| !d.as_os_str().is_empty())
                .map(|d| cwd.join(d)),
        );
    }
    dirs
}

/// One candidate program name from the command line (backslashes already turned into
/// slashes).
fn token(name: &Path, cwd: &Path) -> Result<PathBuf, u32> {
    let b = name.as_os_str().as_bytes();
    if b.is_empty() {
        return Err(ERROR_FILE_NOT_FOUND);
    }
    let searched = !b.contains(&b'/');
    let dirs = if searched {
        search_dirs(cwd)
    } else {
        vec![cwd.to_owned()] // absolute (join keeps it) or relative to the current directory
    };
    for d in &dirs {
        for v in variants(&d.join(name), true) {
            if let Some(Ok(())) = probe(&v) {
                return Ok(v);
            }
        }
    }
    if searched {
        Err(ERROR_FILE_NOT_FOUND)
    } else {
        Err(not_found(&cwd.join(name)))
    }
}

/// The program named by a command line (UTF-16; `lpApplicationName` NULL). The error is the
/// first token's when no prefix names a program.
pub fn command_line(line: &[u16], cwd: &Path) -> Result<PathBuf, u32> {
    const Q: u16 = b'"' as u16;
    let path = |units: &[u16]| -> Result<PathBuf, u32> {
        let s = String::from_utf16(units).map_err(|_| ERROR_NO_UNICODE_TRANSLATION)?;
        Ok(slashes(s.as_bytes()))
    };
    if line.first() == Some(&Q) {
        if let Some(end) = line[1..].iter().position(|&c| c == Q) {
            return token(&path(&line[1..1 + end])?, cwd);
        }
    }
    let blank = |c: &u16| *c == u16::from(b' ') || *c == u16::from(b'\t');
    let mut first_err = None;
    let mut ends: Vec<usize> = line
        .iter()
        .enumerate()
        .filter(|(_, c)| blank(c))
        .map(|(i, _)| i)
        .collect();
    ends.push(line.len());
    for end in ends {
        match token(&path(&line[..end])?, cwd) {
            Ok(p) => return Ok(p),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(ERROR_FILE_NOT_FOUND))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str, exe: bool) -> Vec<String> {
        variants(Path::new(s), exe)
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn names_tried() {
        assert_eq!(v("/d/child", true), ["/d/child.exe", "/d/child"]);
        assert_eq!(v("/d/child", false), ["/d/child"]);
        assert_eq!(v("/d/child.exe", true), ["/d/child.exe", "/d/child"]);
        assert_eq!(v("/d/child.EXE", false), ["/d/child.EXE", "/d/child"]);
        assert_eq!(v("/d/child.com", true), ["/d/child.com"]);
        assert_eq!(v("/d.x/child", true), ["/d.x/child.exe", "/d.x/child"]);
        assert_eq!(v("/d/child.", true), ["/d/child.", "/d/child"]);
        assert!(v("/d/", true).is_empty());
    }
}

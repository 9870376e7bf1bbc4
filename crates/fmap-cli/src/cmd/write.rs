//! `fmap write`: copies `--text`, `--from FILE` or standard input into a mapping, reading no
//! more than fits. Library calls: `Mapping::open_in`, `Mapping::map_view` (through
//! `map_range`), `View::write`, `View::flush`.

use super::{check_range, full_name, map_range, named};
use crate::style::safe;
use crate::units::human_size;
use crate::{WriteArgs, EXIT_OK};
use fmap::{Access, Error, ErrorKind, Mapping, Namespace, Result};
use std::io::{IsTerminal, Read};

pub fn run(a: WriteArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    if a.from.is_none() && a.text.is_none() && std::io::stdin().is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            "nothing to write: give --text STR or --from FILE, or pipe the data into fmap write",
        ));
    }
    // The section first: its room (size - offset) bounds how much of the input is ever read.
    let ns = Namespace::default();
    let m = Mapping::open_in(&ns, &full, Access::WRITE).map_err(named(&full))?;
    let size = m.size();
    check_range(&full, size, a.offset, 0, "writing")?;
    let room = size - a.offset;
    let written = match &a.text {
        Some(t) => {
            let data = t.as_bytes();
            check_range(&full, size, a.offset, data.len() as u64, "writing")?;
            if !data.is_empty() {
                let (view, start) = map_range(&m, Access::WRITE, a.offset, data.len() as u64)
                    .map_err(named(&full))?;
                view.write(start, data)?;
                if m.file_path().is_some() {
                    view.flush()?;
                }
            }
            data.len() as u64
        }
        None => {
            let (mut src, what) = open_source(a.from.as_deref())?;
            // A regular file says how long it is: refuse one that is too long before reading it.
            if let Some(len) = regular_file_remaining(&src) {
                check_range(&full, size, a.offset, len, "writing")?;
            }
            stream_into(&m, &full, a.offset, room, &mut src, &what)?
        }
    };
    if written == 0 {
        println!("wrote 0 bytes to {}", safe(&full));
    } else {
        println!(
            "wrote {written} byte(s) at offset {} of {}",
            a.offset,
            safe(&full)
        );
    }
    Ok(EXIT_OK)
}

/// How much `fmap write` reads (and copies into the section) at a time.
const WRITE_CHUNK: u64 = 1 << 20;

/// The input of `fmap write`: `--from FILE`, or standard input (`--from -`, or nothing given),
/// read through its own descriptor so that nothing is buffered ahead. With what to call it in
/// messages.
fn open_source(from: Option<&std::path::Path>) -> Result<(std::fs::File, String)> {
    match from {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p)
                .map_err(|e| Error::os(e, format!("cannot read {}", p.display())))?;
            Ok((f, p.display().to_string()))
        }
        _ => {
            use std::os::fd::AsFd;
            let fd = std::io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|e| Error::os(e, "cannot read standard input"))?;
            Ok((std::fs::File::from(fd), "standard input".to_owned()))
        }
    }
}

/// The bytes left to read in `f` if it is a regular file (pipes, FIFOs and devices: `None`).
fn regular_file_remaining(f: &std::fs::File) -> Option<u64> {
    use std::io::Seek;
    let md = f.metadata().ok().filter(|m| m.is_file())?;
    let mut r: &std::fs::File = f;
    let pos = r.stream_position().unwrap_or(0);
    Some(md.len().saturating_sub(pos))
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn read_full(src: &mut std::fs::File, buf: &mut [u8], what: &str) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::os(e, format!("cannot read {what}"))),
        }
    }
    Ok(got)
}

/// Copies `src` into the section at `offset`, reading at most `room + 1` bytes in all and
/// holding at most [`WRITE_CHUNK`] + 1 of them at a time. Input longer than `room` fails with
/// `ERROR_INVALID_PARAMETER`: with nothing written when it was seen in the first read (always
/// the case when `room` is at most one chunk), else after the section was filled to its end.
/// Returns the number of bytes written.
fn stream_into(
    m: &Mapping,
    full: &str,
    offset: u64,
    room: u64,
    src: &mut std::fs::File,
    what: &str,
) -> Result<u64> {
    let size = m.size();
    let too_long = |written: u64| {
        let done = if written == 0 {
            "nothing was written".to_owned()
        } else {
            format!("its first {written} bytes were written, up to the end of the section")
        };
        Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "writing more than {room} bytes at offset {offset} would go past the end of {full}, which is {} ({size} bytes): {what} is longer; {done}",
                human_size(size)
            ),
        )
    };
    let mut buf = vec![0u8; (room.min(WRITE_CHUNK) + 1) as usize];
    let mut view: Option<(fmap::View, usize)> = None;
    let mut done: u64 = 0;
    loop {
        // One byte more than still fits, to see whether the input goes past the end.
        let want = ((room - done).min(WRITE_CHUNK) + 1) as usize;
        let n = read_full(src, &mut buf[..want], what)?;
        let left = room - done;
        let over = n as u64 > left;
        if over && done == 0 {
            // Too long, and nothing written yet: keep it that way.
            return Err(too_long(0));
        }
        let fits = if over { left as usize } else { n };
        if fits > 0 {
            if view.is_none() {
                // All of the input is in hand when the first read ended short of `want`.
                let span = if n < want { n as u64 } else { room };
                view = Some(map_range(m, Access::WRITE, offset, span).map_err(named(full))?);
            }
            if let Some((v, start)) = &view {
                v.write(start + done as usize, &buf[..fits])?;
            }
            done += fits as u64;
        }
        if over || n < want {
            if let (Some((v, _)), Some(_)) = (&view, m.file_path()) {
                v.flush()?;
            }
            if over {
                return Err(too_long(done));
            }
            break;
        }
    }
    Ok(done)
}

//! The subcommands other than `watch` and `demo`.

use crate::report::{self, Entry, LsJson, ObjectJson};
use crate::style::{self, safe, safe_path};
use crate::units::{human_duration, human_size};
use crate::{
    CreateCmd, HoldArgs, LsArgs, NameArg, ReadArgs, ReleaseArgs, ShowArgs, WaitArgs, WriteArgs,
    EXIT_ABANDONED, EXIT_FAILED, EXIT_OK, EXIT_TIMED_OUT,
};
use fmap::win32::*;
use fmap::{
    Access, Disposition, Error, ErrorKind, Event, File, Kind, Mapping, MappingOptions, Mutex, Name,
    Namespace, Protection, Result, Scope, Semaphore, WaitResult, Waitable,
};
use std::io::{IsTerminal, Read, Write};
use std::sync::mpsc;

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

/// A channel that receives once when SIGINT, SIGTERM or SIGHUP arrives.
pub fn termination() -> Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| {
        Error::new(
            ErrorKind::Other,
            format!("cannot install the Ctrl-C handler: {e}"),
        )
    })?;
    Ok(rx)
}

// ---------------------------------------------------------------------------------------------
// ls, show, gc

pub fn ls(a: LsArgs) -> Result<u8> {
    let ns = Namespace::default();
    let scopes: &[Scope] = if a.all_users {
        &[Scope::Local, Scope::Global]
    } else if a.global {
        &[Scope::Global]
    } else {
        &[Scope::Local]
    };
    // Entries that are not fmap objects (planted under object file names, or corrupt) are
    // listed as FOREIGN, never a reason to fail or to hide the rest.
    let mut infos = Vec::new();
    let mut foreign = Vec::new();
    if a.all_users {
        let all = ns.list_all_users_entries()?;
        for dir in all.unreadable {
            eprintln!(
                "fmap: note: cannot read {} (another user's private namespace: run as root to list it)",
                safe_path(&dir)
            );
        }
        infos = all.objects;
        foreign = all.foreign;
    } else {
        for s in scopes {
            let l = ns.list_entries(*s)?;
            infos.extend(l.objects);
            foreign.extend(l.foreign);
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let entries = Entry::many(infos);
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = LsJson {
            schema: report::LS_SCHEMA,
            root: ns.root().display().to_string(),
            scopes: scopes
                .iter()
                .map(|s| match s {
                    Scope::Local => "local",
                    Scope::Global => "global",
                })
                .collect(),
            objects: entries
                .iter()
                .map(|e| report::object_json(e, None))
                .collect(),
            foreign: foreign.iter().map(report::foreign_json).collect(),
        };
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(out_err)?;
        return Ok(EXIT_OK);
    }
    if entries.is_empty() {
        let which = scopes
            .iter()
            .map(|s| s.prefix())
            .collect::<Vec<_>>()
            .join(" or ");
        writeln!(
            out,
            "no objects in {which} (namespace root {})",
            safe_path(ns.root())
        )
        .map_err(out_err)?;
    } else {
        write!(out, "{}", report::ls_table(&entries)).map_err(out_err)?;
    }
    if !foreign.is_empty() {
        write!(out, "{}", report::foreign_lines(&foreign)).map_err(out_err)?;
    }
    let stale = entries.iter().filter(|e| !e.info.alive).count();
    if stale > 0 {
        writeln!(
            out,
            "{}",
            style::RED.paint(format!(
                "{stale} stale object(s): their holders died; `fmap gc` removes them"
            ))
        )
        .map_err(out_err)?;
    }
    if !foreign.is_empty() {
        writeln!(
            out,
            "{}",
            style::RED.paint(format!(
                "{} foreign entr{} under object file names: not fmap objects (planted, or corrupt); \
                 the name whose file each occupies cannot be used while it is there",
                foreign.len(),
                if foreign.len() == 1 { "y" } else { "ies" }
            ))
        )
        .map_err(out_err)?;
    }
    Ok(EXIT_OK)
}

pub fn show(a: ShowArgs) -> Result<u8> {
    let name = Name::parse(&a.name)?;
    let full = name.to_string();
    let ns = Namespace::default();
    let info = match ns.find(&full) {
        Ok(i) => i,
        // A stale object (its holders died) is absent for every API, but `fmap ls` lists it
        // until it is swept: show it too, marked as such.
        Err(e) if e.kind() == ErrorKind::FileNotFound => ns
            .list(name.scope())?
            .into_iter()
            .find(|i| i.name == full && !i.alive)
            .ok_or(e)?,
        Err(e) => return Err(e),
    };
    let entry = Entry::new(info);
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc: ObjectJson = report::object_json(&entry, Some(report::OBJECT_SCHEMA));
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(out_err)?;
    } else {
        write!(out, "{}", report::show_text(&entry)).map_err(out_err)?;
    }
    Ok(EXIT_OK)
}

pub fn gc() -> Result<u8> {
    let ns = Namespace::default();
    let r = ns.sweep()?;
    if r.removed.is_empty() {
        println!("nothing removed from {}", safe_path(ns.root()));
    } else {
        println!(
            "removed {} stale object(s), freed {}:",
            r.removed.len(),
            human_size(r.bytes_freed)
        );
        for n in &r.removed {
            println!("  {}", safe(n));
        }
    }
    println!("{} object(s) have a live holder", r.alive);
    if !r.busy.is_empty() {
        println!(
            "{} object(s) skipped: their bucket lock was held by another process (run gc again; \
             a process that stays stopped or another user may hold it)",
            r.busy.len()
        );
        for f in &r.busy {
            println!("  {}", safe(f));
        }
    }
    if !r.failed.is_empty() {
        println!(
            "{} object(s) could not be examined or removed:",
            r.failed.len()
        );
        for (f, e) in &r.failed {
            println!("  {}: {}", safe(f), safe(&e.to_string()));
        }
        return Ok(EXIT_FAILED);
    }
    Ok(EXIT_OK)
}

// ---------------------------------------------------------------------------------------------
// create

fn holders_other_than_me(ns: &Namespace, name: &str) -> Option<usize> {
    let info = ns.find(name).ok()?;
    let me = std::process::id();
    Some(
        fmap::holders(&info)
            .iter()
            .filter(|h| h.pid != me && h.has_handle)
            .count(),
    )
}

fn announce(existed: bool, what: &str, name: &str, detail: &str) {
    let (name, detail) = (safe(name), safe(detail));
    if existed {
        println!(
            "opened existing {what} {} — it already existed (ERROR_ALREADY_EXISTS); {detail}",
            style::BOLD.paint(name)
        );
    } else {
        println!("created {what} {}: {detail}", style::BOLD.paint(name));
    }
}

fn hold(name: &str, hold: HoldArgs) -> Result<()> {
    let rx = termination()?;
    let name = safe(name);
    match hold.exit_after {
        Some(d) => println!(
            "holding it open as pid {} for {}; Ctrl-C closes it sooner",
            std::process::id(),
            human_duration(d)
        ),
        None => println!(
            "holding {name} open as pid {}; press Ctrl-C to close it and exit",
            std::process::id()
        ),
    }
    match hold.exit_after {
        Some(d) => {
            let _ = rx.recv_timeout(d);
        }
        None => {
            let _ = rx.recv();
        }
    }
    Ok(())
}

fn farewell(ns: &Namespace, name: &str) {
    let shown = safe(name);
    match ns.find(name) {
        Err(e) if e.kind() == ErrorKind::FileNotFound => {
            println!("closed {shown}; no handle is left anywhere, so the name is gone")
        }
        Ok(_) => {
            let others = holders_other_than_me(ns, name).unwrap_or(0);
            println!(
                "closed our handle; {shown} stays alive while {others} other process(es) hold it"
            )
        }
        Err(_) => println!("closed {shown}"),
    }
}

pub fn create(c: CreateCmd) -> Result<u8> {
    let ns = Namespace::default();
    match c {
        CreateCmd::Mapping {
            name,
            size,
            file,
            readonly,
            hold: h,
        } => {
            let full = full_name(&name)?;
            if file.is_none() && size.is_none() {
                return Err(Error::new(
                    ErrorKind::InvalidParameter,
                    format!(
                        "a memory-backed mapping needs a size: fmap create mapping {name} --size 4MiB"
                    ),
                ));
            }
            let prot = if readonly {
                Protection::ReadOnly
            } else {
                Protection::ReadWrite
            };
            let backing = match &file {
                Some(p) => {
                    let (access, disp) = if readonly {
                        (GENERIC_READ, Disposition::OpenExisting)
                    } else {
                        (GENERIC_READ | GENERIC_WRITE, Disposition::OpenAlways)
                    };
                    Some(File::open(
                        p,
                        access,
                        FILE_SHARE_READ | FILE_SHARE_WRITE,
                        disp,
                    )?)
                }
                None => None,
            };
            let mut opts = MappingOptions::new()
                .namespace(&ns)
                .name(&full)
                .protection(prot)
                .size(size.unwrap_or(0));
            if let Some((f, _)) = &backing {
                opts = opts.file(f);
            }
            let m = opts.create().map_err(named(&full))?;
            let backed = match (&backing, m.file_path()) {
                (Some((_, existed)), Some(p)) => format!(
                    "file {} ({})",
                    p.display(),
                    if *existed {
                        "existing file"
                    } else {
                        "new file"
                    }
                ),
                _ => "memory-backed".to_owned(),
            };
            let detail = format!(
                "{} ({} bytes), {}, {backed}",
                human_size(m.size()),
                m.size(),
                m.protection()
            );
            if m.already_existed() {
                announce(
                    true,
                    "mapping",
                    &full,
                    &format!("kept as it is: {detail}; --size and --readonly are ignored"),
                );
            } else {
                announce(false, "mapping", &full, &detail);
            }
            hold(&full, h)?;
            drop(m);
            drop(backing);
            farewell(&ns, &full);
        }
        CreateCmd::Event {
            name,
            manual_reset,
            signaled,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let e =
                Event::create_in(&ns, Some(&full), manual_reset, signaled).map_err(named(&full))?;
            let detail = format!(
                "{}-reset, {}",
                if e.is_manual_reset()? {
                    "manual"
                } else {
                    "auto"
                },
                if e.is_set()? {
                    "signaled"
                } else {
                    "not signaled"
                }
            );
            announce(e.already_existed(), "event", &full, &detail);
            hold(&full, h)?;
            drop(e);
            farewell(&ns, &full);
        }
        CreateCmd::Mutex {
            name,
            owned,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let m = Mutex::create_in(&ns, Some(&full), owned).map_err(named(&full))?;
            let mine = m.is_owned_by_current_thread()?;
            let detail = if mine {
                "owned by this process until it exits".to_owned()
            } else {
                match ns.find(&full).map(|i| i.state) {
                    Ok(fmap::ObjectState::Mutex {
                        owner: Some((pid, tid)),
                        ..
                    }) => format!("owned by pid {pid} tid {tid}"),
                    _ => "free".to_owned(),
                }
            };
            announce(m.already_existed(), "mutex", &full, &detail);
            if owned && m.already_existed() && !mine {
                println!("(--owned is ignored for an existing mutex, as bInitialOwner is on Windows; use `fmap wait {}` to take it)", safe(&full));
            }
            hold(&full, h)?;
            if mine {
                let _ = m.release();
            }
            drop(m);
            farewell(&ns, &full);
        }
        CreateCmd::Semaphore {
            name,
            initial,
            max,
            hold: h,
        } => {
            let full = full_name(&name)?;
            let s = Semaphore::create_in(&ns, Some(&full), initial, max).map_err(named(&full))?;
            let (count, maximum) = s.count()?;
            announce(
                s.already_existed(),
                "semaphore",
                &full,
                &format!("count {count} of {maximum}"),
            );
            hold(&full, h)?;
            drop(s);
            farewell(&ns, &full);
        }
    }
    Ok(EXIT_OK)
}

// ---------------------------------------------------------------------------------------------
// read, write

/// Checks `offset..offset+len` against a section of `size` bytes.
fn check_range(full: &str, size: u64, offset: u64, len: u64, verb: &str) -> Result<()> {
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
fn map_range(m: &Mapping, access: Access, offset: u64, len: u64) -> Result<(fmap::View, usize)> {
    let base = offset - offset % ALLOCATION_GRANULARITY;
    let span = usize::try_from(offset + len - base).map_err(|_| {
        Error::new(
            ErrorKind::NotEnoughMemory,
            "the range does not fit the address space",
        )
    })?;
    let view = m.map_view(access, base, span)?;
    Ok((view, (offset - base) as usize))
}

pub fn read(a: ReadArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let m = Mapping::open_in(&ns, &full, Access::READ).map_err(named(&full))?;
    let size = m.size();
    let len = match a.length {
        Some(l) => l,
        None => size.saturating_sub(a.offset),
    };
    check_range(&full, size, a.offset, len, "reading")?;
    if len == 0 {
        return Ok(EXIT_OK);
    }
    let (view, start) = map_range(&m, Access::READ, a.offset, len).map_err(named(&full))?;
    drop(m);
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    const CHUNK: usize = 1 << 20;
    let mut buf = vec![0u8; CHUNK.min(len as usize)];
    let mut done: u64 = 0;
    let mut hex = HexDump::new(a.offset);
    while done < len {
        let n = (len - done).min(CHUNK as u64) as usize;
        let chunk = &mut buf[..n];
        view.read(start + done as usize, chunk)?;
        if a.hex {
            hex.feed(chunk, &mut out).map_err(out_err)?;
        } else if tty && a.length.is_none() {
            // On a terminal, stop at the first NUL: a section is mostly zeros after its text.
            if let Some(z) = chunk.iter().position(|&b| b == 0) {
                out.write_all(&chunk[..z]).map_err(out_err)?;
                if z > 0 || done > 0 {
                    out.write_all(b"\n").map_err(out_err)?;
                }
                out.flush().map_err(out_err)?;
                eprintln!(
                    "{}",
                    style::DIM.paint(format!(
                        "(stopped at the first NUL byte, offset {}; use --hex or --length to see more)",
                        a.offset + done + z as u64
                    ))
                );
                return Ok(EXIT_OK);
            }
            out.write_all(chunk).map_err(out_err)?;
        } else {
            out.write_all(chunk).map_err(out_err)?;
        }
        done += n as u64;
    }
    if a.hex {
        hex.finish(&mut out).map_err(out_err)?;
    }
    out.flush().map_err(out_err)?;
    Ok(EXIT_OK)
}

/// `hexdump -C`-style output: repeated lines collapse to `*`.
struct HexDump {
    offset: u64,
    line: Vec<u8>,
    prev: Option<Vec<u8>>,
    starred: bool,
}

impl HexDump {
    fn new(offset: u64) -> HexDump {
        HexDump {
            offset,
            line: Vec::with_capacity(16),
            prev: None,
            starred: false,
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut impl Write) -> std::io::Result<()> {
        for &b in data {
            self.line.push(b);
            if self.line.len() == 16 {
                self.emit(out)?;
            }
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if self.prev.as_ref() == Some(&line) && line.len() == 16 {
            if !self.starred {
                writeln!(out, "*")?;
                self.starred = true;
            }
        } else {
            self.starred = false;
            writeln!(out, "{}", hex_line(self.offset, &line, 16))?;
        }
        self.offset += line.len() as u64;
        self.prev = Some(line);
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.starred = false;
            self.prev = None;
            self.emit(out)?;
        }
        writeln!(out, "{:08x}", self.offset)
    }
}

/// One hex-dump line: `00000010  68 65 6c 6c 6f 00 …  |hello.|`.
pub fn hex_line(offset: u64, bytes: &[u8], width: usize) -> String {
    let mut s = format!("{offset:08x} ");
    for i in 0..width {
        if i % 8 == 0 {
            s.push(' ');
        }
        match bytes.get(i) {
            Some(b) => s.push_str(&format!("{b:02x} ")),
            None => s.push_str("   "),
        }
    }
    s.push(' ');
    s.push('|');
    for &b in bytes {
        s.push(printable(b));
    }
    s.push('|');
    s
}

/// The ASCII column's character for a byte.
pub fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

pub fn write(a: WriteArgs) -> Result<u8> {
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

// ---------------------------------------------------------------------------------------------
// signal, reset, pulse, release

#[derive(Debug, Clone, Copy)]
pub enum EventOp {
    Set,
    Reset,
    Pulse,
}

pub fn signal(a: NameArg, op: EventOp) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let e = Event::open_in(&ns, &full, EVENT_MODIFY_STATE | SYNCHRONIZE).map_err(named(&full))?;
    let shown = safe(&full);
    let reset = if e.is_manual_reset()? {
        "manual-reset"
    } else {
        "auto-reset"
    };
    match op {
        EventOp::Set => {
            e.set().map_err(named(&full))?;
            let now = if e.is_set()? {
                "it is signaled now"
            } else {
                "a waiter took the signal at once"
            };
            println!("signaled {shown} ({reset} event; {now})");
        }
        EventOp::Reset => {
            e.reset().map_err(named(&full))?;
            println!("reset {shown} ({reset} event; not signaled now)");
        }
        EventOp::Pulse => {
            e.pulse().map_err(named(&full))?;
            println!(
                "pulsed {shown} ({reset} event): released {} waiting at this moment; not signaled now",
                if reset == "manual-reset" {
                    "every thread"
                } else {
                    "one thread"
                }
            );
        }
    }
    Ok(EXIT_OK)
}

pub fn release(a: ReleaseArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let s = Semaphore::open_in(&ns, &full, SEMAPHORE_MODIFY_STATE | SYNCHRONIZE)
        .map_err(named(&full))?;
    let prev = s.release(a.count).map_err(named(&full))?;
    let (_, max) = s.count()?;
    println!(
        "released {} by {}: count {prev} -> {} (maximum {max})",
        safe(&full),
        a.count,
        prev + a.count
    );
    Ok(EXIT_OK)
}

// ---------------------------------------------------------------------------------------------
// wait

enum Handle {
    Mutex(Mutex),
    Event(Event),
    Semaphore(Semaphore),
    Mapping(Mapping),
}

impl Handle {
    fn waitable(&self) -> &dyn Waitable {
        match self {
            Handle::Mutex(m) => m,
            Handle::Event(e) => e,
            Handle::Semaphore(s) => s,
            Handle::Mapping(m) => m,
        }
    }
}

fn open_waitable(ns: &Namespace, full: &str) -> Result<Handle> {
    let info = ns.find(full)?;
    let named = named(full);
    Ok(match info.kind {
        Kind::Mutex => Handle::Mutex(Mutex::open_in(ns, full, SYNCHRONIZE).map_err(named)?),
        Kind::Event => Handle::Event(Event::open_in(ns, full, SYNCHRONIZE).map_err(named)?),
        Kind::Semaphore => {
            Handle::Semaphore(Semaphore::open_in(ns, full, SYNCHRONIZE).map_err(named)?)
        }
        // The library refuses to wait on it, with the Win32 reason.
        Kind::Mapping => Handle::Mapping(Mapping::open_in(ns, full, Access::READ).map_err(named)?),
    })
}

pub fn wait(a: WaitArgs) -> Result<u8> {
    let ns = Namespace::default();
    let names = a
        .names
        .iter()
        .map(|n| full_name(n))
        .collect::<Result<Vec<_>>>()?;
    let handles = names
        .iter()
        .map(|n| open_waitable(&ns, n))
        .collect::<Result<Vec<_>>>()?;
    let objs: Vec<&dyn Waitable> = handles.iter().map(|h| h.waitable()).collect();
    let r = if a.all {
        fmap::wait_all(&objs, a.timeout.0)?
    } else {
        fmap::wait_any(&objs, a.timeout.0)?
    };
    // Mutexes were only waited for: give them back.
    let release = |i: usize| {
        if let Handle::Mutex(m) = &handles[i] {
            let _ = m.release();
        }
    };
    match r {
        WaitResult::TimedOut => {
            let after = match a.timeout.0 {
                Some(d) => human_duration(d),
                None => "forever".into(),
            };
            println!(
                "timed out after {after} waiting for {} {}; nothing was acquired [WAIT_TIMEOUT]",
                if a.all { "all of" } else { "any of" },
                safe(&names.join(", "))
            );
            Ok(EXIT_TIMED_OUT)
        }
        WaitResult::Signaled(i) => {
            if a.all {
                (0..handles.len()).for_each(release);
                println!(
                    "all signaled: {} [WAIT_OBJECT_0]",
                    describe_all(&names, &handles)
                );
            } else {
                release(i);
                println!(
                    "{}: signaled{} [WAIT_OBJECT_0+{i}]",
                    safe(&names[i]),
                    acquired_note(&handles[i])
                );
            }
            Ok(EXIT_OK)
        }
        WaitResult::Abandoned(i) => {
            if a.all {
                (0..handles.len()).for_each(release);
                println!(
                    "all acquired, but {} was abandoned: its owner died holding it (acquired and released) [WAIT_ABANDONED_0+{i}]",
                    safe(&names[i])
                );
            } else {
                release(i);
                println!(
                    "{}: abandoned: its owner died holding it (acquired and released) [WAIT_ABANDONED_0+{i}]",
                    safe(&names[i])
                );
            }
            Ok(EXIT_ABANDONED)
        }
    }
}

fn acquired_note(h: &Handle) -> &'static str {
    match h {
        Handle::Mutex(_) => " (the mutex was acquired and released)",
        Handle::Semaphore(_) => " (took one from its count)",
        Handle::Event(e) if e.is_manual_reset().unwrap_or(true) => "",
        Handle::Event(_) => " (auto-reset: the wait reset it)",
        Handle::Mapping(_) => "",
    }
}

fn describe_all(names: &[String], handles: &[Handle]) -> String {
    names
        .iter()
        .zip(handles)
        .map(|(n, h)| format!("{}{}", safe(n), acquired_note(h)))
        .collect::<Vec<_>>()
        .join(", ")
}

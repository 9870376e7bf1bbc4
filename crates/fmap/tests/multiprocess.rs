//! Multi-process tests with real child processes.
//!
//! The children are this test binary run again: [`child_entry`] is an ordinary `#[test]` that
//! returns at once, unless `FMAP_TEST_CHILD` names a role, in which case it plays that role
//! (parameters come from `FMAP_*` environment variables) and ends the process with
//! `std::process::exit`. Children report to the parent with `FMAP:…` lines on stdout and
//! take orders from stdin (a line, or end of file).
//!
//! Every test uses its own namespace root, a temporary directory in `/dev/shm`, passed to the
//! children as `FMAP_ROOT` (so they use the default namespace); the parent uses an explicit
//! [`Namespace::at`] because the tests of one process share the default namespace.
//!
//! Exit codes of a child: 0 = the role succeeded, 2 = a check failed (the reason is printed
//! as `FMAP:FAIL …`), 3 = the role panicked. The harness (spawning, reports, waiting, killing)
//! is `common`'s, shared with the other multi-process tests; this file has the roles and tests.
//!
//! What is covered: data crossing processes; name lifetime (a name lives while any process
//! holds a handle, views keep memory but not names); `already_existed` and type clashes across
//! processes; `Global\` names; SIGKILL of holders at random points, of the last holder, and of
//! a process holding only a view (afterwards: `ERROR_FILE_NOT_FOUND`, nothing but `.lock` in the
//! namespace directory, tmpfs usage back to where it was); simultaneous last closes; and races
//! of 8 processes, with and without random kills. The race workers check, on every step: only
//! `ERROR_FILE_NOT_FOUND` (from opens) ever fails; new objects are zeroed; every object shows
//! the name and size its creator gave it, fully initialised; a handle's object keeps its file
//! in the namespace directory while the handle is open; and no two processes hold handles to
//! different objects of one name at the same time (checked through a shared registry).

#[macro_use]
mod common;

use common::{
    env, fs_avail, namespace, num, read_stdin_line, seed, shmem_bytes, var, var_or, word_at, Proc,
    Rng, TIMEOUT,
};
use fmap::{Access, ErrorKind, Mapping, MappingOptions, Namespace, Scope, View};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CHILD_ENV: &str = "FMAP_TEST_CHILD";
const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

// ------------------------------------------------------------------------------------------
// Small helpers shared by parent and children
// ------------------------------------------------------------------------------------------

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn read_text(v: &View, off: usize, len: usize) -> String {
    let mut buf = vec![0u8; len];
    v.read(off, &mut buf).unwrap();
    String::from_utf8_lossy(&buf)
        .trim_end_matches('\0')
        .to_owned()
}

// ------------------------------------------------------------------------------------------
// The child side
// ------------------------------------------------------------------------------------------

/// The entry point of child processes (see the module documentation). In a normal test run it
/// does nothing.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> Result<(), String> {
    match role {
        "hold" => role_hold(),
        "verify_reply" => role_verify_reply(),
        "view_keeper" => role_view_keeper(),
        "race" => role_race(),
        "closers" => role_closers(),
        "try_mapping" => role_try_mapping(),
        other => Err(format!("unknown role {other:?}")),
    }
}

/// Creates `FMAP_NAME` with `FMAP_SIZE` bytes, maps it, writes `FMAP_WRITE` at offset 0,
/// reports `FMAP:READY existed=<bool> size=<n>` and waits for end of file on stdin. Then it
/// closes its handle and view (`FMAP_CLOSE=1`, the default) or exits holding them
/// (`FMAP_CLOSE=0`: a normal exit without `CloseHandle`). With `FMAP_VIEW_ONLY=1` it closes
/// the handle before reporting and keeps only the view. With `FMAP_TOUCH_ALL=1` it writes every
/// page first (pages are allocated when touched), so that the section holds its whole size.
fn role_hold() -> Result<(), String> {
    let name = var("FMAP_NAME");
    let size = num("FMAP_SIZE");
    let m = Mapping::create(&name, size).map_err(|e| format!("create {name}: {e}"))?;
    let existed = m.already_existed();
    let v = m
        .map_view(Access::WRITE, ..)
        .map_err(|e| format!("map {name}: {e}"))?;
    if var_or("FMAP_TOUCH_ALL", "0") == "1" {
        v.write(0, &vec![0x5A; v.len()])
            .map_err(|e| e.to_string())?;
    }
    if let Ok(text) = std::env::var("FMAP_WRITE") {
        v.write(0, text.as_bytes()).map_err(|e| e.to_string())?;
    }
    let m = if var_or("FMAP_VIEW_ONLY", "0") == "1" {
        drop(m);
        None
    } else {
        Some(m)
    };
    println!("FMAP:READY existed={existed} size={}", v.len());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    if var_or("FMAP_CLOSE", "1") == "1" {
        drop(v);
        drop(m);
    } else {
        // Leave without CloseHandle/UnmapViewOfFile: only process exit releases them.
        std::mem::forget(v);
        std::mem::forget(m);
    }
    Ok(())
}

/// Opens `FMAP_NAME`, checks its size (`FMAP_SIZE`) and the text `FMAP_EXPECT` at
/// `FMAP_EXPECT_OFF`, writes `FMAP_REPLY` at `FMAP_REPLY_OFF`, and exits. Each access goes
/// through its own view of the 64 KiB window that holds the offset.
fn role_verify_reply() -> Result<(), String> {
    let name = var("FMAP_NAME");
    let m = Mapping::open(&name, Access::WRITE).map_err(|e| format!("open {name}: {e}"))?;
    check!(
        m.size() == num("FMAP_SIZE"),
        "{name}: size {} != {}",
        m.size(),
        num("FMAP_SIZE")
    );
    let window = |off: u64| -> Result<(View, usize), String> {
        let base = off & !(64 * KIB - 1);
        let v = m
            .map_view(Access::WRITE, base..)
            .map_err(|e| format!("map {name} at {base:#x}: {e}"))?;
        Ok((v, (off - base) as usize))
    };
    let expect = var("FMAP_EXPECT");
    let (v, at) = window(num("FMAP_EXPECT_OFF"))?;
    let seen = read_text(&v, at, expect.len());
    check!(seen == expect, "{name}: read {seen:?}, expected {expect:?}");
    let reply = var("FMAP_REPLY");
    let (v2, at) = window(num("FMAP_REPLY_OFF"))?;
    v2.write(at, reply.as_bytes()).map_err(|e| e.to_string())?;
    println!("FMAP:DONE");
    Ok(())
}

/// `FMAP_OP=create` (with `FMAP_SIZE`) or `FMAP_OP=open` of the section `FMAP_NAME`; reports
/// `FMAP:RESULT ok existed=<bool> size=<n>` or `FMAP:RESULT <ERROR_NAME>`.
fn role_try_mapping() -> Result<(), String> {
    let name = var("FMAP_NAME");
    let r = match var("FMAP_OP").as_str() {
        "create" => Mapping::create(&name, num("FMAP_SIZE")),
        _ => Mapping::open(&name, Access::READ),
    };
    match r {
        Ok(m) => println!(
            "FMAP:RESULT ok existed={} size={}",
            m.already_existed(),
            m.size()
        ),
        Err(e) => println!("FMAP:RESULT {}", e.kind().win32_name()),
    }
    Ok(())
}

/// Opens `FMAP_NAME`, maps a view, closes the handle and reports `FMAP:READY`. On a line on
/// stdin, reports the view's first `FMAP_LEN` bytes (`FMAP:SEEN <text>`) and what a new open
/// of the name shows (`FMAP:NEW <text>` or `FMAP:NEW <not found>`).
fn role_view_keeper() -> Result<(), String> {
    let name = var("FMAP_NAME");
    let len = num("FMAP_LEN") as usize;
    let m = Mapping::open(&name, Access::READ).map_err(|e| format!("open {name}: {e}"))?;
    let v = m
        .map_view(Access::READ, ..)
        .map_err(|e| format!("map {name}: {e}"))?;
    drop(m);
    println!("FMAP:READY");
    read_stdin_line();
    println!("FMAP:SEEN {}", read_text(&v, 0, len));
    match Mapping::open(&name, Access::READ) {
        Ok(m2) => {
            let v2 = m2.map_view(Access::READ, ..).map_err(|e| e.to_string())?;
            println!("FMAP:NEW {}", read_text(&v2, 0, len));
        }
        Err(e) if e.kind() == ErrorKind::FileNotFound => println!("FMAP:NEW <not found>"),
        Err(e) => return Err(format!("reopen {name}: {e}")),
    }
    Ok(())
}

// --- the race worker ------------------------------------------------------------------------

/// Content protocol of race objects. The creator of an object writes the last word (the tag),
/// word 1 (a random 32-bit object id) and then, with release ordering, word 0 (the tag again).
/// The tag identifies the name and the size the creator gave the object. Word 0 is therefore
/// either 0 (the creator has not got that far, or died) or the tag, and if it is the tag, the
/// other two words are set. Words at `SLOT_BASE + 8 * idx` are per-process scratch; the second
/// page is never written by anyone, so it must always read as zero.
const TAG_MAGIC: u64 = 0xF3A0_0000_0000_0000;
const SLOT_BASE: usize = 64;
const RACE_PAGES: [u64; 4] = [16, 32, 48, 64]; // 64, 128, 192, 256 KiB
/// Name of the registry section the parent of a race creates (in the same namespace): entry
/// `idx * names + name` is `pid << 32 | id` while process `idx` (pid `pid`) holds a handle to
/// race object `name` whose id is `id`, else 0.
const REGISTRY: &str = "Local\\registry";
const MAX_PROCS: usize = 56;

fn race_tag(name: usize, len: usize) -> u64 {
    TAG_MAGIC | ((name as u64) << 32) | (len as u64 / 4096)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    iters: u64,
    created: u64,
    existed: u64,
    opened: u64,
    not_found: u64,
    uninit: u64,
    dropped: u64,
    view_only: u64,
    cross_checks: u64,
}

impl Counts {
    fn fields(&mut self) -> [(&'static str, &mut u64); 9] {
        [
            ("iters", &mut self.iters),
            ("created", &mut self.created),
            ("existed", &mut self.existed),
            ("opened", &mut self.opened),
            ("not_found", &mut self.not_found),
            ("uninit", &mut self.uninit),
            ("dropped", &mut self.dropped),
            ("view_only", &mut self.view_only),
            ("cross_checks", &mut self.cross_checks),
        ]
    }

    fn to_line(mut self) -> String {
        self.fields()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn parse(line: &str) -> Counts {
        let mut c = Counts::default();
        for kv in line.split_whitespace() {
            let (k, v) = kv.split_once('=').expect("key=value");
            for (name, field) in c.fields() {
                if name == k {
                    *field = v.parse().expect("a count");
                }
            }
        }
        c
    }

    fn add(&mut self, mut other: Counts) {
        let theirs: Vec<u64> = other.fields().iter().map(|(_, v)| **v).collect();
        for ((_, mine), t) in self.fields().into_iter().zip(theirs) {
            *mine += t;
        }
    }
}

/// What a race object shows through a view: its tag and id (both 0 if not yet written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    tag: u64,
    id: u64,
}

struct Held {
    name: usize,
    m: Option<Mapping>,
    v: View,
    seen: Seen,
    /// Whether this handle is counted in the registry entry.
    published: bool,
}

struct Race {
    rng: Rng,
    idx: usize,
    pid: u64,
    names: Vec<String>,
    registry_view: View,
    _registry: Mapping,
    held: Vec<Held>,
    /// Per name: (published id, number of held handles with that id).
    published: Vec<(u64, usize)>,
    c: Counts,
}

/// Checks what a view of race object `name` shows.
fn check_race_view(v: &View, name: usize, size: u64, ctx: &str) -> Result<Seen, String> {
    check!(
        v.len() as u64 == size,
        "{ctx}: a whole view of a {size}-byte section is {} bytes",
        v.len()
    );
    check!(
        RACE_PAGES.iter().any(|p| p * 4096 == size),
        "{ctx}: size {size} is none of the sizes any process creates"
    );
    let tag = word_at(v, 0).load(Ordering::Acquire);
    let mut id = 0;
    if tag != 0 {
        let want = race_tag(name, v.len());
        check!(
            tag == want,
            "{ctx}: tag {tag:#x}, expected {want:#x} (name {name}, size {size}): \
             the object has another name or another size than its creator gave it"
        );
        let last = word_at(v, v.len() - 8).load(Ordering::Relaxed);
        id = word_at(v, 8).load(Ordering::Relaxed);
        check!(
            last == want && id != 0 && id >> 32 == 0,
            "{ctx}: tag {want:#x} but last word {last:#x} and id {id:#x}: \
             partially initialised object"
        );
    }
    for off in (4096..8192).step_by(8) {
        let w = word_at(v, off).load(Ordering::Relaxed);
        check!(
            w == 0,
            "{ctx}: word at {off} is {w:#x}; nobody ever writes the second page"
        );
    }
    Ok(Seen { tag, id })
}

/// Whether process `pid` is alive (not gone, not a zombie).
fn alive(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// The inode of the object file behind a view (from `/proc/self/maps`): the file it maps, or,
/// for a section whose memory is a companion memfd (`/memfd:fmap:<dev>:<ino>`), the object
/// file the memfd is named after.
fn view_inode(v: &View) -> Result<u64, String> {
    let start = v.as_ptr() as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(|e| e.to_string())?;
    for line in maps.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some((s, _)) = f.first().and_then(|r| r.split_once('-')) else {
            continue;
        };
        if usize::from_str_radix(s, 16) == Ok(start) && f.len() >= 5 {
            if let Some(ino) = f
                .get(5)
                .and_then(|p| p.strip_prefix("/memfd:fmap:"))
                .and_then(|p| p.split(':').nth(1))
            {
                return ino.parse().map_err(|_| format!("bad maps line {line:?}"));
            }
            return f[4].parse().map_err(|_| format!("bad maps line {line:?}"));
        }
    }
    Err(format!("the view at {start:#x} is not in /proc/self/maps"))
}

/// While this process holds a handle to an object, the object must still have its name: its
/// file must still be linked in the namespace directory (not removed by a closer or a
/// stale-file remover that missed our holder lock). The creator's own descriptor comes from
/// `O_TMPFILE`, so `/proc` calls its path "(deleted)" even when it is linked; hence the
/// directory scan for the inode.
fn check_named(v: &View, ctx: &str) -> Result<(), String> {
    let ino = view_inode(v)?;
    let dir = Namespace::default().dir_path(Scope::Local);
    let rd = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let linked = rd
        .flatten()
        .any(|e| e.metadata().is_ok_and(|m| m.ino() == ino));
    check!(
        linked,
        "{ctx}: this process holds a handle, but the object's file (inode {ino}) is no longer \
         in the namespace directory (the name was removed while a handle was open)"
    );
    Ok(())
}

impl Race {
    fn entry(&self, idx: usize, name: usize) -> &AtomicU64 {
        word_at(&self.registry_view, 8 * (idx * self.names.len() + name))
    }

    /// Another process that holds a handle to `name` right now must hold the same object.
    /// A mismatch counts only if the other process is still alive and still holds it a moment
    /// later (a killed process leaves its entry behind).
    fn cross_check(&mut self, name: usize, id: u64, what: &str) -> Result<(), String> {
        if id == 0 {
            return Ok(());
        }
        self.c.cross_checks += 1;
        for j in 0..MAX_PROCS {
            if j == self.idx {
                continue;
            }
            let e = self.entry(j, name).load(Ordering::SeqCst);
            if e == 0 || e & 0xFFFF_FFFF == id {
                continue;
            }
            if !alive(e >> 32) {
                continue; // left behind by a killed process
            }
            // A process being killed may not be a zombie yet: look again a moment later.
            std::thread::sleep(Duration::from_millis(50));
            if self.entry(j, name).load(Ordering::SeqCst) == e && alive(e >> 32) {
                return Err(format!(
                    "{what}: got object id {id:#x}, but process {j} (pid {}) holds a handle to \
                     object {:#x} of the same name at the same time",
                    e >> 32,
                    e & 0xFFFF_FFFF
                ));
            }
        }
        Ok(())
    }

    fn publish(&mut self, name: usize, id: u64, what: &str) -> Result<bool, String> {
        if id == 0 {
            return Ok(false);
        }
        let (mine, n) = self.published[name];
        if n == 0 {
            self.entry(self.idx, name)
                .store(self.pid << 32 | id, Ordering::SeqCst);
            self.published[name] = (id, 1);
        } else {
            check!(
                mine == id,
                "{what}: got object id {id:#x} while this process holds {mine:#x} of the same name"
            );
            self.published[name].1 += 1;
        }
        Ok(true)
    }

    /// Takes a handle out of the registry (before it is closed).
    fn unpublish(&mut self, name: usize, published: &mut bool) {
        if *published {
            *published = false;
            let p = &mut self.published[name];
            p.1 -= 1;
            if p.1 == 0 {
                self.entry(self.idx, name).store(0, Ordering::SeqCst);
            }
        }
    }

    /// Closes the handle of `h` (first taking it out of the registry).
    fn close_handle(&mut self, h: &mut Held) {
        self.unpublish(h.name, &mut h.published);
        drop(h.m.take());
    }

    fn check_held(&self, h: &Held, ctx: &str) -> Result<(), String> {
        let size = h.v.len() as u64;
        let s = check_race_view(&h.v, h.name, size, ctx)?;
        check!(
            h.seen.tag == 0 || s == h.seen,
            "{ctx}: the object changed from {:?} to {s:?} under a live view",
            h.seen
        );
        if let Some(m) = &h.m {
            check!(
                m.size() == size,
                "{ctx}: handle size {} != view size {size}",
                m.size()
            );
            check_named(&h.v, ctx)?;
        }
        Ok(())
    }

    fn step(&mut self, ctx: &str) -> Result<(), String> {
        let r = self.rng.below(100);
        if !self.held.is_empty() && r < 20 {
            // Close a held handle and unmap its view, in either order.
            let at = self.rng.below(self.held.len() as u64) as usize;
            let h = self.held.swap_remove(at);
            self.check_held(&h, ctx)?;
            let Held {
                name,
                m,
                v,
                mut published,
                ..
            } = h;
            if self.rng.below(2) == 0 {
                self.unpublish(name, &mut published);
                drop(m);
                drop(v);
            } else {
                drop(v);
                self.unpublish(name, &mut published);
                drop(m);
            }
            self.c.dropped += 1;
            return Ok(());
        }
        if r < 30 {
            if let Some(at) = self.held.iter().position(|h| h.m.is_some()) {
                // Keep only the view: it must keep the memory (and its contents) alive.
                let mut h = self.held.swap_remove(at);
                self.check_held(&h, ctx)?;
                self.close_handle(&mut h);
                self.held.push(h);
                self.c.view_only += 1;
                return Ok(());
            }
        }
        let name = self.rng.below(self.names.len() as u64) as usize;
        let full = self.names[name].clone();
        let create = self.rng.below(2) == 0;
        let m = if create {
            let size = RACE_PAGES[self.rng.below(RACE_PAGES.len() as u64) as usize] * 4096;
            match MappingOptions::new().name(&full).size(size).create() {
                Ok(m) => m,
                Err(e) => return Err(format!("{ctx}: create {full} ({size} bytes): {e}")),
            }
        } else {
            match Mapping::open(&full, Access::WRITE) {
                Ok(m) => m,
                Err(e) if e.kind() == ErrorKind::FileNotFound => {
                    self.c.not_found += 1;
                    return Ok(());
                }
                Err(e) => return Err(format!("{ctx}: open {full}: {e}")),
            }
        };
        let created = create && !m.already_existed();
        let v = m
            .map_view(Access::WRITE, ..)
            .map_err(|e| format!("{ctx}: map {full}: {e}"))?;
        let what = format!(
            "{ctx}: {full} ({})",
            if created { "created" } else { "opened" }
        );
        let mut seen = check_race_view(&v, name, m.size(), &what)?;
        check_named(&v, &what)?;
        if created {
            let last = word_at(&v, v.len() - 8).load(Ordering::Relaxed);
            check!(
                seen.tag == 0 && last == 0,
                "{what}: a new object is not zeroed (first word {:#x}, last word {last:#x})",
                seen.tag
            );
            seen = Seen {
                tag: race_tag(name, v.len()),
                id: 1 + self.rng.below(0xFFFF_FFFE),
            };
            word_at(&v, v.len() - 8).store(seen.tag, Ordering::Relaxed);
            word_at(&v, 8).store(seen.id, Ordering::Relaxed);
            word_at(&v, 0).store(seen.tag, Ordering::Release);
            self.c.created += 1;
        } else {
            if seen.tag == 0 {
                self.c.uninit += 1;
            }
            if create {
                self.c.existed += 1;
            } else {
                self.c.opened += 1;
            }
        }
        self.cross_check(name, seen.id, &what)?;
        // A write and a read back through shared memory.
        let off = SLOT_BASE + 8 * self.idx;
        let val = self.rng.next();
        word_at(&v, off).store(val, Ordering::Relaxed);
        let mut buf = [0u8; 8];
        v.read(off, &mut buf).map_err(|e| e.to_string())?;
        check!(
            u64::from_ne_bytes(buf) == val,
            "{what}: wrote {val:#x} into my slot, read back {:#x}",
            u64::from_ne_bytes(buf)
        );
        if self.held.len() < 3 && self.rng.below(3) == 0 {
            let published = self.publish(name, seen.id, &what)?;
            self.held.push(Held {
                name,
                m: Some(m),
                v,
                seen,
                published,
            });
        } else if self.rng.below(2) == 0 {
            drop(m);
            drop(v);
        } else {
            drop(v);
            drop(m);
        }
        Ok(())
    }
}

/// A random mix of create / open / map / write / read / close on `FMAP_NAMES` names
/// `FMAP_PREFIX0..`, for `FMAP_ITERS` iterations (0 = unlimited) or until the wall-clock time
/// `FMAP_DEADLINE` (ms since the epoch). Prints `FMAP:STARTED` after the first iteration and
/// `FMAP:COUNTS …` at the end. With `FMAP_BARRIER=1` it first reports `FMAP:READY` and waits
/// for a line on stdin. `FMAP_IDX` (below 56) is this worker's number.
fn role_race() -> Result<(), String> {
    let prefix = var("FMAP_PREFIX");
    let n_names = num("FMAP_NAMES") as usize;
    let idx = num("FMAP_IDX") as usize;
    let iters = num("FMAP_ITERS");
    let deadline = std::env::var("FMAP_DEADLINE")
        .ok()
        .map(|d| d.parse::<u64>().unwrap());
    assert!(idx < MAX_PROCS, "FMAP_IDX must be below {MAX_PROCS}");
    let seed = seed() ^ (idx as u64).wrapping_mul(0x1234_5678_9ABC_DEF1);
    let registry = Mapping::open(REGISTRY, Access::WRITE).map_err(|e| format!("registry: {e}"))?;
    let registry_view = registry
        .map_view(Access::WRITE, ..)
        .map_err(|e| e.to_string())?;
    let mut race = Race {
        rng: Rng::new(seed),
        idx,
        pid: std::process::id() as u64,
        names: (0..n_names).map(|i| format!("{prefix}{i}")).collect(),
        registry_view,
        _registry: registry,
        held: Vec::new(),
        published: vec![(0, 0); n_names],
        c: Counts::default(),
    };
    // A restarted worker takes over the entries of the killed one.
    for name in 0..n_names {
        race.entry(idx, name).store(0, Ordering::SeqCst);
    }
    if var_or("FMAP_BARRIER", "0") == "1" {
        println!("FMAP:READY");
        read_stdin_line();
    }
    let mut i = 0u64;
    loop {
        if (iters > 0 && i >= iters) || deadline.is_some_and(|d| now_ms() >= d) {
            break;
        }
        let ctx = format!("seed {seed:#x} iteration {i}");
        race.step(&ctx)?;
        race.c.iters += 1;
        if i == 0 {
            println!("FMAP:STARTED");
        }
        i += 1;
    }
    let ctx = format!("seed {seed:#x} final close");
    while let Some(mut h) = race.held.pop() {
        race.check_held(&h, &ctx)?;
        race.close_handle(&mut h);
    }
    println!("FMAP:COUNTS {}", race.c.to_line());
    Ok(())
}

// --- simultaneous last closes ---------------------------------------------------------------

/// The gate section of the closers test: word 0 is the phase, word 1 counts opens, word 2
/// counts closes. It is a `Global\` name, so the `Local\` directory holds only test names.
const GATE: &str = "Global\\gate";

/// Spins until `cond` holds (busy for a while, so that all closers start together, then
/// yielding); fails after [`TIMEOUT`].
fn spin_until(what: &str, cond: impl Fn() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        for _ in 0..20_000 {
            if cond() {
                return Ok(());
            }
            std::hint::spin_loop();
        }
        check!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

/// For each round `r` of `FMAP_ROUNDS`: when the phase is `2r+1`, opens `FMAP_PREFIX<r>` and
/// counts itself in; when the phase is `2r+2`, closes it at once (all closers together) and
/// counts itself out.
fn role_closers() -> Result<(), String> {
    let prefix = var("FMAP_PREFIX");
    let rounds = num("FMAP_ROUNDS");
    let gate = Mapping::open(GATE, Access::WRITE).map_err(|e| format!("gate: {e}"))?;
    let gv = gate
        .map_view(Access::WRITE, ..)
        .map_err(|e| e.to_string())?;
    for r in 0..rounds {
        spin_until("the open phase", || {
            word_at(&gv, 0).load(Ordering::SeqCst) > 2 * r
        })?;
        let name = format!("{prefix}{r}");
        let m = Mapping::open(&name, Access::READ).map_err(|e| format!("open {name}: {e}"))?;
        word_at(&gv, 8).fetch_add(1, Ordering::SeqCst);
        spin_until("the close phase", || {
            word_at(&gv, 0).load(Ordering::SeqCst) > 2 * r + 1
        })?;
        drop(m);
        word_at(&gv, 16).fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// The parent side
// ------------------------------------------------------------------------------------------

/// The files in the namespace directories of `ns` (both scopes), with their allocated bytes.
fn namespace_files(ns: &Namespace) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for scope in [Scope::Local, Scope::Global] {
        let dir = ns.dir_path(scope);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd {
            let e = e.unwrap();
            let blocks = e.metadata().map(|m| m.blocks() * 512).unwrap_or(0);
            out.push((
                format!("{:?}/{}", scope, e.file_name().to_string_lossy()),
                blocks,
            ));
        }
    }
    out.sort();
    out
}

/// Asserts that nothing but the `.lock` files is left in the namespace.
#[track_caller]
fn assert_only_lock(ns: &Namespace, when: &str) {
    let files = namespace_files(ns);
    let others: Vec<_> = files
        .iter()
        .filter(|(f, _)| !f.ends_with("/.lock"))
        .collect();
    assert!(
        others.is_empty(),
        "{when}: the namespace holds more than .lock: {others:?}"
    );
    let bytes: u64 = files.iter().map(|(_, b)| b).sum();
    assert_eq!(bytes, 0, "{when}: namespace files use memory: {files:?}");
}

#[track_caller]
fn assert_not_found(ns: &Namespace, name: &str) {
    match Mapping::open_in(ns, name, Access::READ) {
        Ok(m) => panic!("{name} still exists (size {})", m.size()),
        Err(e) => assert_eq!(
            e.kind(),
            ErrorKind::FileNotFound,
            "open {name}: expected ERROR_FILE_NOT_FOUND, got {e}"
        ),
    }
}

fn object_file_exists(ns: &Namespace) -> bool {
    namespace_files(ns)
        .iter()
        .any(|(f, _)| !f.ends_with("/.lock"))
}

/// Keeps the tests that measure tmpfs usage (exclusive) apart from each other and from the
/// races (shared), which use some memory too; across threads and across processes (nextest
/// runs every test in its own process). Released when dropped.
struct MemLock(#[allow(dead_code)] std::fs::File);

fn mem_lock_impl(op: libc::c_int) -> MemLock {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("fmap-multiprocess-memtests.lock"))
        .unwrap();
    // SAFETY: `f` is an open descriptor; flock only locks it.
    let r = unsafe { libc::flock(f.as_raw_fd(), op) };
    assert_eq!(r, 0, "flock");
    MemLock(f)
}

/// For tests that measure memory.
fn mem_lock() -> MemLock {
    mem_lock_impl(libc::LOCK_EX)
}

/// For tests that use memory in ways a measurement would notice.
fn mem_lock_shared() -> MemLock {
    mem_lock_impl(libc::LOCK_SH)
}

/// The section size for memory measurements: large against the noise of other tests, small
/// against the file system. `None` (the measurement is skipped) on a tiny file system.
fn big_size(root: &Path) -> Option<u64> {
    let size = (fs_avail(root) / 8).min(64 * MIB) & !(MIB - 1);
    if size < 8 * MIB {
        eprintln!(
            "skipping the memory measurement: {} has too little free space",
            root.display()
        );
        return None;
    }
    Some(size)
}

/// The shared memory in use (`Shmem`: the namespace's tmpfs and the sections' memfds).
fn mem_used(_root: &Path) -> u64 {
    shmem_bytes()
}

/// Waits (briefly) until the shared memory in use is at most `limit`; returns the last reading.
fn settle_below(root: &Path, limit: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let used = mem_used(root);
        if used <= limit || Instant::now() > deadline {
            return used;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ------------------------------------------------------------------------------------------
// 1. Data crosses processes
// ------------------------------------------------------------------------------------------

#[test]
fn data_written_in_one_process_is_read_in_another() {
    let (dir, ns) = namespace();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\data")
        .size(200_000)
        .create()
        .unwrap();
    assert!(!m.already_existed());
    let size = m.size();
    assert_eq!(size, 200_704);
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(70_000, b"hello from the parent").unwrap();

    // The child opens the bare name (= Local\data), reads through a view at offset 64 KiB and
    // answers through a view at offset 128 KiB.
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "verify_reply",
        &env(&[
            ("FMAP_NAME", &"data"),
            ("FMAP_SIZE", &size),
            ("FMAP_EXPECT_OFF", &70_000),
            ("FMAP_EXPECT", &"hello from the parent"),
            ("FMAP_REPLY_OFF", &(131_072 + 17)),
            ("FMAP_REPLY", &"hello from the child"),
        ]),
    );
    p.expect("FMAP:DONE");
    p.wait_success();
    // Seen through the parent's view, which was mapped before the child wrote.
    assert_eq!(read_text(&v, 131_072 + 17, 20), "hello from the child");
    assert_eq!(read_text(&v, 70_000, 21), "hello from the parent");
    drop(m);
    drop(v);
    assert_only_lock(&ns, "after the parent closed");
    assert_not_found(&ns, "Local\\data");
}

// ------------------------------------------------------------------------------------------
// 2. Name lifetime across processes
// ------------------------------------------------------------------------------------------

#[test]
fn name_lives_while_any_process_holds_a_handle() {
    for child_closes in [true, false] {
        let (dir, ns) = namespace();
        let mut p = Proc::spawn(
            CHILD_ENV,
            dir.path(),
            "hold",
            &env(&[
                ("FMAP_NAME", &"Local\\life"),
                ("FMAP_SIZE", &(64 * KIB)),
                ("FMAP_WRITE", &"written by the child"),
                ("FMAP_CLOSE", &(child_closes as u8)),
            ]),
        );
        assert_eq!(p.expect("FMAP:READY"), "existed=false size=65536");
        let m = Mapping::open_in(&ns, "Local\\life", Access::READ).unwrap();
        assert!(m.already_existed());
        assert_eq!(m.size(), 64 * KIB);
        let v = m.map_view(Access::READ, ..).unwrap();
        assert_eq!(read_text(&v, 0, 20), "written by the child");
        drop(v);

        // The child exits normally (closing its handle, or not): the parent's handle keeps
        // the name.
        p.close_stdin();
        p.wait_success();
        let m2 = Mapping::open_in(&ns, "Local\\life", Access::READ).unwrap_or_else(|e| {
            panic!("child_closes={child_closes}: the parent still holds the name, but: {e}")
        });
        let v = m2.map_view(Access::READ, ..).unwrap();
        assert_eq!(read_text(&v, 0, 20), "written by the child");
        drop(v);
        assert!(object_file_exists(&ns));

        // The parent closes its last handle: the name is gone, and so is the file.
        drop(m);
        drop(m2);
        assert_only_lock(&ns, "after the last handle anywhere was closed");
        assert_not_found(&ns, "Local\\life");
        assert_only_lock(&ns, "after a failed open");
    }
}

#[test]
fn name_dies_with_its_only_holder() {
    for child_closes in [true, false] {
        let (dir, ns) = namespace();
        let mut p = Proc::spawn(
            CHILD_ENV,
            dir.path(),
            "hold",
            &env(&[
                ("FMAP_NAME", &"Local\\short"),
                ("FMAP_SIZE", &(64 * KIB)),
                ("FMAP_WRITE", &"gone soon"),
                ("FMAP_CLOSE", &(child_closes as u8)),
            ]),
        );
        p.expect("FMAP:READY");
        p.close_stdin();
        p.wait_success();
        if child_closes {
            // CloseHandle of the last handle removed the file at once.
            assert_only_lock(&ns, "after the only holder closed and exited");
        }
        assert_not_found(&ns, "Local\\short");
        assert_only_lock(&ns, "after an open of a name whose only holder exited");
        // A new create gets a new, zeroed object.
        let m = MappingOptions::new()
            .namespace(&ns)
            .name("Local\\short")
            .size(4096)
            .create()
            .unwrap();
        assert!(!m.already_existed());
        assert_eq!(m.size(), 4096);
        let v = m.map_view(Access::READ, ..).unwrap();
        assert_eq!(read_text(&v, 0, 9), "");
    }
}

#[test]
fn views_in_another_process_keep_the_memory_but_not_the_name() {
    let (dir, ns) = namespace();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\v")
        .size(64 * KIB)
        .create()
        .unwrap();
    m.map_view(Access::WRITE, ..)
        .unwrap()
        .write(0, b"old object")
        .unwrap();
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "view_keeper",
        &env(&[("FMAP_NAME", &"Local\\v"), ("FMAP_LEN", &10)]),
    );
    p.expect("FMAP:READY");
    // The child holds only a view; closing the parent's handle (the last one) removes the
    // name at once.
    drop(m);
    assert_not_found(&ns, "Local\\v");
    assert_only_lock(&ns, "after the last handle was closed while a view remains");
    // Re-creating the name gives a new, zeroed object.
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\v")
        .size(64 * KIB)
        .create()
        .unwrap();
    assert!(!m.already_existed());
    let v = m.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(read_text(&v, 0, 10), "");
    v.write(0, b"new object").unwrap();
    p.send("CHECK");
    assert_eq!(p.expect("FMAP:SEEN"), "old object");
    assert_eq!(p.expect("FMAP:NEW"), "new object");
    p.wait_success();
}

// ------------------------------------------------------------------------------------------
// 3. Already exists
// ------------------------------------------------------------------------------------------

#[test]
fn create_of_an_existing_name_across_processes() {
    let (dir, ns) = namespace();
    let mut holder = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Local\\exists"),
            ("FMAP_SIZE", &(64 * KIB)),
            ("FMAP_WRITE", &"first"),
        ]),
    );
    assert_eq!(holder.expect("FMAP:READY"), "existed=false size=65536");
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\exists")
        .size(MIB)
        .create()
        .unwrap();
    assert!(m.already_existed(), "ERROR_ALREADY_EXISTS expected");
    assert_eq!(m.size(), 64 * KIB, "the existing object keeps its size");
    let v = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(v.len() as u64, 64 * KIB);
    assert_eq!(read_text(&v, 0, 5), "first");
    // And the other way round: a second child creates with another size.
    let mut second = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[("FMAP_NAME", &"exists"), ("FMAP_SIZE", &(3 * MIB))]),
    );
    assert_eq!(second.expect("FMAP:READY"), "existed=true size=65536");
    second.close_stdin();
    second.wait_success();
    holder.close_stdin();
    holder.wait_success();
    drop(v);
    drop(m);
    assert_only_lock(&ns, "after every holder closed");
}

#[test]
fn type_clashes_across_processes() {
    let (dir, ns) = namespace();
    // A section held by a child: an event or mutex of that name is refused.
    let mut holder = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[("FMAP_NAME", &"Local\\clash"), ("FMAP_SIZE", &(64 * KIB))]),
    );
    holder.expect("FMAP:READY");
    let e = fmap::Event::create_in(&ns, Some("Local\\clash"), true, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidHandle, "{e}");
    let e =
        fmap::Mutex::open_in(&ns, "Local\\clash", fmap::SyncAccess::MUTEX_ALL_ACCESS).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidHandle, "{e}");
    holder.close_stdin();
    holder.wait_success();

    // An event held by the parent: a child's create and open of a section of that name fail.
    let ev = fmap::Event::create_in(&ns, Some("Local\\evt"), true, false).unwrap();
    for op in ["create", "open"] {
        let mut p = Proc::spawn(
            CHILD_ENV,
            dir.path(),
            "try_mapping",
            &env(&[
                ("FMAP_NAME", &"Local\\evt"),
                ("FMAP_OP", &op),
                ("FMAP_SIZE", &(64 * KIB)),
            ]),
        );
        assert_eq!(p.expect("FMAP:RESULT"), "ERROR_INVALID_HANDLE", "{op}");
        p.wait_success();
    }
    // A missing name is ERROR_FILE_NOT_FOUND in the child too.
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "try_mapping",
        &env(&[("FMAP_NAME", &"Local\\missing"), ("FMAP_OP", &"open")]),
    );
    assert_eq!(p.expect("FMAP:RESULT"), "ERROR_FILE_NOT_FOUND");
    p.wait_success();
    drop(ev);
    assert_only_lock(&ns, "after the event was closed");
}

// ------------------------------------------------------------------------------------------
// 4. Crashes
// ------------------------------------------------------------------------------------------

#[test]
fn crash_last_holder_killed_with_a_handle_and_a_view() {
    let _mem = mem_lock();
    let (dir, ns) = namespace();
    let Some(size) = big_size(dir.path()) else {
        return;
    };
    let base = mem_used(dir.path());
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Local\\crash"),
            ("FMAP_SIZE", &size),
            ("FMAP_WRITE", &"doomed"),
            ("FMAP_TOUCH_ALL", &1),
        ]),
    );
    p.expect("FMAP:READY");
    let used = mem_used(dir.path());
    assert!(
        used >= base + size * 3 / 4,
        "the section's touched pages should be allocated: {base} -> {used} for {size}"
    );
    // Touch the namespace from the parent while the child is alive (this also does the
    // parent's first-use sweep now, not after the kill).
    let m = Mapping::open_in(&ns, "Local\\crash", Access::READ).unwrap();
    drop(m);
    assert!(object_file_exists(&ns), "the child still holds the name");

    let st = p.kill();
    assert_eq!(st.signal(), Some(libc::SIGKILL));
    // The file may stay until the next fmap call touches the name or the directory.
    let stayed = object_file_exists(&ns);
    assert_not_found(&ns, "Local\\crash");
    assert_only_lock(&ns, "after an open following the kill");
    let after = settle_below(dir.path(), base + size / 4);
    assert!(
        after <= base + size / 4,
        "memory not returned after the last holder was killed (file stayed until the open: \
         {stayed}): used {base} -> {used} -> {after}, section {size}"
    );
}

#[test]
fn crash_process_holding_only_a_view_is_killed() {
    let _mem = mem_lock();
    let (dir, ns) = namespace();
    let Some(size) = big_size(dir.path()) else {
        return;
    };
    let base = mem_used(dir.path());
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Local\\viewonly"),
            ("FMAP_SIZE", &size),
            ("FMAP_WRITE", &"only a view"),
            ("FMAP_VIEW_ONLY", &1),
            ("FMAP_TOUCH_ALL", &1),
        ]),
    );
    p.expect("FMAP:READY");
    // No handle anywhere: the name is gone, but the view keeps the memory.
    assert_only_lock(&ns, "while only a view exists");
    assert_not_found(&ns, "Local\\viewonly");
    let used = mem_used(dir.path());
    assert!(
        used >= base + size * 3 / 4,
        "the view should keep the memory: {base} -> {used} for {size}"
    );
    let st = p.kill();
    assert_eq!(st.signal(), Some(libc::SIGKILL));
    let after = settle_below(dir.path(), base + size / 4);
    assert!(
        after <= base + size / 4,
        "memory not returned after the view's process was killed: {base} -> {used} -> {after}"
    );
    assert_not_found(&ns, "Local\\viewonly");
    assert_only_lock(&ns, "after the kill");
}

#[test]
fn crash_of_one_holder_keeps_the_name_for_the_others() {
    let (dir, ns) = namespace();
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Local\\shared"),
            ("FMAP_SIZE", &(128 * KIB)),
            ("FMAP_WRITE", &"from the victim"),
        ]),
    );
    p.expect("FMAP:READY");
    let m = Mapping::open_in(&ns, "Local\\shared", Access::READ).unwrap();
    assert_eq!(p.kill().signal(), Some(libc::SIGKILL));
    // Another process's open and the parent's own second handle still find the object.
    let m2 = Mapping::open_in(&ns, "Local\\shared", Access::READ).unwrap();
    let v = m2.map_view(Access::READ, ..).unwrap();
    assert_eq!(read_text(&v, 0, 15), "from the victim");
    let mut q = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "verify_reply",
        &env(&[
            ("FMAP_NAME", &"Local\\shared"),
            ("FMAP_SIZE", &(128 * KIB)),
            ("FMAP_EXPECT_OFF", &0),
            ("FMAP_EXPECT", &"from the victim"),
            ("FMAP_REPLY_OFF", &(64 * KIB)),
            ("FMAP_REPLY", &"survivor"),
        ]),
    );
    q.expect("FMAP:DONE");
    q.wait_success();
    assert!(object_file_exists(&ns));
    drop((m, m2, v));
    assert_only_lock(&ns, "after the survivor closed");
    assert_not_found(&ns, "Local\\shared");
}

#[test]
fn crash_then_create_gives_a_new_zeroed_object() {
    let (dir, ns) = namespace();
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Local\\reborn"),
            ("FMAP_SIZE", &(64 * KIB)),
            ("FMAP_WRITE", &"stale data"),
        ]),
    );
    p.expect("FMAP:READY");
    // Make the parent's first use of the directory happen before the kill, so that the
    // create below, not the first-use sweep, meets the stale file.
    assert_not_found(&ns, "Local\\other");
    p.kill();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\reborn")
        .size(128 * KIB)
        .create()
        .unwrap();
    assert!(
        !m.already_existed(),
        "the last holder was killed: the name must not exist any more"
    );
    assert_eq!(m.size(), 128 * KIB);
    let v = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(read_text(&v, 0, 10), "");
    drop((v, m));
    assert_only_lock(&ns, "after the new object was closed");
}

fn race_env(
    prefix: &str,
    names: usize,
    idx: usize,
    iters: u64,
    deadline: Option<u64>,
    barrier: bool,
) -> Vec<(&'static str, String)> {
    let mut e = env(&[
        ("FMAP_PREFIX", &prefix),
        ("FMAP_NAMES", &names),
        ("FMAP_IDX", &idx),
        ("FMAP_ITERS", &iters),
        ("FMAP_BARRIER", &(barrier as u8)),
    ]);
    if let Some(d) = deadline {
        e.push(("FMAP_DEADLINE", d.to_string()));
    }
    e
}

/// The registry section through which race workers cross-check each other (see [`REGISTRY`]).
/// The parent holds it for the duration of a race.
fn registry(ns: &Namespace) -> Mapping {
    let m = MappingOptions::new()
        .namespace(ns)
        .name(REGISTRY)
        .size(64 * KIB)
        .create()
        .unwrap();
    assert!(!m.already_existed());
    m
}

#[test]
fn crash_at_random_points() {
    const NAMES: usize = 3;
    const ROUNDS: u64 = 15;
    let _mem = mem_lock_shared();
    let (dir, ns) = namespace();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let prefix = "Local\\churn";
    for round in 0..ROUNDS {
        let reg = registry(&ns);
        let n = 2 + rng.below(3) as usize;
        let far = now_ms() + 60_000;
        let mut procs: Vec<Proc> = (0..n)
            .map(|i| {
                Proc::spawn(
                    CHILD_ENV,
                    dir.path(),
                    "race",
                    &race_env(prefix, NAMES, i, 0, Some(far), false),
                )
            })
            .collect();
        // Some rounds kill during start-up or the first create; most mid-loop.
        if rng.below(4) != 0 {
            for p in &mut procs {
                p.expect("FMAP:STARTED");
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(40)));
        while !procs.is_empty() {
            let mut p = procs.swap_remove(rng.below(procs.len() as u64) as usize);
            p.kill();
            std::thread::sleep(Duration::from_micros(rng.below(5000)));
        }
        drop(reg);
        let ctx = format!("seed {seed:#x} round {round}");
        match round % 3 {
            0 => {
                // The next open of each name (this namespace object has been used before).
                for i in 0..NAMES {
                    assert_not_found(&ns, &format!("{prefix}{i}"));
                }
                assert_only_lock(&ns, &format!("{ctx}: after opening every name"));
            }
            1 => {
                ns.sweep().unwrap();
                assert_only_lock(&ns, &format!("{ctx}: after a sweep"));
            }
            _ => {
                // Any fmap call of a process that has not used the directory yet.
                let fresh = Namespace::at(dir.path());
                assert_not_found(&fresh, "Local\\unrelated");
                assert_only_lock(&ns, &format!("{ctx}: after an unrelated open"));
            }
        }
        for i in 0..NAMES {
            assert_not_found(&ns, &format!("{prefix}{i}"));
        }
    }
}

// ------------------------------------------------------------------------------------------
// 5. and 6. Races
// ------------------------------------------------------------------------------------------

#[test]
fn race_8_processes_x_2000_iterations() {
    const PROCS: usize = 8;
    const ITERS: u64 = 2000;
    const NAMES: usize = 4;
    let _mem = mem_lock_shared();
    let (dir, ns) = namespace();
    let prefix = "Local\\race";
    let reg = registry(&ns);
    let mut procs: Vec<Proc> = (0..PROCS)
        .map(|i| {
            Proc::spawn(
                CHILD_ENV,
                dir.path(),
                "race",
                &race_env(prefix, NAMES, i, ITERS, None, true),
            )
        })
        .collect();
    for p in &mut procs {
        p.expect("FMAP:READY");
    }
    for p in &mut procs {
        p.send("GO");
    }
    let mut total = Counts::default();
    for p in &mut procs {
        let lines = p.wait_success();
        let counts = lines
            .iter()
            .find_map(|l| l.strip_prefix("FMAP:COUNTS "))
            .unwrap_or_else(|| panic!("no counts from {}", p.diag()));
        total.add(Counts::parse(counts));
    }
    eprintln!("race totals: {}", total.to_line());
    assert_eq!(total.iters, PROCS as u64 * ITERS);
    assert_eq!(
        total.created
            + total.existed
            + total.opened
            + total.not_found
            + total.dropped
            + total.view_only,
        total.iters
    );
    assert!(total.created >= NAMES as u64, "{total:?}");
    assert!(
        total.existed > 0 && total.opened > 0 && total.not_found > 0,
        "{total:?}"
    );
    assert!(total.cross_checks > 0, "{total:?}");
    drop(reg);
    // Every process closed everything: the last closer of each object removed its file.
    assert_only_lock(
        &ns,
        "after the race, before the parent touched the race names",
    );
    for i in 0..NAMES {
        assert_not_found(&ns, &format!("{prefix}{i}"));
    }
}

#[test]
fn race_with_random_kills() {
    const PROCS: usize = 8;
    const NAMES: usize = 4;
    const RUN: u64 = 3000;
    let _mem = mem_lock_shared();
    let (dir, ns) = namespace();
    let prefix = "Local\\killrace";
    let seed = seed();
    let mut rng = Rng::new(seed);
    let reg = registry(&ns);
    let deadline = now_ms() + RUN;
    // Even slots stop by themselves at the deadline; odd slots run on until they are killed,
    // so the race also ends with kills.
    let spawn = |i: usize| {
        let until = if i % 2 == 0 {
            deadline
        } else {
            deadline + 60_000
        };
        Proc::spawn(
            CHILD_ENV,
            dir.path(),
            "race",
            &race_env(prefix, NAMES, i, 0, Some(until), false),
        )
    };
    let mut procs: Vec<Proc> = (0..PROCS).map(spawn).collect();
    let mut kills = 0;
    while now_ms() + 300 < deadline {
        std::thread::sleep(Duration::from_millis(5 + rng.below(50)));
        let i = rng.below(PROCS as u64) as usize;
        let st = procs[i].kill();
        if st.signal() == Some(libc::SIGKILL) {
            kills += 1;
        }
        procs[i] = spawn(i);
    }
    let mut total = Counts::default();
    for p in procs.iter_mut().step_by(2) {
        let lines = p.wait_success();
        if let Some(c) = lines.iter().find_map(|l| l.strip_prefix("FMAP:COUNTS ")) {
            total.add(Counts::parse(c));
        }
    }
    // All at once, so that what they hold has no live holder left.
    for p in procs.iter_mut().skip(1).step_by(2) {
        p.send_kill();
    }
    for p in procs.iter_mut().skip(1).step_by(2) {
        if p.kill().signal() == Some(libc::SIGKILL) {
            kills += 1;
        }
    }
    eprintln!(
        "race with kills (seed {seed:#x}): {kills} kills, survivors: {}",
        total.to_line()
    );
    assert!(kills >= 10, "only {kills} children were killed");
    assert!(total.iters > 0, "the survivors did no work");
    drop(reg);
    // Whatever the killed processes held is gone once fmap looks at the names.
    for i in 0..NAMES {
        assert_not_found(&ns, &format!("{prefix}{i}"));
    }
    assert_only_lock(&ns, &format!("seed {seed:#x}: after the race with kills"));
}

/// Several processes close the last handles of a name at the same moment: exactly one of them
/// must remove the name (none may leave it behind, as if another still held it).
#[test]
fn simultaneous_last_closes_remove_the_name() {
    const PROCS: u64 = 2;
    const ROUNDS: u64 = 300;
    let (dir, ns) = namespace();
    let prefix = "Local\\lastclose";
    let gate = MappingOptions::new()
        .namespace(&ns)
        .name(GATE)
        .size(64 * KIB)
        .create()
        .unwrap();
    let gv = gate.map_view(Access::WRITE, ..).unwrap();
    let mut procs: Vec<Proc> = (0..PROCS)
        .map(|_| {
            Proc::spawn(
                CHILD_ENV,
                dir.path(),
                "closers",
                &env(&[("FMAP_PREFIX", &prefix), ("FMAP_ROUNDS", &ROUNDS)]),
            )
        })
        .collect();
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = Instant::now() + TIMEOUT;
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_micros(50));
        }
    };
    let local = ns.dir_path(Scope::Local);
    let mut leaks = Vec::new();
    for r in 0..ROUNDS {
        let name = format!("{prefix}{r}");
        let m = MappingOptions::new()
            .namespace(&ns)
            .name(&name)
            .size(4096)
            .create()
            .unwrap();
        word_at(&gv, 0).store(2 * r + 1, Ordering::SeqCst);
        wait("the children's opens", &|| {
            word_at(&gv, 8).load(Ordering::SeqCst) == PROCS * (r + 1)
        });
        drop(m);
        word_at(&gv, 0).store(2 * r + 2, Ordering::SeqCst);
        wait("the children's closes", &|| {
            word_at(&gv, 16).load(Ordering::SeqCst) == PROCS * (r + 1)
        });
        let left: Vec<_> = std::fs::read_dir(&local)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f != ".lock")
            .collect();
        if !left.is_empty() {
            leaks.push((r, left));
        }
    }
    for p in &mut procs {
        p.wait_success();
    }
    assert!(
        leaks.is_empty(),
        "after the last handles were closed together, the name's file was left behind in \
         {} of {ROUNDS} rounds: {leaks:?}",
        leaks.len()
    );
    for r in 0..ROUNDS {
        assert_not_found(&ns, &format!("{prefix}{r}"));
    }
    drop((gv, gate));
    assert_only_lock(&ns, "after the last round");
}

// ------------------------------------------------------------------------------------------
// 7. Global names
// ------------------------------------------------------------------------------------------

#[test]
fn global_names_are_shared_between_processes() {
    let (dir, ns) = namespace();
    let mut p = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "hold",
        &env(&[
            ("FMAP_NAME", &"Global\\g"),
            ("FMAP_SIZE", &(128 * KIB)),
            ("FMAP_WRITE", &"global hello"),
        ]),
    );
    assert_eq!(p.expect("FMAP:READY"), "existed=false size=131072");
    // It lives in the Global directory, not the Local one.
    let gdir = ns.dir_path(Scope::Global);
    let gfiles: Vec<_> = std::fs::read_dir(&gdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != ".lock")
        .collect();
    assert_eq!(gfiles.len(), 1, "{gfiles:?}");
    let mode = std::fs::metadata(&gdir).unwrap().mode() & 0o7777;
    assert_eq!(mode, 0o777, "the Global directory's documented mode");
    assert_not_found(&ns, "Local\\g");
    assert_not_found(&ns, "g");

    let m = Mapping::open_in(&ns, "Global\\g", Access::WRITE).unwrap();
    let v = m.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(read_text(&v, 0, 12), "global hello");
    v.write(64 * KIB as usize + 5, b"parent").unwrap();
    // A third process sees both writes.
    let mut q = Proc::spawn(
        CHILD_ENV,
        dir.path(),
        "verify_reply",
        &env(&[
            ("FMAP_NAME", &"Global\\g"),
            ("FMAP_SIZE", &(128 * KIB)),
            ("FMAP_EXPECT_OFF", &(64 * KIB + 5)),
            ("FMAP_EXPECT", &"parent"),
            ("FMAP_REPLY_OFF", &100),
            ("FMAP_REPLY", &"third"),
        ]),
    );
    q.expect("FMAP:DONE");
    q.wait_success();
    assert_eq!(read_text(&v, 100, 5), "third");
    p.close_stdin();
    p.wait_success();
    assert_eq!(read_text(&v, 0, 12), "global hello");
    drop((v, m));
    assert_not_found(&ns, "Global\\g");
    assert_only_lock(&ns, "after the Global name was closed everywhere");
}

//! Sections other users may open keep their memory in a System V segment marked `IPC_RMID`
//! (`store/segment.rs`, `sys/sysv.rs`): a `Global\` section in a world-accessible namespace
//! directory (object file `0666`) and any section shared read-only (`0644`). Header flag 16
//! (offset 20) says so; the segment id is at header offset 40.
//!
//! * The kernel frees the memory with the last attachment — a `SIGKILL` of the last holder
//!   included, also when that holder is another user holding only a view (`Shmem` of
//!   `/proc/meminfo`, polled with a hang guard, accepted as `memory_release.rs` does).
//! * The kernel enforces other users' access to the segment itself (a raw `shmat` for writing
//!   of a read-only shared section is `EACCES`).
//! * A segment id forged into the object file by a user who may write it never leads an
//!   opener to someone else's memory: the open fails with `ERROR_FILE_NOT_FOUND` and the name
//!   stays while its creator holds it. Not covered (by design, see the module docs of `store/segment.rs`):
//!   a writer of *another* segment of the same owner who also rewrites that segment's trailer
//!   to name the forged object — that writer could hand out that memory anyway.
//! * Views (offsets, a chosen address, copy-on-write, read-only) are attachments of their own
//!   and keep the memory after the last handle is closed; a `fork`ed child keeps what it
//!   inherited after the parent dropped everything.
//! * Mapping a view (attach, move the view's part into place with `mremap`, detach the rest)
//!   never unmaps memory another thread mapped meanwhile.
//!
//! Attachment counts and "freed" are polled with a hang guard: while a thread of this process
//! spawns a child as another user (`fork`, then `exec`), the forked copy briefly holds copies
//! of this process's attachments.
//!
//! Tests that switch users need root (`#[ignore]`d for a plain `cargo test`; CI runs them as
//! root with `--include-ignored`). Children are this test binary run again (`child_entry`),
//! from a copy every user can execute.

#[macro_use]
mod common;

use common::{expect_err, object_file, shmem_bytes, Ctx, Proc, R};
use fmap::{Access, ErrorKind, Mapping, MappingOptions, Namespace, Protection, Sharing};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "FMAP_SEG_CHILD";
const NOBODY: u32 = 65534;
const MIB: u64 = 1 << 20;
const PAGE: u64 = 4096;
const GRAN: u64 = 0x10000;
/// A hang guard, not a time limit.
const GUARD: Duration = Duration::from_secs(30);
/// Header flag: the data lives in a System V segment.
const FLAG_DATA_SEGMENT: u32 = 16;

// ------------------------------------------------------------------------------------------
// Helpers: headers, raw System V calls
// ------------------------------------------------------------------------------------------

fn header_u32(path: &Path, off: u64) -> u32 {
    let f = std::fs::File::open(path).unwrap();
    let mut b = [0u8; 4];
    f.read_exact_at(&mut b, off).unwrap();
    u32::from_le_bytes(b)
}

fn header_u64(path: &Path, off: u64) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    let mut b = [0u8; 8];
    f.read_exact_at(&mut b, off).unwrap();
    u64::from_le_bytes(b)
}

/// The header flags of an object file.
fn flags(path: &Path) -> u32 {
    header_u32(path, 20)
}

/// The segment id recorded in an object file's header.
fn segment_id(path: &Path) -> i32 {
    i32::try_from(header_u64(path, 40)).expect("a segment id")
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `IPC_STAT` of a segment.
fn shm_stat(id: i32) -> Result<libc::shmid_ds, i32> {
    // SAFETY: an all-zero shmid_ds is a valid value of this plain C struct.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: `ds` is a valid, writable shmid_ds for the kernel to fill.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } < 0 {
        return Err(errno());
    }
    Ok(ds)
}

/// Resident bytes of segment `id` (the `rss` column of `/proc/sysvipc/shm`), or `None` if
/// the segment no longer exists. Unlike `Shmem`, no other program on the machine moves it.
fn segment_rss(id: i32) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sysvipc/shm").expect("/proc/sysvipc/shm");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let (c_id, c_rss) = (col("shmid"), col("rss"));
    lines.find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f[c_id].parse::<i32>().ok() == Some(id)).then(|| f[c_rss].parse().unwrap())
    })
}

/// Current attachments of a segment.
fn nattch(id: i32) -> u64 {
    shm_stat(id).expect("IPC_STAT").shm_nattch
}

/// Asserts that the attachments of segment `id` come to `want`. Polled with a hang guard: while
/// another thread of this test process spawns a child as another user (`fork`, then `exec`),
/// the forked copy holds copies of this process's attachments for a moment, so a count can be
/// briefly higher — never lower.
#[track_caller]
fn assert_attachments(id: i32, want: u64, what: &str) {
    let start = Instant::now();
    loop {
        let n = nattch(id);
        if n == want {
            return;
        }
        assert!(
            start.elapsed() < GUARD,
            "{what}: segment {id} has {n} attachments, not {want}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Asserts that segment `id` is freed (`IPC_STAT` says `EINVAL`), polled with a hang guard
/// for the reason [`assert_attachments`] gives.
#[track_caller]
fn assert_freed(id: i32, what: &str) {
    let start = Instant::now();
    loop {
        match shm_stat(id) {
            Err(e) if e == libc::EINVAL => return,
            r => assert!(
                start.elapsed() < GUARD,
                "{what}: segment {id} is still there: {:?}",
                r.map(|d| d.shm_nattch)
            ),
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A raw attachment of a segment (`shmat`), detached when dropped.
struct Shm {
    ptr: *mut u8,
    len: usize,
}

impl Shm {
    /// `shmat(id, NULL, flags)`; `Err(errno)` if refused.
    fn attach(id: i32, len: usize, flags: i32) -> Result<Shm, i32> {
        // SAFETY: a null address lets the kernel choose a free range.
        let p = unsafe { libc::shmat(id, std::ptr::null(), flags) };
        if p as isize == -1 {
            return Err(errno());
        }
        Ok(Shm { ptr: p.cast(), len })
    }

    fn byte(&self, off: usize) -> u8 {
        assert!(off < self.len);
        // SAFETY: in bounds of our live attachment.
        unsafe { std::ptr::read_volatile(self.ptr.add(off)) }
    }

    /// Fills `[off, off + len)` (needs a writable attachment).
    fn fill(&self, off: usize, len: usize, b: u8) {
        assert!(off + len <= self.len);
        // SAFETY: in bounds of our live, writable attachment.
        unsafe { std::ptr::write_bytes(self.ptr.add(off), b, len) };
    }

    fn put(&self, off: usize, data: &[u8]) {
        assert!(off + data.len() <= self.len);
        // SAFETY: in bounds of our live, writable attachment.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr.add(off), data.len()) };
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: detaches our own attachment.
        unsafe { libc::shmdt(self.ptr.cast()) };
    }
}

/// A new private segment of `len` bytes with mode `mode` (`shmget(IPC_PRIVATE)`).
fn shm_create(len: usize, mode: i32) -> i32 {
    // SAFETY: shmget takes no pointers.
    let id = unsafe { libc::shmget(libc::IPC_PRIVATE, len, libc::IPC_CREAT | mode) };
    assert!(id >= 0, "shmget: {}", std::io::Error::last_os_error());
    id
}

/// `IPC_RMID`.
fn shm_remove(id: i32) -> Result<(), i32> {
    // SAFETY: IPC_RMID reads no buffer.
    if unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) } < 0 {
        return Err(errno());
    }
    Ok(())
}

/// `IPC_SET` of the owner.
fn shm_set_owner(id: i32, uid: u32, gid: u32) -> Result<(), i32> {
    let mut ds = shm_stat(id)?;
    ds.shm_perm.uid = uid;
    ds.shm_perm.gid = gid;
    // SAFETY: `ds` is a valid shmid_ds; IPC_SET reads its uid, gid and mode.
    if unsafe { libc::shmctl(id, libc::IPC_SET, &mut ds) } < 0 {
        return Err(errno());
    }
    Ok(())
}

/// The trailer page a genuine segment of the object file `path` carries (see
/// `store/segment.rs`): magic, the file's device and inode, the header's creator pid and
/// creation time — everything readable by whoever can read the object file.
fn trailer_for(path: &Path) -> Vec<u8> {
    let md = std::fs::metadata(path).unwrap();
    let mut t = b"FMAPSEG\0".to_vec();
    t.extend_from_slice(&md.dev().to_le_bytes());
    t.extend_from_slice(&md.ino().to_le_bytes());
    t.extend_from_slice(&u64::from(header_u32(path, 64)).to_le_bytes());
    t.extend_from_slice(&header_u64(path, 72).to_le_bytes());
    t
}

// ------------------------------------------------------------------------------------------
// Children
// ------------------------------------------------------------------------------------------

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn size() -> u64 {
    common::num("FMAP_SIZE")
}

fn name() -> String {
    common::var("FMAP_NAME")
}

/// Reads the whole view and checks every byte is `b`.
fn check_all(v: &fmap::View, len: u64, b: u8, who: &str) -> R {
    let mut chunk = vec![0u8; MIB.min(len) as usize];
    let mut off = 0;
    while off < len {
        let n = chunk.len().min((len - off) as usize);
        v.read(off as usize, &mut chunk[..n]).ctx("read")?;
        let bad = chunk[..n].iter().position(|&x| x != b);
        check!(
            bad.is_none(),
            "{who} read {:#x} at {}, expected {b:#x}",
            bad.map(|i| chunk[i]).unwrap_or(0),
            off + bad.unwrap_or(0) as u64
        );
        off += n as u64;
    }
    Ok(())
}

fn run_role(role: &str) -> R {
    // Hang guard: no child outlives a stuck parent by long.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        std::process::exit(4);
    });
    match role {
        // Creates FMAP_NAME (FMAP_SIZE bytes) in the default namespace (FMAP_ROOT), writes
        // 0x5A to every page, keeps its handle and view and waits to be killed.
        "hold" => {
            let size = size();
            let m = MappingOptions::new()
                .name(&name())
                .size(size)
                .create()
                .ctx("create")?;
            check!(!m.already_existed(), "the section existed already");
            let v = m.map_view(Access::WRITE, ..).ctx("map")?;
            let chunk = vec![0x5Au8; MIB.min(size) as usize];
            let mut off = 0;
            while off < size {
                v.write(off as usize, &chunk).ctx("write")?;
                off += chunk.len() as u64;
            }
            std::mem::forget((m, v));
            common::ready_and_wait();
            Ok(())
        }
        // Opens FMAP_NAME for reading, maps a view, closes the handle (keeps only the view),
        // and on each `read` from the parent reads all of it (0x5A) and reports READ.
        "view_only" => {
            let size = size();
            let m = Mapping::open(&name(), Access::READ).ctx("open")?;
            let v = m.map_view(Access::READ, ..).ctx("map")?;
            drop(m);
            check_all(&v, size, 0x5A, "the view-only holder")?;
            common::report("READY");
            loop {
                match common::read_stdin_line().as_str() {
                    "read" => {
                        check_all(&v, size, 0x5A, "the view-only holder")?;
                        common::report("READ");
                    }
                    _ => return Ok(()),
                }
            }
        }
        // Another user's view of a section shared read-only (FMAP_NAME, FMAP_SIZE bytes of
        // FMAP_BYTE): reads work; writes are refused by fmap and, underneath, by the kernel.
        "read_only_user" => {
            let (name, size) = (name(), size());
            let b = common::num("FMAP_BYTE") as u8;
            let path = PathBuf::from(common::var("FMAP_FILE"));
            expect_kind(
                Mapping::open(&name, Access::WRITE),
                ErrorKind::AccessDenied,
                "an open for writing",
            )?;
            expect_kind(
                Mapping::open(&name, Access::ALL),
                ErrorKind::AccessDenied,
                "an open for all access",
            )?;
            let m = Mapping::open(&name, Access::READ).ctx("open for reading")?;
            let v = m.map_view(Access::READ, ..).ctx("map for reading")?;
            check_all(&v, size, b, "the read-only user")?;
            expect_kind(
                m.map_view(Access::WRITE, ..),
                ErrorKind::AccessDenied,
                "a writable view",
            )?;
            check!(
                v.write(0, &[0xEE]).is_err(),
                "a read-only view took a write"
            );
            // A copy-on-write view needs read access only; its writes stay private.
            let c = m.map_view(Access::COPY, ..).ctx("a copy-on-write view")?;
            c.write(0, &[0xEE; 16])
                .ctx("write the copy-on-write view")?;
            let mut got = [0u8; 1];
            v.read(0, &mut got).ctx("read")?;
            check!(
                got[0] == b,
                "the copy-on-write write showed in the shared view: {got:?}"
            );
            // The kernel: the segment (mode 0644) refuses this user a writable attachment.
            let id = i32::try_from(header_u64(&path, 40)).map_err(|e| e.to_string())?;
            let len = (size + PAGE) as usize;
            match Shm::attach(id, len, 0) {
                Err(e) => check!(
                    e == libc::EACCES,
                    "shmat for writing: errno {e}, not EACCES"
                ),
                Ok(_) => return Err("shmat for writing of a 0644 segment succeeded".into()),
            }
            let ro = Shm::attach(id, len, libc::SHM_RDONLY)
                .map_err(|e| format!("shmat SHM_RDONLY: errno {e}"))?;
            check!(
                ro.byte(0) == b && ro.byte(size as usize - 1) == b,
                "the raw read-only attachment reads {:#x}",
                ro.byte(0)
            );
            drop(ro);
            common::report("DONE");
            Ok(())
        }
        // Another user of a section shared with the namespace directory's users: opens it for
        // writing and writes FMAP_BYTE over the first and last 4 KiB; a raw writable shmat
        // works too.
        "writer_user" => {
            let (name, size) = (name(), size());
            let b = common::num("FMAP_BYTE") as u8;
            let path = PathBuf::from(common::var("FMAP_FILE"));
            let m = Mapping::open(&name, Access::WRITE).ctx("open for writing")?;
            let v = m.map_view(Access::WRITE, ..).ctx("map for writing")?;
            v.write(0, &[b; 4096]).ctx("write")?;
            v.write(size as usize - 4096, &[b; 4096]).ctx("write")?;
            let id = i32::try_from(header_u64(&path, 40)).map_err(|e| e.to_string())?;
            let raw = Shm::attach(id, (size + PAGE) as usize, 0)
                .map_err(|e| format!("shmat for writing of a 0666 segment: errno {e}"))?;
            check!(
                raw.byte(4095) == b,
                "the raw attachment reads {:#x}",
                raw.byte(4095)
            );
            common::report("DONE");
            Ok(())
        }
        // Writes FMAP_ID (u64 LE) at header offset 40 of FMAP_FILE: what any user who may
        // write the object file can do.
        "forge" => {
            let path = common::var("FMAP_FILE");
            let id = common::var("FMAP_ID")
                .parse::<u64>()
                .map_err(|e| e.to_string())?;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| format!("open {path} for writing: {e}"))?;
            f.write_all_at(&id.to_le_bytes(), 40)
                .map_err(|e| format!("write: {e}"))?;
            common::report("DONE");
            Ok(())
        }
        // A segment of this user dressed up as the memory of FMAP_FILE: the right size, data
        // 0xC3, a trailer naming that object file exactly, owner set to root (the creator
        // stays this user, which nobody can change), marked for removal. Reports its id and
        // keeps it attached.
        "own_segment" => {
            let path = PathBuf::from(common::var("FMAP_FILE"));
            let size = size() as usize;
            let id = shm_create(size + PAGE as usize, 0o666);
            let s = Shm::attach(id, size + PAGE as usize, 0)
                .map_err(|e| format!("shmat: errno {e}"))?;
            s.fill(0, size, 0xC3);
            s.put(size, &trailer_for(&path));
            shm_set_owner(id, 0, 0).map_err(|e| format!("IPC_SET owner root: errno {e}"))?;
            shm_remove(id).map_err(|e| format!("IPC_RMID: errno {e}"))?;
            common::report(&format!("ID {id}"));
            common::read_stdin_line();
            drop(s);
            Ok(())
        }
        // Fills segment FMAP_ID (root made it and gave it to this user) with 0xE5 and a
        // trailer naming FMAP_FILE.
        "dress_segment" => {
            let path = PathBuf::from(common::var("FMAP_FILE"));
            let size = size() as usize;
            let id = common::var("FMAP_ID")
                .parse::<i32>()
                .map_err(|e| e.to_string())?;
            let s = Shm::attach(id, size + PAGE as usize, 0)
                .map_err(|e| format!("shmat of the segment given to us: errno {e}"))?;
            s.fill(0, size, 0xE5);
            s.put(size, &trailer_for(&path));
            common::report("DONE");
            Ok(())
        }
        // Root opening FMAP_NAME with a fresh handle: reports `RESULT err <code>` or
        // `RESULT ok <first byte> <last byte>`; if the open succeeded, writes 0xEE over the
        // data (which must then have been the section's own).
        "open_once" => {
            let size = size();
            match Mapping::open(&name(), Access::WRITE) {
                Err(e) => common::report(&format!("RESULT err {} {e}", e.win32_code())),
                Ok(m) => {
                    let v = m.map_view(Access::WRITE, ..).ctx("map")?;
                    let (mut a, mut z) = ([0u8], [0u8]);
                    v.read(0, &mut a).ctx("read")?;
                    v.read(size as usize - 1, &mut z).ctx("read")?;
                    let _ = v.write(0, &[0xEE; 64]);
                    let _ = v.write(size as usize - 64, &[0xEE; 64]);
                    common::report(&format!("RESULT ok {:#x} {:#x}", a[0], z[0]));
                }
            }
            Ok(())
        }
        // Another process reading byte FMAP_OFF of FMAP_NAME.
        "peek" => {
            let m = Mapping::open(&name(), Access::READ).ctx("open")?;
            let v = m.map_view(Access::READ, ..).ctx("map")?;
            let mut b = [0u8];
            v.read(common::num("FMAP_OFF") as usize, &mut b)
                .ctx("read")?;
            common::report(&format!("BYTE {}", b[0]));
            Ok(())
        }
        // Maps and unmaps views of a segment section in two threads while two other threads
        // map and unmap anonymous memory of their own; every mapping of every thread must
        // stay exactly as long as its owner keeps it (see the test).
        "race" => race(),
        r => Err(format!("unknown role {r}")),
    }
}

fn race() -> R {
    const ITER: usize = 3000;
    let m = std::sync::Arc::new(
        MappingOptions::new()
            .name("Global\\race")
            .size(MIB)
            .create()
            .ctx("create")?,
    );
    let failed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut threads = vec![];
    for t in 0..2u8 {
        let (m, failed) = (m.clone(), failed.clone());
        threads.push(std::thread::spawn(move || {
            for i in 0..ITER {
                let r = m
                    .map_view(Access::WRITE, ..)
                    .and_then(|v| v.write(t as usize, &[i as u8]));
                if let Err(e) = r {
                    failed
                        .lock()
                        .unwrap()
                        .push(format!("view {i} of thread {t}: {e}"));
                    return;
                }
            }
        }));
    }
    for t in 0..2usize {
        let failed = failed.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0..ITER {
                let len = GRAN as usize * (1 + (i + t) % 8);
                // SAFETY: a fresh anonymous mapping of this thread's own.
                let p = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                if p == libc::MAP_FAILED {
                    failed.lock().unwrap().push(format!("mmap: {}", errno()));
                    return;
                }
                std::thread::yield_now();
                // SAFETY: msync only asks the kernel whether the range is (still) mapped.
                if unsafe { libc::msync(p, len, libc::MS_ASYNC) } != 0 {
                    failed.lock().unwrap().push(format!(
                        "anonymous mapping {i} ({len} bytes at {p:?}) of thread {t} was unmapped \
                         behind its back (msync: errno {})",
                        errno()
                    ));
                    // Not unmapped again: the range may be someone else's by now.
                    return;
                }
                // SAFETY: our own mapping, checked to be still mapped.
                unsafe { libc::munmap(p, len) };
            }
        }));
    }
    for t in threads {
        t.join().map_err(|_| "a thread panicked".to_owned())?;
    }
    let failed = failed.lock().unwrap();
    check!(failed.is_empty(), "{}", failed.join("; "));
    common::report("DONE");
    Ok(())
}

fn expect_kind<T: std::fmt::Debug>(r: fmap::Result<T>, kind: ErrorKind, what: &str) -> R {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        other => Err(format!("{what}: expected {kind:?}, got {other:?}")),
    }
}

// ------------------------------------------------------------------------------------------
// Parent side
// ------------------------------------------------------------------------------------------

/// A copy of this test binary that every user can execute (the checkout or target directory
/// may be closed to them).
fn exe() -> &'static Path {
    static EXE: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, p) = EXE.get_or_init(|| {
        let d = tempfile::Builder::new()
            .prefix("fmap-seg-exe-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = d.path().join("segments-test");
        std::fs::copy(std::env::current_exe().unwrap(), &p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        (d, p)
    });
    p
}

/// A child playing `role` in the namespace root `root`, as `uid` (None: as this process).
fn spawn(role: &str, uid: Option<u32>, root: &Path, env: &[(&'static str, String)]) -> Proc {
    let mut cmd = common::child_command_at(exe(), CHILD_ENV, role);
    cmd.current_dir("/").env("FMAP_ROOT", root);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    Proc::start(cmd, role, env)
}

/// A namespace root every user can use (mode 1777, like `/dev/shm`).
fn shared_root() -> tempfile::TempDir {
    let d = common::shm_tempdir("fmap-seg-");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    d
}

/// Serialises the tests of this file that measure the system's shared memory.
fn mem_lock() -> std::sync::MutexGuard<'static, ()> {
    static L: std::sync::Mutex<()> = std::sync::Mutex::new(());
    L.lock().unwrap_or_else(|e| e.into_inner())
}

/// Polls `Shmem` until `size` bytes are back (as `memory_release.rs` accepts: within 1 MiB of
/// `start`, or `size` less 1 MiB below `before_kill`), with a hang guard.
fn wait_for_release(size: u64, start: u64, before_kill: u64) -> (Duration, u64) {
    common::wait_for_shmem_release(size, start, before_kill, Instant::now())
}

const BIG: u64 = 256 * MIB;

/// The only holder of a 256 MiB `Global\` section (every page touched) is killed: the kernel
/// frees the segment, with no fmap call in this process.
#[test]
fn global_section_memory_is_freed_when_the_only_holder_is_killed() {
    let _l = mem_lock();
    let dir = common::shm_tempdir("fmap-seg-");
    let start = shmem_bytes();
    let env = common::env(&[("FMAP_SIZE", &BIG), ("FMAP_NAME", &"Global\\big")]);
    let mut p = spawn("hold", None, dir.path(), &env);
    p.expect("FMAP:READY");
    let file = object_file(&Namespace::at(dir.path()), "Global\\big");
    assert_eq!(
        flags(&file) & FLAG_DATA_SEGMENT,
        FLAG_DATA_SEGMENT,
        "a Global\\ section in a world-accessible directory keeps its data in a segment"
    );
    let len = std::fs::metadata(&file).unwrap().len();
    assert!(
        len <= PAGE,
        "the object file holds the header only, not the data: {len} bytes"
    );
    let id = segment_id(&file);
    let rss = segment_rss(id).expect("the segment exists");
    assert!(rss >= BIG, "every page of the segment is resident: {rss}");
    let before_kill = shmem_bytes();
    assert!(
        before_kill + MIB >= start + BIG,
        "the touched section should be in Shmem: {start} -> {before_kill}"
    );
    p.kill_running();
    let (took, now) = wait_for_release(BIG, start, before_kill);
    assert_freed(id, "the kernel removed the segment");
    println!("segment freed {took:?} after the SIGKILL (Shmem {start} -> {before_kill} -> {now})");
}

/// `nobody` opens root's 256 MiB `Global\` section and keeps only a view. Killing the creator
/// leaves the memory (nobody's process still reads all of it); killing nobody's process frees
/// it.
#[test]
#[ignore = "needs root (runs a child as nobody)"]
fn another_users_view_keeps_the_memory_until_it_is_killed_too() {
    common::require_root("it runs a child as nobody");
    let _l = mem_lock();
    let dir = shared_root();
    let start = shmem_bytes();
    let env = common::env(&[("FMAP_SIZE", &BIG), ("FMAP_NAME", &"Global\\big")]);
    let mut creator = spawn("hold", None, dir.path(), &env);
    creator.expect("FMAP:READY");
    let ns = Namespace::at(dir.path());
    let file = object_file(&ns, "Global\\big");
    assert_eq!(flags(&file) & FLAG_DATA_SEGMENT, FLAG_DATA_SEGMENT);
    let id = segment_id(&file);
    let mut viewer = spawn("view_only", Some(NOBODY), dir.path(), &env);
    viewer.expect("FMAP:READY");
    creator.kill_running();
    // Shmem is system-wide (other programs move it): whether the memory is kept is read off
    // the segment itself.
    let rss = segment_rss(id);
    assert!(
        rss.is_some_and(|r| r >= BIG),
        "nobody's view keeps all of the memory: the segment's resident bytes {rss:?}"
    );
    assert_attachments(id, 1, "nobody's view is the one attachment left");
    viewer.send("read");
    viewer.expect("FMAP:READ");
    let before_kill = shmem_bytes();
    viewer.kill_running();
    let (took, now) = wait_for_release(BIG, start, before_kill);
    assert_freed(id, "the kernel removed the segment");
    println!("nobody's view: segment freed {took:?} after the SIGKILL ({before_kill} -> {now})");
}

const SMALL: u64 = 4 * GRAN;

/// A section `name` created by this process in `ns` (with the namespace's sharing), every byte
/// `b`, with a writable view.
fn create_filled(ns: &Namespace, name: &str, size: u64, b: u8) -> (Mapping, fmap::View) {
    let m = MappingOptions::new()
        .namespace(ns)
        .name(name)
        .size(size)
        .create()
        .unwrap();
    assert!(!m.already_existed());
    let v = m.map_view(Access::WRITE, ..).unwrap();
    v.write(0, &vec![b; size as usize]).unwrap();
    (m, v)
}

fn byte_of(v: &fmap::View, off: usize) -> u8 {
    let mut b = [0u8];
    v.read(off, &mut b).unwrap();
    b[0]
}

/// Root shares a section read-only (`Sharing::ReadOnly`): `nobody` opens and reads it, gets
/// `ERROR_ACCESS_DENIED` for writing, and the kernel refuses nobody a writable attachment of
/// the segment (mode 0644). A section shared with the directory's users (`Sharing::Namespace`,
/// 0666): nobody writes, root sees it.
#[test]
#[ignore = "needs root (runs a child as nobody)"]
fn other_user_access_is_enforced_by_the_kernel() {
    common::require_root("it runs a child as nobody");
    let dir = shared_root();
    let ns = Namespace::at(dir.path());

    let ro_ns = ns.with_sharing(Sharing::ReadOnly);
    let (_m, v) = create_filled(&ro_ns, "Global\\ro", SMALL, 0x42);
    let file = object_file(&ns, "Global\\ro");
    assert_eq!(flags(&file) & FLAG_DATA_SEGMENT, FLAG_DATA_SEGMENT);
    let id = segment_id(&file);
    let st = shm_stat(id).unwrap();
    assert_eq!(
        st.shm_perm.mode & 0o777,
        0o644,
        "the segment mirrors the file's mode"
    );
    assert_eq!((st.shm_perm.uid, st.shm_perm.cuid), (0, 0));
    assert_ne!(
        st.shm_perm.mode & 0o1000,
        0,
        "marked for removal (SHM_DEST)"
    );
    assert_eq!(st.shm_segsz as u64, SMALL + PAGE);
    let env = common::env(&[
        ("FMAP_SIZE", &SMALL),
        ("FMAP_NAME", &"Global\\ro"),
        ("FMAP_BYTE", &0x42),
        ("FMAP_FILE", &file.display()),
    ]);
    let mut p = spawn("read_only_user", Some(NOBODY), dir.path(), &env);
    p.expect("FMAP:DONE");
    p.wait_success();
    assert_eq!(
        byte_of(&v, 0),
        0x42,
        "nobody's copy-on-write write stayed private"
    );

    let (_m2, v2) = create_filled(&ns, "Global\\rw", SMALL, 0x24);
    let file = object_file(&ns, "Global\\rw");
    assert_eq!(flags(&file) & FLAG_DATA_SEGMENT, FLAG_DATA_SEGMENT);
    assert_eq!(
        shm_stat(segment_id(&file)).unwrap().shm_perm.mode & 0o777,
        0o666
    );
    let env = common::env(&[
        ("FMAP_SIZE", &SMALL),
        ("FMAP_NAME", &"Global\\rw"),
        ("FMAP_BYTE", &0x77),
        ("FMAP_FILE", &file.display()),
    ]);
    let mut p = spawn("writer_user", Some(NOBODY), dir.path(), &env);
    p.expect("FMAP:DONE");
    p.wait_success();
    assert_eq!(byte_of(&v2, 0), 0x77, "root sees nobody's write");
    assert_eq!(
        byte_of(&v2, SMALL as usize - 1),
        0x77,
        "root sees nobody's write"
    );
    assert_eq!(byte_of(&v2, 4096), 0x24, "and nothing else changed");
}

/// `nobody`, who may write the 0666 object file of root's `Global\a…`, points its segment id
/// at memory that is not the section's: (a) root's live section `Global\b` of the same size,
/// (b) a root segment of the right size and state that is no fmap segment, (c) nobody's own
/// segment with a perfect trailer and its owner set to root (only the creator uid differs),
/// (e) a root-created segment given to nobody, who wrote a perfect trailer (only the owner
/// differs), (d) garbage ids. A fresh root process opening the name must never get that
/// memory: the open fails with `ERROR_FILE_NOT_FOUND` and the name stays (the creator, which
/// holds it and its own attachment, keeps its data) until the creator closes it. None of the decoys changes.
#[test]
#[ignore = "needs root (runs a child as nobody)"]
fn a_forged_segment_id_never_leads_to_other_memory() {
    common::require_root("it runs a child as nobody");
    let dir = shared_root();
    let ns = Namespace::at(dir.path());
    let seg_len = (SMALL + PAGE) as usize;

    let (_mb, vb) = create_filled(&ns, "Global\\b", SMALL, 0xB2);
    let b_id = segment_id(&object_file(&ns, "Global\\b"));

    // (b) root's segment that is no fmap segment: same size, private, marked for removal.
    let decoy_id = shm_create(seg_len, 0o600);
    let decoy = Shm::attach(decoy_id, seg_len, 0).unwrap();
    decoy.fill(0, SMALL as usize, 0xD4);
    shm_remove(decoy_id).unwrap();

    // (e) root's segment given to nobody (the owner writes the trailer later).
    let given_id = shm_create(seg_len, 0o600);
    let given = Shm::attach(given_id, seg_len, libc::SHM_RDONLY).unwrap();
    shm_set_owner(given_id, NOBODY, NOBODY).unwrap();
    shm_remove(given_id).unwrap();

    let mut own: Option<(Proc, Shm)> = None;
    let cases = [
        "(a) root's live section Global\\b",
        "(b) root's non-fmap segment",
        "(c) nobody's own segment, trailer forged, owner root",
        "(e) root's segment given to nobody, trailer forged",
        "(d) garbage -1",
        "(d) garbage 2^40",
        "(d) garbage 0",
    ];
    for (i, what) in cases.iter().enumerate() {
        let name = format!("Global\\a{i}");
        let (ma, va) = create_filled(&ns, &name, SMALL, 0xA1);
        let file = object_file(&ns, &name);
        let real_id = segment_id(&file);
        let forged: u64 = match i {
            0 => b_id as u64,
            1 => decoy_id as u64,
            2 => {
                let env = common::env(&[("FMAP_SIZE", &SMALL), ("FMAP_FILE", &file.display())]);
                let mut p = spawn("own_segment", Some(NOBODY), dir.path(), &env);
                let id: i32 = p.expect("FMAP:ID").parse().unwrap();
                let st = shm_stat(id).unwrap();
                assert_eq!(
                    (st.shm_perm.uid, st.shm_perm.cuid),
                    (0, NOBODY),
                    "nobody's segment claims root as its owner"
                );
                // Root can look at it (CAP_IPC_OWNER) and checks it later.
                let s = Shm::attach(id, seg_len, libc::SHM_RDONLY).unwrap();
                own = Some((p, s));
                id as u64
            }
            3 => {
                let env = common::env(&[
                    ("FMAP_SIZE", &SMALL),
                    ("FMAP_FILE", &file.display()),
                    ("FMAP_ID", &given_id),
                ]);
                let mut p = spawn("dress_segment", Some(NOBODY), dir.path(), &env);
                p.expect("FMAP:DONE");
                p.wait_success();
                given_id as u64
            }
            4 => u64::MAX,
            5 => 1 << 40,
            _ => 0,
        };
        if forged == real_id as u64 {
            println!("{what}: the section's own segment has that id; nothing to forge");
            continue;
        }
        let env = common::env(&[("FMAP_FILE", &file.display()), ("FMAP_ID", &forged)]);
        let mut p = spawn("forge", Some(NOBODY), dir.path(), &env);
        p.expect("FMAP:DONE");
        p.wait_success();
        assert_eq!(header_u64(&file, 40), forged, "nobody rewrote the id");

        let env = common::env(&[("FMAP_SIZE", &SMALL), ("FMAP_NAME", &name)]);
        let mut p = spawn("open_once", None, dir.path(), &env);
        let result = p.expect("FMAP:RESULT");
        p.wait_success();
        assert!(
            result.starts_with("err 2 "),
            "{what}: the open of {name} must fail with ERROR_FILE_NOT_FOUND, got: {result}"
        );
        assert!(
            file.exists(),
            "{what}: the name stays while its creator holds it (a forged id is no reason to \
             remove a live name)"
        );
        // The creator's own attachment still holds the section's data.
        assert_eq!(byte_of(&va, 0), 0xA1, "{what}: the creator's data");
        // No decoy changed.
        assert_eq!(byte_of(&vb, 0), 0xB2, "{what}: Global\\b untouched");
        assert_eq!(byte_of(&vb, SMALL as usize - 1), 0xB2);
        assert_eq!(decoy.byte(0), 0xD4, "{what}: the decoy untouched");
        assert_eq!(decoy.byte(SMALL as usize - 1), 0xD4);
        if let Some((_, s)) = &own {
            assert_eq!(s.byte(0), 0xC3, "{what}: nobody's segment untouched");
            assert_eq!(s.byte(SMALL as usize - 1), 0xC3);
        }
        if i >= 3 {
            assert_eq!(given.byte(0), 0xE5, "{what}: the given segment untouched");
            assert_eq!(given.byte(SMALL as usize - 1), 0xE5);
        }
        drop((va, ma));
        assert!(
            !file.exists(),
            "{what}: the creator's last close removes the name"
        );
    }
    if let Some((mut p, s)) = own {
        drop(s);
        p.close_stdin();
        p.wait_success();
    }
}

/// Views of a segment section: offsets, a chosen address (and `ERROR_INVALID_ADDRESS` when it
/// is taken), copy-on-write (private to the view, unseen by other views and processes),
/// read-only (writes refused); each shared view is an attachment, and views keep the memory
/// after the last handle is closed.
#[test]
fn views_of_a_segment_section() {
    let (dir, ns) = common::namespace_with_prefix("fmap-seg-");
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Global\\views")
        .size(SMALL)
        .create()
        .unwrap();
    let file = object_file(&ns, "Global\\views");
    assert_eq!(flags(&file) & FLAG_DATA_SEGMENT, FLAG_DATA_SEGMENT);
    let id = segment_id(&file);
    assert_attachments(id, 1, "a handle without views: the anchor only");

    let w = m.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(w.len(), SMALL as usize);
    for i in 0..4 {
        w.write(i * GRAN as usize, &vec![0x10 + i as u8; GRAN as usize])
            .unwrap();
    }
    // Offset views.
    let v1 = m.map_view(Access::READ, GRAN..).unwrap();
    assert_eq!(v1.len(), 3 * GRAN as usize);
    assert_eq!(byte_of(&v1, 0), 0x11);
    assert_eq!(byte_of(&v1, 2 * GRAN as usize), 0x13);
    let v2 = m.map_view(Access::WRITE, 2 * GRAN..3 * GRAN).unwrap();
    assert_eq!(v2.len(), GRAN as usize);
    assert_eq!(byte_of(&v2, 0), 0x12);
    v2.write(7, &[0x99]).unwrap();
    assert_eq!(byte_of(&w, 2 * GRAN as usize + 7), 0x99);
    assert_eq!(byte_of(&v1, GRAN as usize + 7), 0x99);
    expect_err(
        m.map_view(Access::READ, 100..),
        ErrorKind::MappedAlignment,
        fmap::win32::ERROR_MAPPED_ALIGNMENT,
    );
    assert_attachments(id, 4, "the anchor and three views");

    // Read-only view: writes refused.
    let r = m.map_view(Access::READ, ..).unwrap();
    assert_eq!(r.protection(), Protection::ReadOnly);
    expect_err(r.write(0, &[1]), ErrorKind::AccessDenied, 5);
    assert_eq!(byte_of(&w, 0), 0x10);

    // A chosen address: a free 64 KiB-aligned range found by reserving and releasing it.
    // Another thread may map something there before the view does (then the view is
    // refused with ERROR_INVALID_ADDRESS, correctly): another range is tried, a bounded
    // number of times.
    let len = 2 * GRAN as usize;
    let mut tries = 0;
    let (placed, at) = loop {
        // SAFETY: a fresh anonymous reservation; nothing of ours is touched.
        let res = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len + GRAN as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(res, libc::MAP_FAILED);
        let at = (res as usize).next_multiple_of(GRAN as usize);
        // SAFETY: our own reservation.
        unsafe { libc::munmap(res, len + GRAN as usize) };
        match m.map_view_at(Access::WRITE, GRAN..3 * GRAN, at as *mut u8) {
            Ok(v) => break (v, at),
            Err(e) if e.kind() == ErrorKind::InvalidAddress && tries < 100 => tries += 1,
            Err(e) => panic!("a view at the free address {at:#x}: {e}"),
        }
    };
    assert_eq!(placed.as_ptr() as usize, at);
    assert_eq!(byte_of(&placed, 0), 0x11);
    placed.write(GRAN as usize + 8, &[0x98]).unwrap();
    assert_eq!(byte_of(&w, 2 * GRAN as usize + 8), 0x98);
    expect_err(
        m.map_view_at(Access::READ, ..GRAN, at as *mut u8),
        ErrorKind::InvalidAddress,
        fmap::win32::ERROR_INVALID_ADDRESS,
    );
    // A range of ours that is no view: refused, and left as it was.
    // SAFETY: a fresh anonymous mapping.
    let anon = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            3 * GRAN as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(anon, libc::MAP_FAILED);
    let anon_at = (anon as usize).next_multiple_of(GRAN as usize);
    // SAFETY: inside our anonymous mapping.
    unsafe { *(anon_at as *mut u8) = 0x3C };
    expect_err(
        m.map_view_at(Access::WRITE, ..GRAN, anon_at as *mut u8),
        ErrorKind::InvalidAddress,
        fmap::win32::ERROR_INVALID_ADDRESS,
    );
    // SAFETY: as above.
    assert_eq!(unsafe { *(anon_at as *const u8) }, 0x3C);
    // SAFETY: our own mapping.
    unsafe { libc::munmap(anon, 3 * GRAN as usize) };
    let shared_views = 6;
    assert_attachments(id, shared_views, "the anchor and five shared views");

    // Copy-on-write: private writes, seen neither by other views nor by other processes.
    let c = m.map_view(Access::COPY, ..).unwrap();
    assert_eq!(c.protection(), Protection::WriteCopy);
    assert_eq!(byte_of(&c, 0), 0x10);
    c.write(0, &[0xCC; 32]).unwrap();
    c.write(3 * GRAN as usize, &[0xCD; 32]).unwrap();
    assert_eq!(byte_of(&c, 0), 0xCC);
    assert_eq!(byte_of(&w, 0), 0x10, "a copy-on-write write is private");
    assert_eq!(byte_of(&r, 3 * GRAN as usize), 0x13);
    let peek = |off: u64| {
        let env = common::env(&[("FMAP_NAME", &"Global\\views"), ("FMAP_OFF", &off)]);
        let mut p = spawn("peek", None, dir.path(), &env);
        let b: u8 = p.expect("FMAP:BYTE").parse().unwrap();
        p.wait_success();
        b
    };
    assert_eq!(
        peek(0),
        0x10,
        "another process does not see the private write"
    );
    assert_eq!(peek(3 * GRAN), 0x13);
    assert_eq!(peek(2 * GRAN + 7), 0x99, "it sees the shared writes");

    // Views keep the memory after the last handle: the name goes, the data stays.
    drop(m);
    expect_err(
        Mapping::open_in(&ns, "Global\\views", Access::READ),
        ErrorKind::FileNotFound,
        fmap::win32::ERROR_FILE_NOT_FOUND,
    );
    assert!(!file.exists(), "the name is gone with the last handle");
    assert_attachments(id, shared_views - 1, "the anchor is gone, the views stay");
    assert_eq!(byte_of(&w, 3 * GRAN as usize), 0x13);
    w.write(5 + 64, &[0x55]).unwrap();
    assert_eq!(
        byte_of(&r, 5 + 64),
        0x55,
        "the views still share the memory"
    );
    assert_eq!(byte_of(&placed, GRAN as usize + 8), 0x98);
    assert_eq!(
        byte_of(&c, 0),
        0xCC,
        "the copy-on-write view keeps its own write"
    );
    assert_eq!(
        byte_of(&c, 5 + 64),
        0x10,
        "the copy-on-write view stays private"
    );
    drop((v1, v2, r, placed, c));
    assert_attachments(id, 1, "one view left");
    drop(w);
    assert_freed(id, "the segment is freed with its last view");
}

/// A `fork`ed child inherits a `Global\` section's handle and view; the parent drops both; the
/// child still reads the data through the inherited view and through a new view of the
/// inherited handle, and writes through one and reads through the other.
#[test]
fn a_forked_child_keeps_an_inherited_segment_section() {
    let (_d, ns) = common::namespace_with_prefix("fmap-seg-");
    let (m, v) = create_filled(&ns, "Global\\fork", SMALL, 0x61);
    let file = object_file(&ns, "Global\\fork");
    assert_eq!(flags(&file) & FLAG_DATA_SEGMENT, FLAG_DATA_SEGMENT);
    let id = segment_id(&file);
    v.write(GRAN as usize, b"inherited").unwrap();

    let mut go = [0i32; 2];
    let mut report = [0i32; 2];
    // SAFETY: valid arrays of two descriptors for pipe2 to fill.
    unsafe {
        assert_eq!(libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC), 0);
        assert_eq!(
            libc::pipe2(report.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK),
            0
        );
    }
    // SAFETY: the child only waits for the parent, runs its checks (fmap calls) and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: the parent's ends of the pipes: without closing our copy of the write end
        // of `go`, a parent that never says go would leave us waiting forever.
        unsafe {
            libc::close(go[1]);
            libc::close(report[0]);
        }
        let checks = || -> R {
            let mut b = [0u8];
            // SAFETY: reads one byte into `b`.
            let n = unsafe { libc::read(go[0], b.as_mut_ptr().cast(), 1) };
            check!(n == 1, "the parent did not say go");
            let mut buf = [0u8; 9];
            v.read(GRAN as usize, &mut buf)
                .ctx("read the inherited view")?;
            check!(&buf == b"inherited", "the inherited view reads {buf:?}");
            let again = m
                .map_view(Access::WRITE, ..)
                .ctx("a view of the inherited handle")?;
            again.read(GRAN as usize, &mut buf).ctx("read")?;
            check!(&buf == b"inherited", "the new view reads {buf:?}");
            check!(byte_of(&again, 0) == 0x61, "the new view reads the data");
            again.write(0, b"child").ctx("write")?;
            let mut c = [0u8; 5];
            v.read(0, &mut c).ctx("read")?;
            check!(
                &c == b"child",
                "the inherited view does not see the new view's write"
            );
            Ok(())
        };
        let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(checks)) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                // SAFETY: writes the message to our end of the pipe.
                unsafe { libc::write(report[1], msg.as_ptr().cast(), msg.len()) };
                2
            }
            Err(_) => 3,
        };
        // SAFETY: ends the child without running the harness's destructors.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: the parent's copies of the child's ends.
    unsafe {
        libc::close(go[0]);
        libc::close(report[1]);
    }
    let mut child = Forked(pid);
    drop(v);
    drop(m);
    // The parent holds nothing: the child's inherited anchor and view keep the segment.
    assert!(
        shm_stat(id).is_ok(),
        "the child's attachments keep the segment"
    );
    // SAFETY: writes one byte to our end of the pipe.
    assert_eq!(unsafe { libc::write(go[1], b"g".as_ptr().cast(), 1) }, 1);
    let status = child.join();
    let mut buf = vec![0u8; 4096];
    // SAFETY: reads into `buf`, which has room for `buf.len()` bytes.
    let n = unsafe { libc::read(report[0], buf.as_mut_ptr().cast(), buf.len()) };
    // SAFETY: closes our own descriptors.
    unsafe {
        libc::close(report[0]);
        libc::close(go[1]);
    }
    let msg = String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the forked child failed (status {status:#x}): {msg}"
    );
    assert_freed(id, "the segment is freed with the child");
}

/// Mapping a view of a segment section moves part of a fresh attachment into place
/// (`mremap`) and detaches the rest. Other threads of the process map and unmap memory
/// meanwhile: no mapping of theirs may be unmapped by it, and every view must be mapped.
/// Runs in a child process (a mapping unmapped behind a thread's back may crash it).
#[test]
fn mapping_views_never_unmaps_other_threads_memory() {
    let (dir, _ns) = common::namespace_with_prefix("fmap-seg-");
    let mut p = spawn("race", None, dir.path(), &[]);
    p.expect_within("FMAP:DONE", Duration::from_secs(100));
    p.wait_success();
}

/// A `fork`ed child: reaped by [`Forked::join`] (with a hang guard), or killed and reaped when
/// dropped unjoined (a failed assertion in the parent).
struct Forked(libc::pid_t);

impl Forked {
    /// Waits for the child's end (killing it after [`GUARD`]) and returns its wait status.
    fn join(&mut self) -> i32 {
        let deadline = Instant::now() + GUARD;
        let mut status = 0;
        loop {
            // SAFETY: reaps our own child without blocking.
            let r = unsafe { libc::waitpid(self.0, &mut status, libc::WNOHANG) };
            assert!(r >= 0, "waitpid: {}", std::io::Error::last_os_error());
            if r == self.0 {
                self.0 = 0;
                return status;
            }
            assert!(Instant::now() < deadline, "the forked child hung");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        if self.0 > 0 {
            let mut status = 0;
            // SAFETY: kills and reaps our own, unreaped child.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
                libc::waitpid(self.0, &mut status, 0);
            }
        }
    }
}

/// Garbage a peer writes where openers look — the IPC namespace recorded at header offset 48
/// (writable by every user of a 0666 object file) and the segment's trailer page (writable by
/// every writer of the segment) — is an error for the opener (`ERROR_ACCESS_DENIED`,
/// `ERROR_FILE_NOT_FOUND`), never another segment and never the removal of the live name;
/// put back, the section opens again.
#[test]
fn garbage_in_the_namespace_field_or_the_trailer_is_an_error_and_the_name_stays() {
    const SMALL: u64 = 64 * 1024;
    let root = shared_root();
    let ns = Namespace::at(root.path());
    let name = "Global\\garbage";
    let (_m, v) = create_filled(&ns, name, SMALL, 0xA1);
    let file = object_file(&ns, name);
    assert_ne!(
        flags(&file) & 16,
        0,
        "a Global\\ section shared with others has a segment"
    );
    let env = common::env(&[("FMAP_SIZE", &SMALL), ("FMAP_NAME", &name)]);
    let open_once = || {
        let mut p = spawn("open_once", None, root.path(), &env);
        let r = p.expect("FMAP:RESULT");
        p.wait_success();
        r
    };
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    // The IPC namespace field.
    let ns_field = header_u64(&file, 48);
    for garbage in [ns_field ^ 1, u64::MAX] {
        f.write_all_at(&garbage.to_le_bytes(), 48).unwrap();
        let r = open_once();
        assert!(r.starts_with("err 5 "), "namespace {garbage:#x}: {r}");
        assert!(file.exists(), "the live name stays");
    }
    f.write_all_at(&ns_field.to_le_bytes(), 48).unwrap();
    assert!(open_once().starts_with("ok 0xa1"), "put back, it opens");
    // The trailer.
    let id = segment_id(&file);
    let seg_len = SMALL as usize + 4096;
    let seg = Shm::attach(id, seg_len, 0).unwrap();
    let trailer = trailer_for(&file);
    for garbage in [0x00u8, 0xFF] {
        seg.fill(SMALL as usize, 4096, garbage);
        let r = open_once();
        assert!(r.starts_with("err 2 "), "trailer of {garbage:#x}: {r}");
        assert!(file.exists(), "the live name stays");
    }
    seg.put(SMALL as usize, &trailer);
    // The first opener after the namespace field was put back wrote 0xEE at both ends,
    // through the same memory this process and the next opener see.
    let r = open_once();
    assert!(r.starts_with("ok 0xee 0xee"), "put back, it opens: {r}");
    assert_eq!(byte_of(&v, 0), 0xEE);
}

/// A holder that is stopped (`SIGSTOP`) stops nobody else: a segment is attached through the
/// kernel, with no help from any holder. Killed while stopped, it frees the memory.
#[test]
fn a_stopped_holder_of_a_segment_section_stops_nobody() {
    const SMALL: u64 = 64 * 1024;
    let root = shared_root();
    let name = "Global\\stopped";
    let env = common::env(&[("FMAP_SIZE", &SMALL), ("FMAP_NAME", &name)]);
    let mut holder = spawn("hold", None, root.path(), &env);
    holder.expect("FMAP:READY");
    let file = object_file(&Namespace::at(root.path()), name);
    let id = segment_id(&file);
    // SAFETY: kill with a pid of our own child.
    assert_eq!(unsafe { libc::kill(holder.pid() as i32, libc::SIGSTOP) }, 0);
    let mut p = spawn("open_once", None, root.path(), &env);
    let r = p.expect("FMAP:RESULT");
    p.wait_success();
    assert!(
        r.starts_with("ok 0x5a 0x5a"),
        "opened past a stopped holder: {r}"
    );
    holder.kill();
    assert_freed(id, "the stopped holder's kill frees the segment");
}

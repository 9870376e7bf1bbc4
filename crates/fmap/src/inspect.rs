//! Looking at objects from outside: what exists, in which state, and which processes hold
//! handles or views — without opening handles (looking never keeps an object alive).
//!
//! Used by the `fmap` command (`fmap ls`, `fmap show`). Holders are found the way `lsof` finds
//! them: a process that has a handle has a descriptor of the object file with an OFD lock on it
//! (visible in `/proc/<pid>/fdinfo`); a process with a view has the file in `/proc/<pid>/maps`
//! — or, for a section whose memory is a companion memfd, the memfd named after the object
//! file (`/memfd:fmap:<dev>:<ino>`; any process can give a memfd that name, so a view listed
//! this way is a hint, like everything here). Processes of other users are visible only to
//! root. A section's memory (`allocated`) counts its companion memfd only where this process
//! may open a holder's descriptor of it (`/proc/<pid>/fd`: the same user, or root).

use crate::error::{Error, ErrorKind, Result};
use crate::store::header::Kind;
use crate::store::namespace::{runtime_fallback, Dir, Namespace, RUNTIME_BASE};
use crate::sync::{EventState, MutexState, SemaphoreState, TimerState};
use crate::sys::robust::{FUTEX_OWNER_DIED, TID_MASK};
use crate::{Protection, Scope};
use std::mem::offset_of;
use std::path::PathBuf;

// Listing and finding belong to this layer (they read object files from outside, without
// handles): the namespace itself knows nothing of them.
impl Namespace {
    /// Lists the objects of `scope` (live ones, and stale ones not yet swept), sorted by name,
    /// without opening handles to them. A missing directory lists as empty. Entries that are
    /// not usable objects (planted or corrupt) are left out: [`list_entries`] reports them.
    ///
    /// [`list_entries`]: Namespace::list_entries
    pub fn list(&self, scope: Scope) -> Result<Vec<crate::ObjectInfo>> {
        Ok(self.list_entries(scope)?.objects)
    }

    /// Lists `scope` as [`list`](Namespace::list) does, and also every entry under an object
    /// file name that is not a usable object (a symbolic link, FIFO, directory, socket or
    /// device, a file that is not an fmap object, an object file under another name's file,
    /// an unreadable file), with its owner, in [`Listing::foreign`](crate::Listing::foreign):
    /// one such entry never makes the listing fail or hides the rest. `unreadable` is empty.
    pub fn list_entries(&self, scope: Scope) -> Result<crate::Listing> {
        let mut out = crate::Listing::default();
        let dir = match Dir::open(self.root(), scope, false) {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::FileNotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        list_dir(&dir, scope, &mut out)?;
        out.objects.sort_by(|a, b| a.name.cmp(&b.name));
        out.foreign.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Lists `Global\` and the `Local\` namespaces of every user under this root (reading
    /// other users' private directories needs root), including the fallback directories in
    /// users' runtime directories (`/run/user/<uid>`) that squatted users' names live in.
    /// Returns the objects, sorted by owner and name, and the directories that could not be
    /// read. Entries that are not usable objects are left out:
    /// [`list_all_users_entries`](Namespace::list_all_users_entries) reports them.
    pub fn list_all_users(&self) -> Result<(Vec<crate::ObjectInfo>, Vec<PathBuf>)> {
        let l = self.list_all_users_entries()?;
        Ok((l.objects, l.unreadable))
    }

    /// [`list_all_users`](Namespace::list_all_users) with the entries that are not usable
    /// objects, as [`list_entries`](Namespace::list_entries) reports them.
    pub fn list_all_users_entries(&self) -> Result<crate::Listing> {
        let mut out = self.list_entries(Scope::Global)?;
        let entries = match std::fs::read_dir(self.root()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(Error::os(
                    e,
                    format!("cannot read {}", self.root().display()),
                ))
            }
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let is_user_dir = name
                .to_str()
                .and_then(|n| n.strip_prefix("fmap-"))
                .is_some_and(|u| u.parse::<u32>().is_ok());
            if !is_user_dir {
                continue;
            }
            let dir = match Dir::open_path(self.root(), e.path(), Scope::Local, false, false) {
                Ok(d) => d,
                Err(_) => {
                    out.unreadable.push(e.path());
                    continue;
                }
            };
            if list_dir(&dir, Scope::Local, &mut out).is_err() {
                out.unreadable.push(e.path());
            }
        }
        // A user whose `<root>/fmap-<uid>` another user squatted keeps the `Local\` names of
        // this root in a fallback in its runtime directory (see `local_dir_path`): list every
        // such fallback that exists, as a directory owned by its user. One that exists but
        // cannot be opened or read goes to `unreadable`; a runtime directory closed to the
        // caller (another user's, unless the caller is root) hides whether it has one, and
        // is passed over.
        if let Ok(users) = std::fs::read_dir(RUNTIME_BASE) {
            for u in users.flatten() {
                let Some(uid) = u.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                    continue;
                };
                let Some(fb) = runtime_fallback(self.root(), uid) else {
                    continue;
                };
                let is_users_dir = rustix::fs::lstat(&fb).is_ok_and(|st| {
                    rustix::fs::FileType::from_raw_mode(st.st_mode)
                        == rustix::fs::FileType::Directory
                        && st.st_uid == uid
                });
                if !is_users_dir {
                    continue;
                }
                match Dir::open_path(self.root(), fb.clone(), Scope::Local, false, false) {
                    Ok(dir) => {
                        if list_dir(&dir, Scope::Local, &mut out).is_err() {
                            out.unreadable.push(fb);
                        }
                    }
                    Err(_) => out.unreadable.push(fb),
                }
            }
        }
        out.objects
            .sort_by(|a, b| (a.owner_uid, &a.name).cmp(&(b.owner_uid, &b.name)));
        out.foreign.sort_by(|a, b| a.path.cmp(&b.path));
        out.unreadable.sort();
        Ok(out)
    }

    /// Describes the object called `name` without opening a handle to it (so looking does not
    /// keep it alive). `ERROR_FILE_NOT_FOUND` if there is no live object of that name.
    pub fn find(&self, name: &str) -> Result<crate::ObjectInfo> {
        let n = crate::Name::parse(name)?;
        let dir = match Dir::open(self.root(), n.scope(), false) {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::FileNotFound => {
                return Err(Error::new(
                    ErrorKind::FileNotFound,
                    format!("no object named {n} exists"),
                ))
            }
            Err(e) => return Err(e),
        };
        match info(&dir, &n.file_name())? {
            Some(info) if info.alive && info.name == n.to_string() => Ok(info),
            _ => Err(Error::new(
                ErrorKind::FileNotFound,
                format!("no object named {n} exists"),
            )),
        }
    }
}

/// What [`Namespace::list`](crate::Namespace::list) and
/// [`Namespace::find`](crate::Namespace::find) report about one object.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ObjectInfo {
    /// The full name (`Local\…` or `Global\…`).
    pub name: String,
    /// The object type.
    pub kind: Kind,
    /// Section size in bytes, as declared at creation (0 for synchronization objects).
    pub size: u64,
    /// The memory the object holds now, in bytes: the allocated blocks of its object file
    /// (the header page plus, for a pagefile-backed section, the pages that were touched; a
    /// file-backed section's data is in the user's file and not counted).
    /// A section whose memory is a companion memfd (see
    /// [`MappingOptions::data_in_namespace`](crate::MappingOptions::data_in_namespace)) counts
    /// it here if this process may open a holder's descriptor of it (the same user, or root).
    pub allocated: u64,
    /// False when `allocated` could not count the section's memory: it is in a memfd of
    /// processes this one may not look at (another user's), or its holders are closing it.
    pub allocated_known: bool,
    /// Whether some live process holds a handle (false: stale, removed by the next sweep).
    pub alive: bool,
    /// The pid of the process that created the object.
    pub creator_pid: u32,
    /// When the object was created (as its creator's clock said).
    pub created: std::time::SystemTime,
    /// The mapped file, for file-backed sections.
    pub file: Option<PathBuf>,
    /// The type-specific state.
    pub state: ObjectState,
    /// Device and inode of the object file (how holders are recognised).
    pub file_id: (u64, u64),
    /// The System V shared-memory segment holding a section's memory, for sections that
    /// other users may open (see `ipcs -m`); `None` for the others.
    pub segment: Option<i32>,
    /// The user who owns the object (its namespace's owner for `Local\` names).
    pub owner_uid: u32,
}

/// The state of an object at the moment it was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectState {
    /// A section.
    Mapping {
        /// Its page protection.
        protection: Option<Protection>,
        /// Its `SEC_*` attributes.
        sec: u32,
    },
    /// An event.
    Event {
        /// Manual-reset (true) or auto-reset.
        manual_reset: bool,
        /// Signaled now.
        signaled: bool,
    },
    /// A semaphore.
    Semaphore {
        /// Current count.
        count: i32,
        /// Maximum count.
        maximum: i32,
    },
    /// A waitable timer.
    Timer {
        /// Manual-reset (notification timer) or synchronization timer.
        manual_reset: bool,
        /// Signaled now (or due: the next wait finds it signaled).
        signaled: bool,
        /// How long until it is due, if it is set and not yet due.
        due_in: Option<std::time::Duration>,
        /// Its period in milliseconds (0: one-shot).
        period_ms: u32,
    },
    /// A mutex.
    Mutex {
        /// The owner's pid and thread id, if owned.
        owner: Option<(u32, u32)>,
        /// Recursion count of the owner.
        recursion: u32,
        /// Its owner died holding it and nobody has acquired it since.
        abandoned: bool,
    },
}

/// An entry of a namespace directory that has an object file's name but is not an object fmap
/// can use: planted by another user of a shared directory (a squatted name: every open or
/// create of a name whose file it occupies fails), or corrupt. Listed by
/// [`Namespace::list_entries`](crate::Namespace::list_entries) and
/// [`Namespace::list_all_users_entries`](crate::Namespace::list_all_users_entries), so that
/// one odd entry neither hides nor blocks the rest of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Foreign {
    /// The namespace directory it is in.
    pub scope: Scope,
    /// Its full path.
    pub path: PathBuf,
    /// The user who owns the entry itself (`lstat`: a symbolic link's own owner, not its
    /// target's).
    pub owner_uid: u32,
    /// What it is.
    pub what: ForeignKind,
}

/// What a [`Foreign`] entry is. Its `Display` is a short description ("a symbolic link").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForeignKind {
    /// A symbolic link (fmap never follows one).
    Symlink,
    /// A FIFO (named pipe).
    Fifo,
    /// A directory.
    Directory,
    /// A Unix-domain socket.
    Socket,
    /// A character or block device.
    Device,
    /// A regular file without a valid fmap header: not written by fmap, or corrupt.
    NotAnObject,
    /// A valid object file stored under a file name that is not its name's: a copy or a rename
    /// (opening the name it claims does not find it; opening the name whose file it occupies
    /// fails).
    Misnamed {
        /// The name in its header.
        claims: String,
    },
    /// A regular file that could not be inspected, with the reason (e.g. "permission denied").
    Unreadable(String),
}

impl std::fmt::Display for ForeignKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ForeignKind::Symlink => f.write_str("a symbolic link"),
            ForeignKind::Fifo => f.write_str("a FIFO"),
            ForeignKind::Directory => f.write_str("a directory"),
            ForeignKind::Socket => f.write_str("a socket"),
            ForeignKind::Device => f.write_str("a device"),
            ForeignKind::NotAnObject => f.write_str("not an fmap object file"),
            ForeignKind::Misnamed { claims } => {
                write!(
                    f,
                    "an object file of {claims} stored under another name's file"
                )
            }
            ForeignKind::Unreadable(why) => write!(f, "unreadable: {why}"),
        }
    }
}

/// Everything a listing found: see [`Namespace::list_entries`](crate::Namespace::list_entries).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Listing {
    /// The objects (live ones, and stale ones not yet swept).
    pub objects: Vec<ObjectInfo>,
    /// Entries under object file names that are not usable objects, sorted by path.
    pub foreign: Vec<Foreign>,
    /// Namespace directories that could not be read (other users' private ones, unless root).
    pub unreadable: Vec<PathBuf>,
}

/// One entry of a namespace directory.
pub(crate) enum DirEntry {
    Object(ObjectInfo),
    Foreign(Foreign),
}

/// Looks at the entry `file_name` (an object file name) of `dir`, the directory of `scope`:
/// an object, a foreign entry, or `None` if it went away. Errors only for what would fail on
/// every entry (the directory cannot be searched, no descriptors or memory left).
pub(crate) fn entry(dir: &Dir, scope: Scope, file_name: &str) -> Result<Option<DirEntry>> {
    use rustix::fs::{AtFlags, FileType};
    let st = match rustix::fs::statat(&dir.fd, file_name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(e) => {
            return Err(crate::Error::os(
                e,
                format!("cannot stat {}/{file_name}", dir.path.display()),
            ))
        }
    };
    let foreign = |what| {
        Ok(Some(DirEntry::Foreign(Foreign {
            scope,
            path: dir.path.join(file_name),
            owner_uid: st.st_uid,
            what,
        })))
    };
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => {}
        FileType::Symlink => return foreign(ForeignKind::Symlink),
        FileType::Fifo => return foreign(ForeignKind::Fifo),
        FileType::Directory => return foreign(ForeignKind::Directory),
        FileType::Socket => return foreign(ForeignKind::Socket),
        _ => return foreign(ForeignKind::Device),
    }
    match info(dir, file_name) {
        Ok(None) => Ok(None),
        Ok(Some(i)) => {
            let fits = crate::Name::parse(&i.name)
                .is_ok_and(|n| n.scope() == scope && n.file_name_str() == file_name);
            if fits {
                Ok(Some(DirEntry::Object(i)))
            } else {
                foreign(ForeignKind::Misnamed { claims: i.name })
            }
        }
        Err(e) => {
            let os = e.os_error().and_then(|o| o.raw_os_error());
            if matches!(os, Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)) {
                return Err(e);
            }
            if e.kind() == crate::ErrorKind::InvalidData {
                return foreign(ForeignKind::NotAnObject);
            }
            let why = match e.os_error() {
                // "Permission denied (os error 13)" -> "permission denied"
                Some(o) => {
                    let s = o.to_string();
                    let s = s.split(" (os error").next().unwrap_or(&s).to_owned();
                    let mut c = s.chars();
                    c.next()
                        .map(|f| f.to_lowercase().chain(c).collect())
                        .unwrap_or(s)
                }
                None => e.message().to_owned(),
            };
            foreign(ForeignKind::Unreadable(why))
        }
    }
}

/// Adds the objects and foreign entries of `dir` (the directory of `scope`) to `out`.
pub(crate) fn list_dir(dir: &Dir, scope: Scope, out: &mut Listing) -> Result<()> {
    for f in dir.object_files()? {
        match entry(dir, scope, &f)? {
            Some(DirEntry::Object(o)) => out.objects.push(o),
            Some(DirEntry::Foreign(x)) => out.foreign.push(x),
            None => {}
        }
    }
    Ok(())
}

/// A process that holds an object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Its command line (or name).
    pub command: String,
    /// It has at least one handle open.
    pub has_handle: bool,
    /// It has at least one view mapped (sections only; a synchronization object's state is
    /// mapped by every handle and does not count as a view).
    pub has_view: bool,
}

// The state area `peek` returns starts at `STATE_OFF`, where the layouts of `crate::sync::state`
// start: a field's offset in it is its `offset_of!`.

/// The `u32` at offset `o` of the state area (0 past its end).
fn u32_at(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
        .unwrap_or(0)
}

/// The `u64` at offset `o` of the state area (0 past its end).
fn u64_at(b: &[u8], o: usize) -> u64 {
    b.get(o..o + 8)
        .map(|x| {
            let mut a = [0u8; 8];
            a.copy_from_slice(x);
            u64::from_le_bytes(a)
        })
        .unwrap_or(0)
}

pub(crate) fn info(dir: &Dir, file_name: &str) -> Result<Option<ObjectInfo>> {
    let Some(crate::store::object::Peek {
        header: h,
        alive,
        file_id,
        owner_uid,
        allocated,
        allocated_known,
        state: st,
        segment,
    }) = crate::store::object::peek(dir, file_name)?
    else {
        return Ok(None);
    };
    let state = match h.kind {
        Kind::Mapping => ObjectState::Mapping {
            protection: Protection::from_win32(h.protection).ok(),
            sec: h.sec,
        },
        Kind::Event => ObjectState::Event {
            manual_reset: u32_at(&st, offset_of!(EventState, manual)) != 0,
            signaled: u32_at(&st, offset_of!(EventState, signaled)) != 0,
        },
        Kind::Timer => {
            let armed = u32_at(&st, offset_of!(TimerState, armed)) != 0;
            let due = u64_at(&st, offset_of!(TimerState, due));
            let now = crate::sync::timer::now_ns();
            ObjectState::Timer {
                manual_reset: u32_at(&st, offset_of!(TimerState, manual)) != 0,
                signaled: u32_at(&st, offset_of!(TimerState, signaled)) != 0
                    || (armed && now >= due),
                due_in: (armed && now < due).then(|| std::time::Duration::from_nanos(due - now)),
                period_ms: u32_at(&st, offset_of!(TimerState, period_ms)),
            }
        }
        Kind::Semaphore => ObjectState::Semaphore {
            count: u32_at(&st, offset_of!(SemaphoreState, count)) as i32,
            maximum: u32_at(&st, offset_of!(SemaphoreState, max)) as i32,
        },
        Kind::Mutex => {
            // The token's lock word (the first word of the glibc mutex) in the robust-futex
            // format: the owner thread id and the owner-died bit.
            let token = u32_at(&st, offset_of!(MutexState, token));
            let tid = token & TID_MASK;
            let owner_died = token & FUTEX_OWNER_DIED != 0;
            let owner = (tid != 0 && u64_at(&st, offset_of!(MutexState, owner)) != 0)
                .then(|| (u32_at(&st, offset_of!(MutexState, owner_pid)), tid));
            ObjectState::Mutex {
                owner,
                recursion: if owner.is_some() {
                    u32_at(&st, offset_of!(MutexState, recursion))
                } else {
                    0
                },
                abandoned: tid == 0
                    && (owner_died || u32_at(&st, offset_of!(MutexState, abandoned)) != 0),
            }
        }
    };
    let file = (h.flags & crate::store::header::FLAG_FILE_BACKED != 0).then(|| {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(&h.path))
    });
    Ok(Some(ObjectInfo {
        name: h.name,
        kind: h.kind,
        size: h.size,
        allocated,
        allocated_known,
        alive,
        creator_pid: h.creator_pid,
        created: std::time::UNIX_EPOCH + std::time::Duration::from_nanos(h.created_ns),
        file,
        state,
        file_id,
        owner_uid,
        segment,
    }))
}

/// The processes that hold `object` (handles and views), sorted by pid. Processes that cannot
/// be inspected (other users', unless root) are not listed.
pub fn holders(object: &ObjectInfo) -> Vec<Holder> {
    holders_of(std::slice::from_ref(object))
        .pop()
        .unwrap_or_default()
}

/// [`holders`] for many objects with one pass over `/proc`: element `i` of the result lists
/// the holders of `objects[i]`.
pub fn holders_of(objects: &[ObjectInfo]) -> Vec<Vec<Holder>> {
    use std::collections::HashMap;
    use std::os::unix::fs::MetadataExt;
    let mut out: Vec<Vec<Holder>> = vec![Vec::new(); objects.len()];
    let mut by_id: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        by_id.entry(o.file_id).or_default().push(i);
    }
    // A view of a section whose memory is a segment maps the segment, which /proc/<pid>/maps
    // shows as `/SYSV<key>` with the segment id as its inode. Each holder also keeps the
    // segment's last page (the trailer, at offset `size`) attached: that one is no view.
    let by_segment: HashMap<u64, usize> = objects
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((u64::try_from(o.segment?).ok()?, i)))
        .collect();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let base = p.path();
        // object index -> (has_handle, has_view)
        let mut found: HashMap<usize, (bool, bool)> = HashMap::new();
        if let Ok(fds) = std::fs::read_dir(base.join("fd")) {
            for fd in fds.flatten() {
                let Ok(md) = std::fs::metadata(fd.path()) else {
                    continue;
                };
                let Some(idx) = by_id.get(&(md.dev(), md.ino())) else {
                    continue;
                };
                let info = std::fs::read_to_string(base.join("fdinfo").join(fd.file_name()))
                    .unwrap_or_default();
                // A holder lock is a lock on byte 0 ("... <dev>:<ino> 0 0").
                if info
                    .lines()
                    .any(|l| l.starts_with("lock:") && l.contains("OFDLCK") && l.ends_with(" 0 0"))
                {
                    for &i in idx {
                        found.entry(i).or_default().0 = true;
                    }
                }
            }
        }
        if let Ok(maps) = std::fs::read_to_string(base.join("maps")) {
            for l in maps.lines() {
                let mut f = l.split_whitespace();
                let (Some(offset), Some(dev), Some(ino)) = (f.nth(2), f.next(), f.next()) else {
                    continue;
                };
                let Ok(ino) = ino.parse::<u64>() else {
                    continue;
                };
                let Some(dev) = parse_maps_dev(dev) else {
                    continue;
                };
                let path = f.next();
                if path.is_some_and(|p| p.starts_with("/SYSV")) {
                    if let Some(&i) = by_segment.get(&ino) {
                        let offset = u64::from_str_radix(offset, 16).unwrap_or(u64::MAX);
                        if offset < objects[i].size {
                            found.entry(i).or_default().1 = true;
                        }
                    }
                    continue;
                }
                // A view of a section whose memory is a companion memfd maps the memfd, which
                // is named after the object file (`/memfd:fmap:<dev>:<ino> (deleted)`).
                let id = path
                    .and_then(|p| p.strip_prefix("/memfd:fmap:"))
                    .and_then(|p| p.split_once(':'))
                    .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)))
                    .unwrap_or((dev, ino));
                if let Some(idx) = by_id.get(&id) {
                    for &i in idx {
                        if objects[i].kind == Kind::Mapping {
                            found.entry(i).or_default().1 = true;
                        }
                    }
                }
            }
        }
        if found.is_empty() {
            continue;
        }
        let command = std::fs::read(base.join("cmdline"))
            .ok()
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.split(|b| *b == 0)
                    .filter(|s| !s.is_empty())
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .or_else(|| {
                std::fs::read_to_string(base.join("comm"))
                    .ok()
                    .map(|s| s.trim().to_owned())
            })
            .unwrap_or_default();
        for (i, (has_handle, has_view)) in found {
            if has_handle || has_view {
                out[i].push(Holder {
                    pid,
                    command: command.clone(),
                    has_handle,
                    has_view,
                });
            }
        }
    }
    for h in &mut out {
        h.sort_by_key(|h| h.pid);
    }
    out
}

/// Parses a `/proc/<pid>/maps` device field (`major:minor` in hex).
fn parse_maps_dev(field: &str) -> Option<u64> {
    let (maj, min) = field.split_once(':')?;
    let (maj, min) = (
        u64::from_str_radix(maj, 16).ok()?,
        u64::from_str_radix(min, 16).ok()?,
    );
    Some(libc::makedev(maj as u32, min as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Access, Event, Mapping, MappingOptions, Mutex, Namespace, Semaphore};

    #[test]
    fn list_find_and_holders() {
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let m = MappingOptions::new()
            .namespace(&ns)
            .name("sec")
            .size(5000)
            .create()
            .unwrap();
        let e = Event::create_in(&ns, Some("ev"), true, true).unwrap();
        let s = Semaphore::create_in(&ns, Some("sem"), 2, 5).unwrap();
        let x = Mutex::create_in(&ns, Some("mtx"), true).unwrap();
        let all = ns.list(crate::Scope::Local).unwrap();
        let names: Vec<_> = all.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["Local\\ev", "Local\\mtx", "Local\\sec", "Local\\sem"]
        );
        assert!(all
            .iter()
            .all(|i| i.alive && i.creator_pid == std::process::id()));
        let sec = ns.find("sec").unwrap();
        assert_eq!(sec.size, 8192);
        assert!(matches!(
            sec.state,
            ObjectState::Mapping {
                protection: Some(Protection::ReadWrite),
                ..
            }
        ));
        assert_eq!(
            ns.find("ev").unwrap().state,
            ObjectState::Event {
                manual_reset: true,
                signaled: true
            }
        );
        assert_eq!(
            ns.find("sem").unwrap().state,
            ObjectState::Semaphore {
                count: 2,
                maximum: 5
            }
        );
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        assert_eq!(
            ns.find("mtx").unwrap().state,
            ObjectState::Mutex {
                owner: Some((std::process::id(), tid)),
                recursion: 1,
                abandoned: false
            }
        );
        x.release().unwrap();
        assert_eq!(
            ns.find("mtx").unwrap().state,
            ObjectState::Mutex {
                owner: None,
                recursion: 0,
                abandoned: false
            }
        );
        let h = holders(&sec);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].pid, std::process::id());
        assert!(h[0].has_handle && !h[0].has_view);
        let v = m.map_view(Access::READ, ..).unwrap();
        drop(m);
        assert_eq!(
            ns.find("sec").unwrap_err().kind(),
            crate::ErrorKind::FileNotFound
        );
        drop((v, e, s, x));
        assert!(ns.list(crate::Scope::Local).unwrap().is_empty());
        let _ = Mapping::create_unnamed(4096).unwrap();
    }

    #[test]
    fn all_users_and_batch_holders() {
        let d = tempfile::tempdir_in("/dev/shm").unwrap();
        let ns = Namespace::at(d.path());
        let a = Event::create_in(&ns, Some("Global\\g"), false, false).unwrap();
        let b = Mutex::create_in(&ns, Some("l"), false).unwrap();
        // A directory that looks like another user's namespace.
        let other = d.path().join("fmap-4242");
        std::fs::create_dir(&other).unwrap();
        let (all, unreadable) = ns.list_all_users().unwrap();
        let names: Vec<_> = all.iter().map(|i| i.name.as_str()).collect();
        assert!(
            names.contains(&"Global\\g") && names.contains(&"Local\\l"),
            "{names:?}"
        );
        let me = rustix::process::geteuid().as_raw();
        assert!(all.iter().all(|i| i.owner_uid == me));
        // The foreign directory is not private (0755 from create_dir): it is refused, and said so.
        assert_eq!(unreadable, vec![other]);
        let hs = holders_of(&all);
        assert_eq!(hs.len(), all.len());
        for h in &hs {
            assert_eq!(h.len(), 1);
            assert!(
                h[0].has_handle && !h[0].has_view,
                "sync objects have no views: {h:?}"
            );
        }
        drop((a, b));
    }
}

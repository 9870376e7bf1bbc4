//! [`AnyObject`]: an opened named object of any kind, what a Win32 `HANDLE` to a section,
//! mutex, event, semaphore or waitable timer is, and [`open_any`], which opens a name without knowing its type.
//!
//! The C ABI's handle table and the `fmap` command hold objects this way, so that
//! `DuplicateHandle`, `CloseHandle` and waits need no per-type code of their own.

use crate::error::{bail, Result};
use crate::rights::{Access, SyncAccess};
use crate::section::mapping::Mapping;
use crate::store::header::Kind;
use crate::store::name::Name;
use crate::store::namespace::Namespace;
use crate::store::object::{Exported, Object};
use crate::sync::event::Event;
use crate::sync::handle::SyncHandle;
use crate::sync::mutex::Mutex;
use crate::sync::semaphore::Semaphore;
use crate::sync::timer::Timer;
use crate::sync::wait::{WaitTarget, Waitable};

/// One handle to a named object of any kind.
///
/// ```
/// # let d = tempfile::tempdir_in("/dev/shm")?;
/// # let ns = fmap::Namespace::at(d.path());
/// // A manual-reset event, created signaled.
/// let ev = fmap::Event::create_in(&ns, Some("Local\\any-demo"), true, true)?;
/// let any = fmap::AnyObject::open_in(&ns, "Local\\any-demo", fmap::win32::SYNCHRONIZE)?;
/// assert_eq!(any.kind(), fmap::Kind::Event);
/// let again = any.duplicate(None)?; // DuplicateHandle(…, DUPLICATE_SAME_ACCESS)
/// assert_eq!(fmap::wait_one(&again, Some(std::time::Duration::ZERO))?, fmap::WaitResult::Signaled(0));
/// # drop(ev);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyObject {
    /// A file-mapping object (section).
    Mapping(Mapping),
    /// A mutex.
    Mutex(Mutex),
    /// An event.
    Event(Event),
    /// A semaphore.
    Semaphore(Semaphore),
    /// A waitable timer.
    Timer(Timer),
}

impl AnyObject {
    /// Opens the object called `name`, whatever its type, in the default namespace. `access`
    /// is the Win32 access mask, read as the object's type reads it (`FILE_MAP_*` or
    /// `SECTION_*` for sections, `SYNCHRONIZE`, `*_MODIFY_STATE`, … for the others; generic
    /// rights and `MAXIMUM_ALLOWED` for all).
    pub fn open(name: &str, access: u32) -> Result<AnyObject> {
        AnyObject::open_in(&Namespace::default(), name, access)
    }

    /// [`AnyObject::open`] in `ns`.
    pub fn open_in(ns: &Namespace, name: &str, access: u32) -> Result<AnyObject> {
        let name = Name::parse(name)?;
        let dir = ns.dir(name.scope())?;
        let Some(obj) = Object::open(&dir, &name)? else {
            bail!(FileNotFound, "no object named {name} exists");
        };
        let kind = obj.header.kind;
        Ok(match kind {
            Kind::Mapping => AnyObject::Mapping(Mapping::from_opened(
                obj,
                &name,
                Access::from_bits_retain(access),
            )?),
            Kind::Mutex => AnyObject::Mutex(Mutex {
                h: SyncHandle::from_opened(obj, &name, kind, access)?,
            }),
            Kind::Event => AnyObject::Event(Event {
                h: SyncHandle::from_opened(obj, &name, kind, access)?,
            }),
            Kind::Semaphore => AnyObject::Semaphore(Semaphore {
                h: SyncHandle::from_opened(obj, &name, kind, access)?,
            }),
            Kind::Timer => AnyObject::Timer(Timer {
                h: SyncHandle::from_opened(obj, &name, kind, access)?,
            }),
        })
    }

    /// The object's type.
    pub fn kind(&self) -> Kind {
        match self {
            AnyObject::Mapping(_) => Kind::Mapping,
            AnyObject::Mutex(_) => Kind::Mutex,
            AnyObject::Event(_) => Kind::Event,
            AnyObject::Semaphore(_) => Kind::Semaphore,
            AnyObject::Timer(_) => Kind::Timer,
        }
    }

    /// The full name (`Local\…` or `Global\…`), or `None` for an unnamed object.
    pub fn name(&self) -> Option<&str> {
        match self {
            AnyObject::Mapping(m) => m.name(),
            AnyObject::Mutex(m) => m.name(),
            AnyObject::Event(e) => e.name(),
            AnyObject::Semaphore(s) => s.name(),
            AnyObject::Timer(t) => t.name(),
        }
    }

    /// Did the `Create*` call that made this handle open an existing object
    /// (`ERROR_ALREADY_EXISTS`)? Always true for handles from `open`.
    pub fn already_existed(&self) -> bool {
        match self {
            AnyObject::Mapping(m) => m.already_existed(),
            AnyObject::Mutex(m) => m.already_existed(),
            AnyObject::Event(e) => e.already_existed(),
            AnyObject::Semaphore(s) => s.already_existed(),
            AnyObject::Timer(t) => t.already_existed(),
        }
    }

    /// The handle's rights, as a Win32 access mask.
    pub fn access(&self) -> u32 {
        match self {
            AnyObject::Mapping(m) => m.access().bits(),
            AnyObject::Mutex(m) => m.access().bits(),
            AnyObject::Event(e) => e.access().bits(),
            AnyObject::Semaphore(s) => s.access().bits(),
            AnyObject::Timer(t) => t.access().bits(),
        }
    }

    /// `DuplicateHandle`: another handle to the same object, with the same rights (`None`,
    /// `DUPLICATE_SAME_ACCESS`) or with `access` (a Win32 access mask checked against the
    /// object, not against this handle, as on Windows).
    pub fn duplicate(&self, access: Option<u32>) -> Result<AnyObject> {
        Ok(match self {
            AnyObject::Mapping(m) => AnyObject::Mapping(match access {
                None => m.clone(),
                Some(a) => m.duplicate(Access::from_bits_retain(a))?,
            }),
            AnyObject::Mutex(m) => {
                AnyObject::Mutex(m.duplicate(access.map(SyncAccess::from_bits_retain))?)
            }
            AnyObject::Event(e) => {
                AnyObject::Event(e.duplicate(access.map(SyncAccess::from_bits_retain))?)
            }
            AnyObject::Semaphore(s) => {
                AnyObject::Semaphore(s.duplicate(access.map(SyncAccess::from_bits_retain))?)
            }
            AnyObject::Timer(t) => {
                AnyObject::Timer(t.duplicate(access.map(SyncAccess::from_bits_retain))?)
            }
        })
    }
}

impl AnyObject {
    /// A descriptor and description of this handle for a child process (see [`Exported`](crate::Exported)).
    /// Unnamed file-backed sections have no object file to pass and fail with
    /// `ERROR_INVALID_PARAMETER`.
    pub fn export_for_child(&self) -> Result<Exported> {
        let (obj, tag) = match self {
            AnyObject::Mapping(m) => match m.object() {
                Some(o) => (o, 'M'),
                None => bail!(
                    InvalidParameter,
                    "an unnamed file-backed section cannot be inherited"
                ),
            },
            AnyObject::Mutex(m) => (&m.h.obj, 'X'),
            AnyObject::Event(e) => (&e.h.obj, 'E'),
            AnyObject::Semaphore(s) => (&s.h.obj, 'S'),
            AnyObject::Timer(t) => (&t.h.obj, 'T'),
        };
        let named = if obj.is_named() { 'N' } else { 'U' };
        // A section whose memory is in a companion memfd passes that too.
        let (fd, data, slot) = obj.export_with_data()?;
        let mut fds = vec![fd];
        fds.extend(data);
        Ok(Exported {
            fds,
            pid_slots: slot.map(|off| (0, off)).into_iter().collect(),
            keep_alive: obj.keep_alive_for_child()?,
            description: format!("{tag}{named}{:x}", self.access()),
        })
    }

    /// The handle a parent exported with [`AnyObject::export_for_child`], from the inherited
    /// descriptor and its description. Fails with `ERROR_INVALID_HANDLE` if the descriptor is
    /// no fmap object or not one of the described type, `ERROR_INVALID_PARAMETER` for a
    /// malformed description.
    pub fn adopt_inherited(fds: Vec<std::os::fd::OwnedFd>, description: &str) -> Result<AnyObject> {
        let b = description.as_bytes();
        let (Some(&tag), Some(&named)) = (b.first(), b.get(1)) else {
            bail!(InvalidParameter, "malformed inherited-handle description");
        };
        let Ok(access) = u32::from_str_radix(&description[2..], 16) else {
            bail!(InvalidParameter, "malformed inherited-handle description");
        };
        let named = match named {
            b'N' => true,
            b'U' => false,
            _ => bail!(InvalidParameter, "malformed inherited-handle description"),
        };
        let kind = match tag {
            b'M' => Kind::Mapping,
            b'X' => Kind::Mutex,
            b'E' => Kind::Event,
            b'S' => Kind::Semaphore,
            b'T' => Kind::Timer,
            _ => bail!(InvalidParameter, "malformed inherited-handle description"),
        };
        if fds.is_empty() || fds.len() > 2 {
            bail!(
                InvalidParameter,
                "an inherited object comes with one descriptor (two for a section whose memory \
                 is freed with its last holder)"
            );
        }
        let mut fds = fds.into_iter();
        let (Some(fd), data) = (fds.next(), fds.next()) else {
            bail!(
                InvalidParameter,
                "an inherited object comes with a descriptor"
            );
        };
        let obj = Object::adopt(fd, data, named)?;
        Ok(match kind {
            Kind::Mapping => AnyObject::Mapping(Mapping::adopt(obj, access)?),
            Kind::Mutex => AnyObject::Mutex(Mutex {
                h: SyncHandle::adopt(obj, kind, access)?,
            }),
            Kind::Event => AnyObject::Event(Event {
                h: SyncHandle::adopt(obj, kind, access)?,
            }),
            Kind::Semaphore => AnyObject::Semaphore(Semaphore {
                h: SyncHandle::adopt(obj, kind, access)?,
            }),
            Kind::Timer => AnyObject::Timer(Timer {
                h: SyncHandle::adopt(obj, kind, access)?,
            }),
        })
    }
}

impl Waitable for AnyObject {
    fn wait_target(&self) -> Result<WaitTarget<'_>> {
        match self {
            AnyObject::Mapping(m) => m.wait_target(),
            AnyObject::Mutex(m) => m.wait_target(),
            AnyObject::Event(e) => e.wait_target(),
            AnyObject::Semaphore(s) => s.wait_target(),
            AnyObject::Timer(t) => t.wait_target(),
        }
    }
}

impl From<Mapping> for AnyObject {
    fn from(m: Mapping) -> AnyObject {
        AnyObject::Mapping(m)
    }
}

impl From<Mutex> for AnyObject {
    fn from(m: Mutex) -> AnyObject {
        AnyObject::Mutex(m)
    }
}

impl From<Event> for AnyObject {
    fn from(e: Event) -> AnyObject {
        AnyObject::Event(e)
    }
}

impl From<Semaphore> for AnyObject {
    fn from(s: Semaphore) -> AnyObject {
        AnyObject::Semaphore(s)
    }
}

impl From<Timer> for AnyObject {
    fn from(t: Timer) -> AnyObject {
        AnyObject::Timer(t)
    }
}

/// `open_any(name, access)`: [`AnyObject::open`].
pub fn open_any(name: &str, access: u32) -> Result<AnyObject> {
    AnyObject::open(name, access)
}

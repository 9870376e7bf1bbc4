//! What mutexes, events, semaphores and waitable timers share: creation and opening by name,
//! access rights, and the handle type behind [`Mutex`](crate::Mutex), [`Event`](crate::Event),
//! [`Semaphore`](crate::Semaphore) and [`Timer`](crate::Timer).

use crate::error::{bail, Error, Result};
use crate::store::header::{Header, Kind, HEADER_SIZE};
use crate::store::name::Name;
use crate::store::namespace::Namespace;
use crate::store::object::{Object, Origin};
use crate::sync::state;
use crate::sync::{SyncKind, WaitTarget};
use crate::sys::page::Page;
use crate::win32::*;
use rustix::fs::FallocateFlags;
use std::os::fd::BorrowedFd;
use std::sync::{Arc, Mutex as StdMutex};

/// What [`SyncHandle::create`] does to a new object's state once it is published.
pub(crate) type PageClaim<'a> = &'a dyn Fn(&Page) -> Result<()>;

/// One handle to a synchronization object.
#[derive(Debug)]
pub(crate) struct SyncHandle {
    pub(crate) obj: Arc<Object>,
    pub(crate) access: u32,
    pub(crate) existed: bool,
}

#[inline]
fn sync_kind(k: Kind) -> SyncKind {
    match k {
        Kind::Mutex => SyncKind::Mutex,
        Kind::Event => SyncKind::Event,
        Kind::Semaphore => SyncKind::Semaphore,
        Kind::Timer => SyncKind::Timer,
        Kind::Mapping => unreachable!("mappings are not synchronization objects"),
    }
}

/// The generic-rights table of a synchronization object type.
fn table(k: Kind) -> &'static crate::rights::GenericMapping {
    match k {
        Kind::Mutex => &crate::rights::MUTEX,
        Kind::Event => &crate::rights::EVENT,
        Kind::Semaphore => &crate::rights::SEMAPHORE,
        Kind::Timer => &crate::rights::TIMER,
        Kind::Mapping => &crate::rights::SECTION,
    }
}

/// All rights of a type (`MUTEX_ALL_ACCESS`, …).
pub(crate) fn all_access(k: Kind) -> u32 {
    table(k).all
}

/// Maps a requested access mask to the rights of a handle (see [`crate::rights::map_generic`]).
pub(crate) fn rights(k: Kind, requested: u32) -> Result<u32> {
    crate::rights::map_generic(table(k), requested)
}

impl SyncHandle {
    #[inline]
    pub(crate) fn page(&self) -> Result<&Page> {
        self.obj.page()
    }

    #[inline]
    pub(crate) fn target(&self) -> Result<WaitTarget<'_>> {
        if self.access & SYNCHRONIZE == 0 {
            bail!(
                AccessDenied,
                "the handle lacks SYNCHRONIZE access and cannot be waited on"
            );
        }
        Ok(WaitTarget {
            obj: &self.obj,
            page: self.obj.page()?,
            kind: sync_kind(self.obj.header.kind),
        })
    }

    pub(crate) fn require(&self, right: u32, what: &str) -> Result<()> {
        if self.access & right != right {
            bail!(
                AccessDenied,
                "the handle lacks the access right needed to {what}"
            );
        }
        Ok(())
    }

    pub(crate) fn duplicate(&self, access: Option<u32>) -> Result<SyncHandle> {
        let access = match access {
            None => self.access,
            Some(0) => 0,
            Some(a) => rights(self.obj.header.kind, a)?,
        };
        Ok(SyncHandle {
            obj: self.obj.clone(),
            access,
            existed: self.existed,
        })
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.obj.is_named().then_some(self.obj.header.name.as_str())
    }

    /// Creates (or opens, if the name exists) an object of `kind`. `init` fills the state of a
    /// new object in its (still private) page; it runs before the object gets its name and
    /// must take no lock. `claim` runs on a new object once it has its name and before any
    /// other thread or process can use it (an initially owned mutex is acquired there, so no
    /// robust lock is ever taken in a page that might still be discarded).
    pub(crate) fn create(
        ns: &Namespace,
        kind: Kind,
        name: Option<&str>,
        init: &(dyn Fn(&Page) -> Result<()> + Sync),
        claim: Option<PageClaim<'_>>,
    ) -> Result<SyncHandle> {
        let name = match name {
            None | Some("") => None,
            Some(n) => Some(Name::parse(n)?),
        };
        if ns.sharing() == crate::store::namespace::Sharing::ReadOnly {
            bail!(
                NotSupported,
                "a {kind} cannot be shared read-only: waiting on it writes its state"
            );
        }
        let mut header = Header::new(kind, name.as_ref());
        header.flags |= crate::store::header::sharing_flags(ns.sharing());
        // The page the state is initialised through becomes the object's mapping if the
        // object is published (one mapping less per create); nothing in it is locked, so it
        // can simply be unmapped if the object is not.
        let slot: StdMutex<Option<Page>> = StdMutex::new(None);
        let init_fd = |fd: BorrowedFd<'_>, _data_off: u64| -> Result<()> {
            rustix::fs::fallocate(fd, FallocateFlags::empty(), 0, HEADER_SIZE)
                .map_err(|e| Error::os(e, format!("cannot create a {kind}")))?;
            let page = Page::map(fd)?;
            // SAFETY: the page is fresh and private to this thread until the object is
            // published: nobody uses its mutexes yet.
            unsafe {
                state::common(&page).lock.init()?;
                state::init_queue(&page)?;
                if kind == Kind::Mutex {
                    state::mutex(&page).token.init()?;
                }
            }
            init(&page)?;
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(page);
            Ok(())
        };
        let adopt = |obj: &Object| {
            // Before anything can own the mutex through this page: what happens to the page
            // at the last close.
            hook_last_close(obj);
            if let Some(p) = slot.lock().unwrap_or_else(|e| e.into_inner()).take() {
                // Fails only if the page was mapped meanwhile; then ours is unmapped.
                let _ = obj.page.set(p);
            }
        };
        let claim_obj = claim.map(|c| {
            move |obj: &Object| {
                adopt(obj);
                c(obj.page()?)
            }
        });
        let (obj, origin) = match &name {
            None => {
                let obj = Object::create_unnamed(&header, &init_fd)?;
                // Nobody else can reach an unnamed object before this returns.
                if let Some(c) = &claim_obj {
                    c(&obj)?;
                }
                (obj, Origin::Created)
            }
            Some(n) => {
                let dir = ns.dir(n.scope())?;
                Object::open_or_create(
                    &dir,
                    n,
                    &header,
                    &init_fd,
                    claim_obj
                        .as_ref()
                        .map(|c| c as &dyn Fn(&Object) -> Result<()>),
                    true,
                )?
            }
        };
        if origin == Origin::Created {
            adopt(&obj);
        }
        if origin == Origin::Existing {
            let n = name.as_ref().expect("only named objects can exist");
            return SyncHandle::from_opened(obj, n, kind, all_access(kind));
        }
        Ok(SyncHandle {
            obj,
            access: all_access(kind),
            existed: false,
        })
    }

    /// Opens the existing object `name` of `kind` with `access`.
    pub(crate) fn open(
        ns: &Namespace,
        kind: Kind,
        name: Option<&str>,
        access: u32,
    ) -> Result<SyncHandle> {
        let Some(name) = name else {
            bail!(InvalidParameter, "opening needs a name");
        };
        let name = Name::parse(name)?;
        let dir = ns.dir(name.scope())?;
        let Some(obj) = Object::open(&dir, &name)? else {
            bail!(FileNotFound, "no object named {name} exists");
        };
        SyncHandle::from_opened(obj, &name, kind, access)
    }

    /// Opens an object of `kind` the store has opened, with `access`.
    pub(crate) fn from_opened(
        obj: Arc<Object>,
        name: &Name,
        kind: Kind,
        access: u32,
    ) -> Result<SyncHandle> {
        check_kind(&obj, name, kind)?;
        hook_last_close(&obj);
        let access = rights(kind, access)?;
        Ok(SyncHandle {
            obj,
            access,
            existed: true,
        })
    }
}

impl SyncHandle {
    /// A handle with rights `access` (already mapped) to an object of `kind` a parent process
    /// passed down (see `Object::adopt`).
    pub(crate) fn adopt(obj: Arc<Object>, kind: Kind, access: u32) -> Result<SyncHandle> {
        if obj.header.kind != kind {
            bail!(
                InvalidHandle,
                "an inherited object is {}, not {}",
                obj.header.kind.with_article(),
                kind.with_article()
            );
        }
        hook_last_close(&obj);
        Ok(SyncHandle {
            obj,
            access: access & all_access(kind),
            existed: true,
        })
    }
}

/// Registers what the store does with a synchronization object's page at this process's last
/// close: only a mutex's page needs care (see [`super::mutex::last_close`]).
fn hook_last_close(obj: &Object) {
    if obj.header.kind == Kind::Mutex {
        let _ = obj.last_close.set(super::mutex::last_close);
    }
}

fn check_kind(obj: &Object, name: &Name, kind: Kind) -> Result<()> {
    if obj.header.kind != kind {
        bail!(
            InvalidHandle,
            "{name} is {}, not {}",
            obj.header.kind.with_article(),
            kind.with_article()
        );
    }
    Ok(())
}

/// The accessors every synchronization-object handle type shares: `open`, `open_in`,
/// `already_existed`, `name`, `access`, `duplicate`, and its [`Waitable`](crate::Waitable)
/// implementation. `$win32` names the Win32 open function in the docs.
macro_rules! sync_handle_type {
    ($t:ident, $kind:expr, $win32:literal) => {
        impl $t {
            #[doc = concat!("`", $win32, "` in the default namespace with `access` (see [`SyncAccess`](crate::SyncAccess) for the rights each type has).")]
            pub fn open(name: &str, access: crate::SyncAccess) -> crate::Result<$t> {
                $t::open_in(&crate::Namespace::default(), name, access)
            }

            #[doc = concat!("`", $win32, "` in `ns`.")]
            pub fn open_in(ns: &crate::Namespace, name: &str, access: crate::SyncAccess) -> crate::Result<$t> {
                Ok($t { h: crate::sync::handle::SyncHandle::open(ns, $kind, Some(name), access.bits())? })
            }

            /// Did `create` open an existing object (Win32 `ERROR_ALREADY_EXISTS`)?
            pub fn already_existed(&self) -> bool {
                self.h.existed
            }

            /// The full name, or `None` for an unnamed object.
            pub fn name(&self) -> Option<&str> {
                self.h.name()
            }

            /// The rights of this handle.
            pub fn access(&self) -> crate::SyncAccess {
                crate::SyncAccess::from_bits_retain(self.h.access)
            }

            /// `DuplicateHandle`: another handle to the same object, with the same access
            /// (`None`) or the access given.
            pub fn duplicate(&self, access: Option<crate::SyncAccess>) -> crate::Result<$t> {
                Ok($t { h: self.h.duplicate(access.map(|a| a.bits()))? })
            }
        }

        impl crate::sync::Waitable for $t {
            fn wait_target(&self) -> crate::Result<crate::sync::WaitTarget<'_>> {
                self.h.target()
            }
        }
    };
}
pub(crate) use sync_handle_type;

/// The builder every synchronization-object type has (`EventOptions`, …): the name, the
/// namespace and the type's own options, set by name, then `create`. `$create` is a function
/// `(ns, name, options) -> Result<$t>` (the type's positional `create_in`).
macro_rules! options_builder {
    (
        $(#[$doc:meta])*
        $opts:ident => $t:ident, $win32:literal,
        { $( $(#[$fdoc:meta])* $field:ident: $fty:ty = $default:expr ),* $(,)? },
        $create:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $opts<'a> {
            ns: Option<crate::Namespace>,
            name: Option<&'a str>,
            $( $field: $fty, )*
        }

        impl Default for $opts<'_> {
            fn default() -> Self {
                $opts::new()
            }
        }

        impl<'a> $opts<'a> {
            #[doc = concat!("An unnamed object in the default namespace, with the defaults of `", $win32, "`.")]
            pub fn new() -> Self {
                $opts { ns: None, name: None, $( $field: $default, )* }
            }

            /// The object name (`Local\x`, `Global\x` or `x`); none or `""` makes an unnamed
            /// object.
            #[must_use]
            pub fn name(mut self, name: &'a str) -> Self {
                self.name = Some(name);
                self
            }

            /// The namespace to create the name in (default: [`Namespace::default`](crate::Namespace::default)).
            #[must_use]
            pub fn namespace(mut self, ns: &crate::Namespace) -> Self {
                self.ns = Some(ns.clone());
                self
            }

            $(
                $(#[$fdoc])*
                #[must_use]
                pub fn $field(mut self, $field: $fty) -> Self {
                    self.$field = $field;
                    self
                }
            )*

            #[doc = concat!("`", $win32, "`: creates the object, or opens the existing one of that name (then `already_existed()` is true and the options are ignored, as on Windows).")]
            pub fn create(self) -> crate::Result<$t> {
                let ns = self.ns.clone().unwrap_or_default();
                let create: fn(&crate::Namespace, Option<&str>, &Self) -> crate::Result<$t> = $create;
                create(&ns, self.name, &self)
            }
        }
    };
}
pub(crate) use options_builder;

//! `fmap ls` and `fmap show`: what the library's inspection API reports, as aligned text or as
//! JSON (schema `fmap.ls/1`, documented in the README and in `fmap ls --help`).

use crate::style::{self, pad, safe, safe_path, Style};
use crate::units::{human_age, human_size, rfc3339};
use fmap::{Foreign, ForeignKind, Holder, Kind, ObjectInfo, ObjectState, Protection, Scope};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The JSON schema identifier of `fmap ls --json`.
pub const LS_SCHEMA: &str = "fmap.ls/1";
/// The JSON schema identifier of `fmap show --json`.
pub const OBJECT_SCHEMA: &str = "fmap.object/1";

/// `fmap ls --json`.
#[derive(Debug, Serialize)]
pub struct LsJson {
    pub schema: &'static str,
    pub root: String,
    pub scopes: Vec<&'static str>,
    pub objects: Vec<ObjectJson>,
    /// Entries under object file names that are not fmap objects (added to fmap.ls/1).
    pub foreign: Vec<ForeignJson>,
}

/// An entry of a namespace directory that is not a usable object (planted or corrupt).
#[derive(Debug, Serialize)]
pub struct ForeignJson {
    pub scope: &'static str,
    pub path: String,
    pub owner_uid: u32,
    /// "symlink", "fifo", "directory", "socket", "device", "not_an_object", "misnamed",
    /// "unreadable" (or "other").
    pub what: &'static str,
    pub description: String,
}

pub fn foreign_json(f: &Foreign) -> ForeignJson {
    ForeignJson {
        scope: match f.scope {
            Scope::Local => "local",
            Scope::Global => "global",
        },
        path: f.path.display().to_string(),
        owner_uid: f.owner_uid,
        what: match f.what {
            ForeignKind::Symlink => "symlink",
            ForeignKind::Fifo => "fifo",
            ForeignKind::Directory => "directory",
            ForeignKind::Socket => "socket",
            ForeignKind::Device => "device",
            ForeignKind::NotAnObject => "not_an_object",
            ForeignKind::Misnamed { .. } => "misnamed",
            ForeignKind::Unreadable(_) => "unreadable",
            _ => "other",
        },
        description: f.what.to_string(),
    }
}

/// The lines of `fmap ls` for foreign entries: `FOREIGN  <path>  uid N  <what it is>`, the
/// path and the description (which may quote a name) escaped by [`safe`].
pub fn foreign_lines(foreign: &[Foreign]) -> String {
    let paths: Vec<String> = foreign.iter().map(|f| safe_path(&f.path)).collect();
    let w_path = paths.iter().map(|p| p.chars().count()).max().unwrap_or(0);
    let w_uid = foreign
        .iter()
        .map(|f| f.owner_uid.to_string().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (f, path) in foreign.iter().zip(&paths) {
        let line = format!(
            "{}  {}  uid {:<w_uid$}  {}",
            style::BOLD_RED.paint("FOREIGN"),
            pad(path, w_path, None),
            f.owner_uid,
            safe(&f.what.to_string())
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One object, as listed by `fmap ls --json` and printed by `fmap show --json`.
#[derive(Debug, Serialize)]
pub struct ObjectJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<&'static str>,
    pub name: String,
    pub scope: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub size: u64,
    pub size_human: Option<String>,
    pub allocated: u64,
    pub allocated_human: String,
    /// False when the section's memory is in a memfd this process may not look at:
    /// `allocated` counts its object file only.
    pub allocated_known: bool,
    pub stale: bool,
    pub creator_pid: u32,
    pub owner_uid: u32,
    pub created_unix_ns: u64,
    pub created: String,
    pub file: Option<String>,
    pub state: StateJson,
    pub holders: Vec<HolderJson>,
}

/// The type-specific state; which fields appear depends on `type`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum StateJson {
    Mapping {
        protection: Option<String>,
        sec_flags: Vec<&'static str>,
        file_backed: bool,
    },
    Event {
        manual_reset: bool,
        signaled: bool,
    },
    Semaphore {
        count: i32,
        maximum: i32,
    },
    Timer {
        manual_reset: bool,
        signaled: bool,
        /// Milliseconds until it is due, if set and not yet due.
        due_in_ms: Option<u64>,
        period_ms: u32,
    },
    Mutex {
        owned: bool,
        owner_pid: Option<u32>,
        owner_tid: Option<u32>,
        recursion: u32,
        abandoned: bool,
    },
}

/// A process holding the object.
#[derive(Debug, Serialize)]
pub struct HolderJson {
    pub pid: u32,
    pub command: String,
    pub handle: bool,
    /// Mappings only: the process has a view mapped (always false for other types).
    pub view: bool,
}

/// An object and the processes that hold it.
pub struct Entry {
    pub info: ObjectInfo,
    pub holders: Vec<Holder>,
}

impl Entry {
    pub fn new(info: ObjectInfo) -> Entry {
        let holders = fmap::holders(&info);
        Entry { info, holders }
    }

    /// Entries for many objects, scanning the processes once.
    pub fn many(infos: Vec<ObjectInfo>) -> Vec<Entry> {
        let holders = fmap::holders_of(&infos);
        infos
            .into_iter()
            .zip(holders)
            .map(|(info, holders)| Entry { info, holders })
            .collect()
    }
}

fn sec_names(sec: u32) -> Vec<&'static str> {
    use fmap::win32::*;
    [
        (SEC_FILE, "SEC_FILE"),
        (SEC_IMAGE, "SEC_IMAGE"),
        (SEC_RESERVE, "SEC_RESERVE"),
        (SEC_COMMIT, "SEC_COMMIT"),
        (SEC_NOCACHE, "SEC_NOCACHE"),
        (SEC_WRITECOMBINE, "SEC_WRITECOMBINE"),
        (SEC_LARGE_PAGES, "SEC_LARGE_PAGES"),
    ]
    .into_iter()
    .filter(|(bit, _)| sec & bit != 0)
    .map(|(_, n)| n)
    .collect()
}

fn scope_of(name: &str) -> &'static str {
    if name.starts_with("Global\\") {
        "global"
    } else {
        "local"
    }
}

pub fn object_json(e: &Entry, schema: Option<&'static str>) -> ObjectJson {
    let i = &e.info;
    let state = match &i.state {
        ObjectState::Mapping { protection, sec } => StateJson::Mapping {
            protection: protection.map(|p| p.to_string()),
            sec_flags: sec_names(*sec),
            file_backed: i.file.is_some(),
        },
        ObjectState::Event {
            manual_reset,
            signaled,
        } => StateJson::Event {
            manual_reset: *manual_reset,
            signaled: *signaled,
        },
        ObjectState::Semaphore { count, maximum } => StateJson::Semaphore {
            count: *count,
            maximum: *maximum,
        },
        ObjectState::Timer {
            manual_reset,
            signaled,
            due_in,
            period_ms,
        } => StateJson::Timer {
            manual_reset: *manual_reset,
            signaled: *signaled,
            due_in_ms: due_in.map(|d| d.as_millis() as u64),
            period_ms: *period_ms,
        },
        ObjectState::Mutex {
            owner,
            recursion,
            abandoned,
        } => StateJson::Mutex {
            owned: owner.is_some(),
            owner_pid: owner.map(|o| o.0),
            owner_tid: owner.map(|o| o.1),
            recursion: *recursion,
            abandoned: *abandoned,
        },
    };
    ObjectJson {
        schema,
        name: i.name.clone(),
        scope: scope_of(&i.name),
        kind: i.kind.as_str(),
        size: i.size,
        size_human: (i.kind == Kind::Mapping).then(|| human_size(i.size)),
        allocated: i.allocated,
        allocated_human: human_size(i.allocated),
        allocated_known: i.allocated_known,
        stale: !i.alive,
        creator_pid: i.creator_pid,
        owner_uid: i.owner_uid,
        created_unix_ns: unix_ns(i.created),
        created: rfc3339(unix_ns(i.created)),
        file: i.file.as_ref().map(|p| p.display().to_string()),
        state,
        holders: e
            .holders
            .iter()
            .map(|h| HolderJson {
                pid: h.pid,
                command: h.command.clone(),
                handle: h.has_handle,
                view: h.has_view,
            })
            .collect(),
    }
}

fn protection_word(p: Option<Protection>) -> &'static str {
    match p {
        Some(Protection::NoAccess) => "no access",
        Some(Protection::ReadOnly) => "read-only",
        Some(Protection::ReadWrite) => "read/write",
        Some(Protection::WriteCopy) => "copy-on-write",
        Some(Protection::ExecuteRead) => "read+execute",
        Some(Protection::ExecuteReadWrite) => "read/write+execute",
        Some(Protection::ExecuteWriteCopy) => "copy-on-write+execute",
        None => "unknown protection",
    }
}

/// The one-line state of an object and the style to show it in (a backing file's path escaped
/// by [`safe`]).
pub fn state_text(i: &ObjectInfo) -> (String, Option<Style>) {
    match &i.state {
        ObjectState::Mapping { protection, sec } => {
            let mut s = protection_word(*protection).to_owned();
            if let Some(f) = &i.file {
                s.push_str(&format!(", file {}", safe_path(f)));
            } else {
                s.push_str(", memory");
            }
            if sec & fmap::win32::SEC_RESERVE != 0 {
                s.push_str(", reserved");
            }
            (s, None)
        }
        ObjectState::Event {
            manual_reset,
            signaled,
        } => {
            let reset = if *manual_reset { "manual" } else { "auto" };
            if *signaled {
                (format!("signaled ({reset}-reset)"), Some(style::GREEN))
            } else {
                (format!("not signaled ({reset}-reset)"), None)
            }
        }
        ObjectState::Semaphore { count, maximum } => {
            let st = if *count > 0 { Some(style::GREEN) } else { None };
            (format!("count {count} of {maximum}"), st)
        }
        ObjectState::Timer {
            manual_reset,
            signaled,
            due_in,
            period_ms,
        } => {
            let reset = if *manual_reset { "manual" } else { "sync" };
            let mut s = if *signaled {
                format!("signaled ({reset})")
            } else {
                format!("not signaled ({reset})")
            };
            if let Some(d) = due_in {
                s.push_str(&format!(", due in {} ms", d.as_millis()));
            }
            if *period_ms != 0 {
                s.push_str(&format!(", every {period_ms} ms"));
            }
            (s, signaled.then_some(style::GREEN))
        }
        ObjectState::Mutex {
            owner,
            recursion,
            abandoned,
        } => match owner {
            Some((pid, tid)) => {
                let rec = if *recursion > 1 {
                    format!(" ×{recursion}")
                } else {
                    String::new()
                };
                (
                    format!("owned by pid {pid} tid {tid}{rec}"),
                    Some(style::YELLOW),
                )
            }
            None if *abandoned => (
                "abandoned (its owner died)".to_owned(),
                Some(style::BOLD_RED),
            ),
            None => ("free".to_owned(), Some(style::GREEN)),
        },
    }
}

fn kind_style(k: Kind) -> Style {
    match k {
        Kind::Mapping => style::BLUE,
        Kind::Mutex => style::MAGENTA,
        Kind::Event => style::CYAN,
        Kind::Semaphore => style::YELLOW,
        Kind::Timer => style::CYAN,
    }
}

fn holder_marks(h: &Holder) -> &'static str {
    match (h.has_handle, h.has_view) {
        (true, true) => "handle+view",
        (true, false) => "handle",
        (false, true) => "view",
        (false, false) => "-",
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The aligned table of `fmap ls`. Names and command lines (which other users choose) are
/// escaped by [`safe`] before the column widths are measured.
pub fn ls_table(entries: &[Entry]) -> String {
    let mut rows = Vec::new();
    for e in entries {
        let i = &e.info;
        // Declared size, and the memory the object holds now (the pages touched, plus its
        // header page; a file-backed section's data is in its file).
        let size = if i.kind == Kind::Mapping {
            human_size(i.size)
        } else {
            "-".to_owned()
        };
        let used = if i.allocated_known {
            human_size(i.allocated)
        } else {
            "-".to_owned()
        };
        let (state, st_style) = state_text(i);
        let mut holders: Vec<String> = e
            .holders
            .iter()
            .map(|h| {
                format!(
                    "{} {} ({})",
                    h.pid,
                    shorten(&safe(&h.command), 60),
                    holder_marks(h)
                )
            })
            .collect();
        if !i.alive {
            holders.insert(
                0,
                "STALE: every holder died; `fmap gc` removes it".to_owned(),
            );
        } else if holders.is_empty() {
            holders.push("(not visible: another user's processes)".to_owned());
        }
        // Another user's object (root listing --all-users): say whose.
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        let shown = if i.owner_uid != me {
            format!("{} [uid {}]", safe(&i.name), i.owner_uid)
        } else {
            safe(&i.name).into_owned()
        };
        rows.push((i, shown, size, used, state, st_style, holders));
    }
    let w_name = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let w_type = 9;
    let w_size = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).max(4);
    let w_used = rows.iter().map(|r| r.3.len()).max().unwrap_or(0).max(4);
    let w_state = rows
        .iter()
        .map(|r| r.4.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let mut out = String::new();
    out.push_str(
        &style::BOLD.paint(
            format!(
                "{:w_name$}  {:w_type$}  {:>w_size$}  {:>w_used$}  {:w_state$}  HOLDERS (pid command)",
                "NAME", "TYPE", "SIZE", "USED", "STATE"
            )
            .trim_end(),
        ),
    );
    out.push('\n');
    for (i, shown, size, used, state, st_style, holders) in rows {
        let name_style = if i.alive {
            Some(style::BOLD)
        } else {
            Some(style::RED)
        };
        let line = format!(
            "{}  {}  {:>w_size$}  {:>w_used$}  {}  {}",
            pad(&shown, w_name, name_style),
            pad(i.kind.as_str(), w_type, Some(kind_style(i.kind))),
            size,
            used,
            pad(&state, w_state, st_style),
            if i.alive {
                holders[0].clone()
            } else {
                style::RED.paint(&holders[0])
            }
        );
        out.push_str(line.trim_end());
        out.push('\n');
        let indent = w_name + w_type + w_size + w_used + w_state + 10;
        for h in &holders[1..] {
            out.push_str(&format!("{}{h}\n", " ".repeat(indent)));
        }
    }
    out
}

fn age_of(ns: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    human_age(Duration::from_nanos(now.saturating_sub(ns)))
}

/// The detail view of `fmap show` (the name, paths and command lines escaped by [`safe`]).
pub fn show_text(e: &Entry) -> String {
    let i = &e.info;
    let mut out = String::new();
    let mut field = |k: &str, v: String| {
        out.push_str(&format!(
            "  {}  {v}\n",
            style::DIM.paint(format!("{k:<11}"))
        ));
    };
    let header = format!(
        "{} {}\n",
        style::BOLD.paint(safe(&i.name)),
        kind_style(i.kind).paint(i.kind.as_str())
    );
    field("type", i.kind.as_str().to_owned());
    field(
        "status",
        if i.alive {
            style::GREEN.paint("alive (some process holds a handle)")
        } else {
            style::RED.paint("STALE: every holder died without closing; `fmap gc` removes it")
        },
    );
    match &i.state {
        ObjectState::Mapping { protection, sec } => {
            field("size", format!("{} ({} bytes)", human_size(i.size), i.size));
            field(
                "used",
                if i.allocated_known {
                    format!(
                        "{} ({} bytes: the pages touched so far and the header page)",
                        human_size(i.allocated),
                        i.allocated
                    )
                } else {
                    "- (its memory is a memfd of processes this user may not look at)".to_owned()
                },
            );
            field(
                "protection",
                format!(
                    "{} ({})",
                    protection.map(|p| p.to_string()).unwrap_or("?".into()),
                    protection_word(*protection)
                ),
            );
            field("attributes", sec_names(*sec).join(" | "));
            field(
                "backing",
                match (&i.file, i.segment) {
                    (Some(f), _) => format!("file {}", safe_path(f)),
                    (None, Some(id)) => format!(
                        "shared memory (pagefile-backed; System V segment {id}, freed with its last holder)"
                    ),
                    (None, None) => "shared memory (pagefile-backed)".to_owned(),
                },
            );
        }
        ObjectState::Event {
            manual_reset,
            signaled,
        } => {
            field(
                "reset",
                if *manual_reset {
                    "manual (stays signaled until reset; releases every waiter)"
                } else {
                    "auto (a wait takes the signal; releases one waiter)"
                }
                .to_owned(),
            );
            field(
                "state",
                if *signaled {
                    style::GREEN.paint("signaled")
                } else {
                    "not signaled".to_owned()
                },
            );
        }
        ObjectState::Semaphore { count, maximum } => {
            field("count", format!("{count} (maximum {maximum})"));
        }
        ObjectState::Timer {
            manual_reset,
            signaled,
            due_in,
            period_ms,
        } => {
            field(
                "reset",
                if *manual_reset {
                    "manual (notification timer: stays signaled until set again)"
                } else {
                    "synchronization (a wait takes the signal; releases one waiter)"
                }
                .to_owned(),
            );
            field(
                "state",
                if *signaled {
                    style::GREEN.paint("signaled")
                } else {
                    "not signaled".to_owned()
                },
            );
            field(
                "due",
                match due_in {
                    Some(d) => format!("in {} ms", d.as_millis()),
                    None => "not set (or already due)".to_owned(),
                },
            );
            field(
                "period",
                if *period_ms == 0 {
                    "none (one-shot)".to_owned()
                } else {
                    format!("{period_ms} ms")
                },
            );
        }
        ObjectState::Mutex {
            owner,
            recursion,
            abandoned,
        } => {
            let st = match owner {
                Some((pid, tid)) => style::YELLOW.paint(format!(
                    "owned by pid {pid}, thread {tid}, recursion count {recursion}"
                )),
                None if *abandoned => style::BOLD_RED.paint(
                    "abandoned: its owner died holding it; the next wait gets WAIT_ABANDONED",
                ),
                None => style::GREEN.paint("free"),
            };
            field("state", st);
        }
    }
    field(
        "created",
        format!(
            "{} ({} ago) by pid {}",
            rfc3339(unix_ns(i.created)),
            age_of(unix_ns(i.created)),
            i.creator_pid
        ),
    );
    if e.holders.is_empty() {
        field(
            "holders",
            if i.alive {
                "none visible (another user's processes can only be seen by root)".to_owned()
            } else {
                "none".to_owned()
            },
        );
    } else {
        field("holders", format!("{} process(es)", e.holders.len()));
        for h in &e.holders {
            out.push_str(&format!(
                "    {:>7}  {:<11}  {}\n",
                h.pid,
                holder_marks(h),
                safe(&h.command)
            ));
        }
    }
    format!("{header}{out}")
}

/// Nanoseconds since the Unix epoch (0 before it), as the JSON schema and the text show them.
fn unix_ns(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

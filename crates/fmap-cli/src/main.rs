//! `fmap`: see and drive named fmap objects (sections, mutexes, events, semaphores) from the
//! shell. Everything it does goes through the `fmap` library; this crate only parses arguments
//! and presents results.
// Every `unsafe` operation sits in an `unsafe {}` block, also inside an `unsafe fn`, and every
// `unsafe` block says why it is sound in a `// SAFETY:` comment (CI denies clippy warnings).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod cmd;
mod demo;
mod report;
mod style;
mod units;
mod watch;

use clap::{Args, Parser, Subcommand};
use cmd::signal::EventOp;
use std::path::PathBuf;
use std::process::ExitCode;
use style::ColorChoice;
use units::Timeout;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the operation failed (unknown name, wrong type, no permission, …).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the command line is wrong (unknown option, bad size, …).
pub const EXIT_USAGE: u8 = 2;
/// Exit status of `fmap wait`: the timeout elapsed.
pub const EXIT_TIMED_OUT: u8 = 3;
/// Exit status of `fmap wait`: a mutex was abandoned by a dead owner (and was acquired).
pub const EXIT_ABANDONED: u8 = 4;

const MAIN_AFTER: &str = "\
Names are Win32 object names: `Local\\x` (or just `x`) is private to your user, `Global\\x` is
shared by every user. Quote them in the shell: fmap show 'Local\\x'.

Objects live in $FMAP_ROOT (default /dev/shm): fmap-<uid>/ for Local\\, fmap-global/ for Global\\.

Exit status: 0 success, 1 the operation failed (the message says why, with its Win32 error),
2 bad command line; `fmap wait` also uses 3 (timed out) and 4 (abandoned mutex).

Examples:
  fmap demo                                  two processes, a section, a mutex and events
  fmap create mapping telemetry --size 4MiB  keep a 4 MiB section alive until Ctrl-C
  fmap ls                                    what exists, its state and who holds it
  fmap write telemetry --text hello          write into the section
  fmap read telemetry --length 16 --hex      and read it back
  fmap watch telemetry                       live hex view, changes highlighted";

/// See and drive Win32-style named shared memory, mutexes, events and semaphores on Linux.
#[derive(Debug, Parser)]
#[command(name = "fmap", version, after_help = MAIN_AFTER, max_term_width = 100)]
pub struct Cli {
    /// When to colour the output: auto (when stdout is a terminal and NO_COLOR is unset),
    /// always, never.
    #[arg(
        long,
        value_enum,
        default_value_t = ColorChoice::Auto,
        global = true,
        hide_possible_values = true,
        value_name = "WHEN"
    )]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List the named objects: type, size, state, holders; stale ones marked.
    #[command(
        after_help = LS_AFTER,
        after_long_help = LS_AFTER_LONG
    )]
    Ls(LsArgs),
    /// Show one object in detail, with every process that holds it.
    #[command(after_help = "\
Examples:
  fmap show telemetry
  fmap show 'Global\\service-ready'
  fmap show telemetry --json | jq .holders")]
    Show(ShowArgs),
    /// Create (or open) a named object and keep it alive until Ctrl-C.
    #[command(subcommand, after_help = CREATE_AFTER)]
    Create(CreateCmd),
    /// Print the bytes of a mapping (raw, or as a hex dump).
    #[command(after_help = "\
Without --length, reads to the end of the section. On a terminal, raw output stops at the first
NUL byte (pipe it, or use --hex or --length, to see everything).

Examples:
  fmap read telemetry                          the text at the start of the section
  fmap read telemetry --offset 4KiB --length 64 --hex
  fmap read telemetry > snapshot.bin")]
    Read(ReadArgs),
    /// Write bytes into a mapping: --text, --from FILE, or standard input.
    #[command(after_help = "\
The input (--from FILE, --from - or piped standard input; FIFOs and devices too) is copied in
1 MiB chunks and never read past the room from --offset to the end of the section, plus one
byte to notice input that is too long, which fails with ERROR_INVALID_PARAMETER. Nothing is
written then if the input is a regular file (its size is checked first) or the room is at most
1 MiB; a longer stream fills the section to its end first, and the message says so.

Examples:
  fmap write telemetry --text hello
  fmap write telemetry --offset 0x100 --from payload.bin
  printf '\\x01\\x02' | fmap write telemetry --offset 64KiB")]
    Write(WriteArgs),
    /// Live hex view of a mapping that highlights bytes as they change (q or Ctrl-C quits).
    #[command(after_help = "\
Keys: q, Esc or Ctrl-C quit; Up/Down, PgUp/PgDn, Home/End scroll.
Bytes that changed in the last refresh are shown on a yellow background, bytes that changed in
the last few seconds in yellow. `fmap watch` maps a view but closes its handle at once, so
watching never keeps a name alive.

Examples:
  fmap watch telemetry
  fmap watch telemetry --offset 64KiB --interval 50ms")]
    Watch(WatchArgs),
    /// Set an event (SetEvent).
    #[command(after_help = "\
Examples:
  fmap signal ready
  fmap signal 'Global\\service-ready'")]
    Signal(NameArg),
    /// Reset an event to non-signaled (ResetEvent).
    #[command(after_help = "Example:\n  fmap reset ready")]
    Reset(NameArg),
    /// Pulse an event: release the current waiters, leave it non-signaled (PulseEvent).
    #[command(after_help = "Example:\n  fmap pulse ready")]
    Pulse(NameArg),
    /// Release a semaphore (ReleaseSemaphore).
    #[command(after_help = "\
Releasing past the semaphore's maximum fails with ERROR_TOO_MANY_POSTS and changes nothing.

Examples:
  fmap release slots
  fmap release slots --count 3")]
    Release(ReleaseArgs),
    /// Wait for events, semaphores or mutexes (WaitForSingleObject / WaitForMultipleObjects).
    #[command(after_help = WAIT_AFTER)]
    Wait(WaitArgs),
    /// Remove objects whose every holder died, and report what was freed.
    #[command(after_help = "\
An object whose last holder was killed (kill -9, crash) has no live handle but still has its
file; `fmap ls` marks it STALE. Any fmap process removes such files when it first touches the
directory; `fmap gc` does it now and says what it freed. Live objects are never touched.

Example:
  fmap gc")]
    Gc,
    /// Two processes share a section guarded by a mutex and signalled by events, narrated,
    /// with the round-trip latency next to a pipe's.
    #[command(after_help = "\
The demo creates Local\\fmap-demo-<pid>-* objects, starts a second process (this program again),
exchanges messages through the section, measures round trips, and closes everything: it leaves
nothing behind. It takes a second or two.

Examples:
  fmap demo
  fmap demo --rounds 20000")]
    Demo(DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "\
Examples:
  fmap completions bash > ~/.local/share/bash-completion/completions/fmap
  fmap completions zsh > ~/.zfunc/_fmap
  fmap completions fish > ~/.config/fish/completions/fmap.fish")]
    Completions(CompletionsArgs),
}

const LS_AFTER: &str = "\
Examples:
  fmap ls                   your Local\\ objects
  fmap ls --global          Global\\ objects
  fmap ls --all-users       Global\\ and every user's Local\\ (others' need root)
  fmap ls --json | jq '.objects[] | select(.stale)'

`fmap ls --help` describes the JSON schema.";

const LS_AFTER_LONG: &str = "\
Columns: NAME (full name), TYPE (mapping, mutex, event, semaphore), SIZE (mappings only: the
size declared at creation), USED (the memory the object holds now: the pages of a section that
were touched, plus the object's 4 KiB header page; a file-backed section's data is in its file),
STATE (protection and backing of a mapping; event signaled or not and its reset mode; semaphore
count of maximum; mutex free, owned by pid/tid, or abandoned), HOLDERS (each process with a
handle and/or a mapped view: pid, command line, and which). STALE marks an object whose every
holder died without closing it; `fmap gc` removes it. Looking never opens a handle, so `fmap ls`
does not keep anything alive. Other users' processes are only visible to root.

FOREIGN lines list entries under object file names that are not fmap objects: a symbolic link,
FIFO, directory, socket or device, a file that is not an fmap object (or is corrupt), an object
file stored under another name's file, an unreadable file; with the path, the uid that owns the
entry and what it is. The name whose file each occupies cannot be used while it is there (in
the shared Global\\ directory: a squatted name). They never make `fmap ls` fail.

Names, paths and command lines are chosen by other users: control characters (ESC, \\r, \\n …),
C1 controls and invisible bidi/format characters in them are printed as escapes (\\x1b, \\r,
\\u{202e}), in the table, in `fmap show` and in error messages; --json has them as they are.

JSON (--json), schema \"fmap.ls/1\" — fields are only ever added, never renamed or removed:

  {
    \"schema\": \"fmap.ls/1\",
    \"root\": \"/dev/shm\",                  namespace root ($FMAP_ROOT)
    \"scopes\": [\"local\"],                 which namespaces were listed
    \"objects\": [                          sorted by name
      {
        \"name\": \"Local\\\\telemetry\",
        \"scope\": \"local\",                 \"local\" or \"global\"
        \"type\": \"mapping\",                \"mapping\", \"mutex\", \"event\" or \"semaphore\"
        \"size\": 4194304,                  bytes (0 for mutexes, events, semaphores)
        \"size_human\": \"4 MiB\",            null for non-mappings
        \"allocated\": 69632,               bytes of memory held now (touched pages + header)
        \"allocated_human\": \"68 KiB\",
        \"allocated_known\": true,         false: the memory is in a memfd of processes this user
                                           may not look at (allocated counts the header only)
        \"stale\": false,                   true: every holder died; `fmap gc` removes it
        \"creator_pid\": 1234,
        \"owner_uid\": 1000,                 the user who owns the object
        \"created_unix_ns\": 1714567890123456789,
        \"created\": \"2024-05-01T12:51:30.123Z\",
        \"file\": null,                     the backing file of a file-backed mapping
        \"state\": { … },                   depends on \"type\", see below
        \"holders\": [ { \"pid\": 1234, \"command\": \"fmap create mapping …\",
                       \"handle\": true, \"view\": false } ]
      }
    ],
    \"foreign\": [                          entries that are not fmap objects, by path
      { \"scope\": \"global\", \"path\": \"/dev/shm/fmap-global/0f3c…\", \"owner_uid\": 1001,
        \"what\": \"symlink\",               \"symlink\", \"fifo\", \"directory\", \"socket\",
                                         \"device\", \"not_an_object\", \"misnamed\", \"unreadable\"
        \"description\": \"a symbolic link\" }
    ]
  }

  state of a mapping:   { \"protection\": \"PAGE_READWRITE\" (or null), \"sec_flags\": [\"SEC_COMMIT\"],
                          \"file_backed\": false }
  state of an event:    { \"manual_reset\": false, \"signaled\": true }
  state of a semaphore: { \"count\": 2, \"maximum\": 4 }
  state of a mutex:     { \"owned\": true, \"owner_pid\": 1234, \"owner_tid\": 1235,
                          \"recursion\": 1, \"abandoned\": false }

Examples:
  fmap ls
  fmap ls --global
  fmap ls --all-users
  fmap ls --json | jq -r '.objects[] | select(.stale) | .name'";

const CREATE_AFTER: &str = "\
The object stays alive while fmap runs; Ctrl-C (or SIGTERM) closes the handle and exits with
status 0. If the name already exists, fmap opens that object instead (as CreateFileMapping,
CreateEvent, … do: its size and state are kept) and says so.

Examples:
  fmap create mapping telemetry --size 4MiB
  fmap create mapping logfile --file /tmp/log.bin --size 64KiB
  fmap create event ready --manual-reset
  fmap create mutex lock --owned
  fmap create semaphore slots --initial 2 --max 4";

const WAIT_AFTER: &str = "\
Waits until one of the objects is signaled (or all of them, with --all) and acquires it as
WaitForMultipleObjects does: a semaphore's count is taken, an auto-reset event is reset. A mutex
is acquired and then released again before fmap exits. Mappings cannot be waited on.

Prints which object was signaled or abandoned, or that the wait timed out.

Exit status:
  0  signaled (with --all: every object)
  1  error (unknown name, not waitable, …)
  2  bad command line
  3  timed out (nothing was acquired)
  4  a mutex was abandoned: its owner died holding it (fmap acquired and released it)

Examples:
  fmap wait ready
  fmap wait ready stop --timeout 5s
  fmap wait lock slots --all --timeout 500ms";

#[derive(Debug, Args)]
pub struct LsArgs {
    /// List the Global\ namespace (shared by every user) instead of your Local\ one.
    #[arg(long)]
    pub global: bool,
    /// List Global\ and the Local\ namespaces of every user (other users' need root).
    #[arg(long)]
    pub all_users: bool,
    /// Print JSON (schema fmap.ls/1, see --help) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The object's name (Local\x, Global\x, or x).
    pub name: String,
    /// Print JSON: one object as in `fmap ls --json`, with "schema": "fmap.object/1".
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The object's name (Local\x, Global\x, or x).
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum CreateCmd {
    /// A section (CreateFileMapping), memory- or file-backed.
    #[command(after_help = "\
Examples:
  fmap create mapping telemetry --size 4MiB
  fmap create mapping big --size 1.5GiB
  fmap create mapping cfg --file ./config.bin --readonly
  fmap create mapping log --file /tmp/log.bin --size 64KiB   (created or extended as needed)")]
    Mapping {
        /// The name (Local\x, Global\x, or x).
        name: String,
        /// Size: 4096, 64KiB, 4MiB, 1.5GiB, 0x10000 … (required unless --file).
        #[arg(long, value_parser = units::parse_size)]
        size: Option<u64>,
        /// Back the section by this file (opened or created through fmap::File).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Create a read-only section (PAGE_READONLY).
        #[arg(long)]
        readonly: bool,
        #[command(flatten)]
        hold: HoldArgs,
    },
    /// An event (CreateEvent).
    #[command(after_help = "\
Examples:
  fmap create event ready
  fmap create event stop --manual-reset --signaled")]
    Event {
        /// The name (Local\x, Global\x, or x).
        name: String,
        /// Manual-reset: stays signaled until reset (default: auto-reset).
        #[arg(long)]
        manual_reset: bool,
        /// Start signaled.
        #[arg(long)]
        signaled: bool,
        #[command(flatten)]
        hold: HoldArgs,
    },
    /// A mutex (CreateMutex).
    #[command(after_help = "\
Examples:
  fmap create mutex lock
  fmap create mutex lock --owned     (others' waits block until you press Ctrl-C)")]
    Mutex {
        /// The name (Local\x, Global\x, or x).
        name: String,
        /// Take ownership at creation (bInitialOwner).
        #[arg(long)]
        owned: bool,
        #[command(flatten)]
        hold: HoldArgs,
    },
    /// A semaphore (CreateSemaphore).
    #[command(after_help = "\
Examples:
  fmap create semaphore slots --initial 2 --max 4
  fmap create semaphore go           (count 0 of 1: `fmap release go` lets one waiter pass)")]
    Semaphore {
        /// The name (Local\x, Global\x, or x).
        name: String,
        /// Initial count.
        #[arg(long, default_value_t = 0)]
        initial: i32,
        /// Maximum count.
        #[arg(long, default_value_t = 1)]
        max: i32,
        #[command(flatten)]
        hold: HoldArgs,
    },
}

#[derive(Debug, Args, Clone, Copy)]
pub struct HoldArgs {
    /// Close the object and exit after this long (e.g. 30s) instead of waiting for Ctrl-C.
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub exit_after: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The mapping's name.
    pub name: String,
    /// Where to start, in bytes (4096, 4KiB, 0x1000 …).
    #[arg(long, default_value = "0", value_parser = units::parse_size)]
    pub offset: u64,
    /// How many bytes (default: to the end of the section).
    #[arg(long, value_parser = units::parse_size)]
    pub length: Option<u64>,
    /// Print a hex dump (offset, bytes, ASCII) instead of raw bytes.
    #[arg(long)]
    pub hex: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").args(["text", "from"])))]
pub struct WriteArgs {
    /// The mapping's name.
    pub name: String,
    /// Where to write, in bytes (4096, 4KiB, 0x1000 …).
    #[arg(long, default_value = "0", value_parser = units::parse_size)]
    pub offset: u64,
    /// Write this text (UTF-8, no terminating NUL).
    #[arg(long)]
    pub text: Option<String>,
    /// Write the contents of this file ("-" for standard input).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The mapping's name.
    pub name: String,
    /// First byte shown (rounded down to 16).
    #[arg(long, default_value = "0", value_parser = units::parse_size)]
    pub offset: u64,
    /// How often to refresh.
    #[arg(long, default_value = "100ms", value_parser = units::parse_duration)]
    pub interval: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The semaphore's name.
    pub name: String,
    /// How much to add to the count.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..))]
    pub count: i32,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Names of events, semaphores or mutexes (1 to 64).
    #[arg(required = true, num_args = 1..=64)]
    pub names: Vec<String>,
    /// Wait until all are signaled at once (acquired together, or not at all).
    #[arg(long)]
    pub all: bool,
    /// Give up after this long: 500ms, 5s, 1m … or "infinite" (the default).
    #[arg(long, default_value = "infinite", value_parser = units::parse_timeout)]
    pub timeout: Timeout,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Round trips to time, for fmap and for the pipe each.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rounds: u32,
    /// Internal: run as the demo's second process, using the objects with this prefix.
    #[arg(long, hide = true, value_name = "PREFIX")]
    pub peer: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `fmap manpages DIR`: writes the manual pages, generated from [`Cli`] with clap_mangen so that
/// they never drift from --help. Packaging runs it (scripts/build-deb.sh). An internal command,
/// outside [`Cli`]'s subcommands: a hidden subcommand would still be offered by the shell
/// completions (clap_complete lists hidden subcommands).
#[derive(Debug, Parser)]
#[command(
    name = "fmap manpages",
    bin_name = "fmap manpages",
    about = "Write fmap.1 and one page per subcommand (fmap-ls.1, ...) into DIR"
)]
pub struct ManpagesArgs {
    /// The directory to write the pages into (created if missing).
    pub dir: PathBuf,
}

/// Prints a failure as one line: `fmap: <what went wrong> [ERROR_NAME (code)]`. The message
/// may quote names and paths that other users chose, so it is escaped by [`style::safe`].
pub fn report_error(e: &fmap::Error) {
    eprintln!("fmap: {}", style::safe(&e.to_string()));
}

fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    match e.kind() {
        K::DisplayHelp | K::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        K::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            // clap's message is its first paragraph (a line, maybe followed by indented
            // details such as the missing arguments); make it one line.
            let text = e.render().to_string();
            let para: Vec<&str> = text
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let msg = para.join(" ");
            let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
            let msg = if msg.is_empty() {
                "bad command line"
            } else {
                msg.trim_end_matches(':')
            };
            eprintln!(
                "fmap: {}; see --help [{}]",
                style::safe(msg),
                fmap::ErrorKind::InvalidParameter
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "fmap: internal error: {}{at} (please report this) [ERROR_GEN_FAILURE (31)]",
            style::safe(&msg)
        );
    }));
    // Behave like other Unix tools when the reader of our output goes away (`fmap read x | head`).
    // SAFETY: resetting SIGPIPE to its default disposition at start-up, before any thread runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };

    if std::env::args_os().nth(1).is_some_and(|a| a == "manpages") {
        // `manpages` stands for the program name: ManpagesArgs parses what follows it.
        let result = match ManpagesArgs::try_parse_from(std::env::args_os().skip(1)) {
            Ok(a) => cmd::manpages::run(a),
            Err(e) => return usage_error(e),
        };
        return exit_code(result);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    style::init(cli.color);
    let result = match cli.cmd {
        Cmd::Ls(a) => cmd::ls::run(a),
        Cmd::Show(a) => cmd::show::run(a),
        Cmd::Create(c) => cmd::create::run(c),
        Cmd::Read(a) => cmd::read::run(a),
        Cmd::Write(a) => cmd::write::run(a),
        Cmd::Watch(a) => watch::run(a),
        Cmd::Signal(a) => cmd::signal::run(a, EventOp::Set),
        Cmd::Reset(a) => cmd::signal::run(a, EventOp::Reset),
        Cmd::Pulse(a) => cmd::signal::run(a, EventOp::Pulse),
        Cmd::Release(a) => cmd::release::run(a),
        Cmd::Wait(a) => cmd::wait::run(a),
        Cmd::Gc => cmd::gc::run(),
        Cmd::Demo(a) => demo::run(a),
        Cmd::Completions(a) => cmd::completions::run(a),
    };
    exit_code(result)
}

fn exit_code(result: fmap::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report_error(&e);
            ExitCode::from(EXIT_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}

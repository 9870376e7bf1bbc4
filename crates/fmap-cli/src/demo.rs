//! `fmap demo`: two processes share a named section guarded by a named mutex and signalled by
//! named events; the second process is this program started again (`fmap demo --peer PREFIX`).
//! Process A narrates for both: B's lines come through B's standard output, which A reads at
//! known points, so the story prints in the order things happened. At the end both close their
//! handles and the names are gone.

use crate::cmd::named;
use crate::style::{self, Style};
use crate::units::{human_duration, human_size};
use crate::{DemoArgs, EXIT_OK};
use fmap::{
    Access, Error, ErrorKind, Event, Mapping, MappingOptions, Mutex, Namespace, Result, Scope,
    View, WaitResult,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const SIZE: u64 = 64 * 1024;
const MSG_A: usize = 0;
const MSG_B: usize = 256;
const COUNTER: usize = 4096;
const WARMUP: u32 = 200;
/// No step of the demo waits longer than this for the other process.
const PATIENCE: Duration = Duration::from_secs(15);

struct Names {
    section: String,
    lock: String,
    ping: String,
    pong: String,
}

impl Names {
    fn new(prefix: &str) -> Names {
        Names {
            section: prefix.to_owned(),
            lock: format!("{prefix}-lock"),
            ping: format!("{prefix}-ping"),
            pong: format!("{prefix}-pong"),
        }
    }
    fn all(&self) -> [&str; 4] {
        [&self.section, &self.lock, &self.ping, &self.pong]
    }
}

fn fail(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Other, msg.into())
}

fn io_err(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::os(e, what)
}

fn wait_for(ev: &Event, who: &str, what: &str) -> Result<()> {
    match ev.wait(Some(PATIENCE))? {
        WaitResult::TimedOut => Err(fail(format!(
            "{who} waited {} for {what} and gave up",
            human_duration(PATIENCE)
        ))),
        _ => Ok(()),
    }
}

fn read_str(view: &View, offset: usize) -> Result<String> {
    let mut buf = [0u8; 128];
    view.read(offset, &mut buf)?;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

fn write_str(view: &View, offset: usize, s: &str) -> Result<()> {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    view.write(offset, &b)
}

fn read_counter(view: &View) -> Result<u64> {
    let mut b = [0u8; 8];
    view.read(COUNTER, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn bump_counter(view: &View) -> Result<u64> {
    let c = read_counter(view)? + 1;
    view.write(COUNTER, &c.to_le_bytes())?;
    Ok(c)
}

pub fn run(a: DemoArgs) -> Result<u8> {
    match a.peer {
        Some(prefix) => peer(&prefix, a.rounds),
        None => lead(a.rounds),
    }
}

// ---------------------------------------------------------------------------------------------
// Process A

struct Narrator {
    a: String,
    b: String,
}

impl Narrator {
    fn a(&self, text: impl AsRef<str>) {
        println!("{} {}", self.a, text.as_ref());
    }
    fn b(&self, text: &str) {
        println!("{} {}", self.b, text);
    }
}

fn tag(who: &str, pid: u32, s: Style) -> String {
    style::BOLD.paint(s.paint(format!("[{who} {pid:>6}]")))
}

/// The second process, killed if the demo fails half-way.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Peer {
    /// Prints B's narration up to its next `@` line.
    fn relay(&mut self, n: &Narrator) -> Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            let got = self
                .stdout
                .read_line(&mut line)
                .map_err(io_err("cannot read the second process's output"))?;
            if got == 0 {
                return Err(fail("the second process ended unexpectedly"));
            }
            let l = line.trim_end_matches('\n');
            if l == "@" {
                return Ok(());
            }
            n.b(l);
        }
    }
}

/// Microseconds with one decimal, for the latency table.
fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_nanos() as f64 / 1e3)
}

fn stats(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let n = samples.len();
    let median = samples[n / 2];
    let p99 = samples[((n * 99) / 100).min(n - 1)];
    let mean = samples.iter().sum::<Duration>() / n as u32;
    (median, p99, mean)
}

/// A's side of `total` timed round trips.
fn lead_rounds(
    lock: &Mutex,
    view: &View,
    ping: &Event,
    pong: &Event,
    total: u32,
) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(total as usize);
    for r in 0..total {
        let t0 = Instant::now();
        {
            let _g = lock.lock()?;
            bump_counter(view)?;
        }
        ping.set()?;
        wait_for(pong, "A", "pong")?;
        if r >= WARMUP {
            times.push(t0.elapsed());
        }
    }
    Ok(times)
}

/// B's side of `total` round trips.
fn peer_rounds(lock: &Mutex, view: &View, ping: &Event, pong: &Event, total: u32) -> Result<()> {
    for _ in 0..total {
        wait_for(ping, "B", "ping")?;
        {
            let _g = lock.lock()?;
            bump_counter(view)?;
        }
        pong.set()?;
    }
    Ok(())
}

/// Reads the counter under the mutex and checks that no increment was lost.
fn check_counter(lock: &Mutex, view: &View, expected: u64) -> Result<u64> {
    let counter = {
        let _g = lock.lock()?;
        read_counter(view)?
    };
    if counter != expected {
        return Err(fail(format!(
            "the counter in the section reads {counter}, expected {expected}: an update was lost"
        )));
    }
    Ok(counter)
}

fn lead(rounds: u32) -> Result<u8> {
    let ns = Namespace::default();
    let pid = std::process::id();
    let prefix = format!("Local\\fmap-demo-{pid}");
    let names = Names::new(&prefix);
    let n = Narrator {
        a: tag("A", pid, style::CYAN),
        b: String::new(),
    };
    println!(
        "{}",
        style::BOLD.paint(
            "fmap demo: two processes share a named section, guarded by a named mutex and signalled by named events"
        )
    );
    println!(
        "(namespace root {}; everything below is the fmap library's Win32-style API)\n",
        style::safe_path(ns.root())
    );

    let section = MappingOptions::new()
        .namespace(&ns)
        .name(&names.section)
        .size(SIZE)
        .create()
        .map_err(named(&names.section))?;
    let view = section.map_view(Access::WRITE, ..)?;
    n.a(format!(
        "CreateFileMapping {:<28} -> a new {} section (already existed: {}), mapped a view",
        names.section,
        human_size(section.size()),
        if section.already_existed() {
            "yes"
        } else {
            "no"
        }
    ));
    let lock = Mutex::create_in(&ns, Some(&names.lock), false).map_err(named(&names.lock))?;
    n.a(format!(
        "CreateMutex       {:<28} -> guards the section",
        names.lock
    ));
    let ping =
        Event::create_in(&ns, Some(&names.ping), false, false).map_err(named(&names.ping))?;
    n.a(format!(
        "CreateEvent       {:<28} -> auto-reset: A tells B \"your turn\"",
        names.ping
    ));
    let pong =
        Event::create_in(&ns, Some(&names.pong), false, false).map_err(named(&names.pong))?;
    n.a(format!(
        "CreateEvent       {:<28} -> auto-reset: B tells A \"done\"",
        names.pong
    ));

    let exe = std::env::current_exe().map_err(io_err("cannot find this program"))?;
    let mut child = Command::new(&exe)
        .args(["demo", "--peer", &prefix, "--rounds", &rounds.to_string()])
        .args(["--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::os(e, format!("cannot start {}", exe.display())))?;
    let stdout = child.stdout.take().expect("piped");
    let stdin = child.stdin.take();
    let bpid = child.id();
    let mut peer = Peer {
        child,
        stdin,
        stdout: BufReader::new(stdout),
    };
    let n = Narrator {
        b: tag("B", bpid, style::MAGENTA),
        ..n
    };
    n.a(format!(
        "started process B (pid {bpid}): the same program, `fmap demo --peer {prefix}`"
    ));
    n.a("waits on the pong event until B has found everything");
    wait_for(&pong, "A", "B to start")?;
    peer.relay(&n)?;

    let hello = format!("hello from A (pid {pid})");
    {
        let _g = lock.lock()?;
        write_str(&view, MSG_A, &hello)?;
    }
    n.a(format!(
        "took the mutex, wrote {hello:?} at offset {MSG_A}, released the mutex, set ping"
    ));
    ping.set()?;
    wait_for(&pong, "A", "B's reply")?;
    peer.relay(&n)?;
    let reply = {
        let _g = lock.lock()?;
        read_str(&view, MSG_B)?
    };
    n.a(format!(
        "woke on pong; took the mutex and read B's reply at offset {MSG_B}: {reply:?}"
    ));

    // Round trips through fmap: first as configured (waiters spin briefly), then with waiters
    // that sleep in the kernel at once, which is what a pipe reader does.
    let total = rounds + WARMUP;
    n.a(format!(
        "timing {rounds} round trips: take the mutex, bump a counter in the section, release, set ping; B does the same and sets pong"
    ));
    let fm = lead_rounds(&lock, &view, &ping, &pong, total)?;
    n.a(format!(
        "done: the counter in the section reads {} = 2 × {total} (warm-up included): no update was lost",
        check_counter(&lock, &view, 2 * total as u64)?
    ));
    peer.relay(&n)?;
    fmap::set_spin(Duration::ZERO);
    n.a(format!(
        "timing {rounds} more with spinning off (FMAP_SPIN_US=0): every wait sleeps in the kernel at once, as a pipe reader does"
    ));
    let fz = lead_rounds(&lock, &view, &ping, &pong, total)?;
    check_counter(&lock, &view, 4 * total as u64)?;
    peer.relay(&n)?;

    // Round trips through pipes.
    n.a(format!(
        "timing {rounds} round trips through pipes for comparison: 1 byte to B's stdin, 1 byte back on B's stdout"
    ));
    let mut pp = Vec::with_capacity(rounds as usize);
    {
        let stdin = peer.stdin.as_mut().expect("piped");
        let mut byte = [0u8; 1];
        for r in 0..total {
            let t0 = Instant::now();
            stdin
                .write_all(&[r as u8])
                .map_err(io_err("cannot write to the second process"))?;
            peer.stdout
                .read_exact(&mut byte)
                .map_err(io_err("cannot read from the second process"))?;
            if r >= WARMUP {
                pp.push(t0.elapsed());
            }
        }
    }
    peer.relay(&n)?;
    drop(peer.stdin.take());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(s) = peer
            .child
            .try_wait()
            .map_err(io_err("cannot wait for the second process"))?
        {
            break s;
        }
        if Instant::now() > deadline {
            return Err(fail("the second process did not exit"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if !status.success() {
        return Err(fail(format!("the second process failed ({status})")));
    }
    n.a(format!("B exited ({status}); its handles are closed"));

    drop((view, section, lock, ping, pong));
    let mut gone = 0;
    for name in names.all() {
        match ns.find(name) {
            Err(e) if e.kind() == ErrorKind::FileNotFound => gone += 1,
            Ok(_) => {
                return Err(fail(format!(
                    "{name} still exists after both processes closed it"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    let leftovers = ns
        .list(Scope::Local)?
        .into_iter()
        .filter(|i| i.name.starts_with(&prefix))
        .count();
    if leftovers != 0 {
        return Err(fail(format!(
            "{leftovers} object file(s) of the demo were left behind"
        )));
    }
    n.a(format!(
        "closed its handles too: OpenFileMapping {} now fails with ERROR_FILE_NOT_FOUND; {gone} of 4 names gone, nothing left behind",
        names.section
    ));

    let mut fm = fm;
    let mut fz = fz;
    let (fmed, fp99, fmean) = stats(&mut fm);
    let (zmed, zp99, zmean) = stats(&mut fz);
    let (pmed, pp99, pmean) = stats(&mut pp);
    println!();
    println!(
        "{}",
        style::BOLD.paint(format!(
            "Round trip A -> B -> A, {rounds} rounds each (after {WARMUP} warm-up rounds):"
        ))
    );
    let rows = [
        (
            "fmap (default): mutex + section + 2 events",
            fmed,
            fp99,
            fmean,
        ),
        ("fmap, spinning off: every wait sleeps", zmed, zp99, zmean),
        ("pipe: 1 byte each way", pmed, pp99, pmean),
    ];
    println!("  {:<44} {:>10} {:>10} {:>10}", "", "median", "p99", "mean");
    for (label, med, p99, mean) in rows {
        println!(
            "  {label:<44} {:>10} {:>10} {:>10}",
            micros(med),
            micros(p99),
            micros(mean)
        );
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "  ({cpus} CPU(s); by default fmap waiters spin briefly before sleeping in the kernel: fmap::set_spin, FMAP_SPIN_US)"
    );
    println!();
    println!(
        "Next: `fmap create mapping telemetry --size 4MiB` in one terminal, `fmap watch telemetry` in another,"
    );
    println!(
        "      `fmap write telemetry --text hello` in a third; `fmap ls` shows who holds what."
    );
    Ok(EXIT_OK)
}

// ---------------------------------------------------------------------------------------------
// Process B

fn say(out: &mut impl Write, text: &str) -> Result<()> {
    writeln!(out, "{text}")
        .and_then(|_| out.flush())
        .map_err(io_err("cannot write to the first process"))
}

fn peer(prefix: &str, rounds: u32) -> Result<u8> {
    if !prefix.starts_with("Local\\fmap-demo-") {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            "--peer is internal to `fmap demo`",
        ));
    }
    let ns = Namespace::default();
    let names = Names::new(prefix);
    let mut out = std::io::stdout().lock();
    let pid = std::process::id();
    let section =
        Mapping::open_in(&ns, &names.section, Access::WRITE).map_err(named(&names.section))?;
    let view = section.map_view(Access::WRITE, ..)?;
    say(
        &mut out,
        &format!(
            "OpenFileMapping {} -> found A's {} section by name, mapped a view",
            names.section,
            human_size(section.size())
        ),
    )?;
    let lock = Mutex::open_in(&ns, &names.lock, fmap::SyncAccess::MUTEX_ALL_ACCESS)
        .map_err(named(&names.lock))?;
    let ping = Event::open_in(&ns, &names.ping, fmap::SyncAccess::EVENT_ALL_ACCESS)
        .map_err(named(&names.ping))?;
    let pong = Event::open_in(&ns, &names.pong, fmap::SyncAccess::EVENT_ALL_ACCESS)
        .map_err(named(&names.pong))?;
    say(
        &mut out,
        "opened the mutex and both events by name (OpenMutex, OpenEvent); sets pong to say it is ready, waits on ping",
    )?;
    say(&mut out, "@")?;
    pong.set()?;

    wait_for(&ping, "B", "ping")?;
    let reply = format!("hello back from B (pid {pid})");
    let got = {
        let _g = lock.lock()?;
        let got = read_str(&view, MSG_A)?;
        write_str(&view, MSG_B, &reply)?;
        got
    };
    say(
        &mut out,
        &format!("woke on ping; took the mutex and read {got:?} at offset {MSG_A}"),
    )?;
    say(
        &mut out,
        &format!("wrote {reply:?} at offset {MSG_B}, released the mutex, set pong"),
    )?;
    say(&mut out, "@")?;
    pong.set()?;

    let total = rounds + WARMUP;
    peer_rounds(&lock, &view, &ping, &pong, total)?;
    say(
        &mut out,
        &format!("answered {total} pings, each under the mutex"),
    )?;
    say(&mut out, "@")?;
    fmap::set_spin(Duration::ZERO);
    peer_rounds(&lock, &view, &ping, &pong, total)?;
    say(
        &mut out,
        &format!("answered {total} more, sleeping in the kernel between them"),
    )?;
    say(&mut out, "@")?;

    let mut stdin = std::io::stdin().lock();
    let mut byte = [0u8; 1];
    for _ in 0..total {
        stdin
            .read_exact(&mut byte)
            .map_err(io_err("cannot read from the first process"))?;
        out.write_all(&byte)
            .and_then(|_| out.flush())
            .map_err(io_err("cannot write to the first process"))?;
    }
    say(
        &mut out,
        &format!("echoed {total} bytes through the pipes; closes its handles and exits"),
    )?;
    say(&mut out, "@")?;
    drop((view, section, lock, ping, pong));
    Ok(EXIT_OK)
}

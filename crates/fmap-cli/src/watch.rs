//! `fmap watch`: a live hex view of a mapping, highlighting bytes as they change.

use crate::cmd::{full_name, named, printable};
use crate::units::human_size;
use crate::{WatchArgs, EXIT_OK};
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, queue, style::Print};
use fmap::{Access, Error, ErrorKind, Mapping, Namespace, Result};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a changed byte stays on a yellow background, then in yellow.
const FRESH: Duration = Duration::from_millis(1500);
const FADE: Duration = Duration::from_secs(4);

const SGR_FRESH: &str = "\x1b[30;43m";
const SGR_FADING: &str = "\x1b[1;33m";
const SGR_DIM: &str = "\x1b[2m";
const SGR_BAR: &str = "\x1b[7m";
const SGR_RESET: &str = "\x1b[0m";

/// Raw mode and the alternate screen, undone on drop (also when unwinding).
struct Screen;

impl Screen {
    fn enter() -> Result<Screen> {
        terminal::enable_raw_mode()
            .map_err(|e| Error::os(e, "cannot switch the terminal to raw mode"))?;
        let s = Screen;
        let mut out = std::io::stdout();
        crossterm::execute!(out, terminal::EnterAlternateScreen, cursor::Hide)
            .map_err(|e| Error::os(e, "cannot set up the terminal"))?;
        Ok(s)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let mut out = std::io::stdout();
        let _ = crossterm::execute!(out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
    }
}

struct State {
    name: String,
    size: u64,
    kind_line: String,
    top: u64,
    per_row: u64,
    prev: Option<(u64, Vec<u8>)>,
    changed: HashMap<u64, Instant>,
    last_frame: Vec<String>,
    name_alive: bool,
    updates: u64,
}

pub fn run(a: WatchArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    if !std::io::stdout().is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!("watch needs a terminal (standard output is not one); `fmap read {} --hex` prints a dump instead", a.name),
        ));
    }
    let ns = Namespace::default();
    let m = Mapping::open_in(&ns, &full, Access::READ).map_err(named(&full))?;
    let size = m.size();
    if a.offset >= size {
        return Err(Error::new(
            ErrorKind::InvalidParameter,
            format!(
                "offset {} is past the end of {full}, which is {} ({size} bytes)",
                a.offset,
                human_size(size)
            ),
        ));
    }
    let kind_line = format!(
        "{} mapping, {}{}",
        human_size(size),
        m.protection(),
        m.file_path()
            .map(|p| format!(", file {}", crate::style::safe_path(p)))
            .unwrap_or_default()
    );
    let view = m.map_view(Access::READ, ..).map_err(named(&full))?;
    // Watching must not keep the name alive: keep only the view.
    drop(m);

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let _screen = Screen::enter()?;
    let mut st = State {
        name: crate::style::safe(&full).into_owned(),
        size,
        kind_line,
        top: a.offset - a.offset % 16,
        per_row: 16,
        prev: None,
        changed: HashMap::new(),
        last_frame: Vec::new(),
        name_alive: true,
        updates: 0,
    };
    let interval = a.interval.max(Duration::from_millis(10));
    let mut next_tick = Instant::now();
    let mut next_name_check = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = Instant::now();
        if now >= next_name_check {
            st.name_alive = ns.find(&full).is_ok();
            next_name_check = now + Duration::from_secs(1);
        }
        if now >= next_tick {
            frame(&mut st, &view)?;
            next_tick = now + interval;
        }
        let wait = next_tick
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(50));
        if event::poll(wait).map_err(|e| Error::os(e, "cannot read the terminal"))? {
            match event::read().map_err(|e| Error::os(e, "cannot read the terminal"))? {
                TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                    let rows = body_rows() as u64;
                    let page = rows * st.per_row;
                    let last_top = st.size.saturating_sub(1) / st.per_row * st.per_row;
                    match k.code {
                        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => break,
                        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => break,
                        KeyCode::Down | KeyCode::Char('j') => {
                            st.top = (st.top + st.per_row).min(last_top)
                        }
                        KeyCode::Up | KeyCode::Char('k') => {
                            st.top = st.top.saturating_sub(st.per_row)
                        }
                        KeyCode::PageDown | KeyCode::Char(' ') => {
                            st.top = (st.top + page).min(last_top)
                        }
                        KeyCode::PageUp => st.top = st.top.saturating_sub(page),
                        KeyCode::Home | KeyCode::Char('g') => st.top = 0,
                        KeyCode::End | KeyCode::Char('G') => {
                            st.top = st.size.saturating_sub(page).div_ceil(st.per_row) * st.per_row;
                            st.top = st.top.min(last_top);
                        }
                        _ => {}
                    }
                    next_tick = Instant::now();
                }
                TermEvent::Resize(..) => {
                    st.last_frame.clear();
                    let mut out = std::io::stdout();
                    let _ = queue!(out, terminal::Clear(ClearType::All));
                    next_tick = Instant::now();
                }
                _ => {}
            }
        }
    }
    Ok(EXIT_OK)
}

fn term_size() -> (u16, u16) {
    match terminal::size() {
        Ok((c, r)) if c >= 20 && r >= 5 => (c, r),
        _ => (80, 24),
    }
}

fn body_rows() -> u16 {
    term_size().1.saturating_sub(3).max(1)
}

fn frame(st: &mut State, view: &fmap::View) -> Result<()> {
    let (cols, rows) = term_size();
    st.per_row = if cols >= 78 { 16 } else { 8 };
    st.top -= st.top % st.per_row;
    let body = rows.saturating_sub(3).max(1) as u64;
    let start = st.top.min(st.size - 1);
    let len = (body * st.per_row).min(st.size - start);
    let mut cur = vec![0u8; len as usize];
    view.read(start as usize, &mut cur)?;
    let now = Instant::now();
    if let Some((pstart, prev)) = &st.prev {
        // Compare by absolute offset, so that a frame whose window moved or grew (scrolling, a
        // terminal resize) still highlights what changed in the part both frames show.
        for (i, b) in cur.iter().enumerate() {
            let off = start + i as u64;
            let Some(j) = off.checked_sub(*pstart) else {
                continue;
            };
            if let Some(a) = prev.get(j as usize) {
                if a != b {
                    st.changed.insert(off, now);
                    st.updates += 1;
                }
            }
        }
    }
    st.changed.retain(|_, t| now.duration_since(*t) < FADE);
    st.prev = Some((start, cur.clone()));

    let mut lines = Vec::with_capacity(rows as usize);
    let gone = if st.name_alive {
        String::new()
    } else {
        "  (name gone: no handle left; showing the memory this view still maps)".to_owned()
    };
    lines.push(clip(
        &format!(
            "{SGR_BAR} fmap watch {} · {} · bytes {:#x}..{:#x}{gone} {SGR_RESET}",
            st.name,
            st.kind_line,
            start,
            start + len
        ),
        cols,
    ));
    let mut hdr = String::from("offset    ");
    for i in 0..st.per_row {
        if i % 8 == 0 && i > 0 {
            hdr.push(' ');
        }
        hdr.push_str(&format!("{i:02x} "));
    }
    lines.push(format!("{SGR_DIM}{hdr}{SGR_RESET}"));
    for r in 0..body {
        let off = start + r * st.per_row;
        if off >= start + len {
            lines.push(String::new());
            continue;
        }
        let n = st.per_row.min(start + len - off) as usize;
        let bytes = &cur[(off - start) as usize..(off - start) as usize + n];
        let mut hex = format!("{off:08x}  ");
        let mut asc = String::from(" |");
        for (i, &b) in bytes.iter().enumerate() {
            if i % 8 == 0 && i > 0 {
                hex.push(' ');
            }
            let sgr = match st.changed.get(&(off + i as u64)) {
                Some(t) if now.duration_since(*t) < FRESH => Some(SGR_FRESH),
                Some(_) => Some(SGR_FADING),
                None => None,
            };
            match sgr {
                Some(s) => {
                    hex.push_str(&format!("{s}{b:02x}{SGR_RESET} "));
                    asc.push_str(&format!("{s}{}{SGR_RESET}", printable(b)));
                }
                None if b == 0 => {
                    hex.push_str(&format!("{SGR_DIM}00{SGR_RESET} "));
                    asc.push('.');
                }
                None => {
                    hex.push_str(&format!("{b:02x} "));
                    asc.push(printable(b));
                }
            }
        }
        asc.push('|');
        lines.push(format!("{hex}{asc}"));
    }
    let recent = st.changed.len();
    lines.push(clip(
        &format!(
            "{SGR_BAR} q quit · ↑↓ PgUp PgDn Home End scroll · {recent} byte(s) changed in the last {}s · {} change(s) seen {SGR_RESET}",
            FADE.as_secs(),
            st.updates
        ),
        cols,
    ));

    let mut out = std::io::stdout().lock();
    for (i, l) in lines.iter().enumerate() {
        if st.last_frame.get(i) == Some(l) {
            continue;
        }
        queue!(
            out,
            cursor::MoveTo(0, i as u16),
            Print(l),
            Print(SGR_RESET),
            terminal::Clear(ClearType::UntilNewLine)
        )
        .map_err(|e| Error::os(e, "cannot draw"))?;
    }
    out.flush().map_err(|e| Error::os(e, "cannot draw"))?;
    st.last_frame = lines;
    Ok(())
}

/// Cuts a line with escape codes to `cols` visible characters, padding it to the full width
/// (so that a reverse-video bar spans the screen).
fn clip(s: &str, cols: u16) -> String {
    let mut out = String::new();
    let mut visible = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            out.push(c);
            for d in chars.by_ref() {
                out.push(d);
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        if visible >= cols as usize {
            continue;
        }
        out.push(c);
        visible += 1;
    }
    // Pad inside the styled span: before the final reset, if there is one.
    let pad = " ".repeat((cols as usize).saturating_sub(visible));
    match out.rfind(SGR_RESET) {
        Some(i) if out.ends_with(SGR_RESET) => out.insert_str(i, &pad),
        _ => out.push_str(&pad),
    }
    out
}

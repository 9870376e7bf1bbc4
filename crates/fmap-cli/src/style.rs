//! Colour for terminal output: on when stdout is a terminal (and `NO_COLOR` is unset), or as
//! `--color` says; and [`safe`], which makes text that another user controls safe to print.

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Decides once, at start-up.
pub fn init(choice: ColorChoice) {
    let on = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    ON.store(on, Ordering::Relaxed);
}

/// Is colour on?
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// An SGR style.
#[derive(Debug, Clone, Copy)]
pub struct Style(&'static str);

pub const BOLD: Style = Style("1");
pub const DIM: Style = Style("2");
pub const RED: Style = Style("31");
pub const GREEN: Style = Style("32");
pub const YELLOW: Style = Style("33");
pub const BLUE: Style = Style("34");
pub const MAGENTA: Style = Style("35");
pub const CYAN: Style = Style("36");
pub const BOLD_RED: Style = Style("1;31");

impl Style {
    /// `text` in this style (unchanged when colour is off).
    pub fn paint(self, text: impl std::fmt::Display) -> String {
        if enabled() {
            format!("\x1b[{}m{text}\x1b[0m", self.0)
        } else {
            text.to_string()
        }
    }
}

/// Pads `plain` to `width` columns, then styles it (so escape codes do not upset alignment).
pub fn pad(plain: &str, width: usize, style: Option<Style>) -> String {
    let n = plain.chars().count();
    let padded = format!("{plain}{}", " ".repeat(width.saturating_sub(n)));
    match style {
        Some(s) if enabled() => {
            let trimmed = padded.trim_end_matches(' ');
            let spaces = padded.len() - trimmed.len();
            format!("{}{}", s.paint(trimmed), " ".repeat(spaces))
        }
        _ => padded,
    }
}

/// Does `c` have to be escaped before it reaches a terminal? C0 controls (`\r`, `\n`, `\t`,
/// ESC, …), DEL, C1 controls (U+0080–U+009F, which some terminals obey like ESC sequences),
/// and the invisible Unicode format characters that reorder or hide text: the bidi marks,
/// embeddings, overrides and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069),
/// the zero-width characters (U+200B–U+200D, U+2060–U+2065, U+FEFF) and the line and paragraph
/// separators (U+2028–U+2029).
fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}')
}

/// Text that another user controls (object names, paths, holders' command lines, library
/// messages that embed them), made safe to print on a terminal: every character
/// [`needs_escape`] lists is written as a Rust string-literal escape, `\t`, `\n`, `\r`, `\xNN`
/// for the other C0 controls and DEL (e.g. ESC is `\x1b`), `\u{NNNN}` for the rest (e.g.
/// `\u{202e}`). Nothing else changes: a backslash stays a backslash (`Local\x`), so an escape
/// in the output can also be those characters typed literally; `--json` tells them apart.
/// Borrowed (no copy) when there is nothing to escape.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path, as [`safe`] prints it (bytes that are not UTF-8 as U+FFFD).
pub fn safe_path(p: &Path) -> String {
    safe(&p.to_string_lossy()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn safe_escapes_controls_and_bidi_only() {
        assert_eq!(safe("Local\\plain name"), "Local\\plain name");
        assert!(matches!(safe("Global\\x"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            safe("a\tb\nc\rd\u{1b}[2K\u{0}\u{7f}"),
            "a\\tb\\nc\\rd\\x1b[2K\\x00\\x7f"
        );
        assert_eq!(safe("\u{85}\u{9b}"), "\\u{85}\\u{9b}");
        assert_eq!(
            safe("x\u{202e}y\u{200b}\u{2066}\u{feff}\u{61c}\u{2028}"),
            "x\\u{202e}y\\u{200b}\\u{2066}\\u{feff}\\u{61c}\\u{2028}"
        );
        // Printable non-ASCII text is kept.
        assert_eq!(safe("größe ×2 …"), "größe ×2 …");
    }
}

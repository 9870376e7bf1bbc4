//! Colour for terminal output: on when stdout is a terminal (and `NO_COLOR` is unset), or as
//! `--color` says.

use std::io::IsTerminal;
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

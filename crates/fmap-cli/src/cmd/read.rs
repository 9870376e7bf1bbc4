//! `fmap read`: prints a range of a mapping, raw or as a `hexdump -C`-style dump. Library
//! calls: `Mapping::open_in`, `Mapping::map_view` (through `map_range`), `View::read`.

use super::{check_range, full_name, map_range, named, out_err, printable};
use crate::style;
use crate::{ReadArgs, EXIT_OK};
use fmap::{Access, Mapping, Namespace, Result};
use std::io::{IsTerminal, Write};

pub fn run(a: ReadArgs) -> Result<u8> {
    let full = full_name(&a.name)?;
    let ns = Namespace::default();
    let m = Mapping::open_in(&ns, &full, Access::READ).map_err(named(&full))?;
    let size = m.size();
    let len = match a.length {
        Some(l) => l,
        None => size.saturating_sub(a.offset),
    };
    check_range(&full, size, a.offset, len, "reading")?;
    if len == 0 {
        return Ok(EXIT_OK);
    }
    let (view, start) = map_range(&m, Access::READ, a.offset, len).map_err(named(&full))?;
    drop(m);
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    const CHUNK: usize = 1 << 20;
    let mut buf = vec![0u8; CHUNK.min(len as usize)];
    let mut done: u64 = 0;
    let mut hex = HexDump::new(a.offset);
    while done < len {
        let n = (len - done).min(CHUNK as u64) as usize;
        let chunk = &mut buf[..n];
        view.read(start + done as usize, chunk)?;
        if a.hex {
            hex.feed(chunk, &mut out).map_err(out_err)?;
        } else if tty && a.length.is_none() {
            // On a terminal, stop at the first NUL: a section is mostly zeros after its text.
            if let Some(z) = chunk.iter().position(|&b| b == 0) {
                out.write_all(&chunk[..z]).map_err(out_err)?;
                if z > 0 || done > 0 {
                    out.write_all(b"\n").map_err(out_err)?;
                }
                out.flush().map_err(out_err)?;
                eprintln!(
                    "{}",
                    style::DIM.paint(format!(
                        "(stopped at the first NUL byte, offset {}; use --hex or --length to see more)",
                        a.offset + done + z as u64
                    ))
                );
                return Ok(EXIT_OK);
            }
            out.write_all(chunk).map_err(out_err)?;
        } else {
            out.write_all(chunk).map_err(out_err)?;
        }
        done += n as u64;
    }
    if a.hex {
        hex.finish(&mut out).map_err(out_err)?;
    }
    out.flush().map_err(out_err)?;
    Ok(EXIT_OK)
}

/// `hexdump -C`-style output: repeated lines collapse to `*`.
struct HexDump {
    offset: u64,
    line: Vec<u8>,
    prev: Option<Vec<u8>>,
    starred: bool,
}

impl HexDump {
    fn new(offset: u64) -> HexDump {
        HexDump {
            offset,
            line: Vec::with_capacity(16),
            prev: None,
            starred: false,
        }
    }

    fn feed(&mut self, data: &[u8], out: &mut impl Write) -> std::io::Result<()> {
        for &b in data {
            self.line.push(b);
            if self.line.len() == 16 {
                self.emit(out)?;
            }
        }
        Ok(())
    }

    fn emit(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if self.prev.as_ref() == Some(&line) && line.len() == 16 {
            if !self.starred {
                writeln!(out, "*")?;
                self.starred = true;
            }
        } else {
            self.starred = false;
            writeln!(out, "{}", hex_line(self.offset, &line, 16))?;
        }
        self.offset += line.len() as u64;
        self.prev = Some(line);
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.starred = false;
            self.prev = None;
            self.emit(out)?;
        }
        writeln!(out, "{:08x}", self.offset)
    }
}

/// One hex-dump line: `00000010  68 65 6c 6c 6f 00 …  |hello.|`.
pub fn hex_line(offset: u64, bytes: &[u8], width: usize) -> String {
    let mut s = format!("{offset:08x} ");
    for i in 0..width {
        if i % 8 == 0 {
            s.push(' ');
        }
        match bytes.get(i) {
            Some(b) => s.push_str(&format!("{b:02x} ")),
            None => s.push_str("   "),
        }
    }
    s.push(' ');
    s.push('|');
    for &b in bytes {
        s.push(printable(b));
    }
    s.push('|');
    s
}

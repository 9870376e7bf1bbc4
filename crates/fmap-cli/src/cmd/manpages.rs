//! `fmap manpages DIR` (internal, outside `fmap --help` and the completions): writes the manual
//! pages, generated from the clap definitions with `clap_mangen`, so that they never drift from
//! `--help`: `fmap.1`, and one page per subcommand named after its path (`fmap-ls.1`,
//! `fmap-create.1`, `fmap-create-mapping.1`, …). Hidden subcommands would get no page.
//! Packaging runs it (`scripts/build-deb.sh`); it makes no library calls.

use crate::{Cli, ManpagesArgs, EXIT_OK};
use clap::CommandFactory;
use fmap::{Error, Result};
use std::path::{Path, PathBuf};

pub fn run(a: ManpagesArgs) -> Result<u8> {
    for page in write_pages(&a.dir)? {
        println!("{}", page.display());
    }
    Ok(EXIT_OK)
}

/// Writes every page into `dir` (created if missing) and returns their paths, `fmap.1` first.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::os(e, format!("mkdir {}", dir.display())))?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Gives each subcommand its display name (`fmap-create-mapping`), the page's title.
    cmd.build();
    let source = format!("fmap {}", env!("CARGO_PKG_VERSION"));
    let mut pages = Vec::new();
    write_tree(&cmd, dir, &source, &mut pages)?;
    Ok(pages)
}

fn write_tree(cmd: &clap::Command, dir: &Path, source: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(source.to_owned())
        .manual("fmap manual");
    let path = man.generate_to(dir).map_err(|e| {
        Error::os(
            e,
            format!("cannot write {}", dir.join(man.get_filename()).display()),
        )
    })?;
    out.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub, dir, source, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page file name of every visible command, subcommands of subcommands included.
    fn visible(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
        let name = if prefix.is_empty() {
            cmd.get_name().to_owned()
        } else {
            format!("{prefix}-{}", cmd.get_name())
        };
        out.push(format!("{name}.1"));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            visible(sub, &name, out);
        }
    }

    #[test]
    fn a_page_for_the_command_and_every_subcommand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pages = write_pages(dir.path()).expect("pages");
        let mut expected = Vec::new();
        visible(
            &Cli::command().disable_help_subcommand(true),
            "",
            &mut expected,
        );
        // Every subcommand, nested ones included; nothing for the hidden one.
        for sub in [
            "fmap-ls.1",
            "fmap-create-mapping.1",
            "fmap-completions.1",
            "fmap-demo.1",
        ] {
            assert!(expected.iter().any(|e| e == sub), "{sub} in {expected:?}");
        }
        assert!(!expected.iter().any(|e| e.contains("manpages")));
        let mut written: Vec<String> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        written.sort();
        expected.sort();
        assert_eq!(written, expected);
        assert_eq!(pages.len(), expected.len());
        assert_eq!(pages[0].file_name().unwrap(), "fmap.1");
        for e in &expected {
            let text = std::fs::read_to_string(dir.path().join(e)).expect("page");
            assert!(
                text.starts_with(".ie") || text.contains(".TH"),
                "{e}: no title"
            );
            assert!(
                text.contains(&format!("fmap {}", env!("CARGO_PKG_VERSION"))),
                "{e}"
            );
        }
        // The main page lists the subcommands and carries the text after --help.
        let main = std::fs::read_to_string(dir.path().join("fmap.1")).expect("fmap.1");
        for s in ["fmap\\-ls(1)", "fmap\\-create(1)", "FMAP_ROOT"] {
            assert!(main.contains(s), "fmap.1 lacks {s}:\n{main}");
        }
        let create =
            std::fs::read_to_string(dir.path().join("fmap-create-mapping.1")).expect("page");
        assert!(create.contains("\\-\\-size"), "{create}");
    }
}

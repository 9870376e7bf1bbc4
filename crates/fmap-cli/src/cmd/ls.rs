//! `fmap ls`: lists the named objects as a table or JSON, with foreign entries and stale
//! counts. Library calls: `Namespace::list_entries`, `Namespace::list_all_users_entries`.

use super::out_err;
use crate::report::{self, Entry, LsJson};
use crate::style::{self, safe_path};
use crate::{LsArgs, EXIT_OK};
use fmap::{Error, ErrorKind, Namespace, Result, Scope};
use std::io::Write;

pub fn run(a: LsArgs) -> Result<u8> {
    let ns = Namespace::default();
    let scopes: &[Scope] = if a.all_users {
        &[Scope::Local, Scope::Global]
    } else if a.global {
        &[Scope::Global]
    } else {
        &[Scope::Local]
    };
    // Entries that are not fmap objects (planted under object file names, or corrupt) are
    // listed as FOREIGN, never a reason to fail or to hide the rest.
    let mut infos = Vec::new();
    let mut foreign = Vec::new();
    if a.all_users {
        let all = ns.list_all_users_entries()?;
        for dir in all.unreadable {
            eprintln!(
                "fmap: note: cannot read {} (another user's private namespace: run as root to list it)",
                safe_path(&dir)
            );
        }
        infos = all.objects;
        foreign = all.foreign;
    } else {
        for s in scopes {
            let l = ns.list_entries(*s)?;
            infos.extend(l.objects);
            foreign.extend(l.foreign);
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let entries = Entry::many(infos);
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc = LsJson {
            schema: report::LS_SCHEMA,
            root: ns.root().display().to_string(),
            scopes: scopes
                .iter()
                .map(|s| match s {
                    Scope::Local => "local",
                    Scope::Global => "global",
                })
                .collect(),
            objects: entries
                .iter()
                .map(|e| report::object_json(e, None))
                .collect(),
            foreign: foreign.iter().map(report::foreign_json).collect(),
        };
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(out_err)?;
        return Ok(EXIT_OK);
    }
    if entries.is_empty() {
        let which = scopes
            .iter()
            .map(|s| s.prefix())
            .collect::<Vec<_>>()
            .join(" or ");
        writeln!(
            out,
            "no objects in {which} (namespace root {})",
            safe_path(ns.root())
        )
        .map_err(out_err)?;
    } else {
        write!(out, "{}", report::ls_table(&entries)).map_err(out_err)?;
    }
    if !foreign.is_empty() {
        write!(out, "{}", report::foreign_lines(&foreign)).map_err(out_err)?;
    }
    let stale = entries.iter().filter(|e| !e.info.alive).count();
    if stale > 0 {
        writeln!(
            out,
            "{}",
            style::RED.paint(format!(
                "{stale} stale object(s): their holders died; `fmap gc` removes them"
            ))
        )
        .map_err(out_err)?;
    }
    if !foreign.is_empty() {
        writeln!(
            out,
            "{}",
            style::RED.paint(format!(
                "{} foreign entr{} under object file names: not fmap objects (planted, or corrupt); \
                 the name whose file each occupies cannot be used while it is there",
                foreign.len(),
                if foreign.len() == 1 { "y" } else { "ies" }
            ))
        )
        .map_err(out_err)?;
    }
    Ok(EXIT_OK)
}

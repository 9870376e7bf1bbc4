//! `fmap show`: one object in detail (text or JSON), stale ones included. Library calls:
//! `Name::parse`, `Namespace::find`, `Namespace::list`.

use super::out_err;
use crate::report::{self, Entry, ObjectJson};
use crate::{ShowArgs, EXIT_OK};
use fmap::{Error, ErrorKind, Name, Namespace, Result};
use std::io::Write;

pub fn run(a: ShowArgs) -> Result<u8> {
    let name = Name::parse(&a.name)?;
    let full = name.to_string();
    let ns = Namespace::default();
    let info = match ns.find(&full) {
        Ok(i) => i,
        // A stale object (its holders died) is absent for every API, but `fmap ls` lists it
        // until it is swept: show it too, marked as such.
        Err(e) if e.kind() == ErrorKind::FileNotFound => ns
            .list(name.scope())?
            .into_iter()
            .find(|i| i.name == full && !i.alive)
            .ok_or(e)?,
        Err(e) => return Err(e),
    };
    let entry = Entry::new(info);
    let mut out = std::io::stdout().lock();
    if a.json {
        let doc: ObjectJson = report::object_json(&entry, Some(report::OBJECT_SCHEMA));
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::new(ErrorKind::Other, format!("cannot encode JSON: {e}")))?;
        writeln!(out, "{text}").map_err(out_err)?;
    } else {
        write!(out, "{}", report::show_text(&entry)).map_err(out_err)?;
    }
    Ok(EXIT_OK)
}

//! Issue 15, item 1: a section costs the memory of the pages that are touched, not of its
//! declared size; eager commit on request; a full file system is an error, never a `SIGBUS`.

mod common;

use fmap::{Access, MappingOptions, Namespace};

const PAGE: u64 = 4096;

/// The memory (allocated tmpfs blocks) the object `name` holds, as `fmap ls` reports it.
fn allocated(ns: &Namespace, name: &str) -> u64 {
    ns.find(name).expect("the object is listed").allocated
}

#[test]
fn a_section_holds_the_pages_that_are_touched() {
    let (_d, ns) = common::namespace();
    let size = 1u64 << 30;
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("big")
        .size(size)
        .create()
        .unwrap();
    let before = allocated(&ns, "big");
    assert!(
        before < 1 << 20,
        "a new 1 GiB section holds {before} bytes before any page is touched"
    );
    let v = m.map_view(Access::WRITE, ..).unwrap();
    // Three pages, far apart: one write each (two of them straddle nothing).
    for off in [0, (size / 2) as usize, size as usize - 1] {
        v.write(off, b"x").unwrap();
    }
    let after = allocated(&ns, "big");
    assert_eq!(
        after - before,
        3 * PAGE,
        "touching three pages of a 1 GiB section allocates three pages"
    );
    // Reading untouched memory gives zeros (and works: the pages are faulted in first).
    let mut buf = [1u8; 16];
    v.read((size / 4) as usize, &mut buf).unwrap();
    assert_eq!(buf, [0; 16]);
    // Raw pointer touches count the same way.
    // SAFETY: the offset is inside the writable view; nobody else uses this section.
    unsafe {
        v.as_mut_ptr()
            .add(3 * (size / 4) as usize)
            .write_volatile(7)
    };
    assert!(allocated(&ns, "big") - before >= 4 * PAGE);
    assert!(allocated(&ns, "big") - before < 1 << 20);
}

#[test]
fn eager_commit_allocates_the_whole_section_at_creation() {
    let (_d, ns) = common::namespace();
    let size = 16u64 << 20;
    let _m = MappingOptions::new()
        .namespace(&ns)
        .name("eager")
        .size(size)
        .eager_commit(true)
        .create()
        .unwrap();
    assert!(allocated(&ns, "eager") >= size);
    let _l = MappingOptions::new()
        .namespace(&ns)
        .name("lazy")
        .size(size)
        .eager_commit(false)
        .create()
        .unwrap();
    assert!(allocated(&ns, "lazy") < 1 << 20);
}

const CHILD_ENV: &str = "FMAP_COMMIT_CHILD";

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn run_role(role: &str) -> common::R {
    use common::Ctx;
    match role {
        // Creates a 64 MiB section, touches two pages, and waits to be killed.
        "touch-two-pages" => {
            let m = fmap::Mapping::create("touched", 64 << 20).ctx("create")?;
            let v = m.map_view(Access::WRITE, ..).ctx("map")?;
            v.write(0, b"a").ctx("write")?;
            v.write(32 << 20, b"b").ctx("write")?;
            common::ready_and_wait();
            Ok(())
        }
        r => Err(format!("unknown role {r}")),
    }
}

#[test]
fn sweep_reports_memory_freed_and_declared_size() {
    let (d, ns) = common::namespace();
    let mut child = common::Proc::spawn(CHILD_ENV, d.path(), "touch-two-pages", &[]);
    child.expect("FMAP:READY");
    // The header page (with the holder table) and the two pages of the companion memfd.
    assert_eq!(allocated(&ns, "touched"), 3 * PAGE, "header + two pages");
    child.kill_running();
    let r = ns.sweep().unwrap();
    assert_eq!(r.removed, ["Local\\touched"]);
    // The kernel freed the section's memory with its last holder: the sweep removes only the
    // name's header page.
    assert_eq!(r.bytes_freed, PAGE);
    assert_eq!(r.declared_bytes, 64 << 20);
}

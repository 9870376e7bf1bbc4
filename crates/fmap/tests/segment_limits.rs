//! Past `kernel.shmmni` a new section that other users may open keeps its data in its object
//! file (header flag 16 clear, file `4096 + size` bytes) and works as before
//! (`store/segment.rs`, "Limits").
//!
//! This is a file of its own, with a single test, because it lowers a System V limit. It does
//! not lower the machine's: the child that plays the test runs in a new IPC namespace
//! (`unshare(CLONE_NEWIPC)` before `exec`, which needs root) where `kernel.shmmni` is a limit
//! of that namespace alone, and sets it to 0 there — no segment can be created, and nothing
//! else on the machine (other tests, other programs) notices. The namespace, and the limit
//! with it, goes when its last process ends, whatever happens to the test: there is nothing to
//! restore. The reader of the section is a grandchild in the same namespace.

#[macro_use]
mod common;

use common::{object_file, Ctx, Proc, R};
use fmap::{Access, Mapping, MappingOptions, Namespace};
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::time::Duration;

const CHILD_ENV: &str = "FMAP_SEGLIM_CHILD";
const SIZE: u64 = 0x20000;
const FLAG_DATA_SEGMENT: u32 = 16;

/// The entry point of child processes; a no-op in a normal test run.
#[test]
fn child_entry() {
    common::child_entry(CHILD_ENV, run_role);
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn run_role(role: &str) -> R {
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(120));
        std::process::exit(4);
    });
    let root = common::var("FMAP_ROOT");
    let ns = Namespace::at(&root);
    match role {
        // In its own IPC namespace: no segment can be created; creates a `Global\` section,
        // which must keep its data in its object file, writes it, lets a grandchild read and
        // write it, and checks the grandchild's write.
        "limited" => {
            std::fs::write("/proc/sys/kernel/shmmni", "0")
                .map_err(|e| format!("cannot set kernel.shmmni in the new IPC namespace: {e}"))?;
            // SAFETY: shmget takes no pointers.
            let id = unsafe { libc::shmget(libc::IPC_PRIVATE, 4096, libc::IPC_CREAT | 0o600) };
            check!(
                id < 0 && errno() == libc::ENOSPC,
                "shmget past shmmni: id {id}, errno {}; the limit does not bite",
                errno()
            );
            let m = MappingOptions::new()
                .name("Global\\limited")
                .size(SIZE)
                .create()
                .ctx("create past shmmni")?;
            let file = object_file(&ns, "Global\\limited");
            let f = std::fs::File::open(&file).map_err(|e| e.to_string())?;
            let mut b = [0u8; 4];
            f.read_exact_at(&mut b, 20).map_err(|e| e.to_string())?;
            let flags = u32::from_le_bytes(b);
            check!(
                flags & FLAG_DATA_SEGMENT == 0,
                "flags {flags:#x}: the data segment flag is set past shmmni"
            );
            let len = f.metadata().map_err(|e| e.to_string())?.len();
            check!(
                len == 4096 + SIZE,
                "the object file is {len} bytes, not the header page and the data"
            );
            let v = m.map_view(Access::WRITE, ..).ctx("map")?;
            v.write(0, &[0x11; 4096]).ctx("write")?;
            v.write(SIZE as usize - 4096, &[0x12; 4096]).ctx("write")?;
            let mut peer = common::child_command(CHILD_ENV, "peer")
                .output()
                .map_err(|e| format!("cannot run the peer: {e}"))?;
            let out = String::from_utf8_lossy(&std::mem::take(&mut peer.stdout)).into_owned();
            check!(
                peer.status.success() && out.contains("FMAP:PEER_OK"),
                "the peer failed ({:?}): {out}",
                peer.status
            );
            let mut got = [0u8; 2];
            v.read(100, &mut got[..1]).ctx("read")?;
            v.read(SIZE as usize - 1, &mut got[1..]).ctx("read")?;
            check!(got == [0x21, 0x22], "the peer's writes read {got:?}");
            common::report("DONE");
            Ok(())
        }
        // Another process in the same IPC namespace: opens the section, reads what the
        // creator wrote, writes its own.
        "peer" => {
            let m = Mapping::open_in(&ns, "Global\\limited", Access::WRITE).ctx("open")?;
            let v = m.map_view(Access::WRITE, ..).ctx("map")?;
            let mut got = [0u8; 2];
            v.read(100, &mut got[..1]).ctx("read")?;
            v.read(SIZE as usize - 1, &mut got[1..]).ctx("read")?;
            check!(got == [0x11, 0x12], "the peer read {got:?}");
            v.write(0, &[0x21; 4096]).ctx("write")?;
            v.write(SIZE as usize - 4096, &[0x22; 4096]).ctx("write")?;
            common::report("PEER_OK");
            Ok(())
        }
        r => Err(format!("unknown role {r}")),
    }
}

/// A `Global\` section created where no System V segment can be had keeps its data in its
/// object file, and another process reads and writes it.
#[test]
#[ignore = "needs root (a new IPC namespace, kernel.shmmni)"]
fn past_shmmni_a_section_keeps_its_data_in_its_object_file() {
    common::require_root("it unshares an IPC namespace and sets kernel.shmmni there");
    let dir = common::shm_tempdir("fmap-seglim-");
    let machine_shmmni = std::fs::read_to_string("/proc/sys/kernel/shmmni").unwrap();
    let mut cmd = common::child_command(CHILD_ENV, "limited");
    cmd.env("FMAP_ROOT", dir.path());
    // SAFETY: unshare is async-signal-safe; the closure allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWIPC) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut p = Proc::start(cmd, "limited", &[]);
    p.expect("FMAP:DONE");
    p.wait_success();
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/shmmni").unwrap(),
        machine_shmmni,
        "the machine's kernel.shmmni is untouched"
    );
}

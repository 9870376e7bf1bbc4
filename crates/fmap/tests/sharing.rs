//! `Sharing` (issue 14, what Win32 security descriptors can express): a creator narrows who
//! besides itself may use a new object; the object file's mode says it, so the kernel enforces
//! it. Opening an existing name ignores the creator's choice of the opener.

mod common;

use fmap::{Access, ErrorKind, EventOptions, MappingOptions, Mutex, Sharing};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sharing_sets_the_object_file_mode() {
    let (_d, ns) = common::namespace();
    let gdir = common::create_global_dir(&ns);
    let dir_mode = mode(&gdir) & 0o666;
    let make = |name: &str, s: Sharing| {
        MappingOptions::new()
            .namespace(&ns.with_sharing(s))
            .name(name)
            .size(4096)
            .create()
            .unwrap()
    };
    let _a = make("Global\\default", Sharing::Namespace);
    let _b = make("Global\\readonly", Sharing::ReadOnly);
    let _c = make("Global\\private", Sharing::Private);
    assert_eq!(mode(&common::object_file(&ns, "Global\\default")), dir_mode);
    assert_eq!(
        mode(&common::object_file(&ns, "Global\\readonly")),
        dir_mode & 0o644
    );
    assert_eq!(mode(&common::object_file(&ns, "Global\\private")), 0o600);
    // The creator still maps it for writing.
    let v = _c.map_view(Access::WRITE, ..).unwrap();
    v.write(0, b"mine").unwrap();
    // Sync objects: private works; read-only cannot be expressed (waiting writes the state).
    let _m = Mutex::create_in(
        &ns.with_sharing(Sharing::Private),
        Some("Global\\pm"),
        false,
    )
    .unwrap();
    assert_eq!(mode(&common::object_file(&ns, "Global\\pm")), 0o600);
    let e = EventOptions::new()
        .namespace(&ns.with_sharing(Sharing::ReadOnly))
        .name("Global\\re")
        .create()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotSupported, "{e}");
    assert_eq!(e.win32_code(), 50);
    // Opening an existing name: the opener's sharing plays no part.
    let again = MappingOptions::new()
        .namespace(&ns.with_sharing(Sharing::Private))
        .name("Global\\default")
        .size(4096)
        .create()
        .unwrap();
    assert!(again.already_existed());
    assert_eq!(mode(&common::object_file(&ns, "Global\\default")), dir_mode);
}

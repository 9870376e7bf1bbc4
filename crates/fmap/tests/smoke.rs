mod common;

use common::namespace;
use fmap::{Access, ErrorKind, Mapping, MappingOptions};

#[test]
fn create_open_close() {
    let (_d, ns) = namespace();
    let m = MappingOptions::new()
        .namespace(&ns)
        .name("Local\\a")
        .size(100)
        .create()
        .unwrap();
    assert!(!m.already_existed());
    assert_eq!(m.size(), 4096);
    let v = m.map_view(Access::WRITE, ..).unwrap();
    assert_eq!(v.as_ptr() as usize % 65536, 0);
    v.write(0, b"hi").unwrap();
    let m2 = MappingOptions::new()
        .namespace(&ns)
        .name("a")
        .size(999999)
        .create()
        .unwrap();
    assert!(m2.already_existed());
    assert_eq!(m2.size(), 4096);
    let o = Mapping::open_in(&ns, "a", Access::READ).unwrap();
    let v2 = o.map_view(Access::READ, ..2).unwrap();
    let mut b = [0u8; 2];
    v2.read(0, &mut b).unwrap();
    assert_eq!(&b, b"hi");
    drop((m, m2, o));
    assert_eq!(
        Mapping::open_in(&ns, "a", Access::READ).unwrap_err().kind(),
        ErrorKind::FileNotFound
    );
    // Views keep the memory.
    v2.read(0, &mut b).unwrap();
    assert_eq!(&b, b"hi");
    let n = MappingOptions::new()
        .namespace(&ns)
        .name("a")
        .size(100)
        .create()
        .unwrap();
    assert!(!n.already_existed());
    let v3 = n.map_view(Access::READ, ..).unwrap();
    v3.read(0, &mut b).unwrap();
    assert_eq!(b, [0, 0]);
    drop(n);
    let files: Vec<_> = std::fs::read_dir(ns.dir_path(fmap::Scope::Local))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}"); // only .lock
}

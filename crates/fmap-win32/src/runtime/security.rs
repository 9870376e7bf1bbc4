//! Security descriptors, as far as fmap's permissions can express them:
//! `InitializeSecurityDescriptor`, `SetSecurityDescriptorDacl`, `InitializeAcl`,
//! `AddAccessAllowedAce`, `AddAccessDeniedAce`, `AllocateAndInitializeSid`, `FreeSid`,
//! `GetLengthSid`, `SetEntriesInAclA/W`, `ConvertStringSecurityDescriptorToSecurityDescriptorA/W`.
//!
//! Descriptors, ACLs and SIDs have Windows' binary layouts (absolute descriptors; ACLs with
//! `ACCESS_ALLOWED_ACE`/`ACCESS_DENIED_ACE` entries holding their SID inline), so programs that
//! build them by hand or look inside them work. When one is passed in the
//! `SECURITY_ATTRIBUTES` of `CreateFileMapping`, `CreateMutex`, `CreateEvent` or
//! `CreateSemaphore`, [`sharing_of`] reads what it grants *other users* — the world-like
//! trustees Everyone, Authenticated Users, Users and Interactive — and the new object is
//! created with the matching [`fmap::Sharing`]:
//!
//! | descriptor | sharing |
//! |---|---|
//! | none, no DACL, a NULL DACL, or a world grant that includes writing | `Namespace` (what the directory allows) |
//! | a world grant of reading only | `ReadOnly` (sections; a sync object cannot be shared read-only: `ERROR_NOT_SUPPORTED`) |
//! | no world grant (only SYSTEM, Administrators, the owner, or named accounts), or a world deny | `Private` (the creating user and root) |
//!
//! fmap never grants more than the descriptor asks. It cannot grant a *specific other*
//! account: such an entry is not honoured (the object is private to its creator), which is
//! stricter, never weaker, than the descriptor.

use crate::abi::consts::*;
use crate::abi::error::fail;
use crate::abi::table::SecurityAttributes;
use crate::abi::text::{ansi_bytes, wide_units};
use crate::runtime::message::{LocalAlloc, LocalFree};
use std::ffi::{c_char, c_void};

const SECURITY_DESCRIPTOR_REVISION: u32 = 1;
const ACL_REVISION: u32 = 2;
const ACL_REVISION_DS: u32 = 4;
const SE_DACL_PRESENT: u16 = 0x0004;
const SE_DACL_DEFAULTED: u16 = 0x0008;
const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;
const ACCESS_DENIED_ACE_TYPE: u8 = 1;
const ERROR_UNKNOWN_REVISION: u32 = 1305;
const ERROR_INVALID_ACL: u32 = 1336;
const ERROR_INVALID_SID: u32 = 1337;
const ERROR_INVALID_SECURITY_DESCR: u32 = 1338;
const ERROR_ALLOTTED_SPACE_EXCEEDED: u32 = 1344;
const ERROR_NONE_MAPPED: u32 = 1332;

/// `SECURITY_DESCRIPTOR` (absolute, 64-bit: 40 bytes).
#[repr(C)]
pub struct SecurityDescriptor {
    revision: u8,
    sbz1: u8,
    control: u16,
    owner: *mut c_void,
    group: *mut c_void,
    sacl: *mut Acl,
    dacl: *mut Acl,
}

const _: () = assert!(std::mem::size_of::<SecurityDescriptor>() == 40);

/// `ACL` header; the ACEs follow it.
#[repr(C)]
pub struct Acl {
    revision: u8,
    sbz1: u8,
    size: u16,
    count: u16,
    sbz2: u16,
}

/// Reads the SID at `p`: (identifier authority, sub-authorities), or `None` if malformed.
///
/// # Safety
/// `p` must point to a SID of at most `max` readable bytes.
unsafe fn read_sid(p: *const u8, max: usize) -> Option<(u64, Vec<u32>)> {
    if max < 8 {
        return None;
    }
    // SAFETY: at least 8 bytes are readable (checked).
    let (rev, n, auth) = unsafe {
        let mut a = [0u8; 6];
        std::ptr::copy_nonoverlapping(p.add(2), a.as_mut_ptr(), 6);
        (*p, *p.add(1) as usize, a)
    };
    if rev != 1 || n > 15 || 8 + 4 * n > max {
        return None;
    }
    let authority = auth.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
    // SAFETY: `8 + 4n <= max` bytes are readable (checked).
    let subs = (0..n)
        .map(|i| unsafe { p.add(8 + 4 * i).cast::<u32>().read_unaligned() })
        .collect();
    Some((authority, subs))
}

/// Writes a SID with `authority` and `subs` into a new vector.
fn sid_bytes(authority: u64, subs: &[u32]) -> Vec<u8> {
    let mut v = vec![1u8, subs.len() as u8];
    v.extend_from_slice(&authority.to_be_bytes()[2..]);
    for s in subs {
        v.extend_from_slice(&s.to_le_bytes());
    }
    v
}

/// Is this SID one that stands for every user (Everyone S-1-1-0, Authenticated Users
/// S-1-5-11, Interactive S-1-5-4, Users S-1-5-32-545)?
fn is_world(authority: u64, subs: &[u32]) -> bool {
    matches!(
        (authority, subs),
        (1, [0]) | (5, [11]) | (5, [4]) | (5, [32, 545])
    )
}

/// Rights that let a holder change an object, in any of the forms a mask may carry them:
/// sections: map for writing (`FILE_MAP_WRITE` = `SECTION_MAP_WRITE`), extend; events and
/// semaphores: `*_MODIFY_STATE` (the same bit); and the generic forms. For a mutex, whose only
/// specific right `MUTEX_MODIFY_STATE` is `0x1`, that bit counts too.
const WRITE_LIKE: u32 =
    GENERIC_ALL | GENERIC_WRITE | MAXIMUM_ALLOWED | FILE_MAP_WRITE | 0x0010 /* SECTION_EXTEND_SIZE */;

/// What an ACL grants the world: `None` (nothing or denied), `Some(false)` read only,
/// `Some(true)` read and write.
///
/// # Safety
/// `acl` must point to an ACL whose `size` bytes are readable.
unsafe fn world_grant(acl: *const Acl, write_like: u32) -> Result<Option<bool>, u32> {
    // SAFETY: the header is readable (the caller's contract).
    let (size, count) = unsafe { ((*acl).size as usize, (*acl).count as usize) };
    let base = acl.cast::<u8>();
    let mut off = std::mem::size_of::<Acl>();
    let mut grant: Option<bool> = None;
    for _ in 0..count {
        if off + 8 > size {
            return Err(ERROR_INVALID_ACL);
        }
        // SAFETY: `off + 8 <= size` bytes lie inside the ACL.
        let (kind, ace_size, mask) = unsafe {
            (
                *base.add(off),
                base.add(off + 2).cast::<u16>().read_unaligned() as usize,
                base.add(off + 4).cast::<u32>().read_unaligned(),
            )
        };
        if ace_size < 8 || off + ace_size > size {
            return Err(ERROR_INVALID_ACL);
        }
        // SAFETY: the SID lies inside this ACE, which lies inside the ACL.
        let sid = unsafe { read_sid(base.add(off + 8), ace_size - 8) };
        if let Some((auth, subs)) = sid {
            if is_world(auth, &subs) {
                match kind {
                    ACCESS_DENIED_ACE_TYPE if mask != 0 => return Ok(None),
                    ACCESS_ALLOWED_ACE_TYPE => {
                        let write = mask & write_like != 0;
                        grant = Some(grant.unwrap_or(false) || write);
                    }
                    _ => {}
                }
            }
        }
        off += ace_size;
    }
    Ok(grant)
}

/// The [`fmap::Sharing`] a `Create*` function's `SECURITY_ATTRIBUTES` asks for (see the
/// module docs); `mutex`: for a mutex (whose modify right is `0x1`).
///
/// # Safety
/// `sa` must be NULL or a readable `SECURITY_ATTRIBUTES` whose descriptor is NULL or a
/// readable `SECURITY_DESCRIPTOR` (with, if present, a readable DACL).
pub unsafe fn sharing_of(sa: *const c_void, mutex: bool) -> Result<fmap::Sharing, u32> {
    // SAFETY: the caller's contract.
    let Some(sa) = (unsafe { sa.cast::<SecurityAttributes>().as_ref() }) else {
        return Ok(fmap::Sharing::Namespace);
    };
    // SAFETY: the caller's contract.
    let Some(sd) = (unsafe { sa.descriptor.cast::<SecurityDescriptor>().as_ref() }) else {
        return Ok(fmap::Sharing::Namespace);
    };
    if sd.revision as u32 != SECURITY_DESCRIPTOR_REVISION {
        return Err(ERROR_INVALID_SECURITY_DESCR);
    }
    if sd.control & SE_DACL_PRESENT == 0 || sd.dacl.is_null() {
        return Ok(fmap::Sharing::Namespace); // default security, or a NULL DACL: everyone
    }
    let write_like = if mutex {
        WRITE_LIKE | 0x0001
    } else {
        WRITE_LIKE
    };
    // SAFETY: a present DACL is readable (the caller's contract).
    Ok(match unsafe { world_grant(sd.dacl, write_like) }? {
        Some(true) => fmap::Sharing::Namespace,
        Some(false) => fmap::Sharing::ReadOnly,
        None => fmap::Sharing::Private,
    })
}

/// # Safety
/// `sd` must be NULL or point to `SECURITY_DESCRIPTOR_MIN_LENGTH` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn InitializeSecurityDescriptor(
    sd: *mut SecurityDescriptor,
    rev: u32,
) -> i32 {
    if sd.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    if rev != SECURITY_DESCRIPTOR_REVISION {
        return fail(ERROR_UNKNOWN_REVISION, FALSE);
    }
    // SAFETY: `sd` points to a writable descriptor (this function's contract).
    unsafe {
        sd.write(SecurityDescriptor {
            revision: 1,
            sbz1: 0,
            control: 0,
            owner: std::ptr::null_mut(),
            group: std::ptr::null_mut(),
            sacl: std::ptr::null_mut(),
            dacl: std::ptr::null_mut(),
        })
    };
    TRUE
}

/// # Safety
/// `sd` must be an initialised descriptor; `dacl` NULL or an ACL that outlives its use.
#[no_mangle]
pub unsafe extern "C" fn SetSecurityDescriptorDacl(
    sd: *mut SecurityDescriptor,
    present: i32,
    dacl: *mut Acl,
    defaulted: i32,
) -> i32 {
    // SAFETY: the caller's contract.
    let Some(sd) = (unsafe { sd.as_mut() }) else {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    };
    if sd.revision as u32 != SECURITY_DESCRIPTOR_REVISION {
        return fail(ERROR_INVALID_SECURITY_DESCR, FALSE);
    }
    sd.control &= !(SE_DACL_PRESENT | SE_DACL_DEFAULTED);
    if present != 0 {
        sd.control |= SE_DACL_PRESENT;
        sd.dacl = dacl;
    } else {
        sd.dacl = std::ptr::null_mut();
    }
    if defaulted != 0 {
        sd.control |= SE_DACL_DEFAULTED;
    }
    TRUE
}

/// # Safety
/// `acl` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn InitializeAcl(acl: *mut Acl, len: u32, rev: u32) -> i32 {
    if acl.is_null() || (len as usize) < std::mem::size_of::<Acl>() || len > 0xFFFF {
        return fail(ERROR_INSUFFICIENT_BUFFER, FALSE);
    }
    if rev != ACL_REVISION && rev != ACL_REVISION_DS {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `acl` has `len >= 8` writable bytes (this function's contract).
    unsafe {
        acl.write(Acl {
            revision: rev as u8,
            sbz1: 0,
            size: len as u16,
            count: 0,
            sbz2: 0,
        })
    };
    TRUE
}

/// Appends an ACE of `kind` to `acl`.
///
/// # Safety
/// `acl` must be an initialised ACL of `size` writable bytes; `sid` a readable SID.
unsafe fn add_ace(acl: *mut Acl, kind: u8, mask: u32, sid: *const u8) -> i32 {
    if acl.is_null() || sid.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: a SID's header says its length; at most 8 + 15 * 4 bytes are read.
    let Some((auth, subs)) = (unsafe { read_sid(sid, 68) }) else {
        return fail(ERROR_INVALID_SID, FALSE);
    };
    let sid = sid_bytes(auth, &subs);
    // SAFETY: the ACL header is readable (the caller's contract).
    let (size, count) = unsafe { ((*acl).size as usize, (*acl).count as usize) };
    let base = acl.cast::<u8>();
    let mut off = std::mem::size_of::<Acl>();
    for _ in 0..count {
        // SAFETY: walking ACEs inside the ACL's `size` bytes (checked each step).
        let s = unsafe { base.add(off + 2).cast::<u16>().read_unaligned() } as usize;
        if s < 8 || off + s > size {
            return fail(ERROR_INVALID_ACL, FALSE);
        }
        off += s;
    }
    let ace = 8 + sid.len();
    if off + ace > size {
        return fail(ERROR_ALLOTTED_SPACE_EXCEEDED, FALSE);
    }
    // SAFETY: `off + ace <= size` bytes of the ACL are writable (the caller's contract).
    unsafe {
        let p = base.add(off);
        *p = kind;
        *p.add(1) = 0;
        p.add(2).cast::<u16>().write_unaligned(ace as u16);
        p.add(4).cast::<u32>().write_unaligned(mask);
        std::ptr::copy_nonoverlapping(sid.as_ptr(), p.add(8), sid.len());
        (*acl).count += 1;
    }
    TRUE
}

/// # Safety
/// As `AddAccessAllowedAce`: `acl` an initialised ACL, `sid` a valid SID.
#[no_mangle]
pub unsafe extern "C" fn AddAccessAllowedAce(
    acl: *mut Acl,
    _rev: u32,
    mask: u32,
    sid: *const c_void,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { add_ace(acl, ACCESS_ALLOWED_ACE_TYPE, mask, sid.cast()) }
}

/// # Safety
/// As `AddAccessDeniedAce`: `acl` an initialised ACL, `sid` a valid SID.
#[no_mangle]
pub unsafe extern "C" fn AddAccessDeniedAce(
    acl: *mut Acl,
    _rev: u32,
    mask: u32,
    sid: *const c_void,
) -> i32 {
    // SAFETY: forwarded contract.
    unsafe { add_ace(acl, ACCESS_DENIED_ACE_TYPE, mask, sid.cast()) }
}

/// `SID_IDENTIFIER_AUTHORITY`.
#[repr(C)]
pub struct SidAuthority {
    value: [u8; 6],
}

/// # Safety
/// `auth` must be a readable authority and `out` writable.
#[no_mangle]
pub unsafe extern "C" fn AllocateAndInitializeSid(
    auth: *const SidAuthority,
    n: u8,
    s0: u32,
    s1: u32,
    s2: u32,
    s3: u32,
    s4: u32,
    s5: u32,
    s6: u32,
    s7: u32,
    out: *mut *mut c_void,
) -> i32 {
    if auth.is_null() || out.is_null() || n == 0 || n > 8 {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: `auth` is readable (this function's contract).
    let a = unsafe { (*auth).value }
        .iter()
        .fold(0u64, |v, b| (v << 8) | u64::from(*b));
    let subs = [s0, s1, s2, s3, s4, s5, s6, s7];
    let bytes = sid_bytes(a, &subs[..n as usize]);
    // SAFETY: a plain allocation, filled below.
    let p = unsafe { LocalAlloc(0, bytes.len()) }.cast::<u8>();
    if p.is_null() {
        return FALSE;
    }
    // SAFETY: `p` holds `bytes.len()` bytes; `out` is writable (this function's contract).
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *out = p.cast();
    }
    TRUE
}

/// # Safety
/// `sid` must be NULL or a SID from [`AllocateAndInitializeSid`].
#[no_mangle]
pub unsafe extern "C" fn FreeSid(sid: *mut c_void) -> *mut c_void {
    // SAFETY: forwarded contract (allocated by LocalAlloc).
    unsafe { LocalFree(sid) };
    std::ptr::null_mut()
}

/// # Safety
/// `sid` must be a valid SID.
#[no_mangle]
pub unsafe extern "C" fn GetLengthSid(sid: *const c_void) -> u32 {
    if sid.is_null() {
        return 0;
    }
    // SAFETY: a valid SID's second byte is its sub-authority count.
    8 + 4 * u32::from(unsafe { *sid.cast::<u8>().add(1) })
}

/// `TRUSTEE` (only `TRUSTEE_IS_SID` and `TRUSTEE_IS_NAME` are read).
#[repr(C)]
pub struct Trustee {
    multiple: *mut Trustee,
    multiple_op: u32,
    form: u32,
    kind: u32,
    name: *mut c_void,
}

/// `EXPLICIT_ACCESS`.
#[repr(C)]
pub struct ExplicitAccess {
    permissions: u32,
    mode: u32,
    inheritance: u32,
    trustee: Trustee,
}

const TRUSTEE_IS_SID: u32 = 0;
const TRUSTEE_IS_NAME: u32 = 1;
const GRANT_ACCESS: u32 = 1;
const SET_ACCESS: u32 = 2;
const DENY_ACCESS: u32 = 3;
const REVOKE_ACCESS: u32 = 4;

/// The SID of a trustee name `SetEntriesInAcl` understands.
fn sid_of_name(name: &str) -> Option<Vec<u8>> {
    Some(match name.to_ascii_uppercase().as_str() {
        "EVERYONE" => sid_bytes(1, &[0]),
        "AUTHENTICATED USERS" => sid_bytes(5, &[11]),
        "USERS" | "BUILTIN\\USERS" => sid_bytes(5, &[32, 545]),
        "SYSTEM" | "NT AUTHORITY\\SYSTEM" => sid_bytes(5, &[18]),
        "ADMINISTRATORS" | "BUILTIN\\ADMINISTRATORS" => sid_bytes(5, &[32, 544]),
        "CURRENT_USER" | "CREATOR OWNER" => sid_bytes(3, &[0]),
        _ => return None,
    })
}

/// Builds a new ACL (with `LocalAlloc`) from `old`'s ACEs and `entries`.
///
/// # Safety
/// `entries` must hold `count` readable entries whose trustees are valid; `old` NULL or a
/// readable ACL.
unsafe fn set_entries(
    count: u32,
    entries: *const ExplicitAccess,
    old: *const Acl,
    out: *mut *mut Acl,
    wide: bool,
) -> u32 {
    if out.is_null() || (count > 0 && entries.is_null()) {
        return ERROR_INVALID_PARAMETER;
    }
    let mut aces: Vec<(u8, u32, Vec<u8>)> = Vec::new();
    if !old.is_null() {
        // SAFETY: `old` is a readable ACL (this function's contract); its ACEs are copied.
        let (size, n) = unsafe { ((*old).size as usize, (*old).count as usize) };
        let base = old.cast::<u8>();
        let mut off = 8;
        for _ in 0..n {
            if off + 8 > size {
                return ERROR_INVALID_ACL;
            }
            // SAFETY: inside the ACL (checked).
            let (k, s, m) = unsafe {
                (
                    *base.add(off),
                    base.add(off + 2).cast::<u16>().read_unaligned() as usize,
                    base.add(off + 4).cast::<u32>().read_unaligned(),
                )
            };
            if s < 8 || off + s > size {
                return ERROR_INVALID_ACL;
            }
            // SAFETY: the SID lies inside this ACE.
            let sid = unsafe { std::slice::from_raw_parts(base.add(off + 8), s - 8) }.to_vec();
            aces.push((k, m, sid));
            off += s;
        }
    }
    for i in 0..count as usize {
        // SAFETY: `entries` holds `count` readable entries (this function's contract).
        let e = unsafe { &*entries.add(i) };
        let sid = match e.trustee.form {
            TRUSTEE_IS_SID => {
                // SAFETY: a SID trustee points to a valid SID.
                match unsafe { read_sid(e.trustee.name.cast(), 68) } {
                    Some((a, s)) => sid_bytes(a, &s),
                    None => return ERROR_INVALID_SID,
                }
            }
            TRUSTEE_IS_NAME => {
                // SAFETY: a name trustee points to a NUL-terminated (wide) string.
                let name = unsafe {
                    if wide {
                        String::from_utf16_lossy(wide_units(e.trustee.name.cast()))
                    } else {
                        String::from_utf8_lossy(ansi_bytes(e.trustee.name.cast())).into_owned()
                    }
                };
                match sid_of_name(&name) {
                    Some(s) => s,
                    None => return ERROR_NONE_MAPPED,
                }
            }
            _ => return ERROR_INVALID_PARAMETER,
        };
        match e.mode {
            GRANT_ACCESS => aces.push((ACCESS_ALLOWED_ACE_TYPE, e.permissions, sid)),
            SET_ACCESS => {
                aces.retain(|a| a.2 != sid);
                aces.push((ACCESS_ALLOWED_ACE_TYPE, e.permissions, sid));
            }
            DENY_ACCESS => aces.insert(0, (ACCESS_DENIED_ACE_TYPE, e.permissions, sid)),
            REVOKE_ACCESS => aces.retain(|a| a.2 != sid),
            _ => return ERROR_INVALID_PARAMETER,
        }
    }
    let size = 8 + aces.iter().map(|a| 8 + a.2.len()).sum::<usize>();
    // SAFETY: a plain zeroed allocation, filled below.
    let acl = unsafe { LocalAlloc(0x40, size) }.cast::<Acl>();
    if acl.is_null() {
        return ERROR_NOT_ENOUGH_MEMORY;
    }
    // SAFETY: `acl` holds `size` bytes: room for the header and every ACE.
    unsafe {
        InitializeAcl(acl, size as u32, ACL_REVISION);
        for (k, m, sid) in &aces {
            add_ace(acl, *k, *m, sid.as_ptr());
        }
        *out = acl;
    }
    NO_ERROR
}

/// # Safety
/// As `SetEntriesInAclA`.
#[no_mangle]
pub unsafe extern "C" fn SetEntriesInAclA(
    count: u32,
    entries: *const ExplicitAccess,
    old: *const Acl,
    out: *mut *mut Acl,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { set_entries(count, entries, old, out, false) }
}

/// # Safety
/// As `SetEntriesInAclW`.
#[no_mangle]
pub unsafe extern "C" fn SetEntriesInAclW(
    count: u32,
    entries: *const ExplicitAccess,
    old: *const Acl,
    out: *mut *mut Acl,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { set_entries(count, entries, old, out, true) }
}

/// The SID an SDDL abbreviation or `S-1-…` string names.
fn sddl_sid(s: &str) -> Option<Vec<u8>> {
    Some(match s {
        "WD" => sid_bytes(1, &[0]),
        "AU" => sid_bytes(5, &[11]),
        "IU" => sid_bytes(5, &[4]),
        "BU" => sid_bytes(5, &[32, 545]),
        "BA" => sid_bytes(5, &[32, 544]),
        "SY" => sid_bytes(5, &[18]),
        "CO" | "OW" => sid_bytes(3, &[0]),
        "CG" => sid_bytes(3, &[1]),
        "AN" => sid_bytes(5, &[7]),
        "NS" => sid_bytes(5, &[20]),
        "LS" => sid_bytes(5, &[19]),
        _ => {
            let rest = s.strip_prefix("S-1-")?;
            let mut parts = rest.split('-');
            let auth: u64 = parts.next()?.parse().ok()?;
            let subs: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
            if subs.is_empty() || subs.len() > 15 {
                return None;
            }
            sid_bytes(auth, &subs)
        }
    })
}

/// An SDDL rights string: `GA`, `GRGW`, `FA`, `0x1f0003`, ….
fn sddl_rights(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    let mut m = 0;
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    for pair in b.chunks(2) {
        m |= match pair {
            b"GA" => GENERIC_ALL,
            b"GR" => GENERIC_READ,
            b"GW" => GENERIC_WRITE,
            b"GX" => GENERIC_EXECUTE,
            b"FA" => 0x001F_01FF,
            b"FR" => 0x0012_0089,
            b"FW" => 0x0012_0116,
            b"FX" => 0x0012_00A0,
            b"SD" => DELETE,
            b"RC" => READ_CONTROL,
            b"WD" => WRITE_DAC,
            b"WO" => WRITE_OWNER,
            b"CC" => 0x1,
            b"DC" => 0x2,
            b"LC" => 0x4,
            b"SW" => 0x8,
            b"RP" => 0x10,
            b"WP" => 0x20,
            b"DT" => 0x40,
            b"LO" => 0x80,
            b"CR" => 0x100,
            b"KA" => 0x000F_003F,
            b"KR" => 0x0002_0019,
            b"KW" => 0x0002_0006,
            b"KX" => 0x0002_0019,
            _ => return None,
        };
    }
    Some(m)
}

/// Parses an SDDL string's DACL (`D:` part; owner, group and SACL parts are accepted and
/// not used) into ACEs: `None` for "no DACL", `Some(aces)` otherwise.
#[allow(clippy::type_complexity)]
fn parse_sddl(s: &str) -> Result<Option<Vec<(u8, u32, Vec<u8>)>>, u32> {
    let Some(d) = s.find("D:") else {
        return Ok(None);
    };
    let mut rest = &s[d + 2..];
    // Flags before the ACEs: P, AI, AR, NO_ACCESS_CONTROL (= a NULL DACL).
    let flags_end = rest.find('(').unwrap_or(rest.len());
    let flags = &rest[..flags_end];
    if flags.contains("NO_ACCESS_CONTROL") {
        return Ok(None);
    }
    rest = &rest[flags_end..];
    let mut aces = Vec::new();
    while let Some(r) = rest.strip_prefix('(') {
        let end = r.find(')').ok_or(ERROR_INVALID_PARAMETER)?;
        let fields: Vec<&str> = r[..end].split(';').collect();
        if fields.len() < 6 {
            return Err(ERROR_INVALID_PARAMETER);
        }
        let kind = match fields[0] {
            "A" => ACCESS_ALLOWED_ACE_TYPE,
            "D" => ACCESS_DENIED_ACE_TYPE,
            _ => return Err(ERROR_INVALID_PARAMETER),
        };
        let rights = sddl_rights(fields[2]).ok_or(ERROR_INVALID_PARAMETER)?;
        let sid = sddl_sid(fields[5]).ok_or(ERROR_INVALID_SID)?;
        aces.push((kind, rights, sid));
        rest = &r[end + 1..];
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) && rest.contains(':') {
            break; // the next part (S:, O:, G:)
        }
    }
    Ok(Some(aces))
}

/// Builds a descriptor (and its DACL) in one `LocalAlloc` block from an SDDL string.
///
/// # Safety
/// `out` must be writable; `size` NULL or writable.
unsafe fn from_sddl(s: &str, rev: u32, out: *mut *mut SecurityDescriptor, size: *mut u32) -> i32 {
    if out.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    if rev != SECURITY_DESCRIPTOR_REVISION {
        return fail(ERROR_UNKNOWN_REVISION, FALSE);
    }
    let dacl = match parse_sddl(s) {
        Ok(d) => d,
        Err(e) => return fail(e, FALSE),
    };
    let acl_size = dacl
        .as_ref()
        .map_or(0, |a| 8 + a.iter().map(|x| 8 + x.2.len()).sum::<usize>());
    let total = 40 + acl_size;
    // SAFETY: a zeroed allocation of `total` bytes, filled below.
    let p = unsafe { LocalAlloc(0x40, total) }.cast::<u8>();
    if p.is_null() {
        return FALSE;
    }
    let sd = p.cast::<SecurityDescriptor>();
    // SAFETY: `p` holds 40 bytes for the descriptor and `acl_size` for the ACL after it.
    unsafe {
        InitializeSecurityDescriptor(sd, 1);
        if let Some(aces) = &dacl {
            let acl = p.add(40).cast::<Acl>();
            InitializeAcl(acl, acl_size as u32, ACL_REVISION);
            for (k, m, sid) in aces {
                add_ace(acl, *k, *m, sid.as_ptr());
            }
            SetSecurityDescriptorDacl(sd, TRUE, acl, FALSE);
        } else if s.contains("D:") {
            SetSecurityDescriptorDacl(sd, TRUE, std::ptr::null_mut(), FALSE); // NULL DACL
        }
        *out = sd;
        if !size.is_null() {
            *size = total as u32;
        }
    }
    TRUE
}

/// # Safety
/// `s` a NUL-terminated string; `out` writable; `size` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ConvertStringSecurityDescriptorToSecurityDescriptorA(
    s: *const c_char,
    rev: u32,
    out: *mut *mut SecurityDescriptor,
    size: *mut u32,
) -> i32 {
    if s.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: a NUL-terminated string (this function's contract).
    let text = String::from_utf8_lossy(unsafe { ansi_bytes(s) }).into_owned();
    // SAFETY: forwarded contract.
    unsafe { from_sddl(&text, rev, out, size) }
}

/// # Safety
/// `s` a NUL-terminated wide string; `out` writable; `size` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ConvertStringSecurityDescriptorToSecurityDescriptorW(
    s: *const u16,
    rev: u32,
    out: *mut *mut SecurityDescriptor,
    size: *mut u32,
) -> i32 {
    if s.is_null() {
        return fail(ERROR_INVALID_PARAMETER, FALSE);
    }
    // SAFETY: a NUL-terminated wide string (this function's contract).
    let text = String::from_utf16_lossy(unsafe { wide_units(s) });
    // SAFETY: forwarded contract.
    unsafe { from_sddl(&text, rev, out, size) }
}

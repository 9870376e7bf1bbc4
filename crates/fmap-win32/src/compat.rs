//! The flat module paths from before the split into `abi`, `objects` and `runtime`, re-exported
//! at the crate root so that Rust code naming items through them keeps compiling:
//! `tests/c_abi.rs` (`consts::TABLE`, `misc::SystemInfo`, `process::ProcessInformation`) and the
//! `c_abi` fuzz program (`consts`, `file`, `handles`, `section`, `sync`). New code uses the real
//! paths.

pub use crate::abi::{consts, text};
pub use crate::objects::{section, sync};
pub use crate::runtime::{file, process};

/// The former `handles` module: the handle table, the last error and the functions on handles.
pub mod handles {
    pub use crate::abi::error::{fail, last_error, set_last_error, GetLastError, SetLastError};
    pub use crate::abi::table::{
        created, get, insert, is_pseudo, opened, remove, Handle, Obj, CURRENT_PROCESS,
        CURRENT_THREAD,
    };
    pub use crate::objects::handles::{CloseHandle, DuplicateHandle};
    pub use crate::runtime::file::FileObj;
    pub use crate::runtime::process::{GetCurrentProcess, GetCurrentThread};
}

/// The former `misc` module: time, system information, console input, DLLs and strings.
pub mod misc {
    pub use crate::runtime::console::{_getch, _getche};
    pub use crate::runtime::dll::{
        FmapDllAttachFailed, FmapModuleFromAddress, FreeLibrary, GetProcAddress, LoadLibraryA,
        LoadLibraryW,
    };
    pub use crate::runtime::strings::{
        lstrlenA, lstrlenW, FmapArgvW, MultiByteToWideChar, WideCharToMultiByte,
    };
    pub use crate::runtime::system::{GetSystemInfo, SystemInfo};
    pub use crate::runtime::time::{
        GetTickCount, GetTickCount64, QueryPerformanceCounter, QueryPerformanceFrequency, Sleep,
    };
}

//! `_getch`, `_getche` (`conio.h`): one key from standard input, read through `termios`.

fn getch(echo: bool) -> i32 {
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios calls on stdin with valid out-pointers; the old settings are restored
    // before returning. A stdin that is not a terminal is simply read.
    unsafe {
        let mut old: libc::termios = std::mem::zeroed();
        let tty = libc::tcgetattr(fd, &mut old) == 0;
        if tty {
            let mut raw = old;
            raw.c_lflag &= !(libc::ICANON | libc::ECHO);
            raw.c_cc[libc::VMIN] = 1;
            raw.c_cc[libc::VTIME] = 0;
            libc::tcsetattr(fd, libc::TCSANOW, &raw);
        }
        let mut b = 0u8;
        let r = loop {
            let r = libc::read(fd, (&mut b as *mut u8).cast(), 1);
            if r >= 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                break r;
            }
        };
        if tty {
            libc::tcsetattr(fd, libc::TCSANOW, &old);
        }
        if r != 1 {
            return -1; // EOF
        }
        if echo {
            libc::write(libc::STDOUT_FILENO, (&b as *const u8).cast(), 1);
        }
        i32::from(b)
    }
}

/// `_getch` (conio.h): one key from standard input without waiting for Enter and without echo;
/// -1 at end of input.
#[no_mangle]
pub extern "C" fn _getch() -> i32 {
    getch(false)
}

/// `_getche`: like `_getch`, with echo.
#[no_mangle]
pub extern "C" fn _getche() -> i32 {
    getch(true)
}

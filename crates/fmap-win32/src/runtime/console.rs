//! `_getch`, `_getche`, `_kbhit` (`conio.h`): one key from standard input, read through
//! `termios`.

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

/// `_kbhit`: nonzero if a key (a byte) is waiting on standard input, without reading it. On a
/// terminal, a key typed without Enter counts: the terminal is put in non-canonical mode for the
/// check. At the end of a non-terminal input: 0.
#[no_mangle]
pub extern "C" fn _kbhit() -> i32 {
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios and poll calls on stdin with valid pointers; the old settings are
    // restored before returning.
    unsafe {
        let mut old: libc::termios = std::mem::zeroed();
        let tty = libc::tcgetattr(fd, &mut old) == 0;
        if tty {
            let mut raw = old;
            raw.c_lflag &= !(libc::ICANON | libc::ECHO);
            libc::tcsetattr(fd, libc::TCSANOW, &raw);
        }
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let mut ready = libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0;
        if ready && !tty {
            // A pipe or file at its end polls readable too: only real data counts.
            let mut n: libc::c_int = 0;
            ready = libc::ioctl(fd, libc::FIONREAD, &mut n) == 0 && n > 0;
        }
        if tty {
            libc::tcsetattr(fd, libc::TCSANOW, &old);
        }
        i32::from(ready)
    }
}

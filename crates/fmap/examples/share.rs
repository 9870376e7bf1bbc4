//! Two processes share a named section, the way the "Creating Named Shared Memory" sample does
//! on Windows: the first creates `Local\fmap-share-demo-<pid>` and writes a message, the second
//! (this program started again) opens it by name, reads the message and writes a reply. At the
//! end the last handle is closed and the name is gone.
//!
//! Run: `cargo run -p fmap --example share`

use fmap::{Access, ErrorKind, Mapping};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

const SIZE: u64 = 64 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--second-process") {
        let name = args.next().ok_or("missing name")?;
        return second_process(&name);
    }
    first_process()
}

fn first_process() -> Result<(), Box<dyn std::error::Error>> {
    let name = format!("Local\\fmap-share-demo-{}", std::process::id());
    let section = Mapping::create(&name, SIZE)?;
    println!(
        "[first  {:>6}] created {name}: {} bytes, already existed: {}",
        std::process::id(),
        section.size(),
        section.already_existed()
    );
    let view = section.map_view(Access::WRITE, ..)?;
    let msg = b"Message from the first process.\0";
    view.write(0, msg)?;
    println!(
        "[first  {:>6}] wrote {:?} at offset 0 of a view at {:p}",
        std::process::id(),
        "Message from the first process.",
        view.as_ptr()
    );

    let start = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--second-process", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    while out.read_line(&mut line)? > 0 {
        print!("{line}");
        if line.contains("wrote its reply") {
            break;
        }
        line.clear();
    }
    let mut reply = [0u8; 64];
    view.read(1024, &mut reply)?;
    let reply = String::from_utf8_lossy(&reply[..reply.iter().position(|&b| b == 0).unwrap_or(64)])
        .into_owned();
    println!("[first  {:>6}] read the reply at offset 1024: {reply:?} ({:.1} ms after starting the second process)", std::process::id(), start.elapsed().as_secs_f64() * 1e3);
    drop(child.stdin.take()); // let the second process finish
    for l in out.lines() {
        println!("{}", l?);
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("the second process failed: {status}").into());
    }

    drop(section);
    println!(
        "[first  {:>6}] closed the last handle; the view still reads {:?}",
        std::process::id(),
        {
            let mut b = [0u8; 7];
            view.read(0, &mut b)?;
            String::from_utf8_lossy(&b).into_owned()
        }
    );
    match Mapping::open(&name, Access::READ) {
        Err(e) if e.kind() == ErrorKind::FileNotFound => {
            println!(
                "[first  {:>6}] opening {name} now fails: {e}",
                std::process::id()
            )
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("the name outlived its last handle".into()),
    }
    Ok(())
}

fn second_process(name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let pid = std::process::id();
    let section = Mapping::open(name, Access::ALL)?;
    let view = section.map_view(Access::WRITE, ..)?;
    let mut buf = [0u8; 64];
    view.read(0, &mut buf)?;
    let msg = String::from_utf8_lossy(&buf[..buf.iter().position(|&b| b == 0).unwrap_or(64)])
        .into_owned();
    println!(
        "[second {pid:>6}] opened {name} ({} bytes) and read {msg:?} from a view at {:p}",
        section.size(),
        view.as_ptr()
    );
    view.write(1024, b"Reply from the second process.\0")?;
    println!("[second {pid:>6}] wrote its reply at offset 1024");
    std::io::stdout().flush()?;
    // Wait until the first process has read the reply.
    let mut sink = String::new();
    let _ = std::io::stdin().read_line(&mut sink);
    println!("[second {pid:>6}] closing its handle and exiting");
    Ok(())
}

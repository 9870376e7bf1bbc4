//! iceoryx2's event service as a ping-pong peer (feature `iceoryx2`): two event services, the
//! first process notifies "ping" and waits on "pong", the second the reverse.

use crate::common::*;
use iceoryx2::prelude::*;
use std::path::Path;
use std::time::Instant;

fn service_names(root: &Path) -> (String, String) {
    let tag = root
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("x")
        .to_owned();
    (
        format!("fmap-bench/{tag}/ping"),
        format!("fmap-bench/{tag}/pong"),
    )
}

type Svc = iceoryx2::service::port_factory::event::PortFactory<ipc::Service>;

fn service(node: &Node<ipc::Service>, name: &str) -> Res<Svc> {
    let n: ServiceName = name.try_into().map_err(|e| format!("{e:?}"))?;
    Ok(node
        .service_builder(&n)
        .event()
        .open_or_create()
        .map_err(|e| format!("iceoryx2 service: {e:?}"))?)
}

pub fn child(total: usize, root: &Path) -> Res<()> {
    set_log_level(LogLevel::Error);
    let pinned = pin_to(1);
    let node = NodeBuilder::new()
        .create::<ipc::Service>()
        .map_err(|e| format!("{e:?}"))?;
    let (pi, po) = service_names(root);
    let ping = service(&node, &pi)?;
    let pong = service(&node, &po)?;
    let listener = ping
        .listener_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let notifier = pong
        .notifier_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    say(&format!("READY cpu={} pinned={pinned}", current_cpu()));
    let cpu0 = cpu_ns();
    let mut got = 0;
    while got < total {
        listener
            .blocking_wait(|_| got += 1)
            .map_err(|e| format!("{e:?}"))?;
        notifier.notify().map_err(|e| format!("{e:?}"))?;
    }
    say(&format!("DONE cpu={}", cpu_ns() - cpu0));
    Ok(())
}

/// Round-trip median and p99, CPU per round trip of both processes.
pub fn run(root: &Path, count: usize) -> Res<((f64, f64), f64)> {
    set_log_level(LogLevel::Error);
    let warmup = (count / 10).max(50);
    let total = warmup + count;
    let node = NodeBuilder::new()
        .create::<ipc::Service>()
        .map_err(|e| format!("{e:?}"))?;
    let (pi, po) = service_names(root);
    let ping = service(&node, &pi)?;
    let pong = service(&node, &po)?;
    let listener = pong
        .listener_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let child = ChildProc::spawn(root, &["ice".into(), total.to_string()])?;
    child.expect_line("READY")?;
    let notifier = ping
        .notifier_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let mut rts = Vec::with_capacity(count);
    let cpu0 = cpu_ns();
    for i in 0..total {
        let t = Instant::now();
        notifier.notify().map_err(|e| format!("{e:?}"))?;
        let mut got = 0;
        while got == 0 {
            listener
                .blocking_wait(|_| got += 1)
                .map_err(|e| format!("{e:?}"))?;
        }
        if i >= warmup {
            rts.push(t.elapsed().as_nanos() as f64);
        }
    }
    let mine = (cpu_ns() - cpu0) as f64;
    let done = child.expect_line("DONE")?;
    let theirs = field(&done, "cpu").ok_or("bad DONE line")?;
    child.finish()?;
    Ok((median_p99(rts), (mine + theirs) / total as f64))
}

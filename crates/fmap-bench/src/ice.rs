//! iceoryx2 as a peer (feature `iceoryx2`):
//! * ping-pong over its event service: two event services, the first process notifies "ping"
//!   and waits on "pong", the second the reverse;
//! * wait on N objects: the second process waits in a `WaitSet` on the listeners of N event
//!   services, the first notifies the last one (the protocol of the suite's other wake-latency
//!   rows: one-way latency through the shared control page, 100 µs pause before each signal).

use crate::common::*;
use crate::xproc::SETTLE;
use iceoryx2::prelude::*;
use std::path::Path;
use std::sync::atomic::Ordering::{Acquire, Release};
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

fn new_node() -> Res<Node<ipc::Service>> {
    Ok(NodeBuilder::new()
        .create::<ipc::Service>()
        .map_err(|e| format!("{e:?}"))?)
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
    let node = new_node()?;
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

/// Notifies and then blocks until the listener has received at least one event.
fn notify_and_wait(
    notifier: &iceoryx2::port::notifier::Notifier<ipc::Service>,
    listener: &iceoryx2::port::listener::Listener<ipc::Service>,
) -> Res<()> {
    notifier.notify().map_err(|e| format!("{e:?}"))?;
    let mut got = 0;
    while got == 0 {
        listener
            .blocking_wait(|_| got += 1)
            .map_err(|e| format!("{e:?}"))?;
    }
    Ok(())
}

/// Round-trip median and p99, CPU per round trip of both processes.
pub fn run(root: &Path, count: usize) -> Res<((f64, f64), f64)> {
    set_log_level(LogLevel::Error);
    let warmup = (count / 10).max(50);
    let total = warmup + count;
    let node = new_node()?;
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
        notify_and_wait(&notifier, &listener)?;
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

// ---------------------------------------------------------------------------------------------
// Wait on N listeners with a WaitSet

fn waitset_names(root: &Path, n: usize) -> (Vec<String>, String) {
    let (ping, pong) = service_names(root);
    let mut all: Vec<String> = (0..n - 1).map(|i| format!("{ping}-idle-{n}-{i}")).collect();
    all.push(format!("{ping}-{n}"));
    (all, format!("{pong}-{n}"))
}

/// The N services the waiter listens to (opened or created), and the name of the reply service.
fn waitset_services(node: &Node<ipc::Service>, root: &Path, n: usize) -> Res<(Vec<Svc>, String)> {
    let (names, pong) = waitset_names(root, n);
    let services = names
        .iter()
        .map(|nm| service(node, nm))
        .collect::<Res<Vec<_>>>()?;
    Ok((services, pong))
}

/// The waiter: `ice-waitset N TOTAL`.
pub fn child_waitset(n: usize, total: usize, root: &Path) -> Res<()> {
    set_log_level(LogLevel::Error);
    let pinned = pin_to(1);
    let shm = Shm::open(root, false)?;
    let node = new_node()?;
    let (services, pong) = waitset_services(&node, root, n)?;
    let listeners = services
        .iter()
        .map(|s| s.listener_builder().create().map_err(|e| format!("{e:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let notifier = service(&node, &pong)?
        .notifier_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let ws = WaitSetBuilder::new()
        .create::<ipc::Service>()
        .map_err(|e| format!("{e:?}"))?;
    let guards = listeners
        .iter()
        .map(|l| ws.attach_notification(l).map_err(|e| format!("{e:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let last = guards.last().ok_or("no listener")?;
    say(&format!("READY cpu={} pinned={pinned}", current_cpu()));
    let cpu0 = cpu_ns();
    for _ in 0..total {
        let mut woke = false;
        let mut stray = false;
        while !woke {
            ws.wait_and_process_once(|id| {
                if id.has_event_from(last) {
                    woke = true;
                } else {
                    stray = true;
                }
                CallbackProgression::Continue
            })
            .map_err(|e| format!("{e:?}"))?;
        }
        let now = monotonic_ns();
        shm.u64(crate::xproc::OFF_LAT).store(
            now.saturating_sub(shm.u64(crate::xproc::OFF_T0).load(Acquire)),
            Release,
        );
        if stray {
            return Err("iceoryx2 WaitSet: woken by a listener nobody notified".into());
        }
        listeners
            .last()
            .ok_or("no listener")?
            .try_wait(|_| ())
            .map_err(|e| format!("{e:?}"))?;
        notifier.notify().map_err(|e| format!("{e:?}"))?;
    }
    say(&format!("DONE cpu={}", cpu_ns() - cpu0));
    Ok(())
}

/// One-way wake latency (median, p99), round-trip median and the waiter's CPU time per wake-up.
pub struct WaitsetResult {
    pub oneway: (f64, f64),
    pub rt: f64,
    pub cpu: f64,
}

pub fn run_waitset(root: &Path, shm: &Shm, n: usize, count: usize) -> Res<WaitsetResult> {
    set_log_level(LogLevel::Error);
    let warmup = (count / 10).max(50);
    let total = warmup + count;
    let node = new_node()?;
    // Created here, so that they exist (and are kept) while the waiter attaches to them.
    let (services, pong) = waitset_services(&node, root, n)?;
    let listener = service(&node, &pong)?
        .listener_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let child = ChildProc::spawn(
        root,
        &["ice-waitset".into(), n.to_string(), total.to_string()],
    )?;
    child.expect_line("READY")?;
    let notifier = services
        .last()
        .ok_or("no service")?
        .notifier_builder()
        .create()
        .map_err(|e| format!("{e:?}"))?;
    let (mut lats, mut rts) = (Vec::with_capacity(count), Vec::with_capacity(count));
    for i in 0..total {
        let until = Instant::now() + SETTLE;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        shm.u64(crate::xproc::OFF_T0).store(monotonic_ns(), Release);
        notify_and_wait(&notifier, &listener)?;
        if i >= warmup {
            rts.push(t.elapsed().as_nanos() as f64);
            lats.push(shm.u64(crate::xproc::OFF_LAT).load(Acquire) as f64);
        }
    }
    let done = child.expect_line("DONE")?;
    let theirs = field(&done, "cpu").ok_or("bad DONE line")?;
    child.finish()?;
    Ok(WaitsetResult {
        oneway: median_p99(lats),
        rt: median_p99(rts).0,
        cpu: theirs / total as f64,
    })
}

// ---------------------------------------------------------------------------------------------
// Bulk transfer through publish-subscribe: the ring's slots are iceoryx2 samples of `slot` bytes
// (the subscriber's buffer holds `slots` of them; the publisher blocks while it is full), so the
// stream, the copies and the checks are those of the suite's other rings (bulk.rs).

type Pub = iceoryx2::port::publisher::Publisher<ipc::Service, [u8], ()>;
type Sub = iceoryx2::port::subscriber::Subscriber<ipc::Service, [u8], ()>;
type Loan =
    iceoryx2::sample_mut_uninit::SampleMutUninit<ipc::Service, [std::mem::MaybeUninit<u8>], ()>;
type Received = iceoryx2::sample::Sample<ipc::Service, [u8], ()>;

pub struct IceRing {
    // Dropped in this order: ports first, then the service and the node.
    loan: Option<Loan>,
    sample: Option<Received>,
    publisher: Option<Pub>,
    subscriber: Option<Sub>,
    _service:
        iceoryx2::service::port_factory::publish_subscribe::PortFactory<ipc::Service, [u8], ()>,
    _node: Node<ipc::Service>,
    slot: usize,
}

impl IceRing {
    /// The publisher (first process) or the subscriber (second).
    pub fn new(root: &Path, g: crate::bulk::Geom, publisher: bool) -> Res<IceRing> {
        set_log_level(LogLevel::Error);
        let node = new_node()?;
        let (ping, _) = service_names(root);
        let name: ServiceName = format!("{ping}-bulk")
            .as_str()
            .try_into()
            .map_err(|e| format!("{e:?}"))?;
        let service = node
            .service_builder(&name)
            .publish_subscribe::<[u8]>()
            .payload_alignment(Alignment::new(64).ok_or("alignment")?)
            .subscriber_max_buffer_size(g.slots)
            .subscriber_max_borrowed_samples(1)
            .history_size(0)
            .enable_safe_overflow(false)
            .max_publishers(1)
            .max_subscribers(1)
            .open_or_create()
            .map_err(|e| format!("iceoryx2 service: {e:?}"))?;
        let (mut p, mut s) = (None, None);
        if publisher {
            p = Some(
                service
                    .publisher_builder()
                    .initial_max_slice_len(g.slot)
                    .max_loaned_samples(1)
                    .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
                    .create()
                    .map_err(|e| format!("iceoryx2 publisher: {e:?}"))?,
            );
        } else {
            s = Some(
                service
                    .subscriber_builder()
                    .buffer_size(g.slots)
                    .create()
                    .map_err(|e| format!("iceoryx2 subscriber: {e:?}"))?,
            );
        }
        Ok(IceRing {
            loan: None,
            sample: None,
            publisher: p,
            subscriber: s,
            _service: service,
            _node: node,
            slot: g.slot,
        })
    }
}

impl crate::bulk::RingSync for IceRing {
    fn wait_empty(&mut self, _j: u64) -> Res<*mut u8> {
        let p = self.publisher.as_ref().ok_or("not the publisher")?;
        let mut loan = p
            .loan_slice_uninit(self.slot)
            .map_err(|e| format!("iceoryx2 loan: {e:?}"))?;
        let ptr = loan.payload_mut().as_mut_ptr().cast::<u8>();
        self.loan = Some(loan);
        Ok(ptr)
    }

    fn post_full(&mut self, _j: u64) -> Res<()> {
        let loan = self.loan.take().ok_or("no loaned sample")?;
        // SAFETY: the producer wrote all `slot` bytes of the payload before posting it.
        let sample = unsafe { loan.assume_init() };
        sample.send().map_err(|e| format!("iceoryx2 send: {e:?}"))?;
        Ok(())
    }

    fn wait_full(&mut self, _j: u64) -> Res<*const u8> {
        let s = self.subscriber.as_ref().ok_or("not the subscriber")?;
        // No blocking receive in publish-subscribe: poll, spinning for the suite's adaptive-spin
        // budget, then sleeping 10 µs between polls.
        let t = Instant::now();
        loop {
            if let Some(sample) = s
                .receive()
                .map_err(|e| format!("iceoryx2 receive: {e:?}"))?
            {
                if sample.payload().len() != self.slot {
                    return Err("iceoryx2: a sample of the wrong size".into());
                }
                let ptr = sample.payload().as_ptr();
                self.sample = Some(sample);
                return Ok(ptr);
            }
            if t.elapsed() < crate::xproc::DEFAULT_SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::sleep(std::time::Duration::from_micros(10));
            }
        }
    }

    fn post_empty(&mut self, _j: u64) -> Res<()> {
        self.sample = None;
        Ok(())
    }
}

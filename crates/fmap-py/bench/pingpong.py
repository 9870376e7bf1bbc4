"""Event ping-pong between two Python processes: fmap.Event vs multiprocessing.Event vs a pipe.

Each round trip: the parent signals "ping", the child wakes and signals "pong", the parent
wakes. All three run in one invocation, in the same processes' conditions, and the result is
printed as the time per round trip and its ratio to fmap's:

    python bench/pingpong.py            # 20,000 round trips each (a few seconds)
    python bench/pingpong.py --quick    # 2,000 (CI: checks that it runs; no timing asserted)

* fmap.Event: two named auto-reset events, opened by name in the child; a waiter spins for up
  to 20 µs (the default on a machine with more than one CPU) before it sleeps, so when the
  other side answers within that time neither process enters the kernel to sleep. The row
  "no spinning" is the same with fmap.set_spin(0) in both processes: a futex sleep and wake-up
  per signal, like the other two.
* multiprocessing.Event: two events (set, then wait + clear on the other side) — a lock, a
  condition variable and a semaphore underneath.
* pipe: two os.pipe()s (multiprocessing.Pipe(duplex=False)), one byte written and read per
  signal, with os.write/os.read.

Each run starts with untimed warm-up round trips (a tenth of them). The two processes are pinned to two different CPUs (the first two this process may use; --no-pin
leaves the placement to the scheduler). The child processes are started with the "spawn" method, so neither side inherits the other's
state. The machine's load shows in the numbers: compare ratios within one run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid


# The CPU the child pins itself to (None: no pinning); set by main() before children start.
CHILD_CPU = None


def pin_child(cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def warmup(n):
    """Untimed round trips before the timed ones (a tenth, at least 50)."""
    return max(50, n // 10)


def fmap_child(ping_name, pong_name, n, started, spin, cpu):
    pin_child(cpu)
    import fmap

    if not spin:
        fmap.set_spin(0)
    ping, pong = fmap.Event.open(ping_name), fmap.Event.open(pong_name)
    started.set()
    for _ in range(warmup(n) + n):
        ping.wait()
        pong.set()


def fmap_parent(n, ctx, spin=True):
    import fmap

    if not spin:
        fmap.set_spin(0)  # for the rest of this process: this row runs last
    tag = uuid.uuid4().hex[:12]
    ping = fmap.Event.create(f"Local\\bench-ping-{tag}")
    pong = fmap.Event.create(f"Local\\bench-pong-{tag}")
    started = ctx.Event()
    p = ctx.Process(target=fmap_child, args=(ping.name, pong.name, n, started, spin, CHILD_CPU))
    p.start()
    started.wait()
    for _ in range(warmup(n)):
        ping.set()
        pong.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
    dt = time.perf_counter() - t0
    p.join()
    return dt


def mp_child(ping, pong, n, started, cpu):
    pin_child(cpu)
    started.set()
    for _ in range(warmup(n) + n):
        ping.wait()
        ping.clear()
        pong.set()


def mp_parent(n, ctx):
    ping, pong, started = ctx.Event(), ctx.Event(), ctx.Event()
    p = ctx.Process(target=mp_child, args=(ping, pong, n, started, CHILD_CPU))
    p.start()
    started.wait()
    for _ in range(warmup(n)):
        ping.set()
        pong.wait()
        pong.clear()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    dt = time.perf_counter() - t0
    p.join()
    return dt


def pipe_child(ping_r, pong_w, n, started, cpu):
    pin_child(cpu)
    r, w = ping_r.fileno(), pong_w.fileno()
    started.set()
    for _ in range(warmup(n) + n):
        os.read(r, 1)
        os.write(w, b"x")


def pipe_parent(n, ctx):
    ping_r, ping_w = ctx.Pipe(duplex=False)
    pong_r, pong_w = ctx.Pipe(duplex=False)
    started = ctx.Event()
    p = ctx.Process(target=pipe_child, args=(ping_r, pong_w, n, started, CHILD_CPU))
    p.start()
    started.wait()
    r, w = pong_r.fileno(), ping_w.fileno()
    for _ in range(warmup(n)):
        os.write(w, b"x")
        os.read(r, 1)
    t0 = time.perf_counter()
    for _ in range(n):
        os.write(w, b"x")
        os.read(r, 1)
    dt = time.perf_counter() - t0
    p.join()
    return dt


PEERS = [
    ("fmap.Event", fmap_parent),
    ("multiprocessing.Event", mp_parent),
    ("pipe", pipe_parent),
    # Last: it turns spinning off in this process for good.
    ("fmap.Event, no spinning", lambda n, ctx: fmap_parent(n, ctx, spin=False)),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2,000 round trips, one repetition")
    ap.add_argument("-n", type=int, help="round trips per run (default 20,000)")
    ap.add_argument("--repeat", type=int, help="runs per peer; the median is reported (default 3)")
    ap.add_argument("--no-pin", action="store_true",
                    help="do not pin the two processes to two different CPUs")
    args = ap.parse_args(argv)
    global CHILD_CPU
    cpus = sorted(os.sched_getaffinity(0))
    pinned = not args.no_pin and len(cpus) >= 2
    if pinned:
        os.sched_setaffinity(0, {cpus[0]})
        CHILD_CPU = cpus[1]
    n = args.n or (2_000 if args.quick else 20_000)
    repeat = args.repeat or (1 if args.quick else 3)
    ctx = mp.get_context("spawn")
    placement = f"pinned to CPUs {cpus[0]} and {cpus[1]}" if pinned else "not pinned"
    print(f"event ping-pong between two Python processes: {n} round trips, "
          f"median of {repeat} run(s), {os.cpu_count()} CPUs ({placement}), "
          f"Python {sys.version.split()[0]}")
    results = {}
    for label, run in PEERS:
        times = [run(n, ctx) for _ in range(repeat)]
        results[label] = statistics.median(times) / n
    base = results["fmap.Event"]
    print(f"{'peer':<26}{'per round trip':>16}{'round trips/s':>16}{'vs fmap.Event':>16}")
    for label, per in results.items():
        print(f"{label:<26}{per * 1e6:>13.1f} µs{1 / per:>16,.0f}{per / base:>15.2f}×")
    blocking = results["fmap.Event, no spinning"]
    print(f"ratios (above 1: fmap.Event is faster): "
          f"multiprocessing.Event / fmap.Event {results['multiprocessing.Event'] / base:.2f}×, "
          f"pipe / fmap.Event {results['pipe'] / base:.2f}×; without spinning: "
          f"multiprocessing.Event {results['multiprocessing.Event'] / blocking:.2f}×, "
          f"pipe {results['pipe'] / blocking:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())

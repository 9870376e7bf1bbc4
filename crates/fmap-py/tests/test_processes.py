"""Two Python processes: a shared section and events, handles passed through multiprocessing,
and crash safety — a holder killed with SIGKILL leaves no name behind, and a mutex owner
killed holding the mutex is reported abandoned."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import time

import pytest
from conftest import HANG_GUARD, asleep, expect_line, finish, python, until

import fmap


def test_two_processes_share_a_section_and_events(names):
    """The parent writes a request into a shared section and sets "ready"; the child, which
    opened everything by name, answers in the section and sets "done". Many rounds, each in
    its turn (auto-reset events)."""
    section = fmap.Mapping.create(names("section"), 64 * 1024)
    view = section.map_view()
    ready = fmap.Event.create(names("ready"))
    done = fmap.Event.create(names("done"))
    child = python(
        """
        import sys, fmap
        section, ready, done = sys.argv[1:4]
        view = fmap.Mapping.open(section).map_view()
        ready, done = fmap.Event.open(ready), fmap.Event.open(done)
        print("open", flush=True)
        while True:
            assert ready.wait(60)
            n = int.from_bytes(view[:8], "little")
            if n == 0:
                break
            view[8:16] = (n * n).to_bytes(8, "little")
            done.set()
        print("bye", flush=True)
        """,
        names("section"),
        names("ready"),
        names("done"),
    )
    expect_line(child, "open")
    for n in range(1, 201):
        view[:8] = n.to_bytes(8, "little")
        ready.set()
        assert done.wait(HANG_GUARD)
        assert int.from_bytes(view[8:16], "little") == n * n
    view[:8] = bytes(8)
    ready.set()
    assert finish(child).strip() == "bye"


def _worker(section, lock, ready, rounds):
    """A multiprocessing child: the handles arrive pickled (reopened by name)."""
    view = section.map_view()
    ready.set()
    for _ in range(rounds):
        with lock:
            n = int.from_bytes(view[:8], "little")
            view[:8] = (n + 1).to_bytes(8, "little")


def test_handles_pass_through_multiprocessing(names):
    """Named handles pickle as "open this name": spawned workers get the section, a mutex
    and an event, and take turns under the mutex."""
    section = fmap.Mapping.create(names("section"), 4096)
    lock = fmap.Mutex.create(names("lock"))
    ready = fmap.Event.create(names("ready"), manual_reset=True)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(section, lock, ready, 300)) for _ in range(3)]
    for p in procs:
        p.start()
    assert ready.wait(HANG_GUARD)
    for p in procs:
        p.join(HANG_GUARD)
        assert p.exitcode == 0
    assert int.from_bytes(section.map_view()[:8], "little") == 900


def test_killed_holder_leaves_no_name(names):
    """A process holding a section and a mutex (owned) is killed with SIGKILL: the section's
    name is gone at once, and the mutex — kept alive by our handle — is abandoned: the next
    acquire owns it and is told so."""
    child = python(
        """
        import sys, fmap
        section = fmap.Mapping.create(sys.argv[1], 1 << 20)
        section.map_view()[:4] = b"mine"
        m = fmap.Mutex.create(sys.argv[2])
        assert m.acquire()
        print("holding", flush=True)
        sys.stdin.read()  # until killed
        """,
        names("section"),
        names("mutex"),
        stdin=subprocess.PIPE,
    )
    expect_line(child, "holding")
    assert fmap.Mapping.open(names("section")).map_view()[:4] == b"mine"  # exists, then closed
    m = fmap.Mutex.open(names("mutex"))
    assert not m.acquire(timeout=0)  # the child owns it
    child.send_signal(signal.SIGKILL)
    child.wait(HANG_GUARD)
    assert child.returncode == -signal.SIGKILL
    with pytest.raises(FileNotFoundError):
        fmap.Mapping.open(names("section"))
    fmap.Mapping.create(names("section"), 4096, exclusive=True)  # free for a new section
    with pytest.warns(fmap.AbandonedMutexWarning):
        r = m.acquire(timeout=HANG_GUARD)
    assert r and r.abandoned
    m.release()
    assert not m.acquire().abandoned
    m.release()


def test_killed_waiter_does_not_keep_what_it_was_handed(names):
    """A process killed while waiting for a semaphore must not swallow the unit released to
    it: the next waiter gets it."""
    s = fmap.Semaphore.create(names("sem"), 0, 1)
    child = python(
        """
        import sys, fmap
        s = fmap.Semaphore.open(sys.argv[1])
        print("waiting", flush=True)
        s.acquire()
        print("got it", flush=True)
        """,
        names("sem"),
    )
    expect_line(child, "waiting")
    # Let the child queue, then kill it; its place in the queue goes with it.
    until("the child to block", lambda: asleep(child.pid))
    child.kill()
    child.wait(HANG_GUARD)
    s.release()
    assert s.acquire(timeout=HANG_GUARD)



def test_waits_keep_their_turn_across_signal_checks(names):
    """Process A waits for a mutex in its main thread, where a wait runs Python's signal
    handlers every 50 ms; process B then waits in another thread, which never checks. A
    queued first and gets the mutex first: a checked wait keeps its place in the queue. (A
    wait cut into 50 ms waits would go to the back at its next cut, behind B.)"""
    m = fmap.Mutex.create(names("mutex"), initial_owner=True)
    section = fmap.Mapping.create(names("log"), 4096)
    log = section.map_view()
    code = """
        import sys, threading, fmap
        me, mutex, log = sys.argv[1:4]
        m = fmap.Mutex.open(mutex)
        view = fmap.Mapping.open(log).map_view()

        def take():
            assert m.acquire(timeout=60)
            n = view[0]
            view[1 + n] = ord(me)
            view[0] = n + 1
            m.release()

        print("waiting", flush=True)
        if me == "A":
            take()  # in the main thread: a checked wait
        else:
            t = threading.Thread(target=take)
            t.start()
            t.join()
    """
    first = python(code, "A", names("mutex"), names("log"))
    expect_line(first, "waiting")
    until("A to sleep in its wait", lambda: asleep(first.pid))
    second = python(code, "B", names("mutex"), names("log"))
    expect_line(second, "waiting")
    until("B to sleep in its wait", lambda: asleep(second.pid))
    # Let A run a few signal checks while both wait.
    time.sleep(0.2)
    m.release()
    finish(first)
    finish(second)
    assert log[:3] == b"\x02AB"

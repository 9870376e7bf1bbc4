"""Mutexes, events, semaphores and the waits in one process (threads): semantics, timeouts,
abandoned mutexes, the GIL released while waiting, and Ctrl-C."""

from __future__ import annotations

import pickle
import signal
import threading
import warnings

import pytest
from conftest import HANG_GUARD, asleep, expect_line, python, until

import fmap


def in_thread(fn):
    """Runs fn in another thread and returns what it returned (or raises what it raised)."""
    out = {}

    def run():
        try:
            out["r"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            out["e"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(HANG_GUARD)
    assert not t.is_alive(), "thread hung"
    if "e" in out:
        raise out["e"]
    return out["r"]


def test_mutex_is_owned_by_a_thread_and_recursive(name):
    m = fmap.Mutex.create(name)
    assert not m.already_existed and m.name == name
    r = m.acquire()
    assert r and not r.abandoned and r.index == 0 and r.code == fmap.WAIT_OBJECT_0
    assert m.acquire(timeout=0)  # recursive
    assert m.owned
    assert in_thread(lambda: m.owned) is False
    assert not in_thread(lambda: m.acquire(timeout=0.01))  # another thread times out
    timed_out = in_thread(lambda: m.acquire(blocking=False))
    assert timed_out.timed_out and timed_out.index is None and not timed_out
    assert timed_out.code == fmap.WAIT_TIMEOUT
    with pytest.raises(fmap.Error) as e:
        in_thread(m.release)  # not the owner
    assert e.value.winerror == fmap.ERROR_NOT_OWNER
    m.release()
    m.release()
    assert not m.owned
    with pytest.raises(fmap.Error):
        m.release()
    assert in_thread(lambda: (m.acquire(timeout=0), m.release())[0])


def test_mutex_context_manager(name):
    m = fmap.Mutex.create(name)
    with m as r:
        assert r and m.owned
        with m:  # recursive
            pass
        assert m.owned
    assert not m.owned
    with pytest.raises(ValueError):
        m.acquire(blocking=False, timeout=1)


def test_initial_owner_and_open(name):
    m = fmap.Mutex.create(name, initial_owner=True)
    assert m.owned
    other = fmap.Mutex.open(name)
    assert other.already_existed and other.owned  # ownership is the thread's, any handle
    again = fmap.Mutex.create(name, initial_owner=True)
    assert again.already_existed
    other.release()
    assert not m.owned


def test_abandoned_by_a_thread_that_ends(name):
    m = fmap.Mutex.create(name)
    in_thread(lambda: m.acquire())  # the thread ends owning it
    with pytest.warns(fmap.AbandonedMutexWarning, match="abandoned"):
        r = m.acquire(timeout=HANG_GUARD)
    assert r and r.abandoned and r.index == 0 and r.code == fmap.WAIT_ABANDONED_0
    assert m.owned
    m.release()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not m.acquire().abandoned  # reported once
        m.release()


def test_abandoned_without_warning(name):
    m = fmap.Mutex.create(name)
    in_thread(lambda: m.acquire())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = m.acquire(warn_abandoned=False)
    assert r.abandoned
    m.release()


def test_abandoned_warning_as_error(name):
    m = fmap.Mutex.create(name)
    in_thread(lambda: m.acquire())
    with warnings.catch_warnings():
        warnings.simplefilter("error", fmap.AbandonedMutexWarning)
        with pytest.raises(fmap.AbandonedMutexWarning):
            m.acquire()
        assert m.owned  # acquire() raised owning it
        m.release()
        in_thread(lambda: m.acquire())
        with pytest.raises(fmap.AbandonedMutexWarning):
            with m:
                raise AssertionError("the body must not run")
        assert not m.owned  # `with` released it before raising
    assert in_thread(lambda: (m.acquire(timeout=0), m.release())[0])


def test_event_auto_and_manual_reset(name):
    auto = fmap.Event.create(name)
    assert not auto.manual_reset and not auto.is_set()
    assert not auto.wait(0)
    auto.set()
    assert auto.is_set()
    assert auto.wait(0)
    assert not auto.is_set()  # taken by the wait
    manual = fmap.Event.create(name + "-m", manual_reset=True, initial_state=True)
    assert manual.manual_reset and manual.wait(0) and manual.wait(0)
    manual.clear()
    assert not manual.is_set()
    manual.pulse()
    assert not manual.is_set()
    opened = fmap.Event.open(name + "-m", fmap.SYNCHRONIZE)
    with pytest.raises(PermissionError):
        opened.set()  # no MODIFY_STATE
    with fmap.Event.open(name) as e:
        assert e.already_existed
    assert e.closed
    with pytest.raises(ValueError):
        e.set()


def test_semaphore(name):
    s = fmap.Semaphore.create(name, 2, 3)
    assert (s.count, s.maximum) == (2, 3)
    assert s.acquire() and s.acquire(timeout=0.01)
    assert not s.acquire(blocking=False)
    assert s.release(2) == 0
    with pytest.raises(fmap.Error) as e:
        s.release(2)
    assert e.value.winerror == fmap.ERROR_TOO_MANY_POSTS
    with s:
        assert s.count == 1
    assert s.count == 2
    unbounded = fmap.Semaphore.create()
    assert unbounded.name is None and unbounded.count == 1


def test_exclusive_and_type_clash(name):
    m = fmap.Mutex.create(name, exclusive=True)  # noqa: F841 - holds the name
    with pytest.raises(FileExistsError):
        fmap.Mutex.create(name, exclusive=True)
    for make in (fmap.Event.create, fmap.Semaphore.create, fmap.Event.open, fmap.Semaphore.open):
        with pytest.raises(fmap.Error) as e:
            make(name)
        assert e.value.winerror == fmap.ERROR_INVALID_HANDLE
    with pytest.raises(FileNotFoundError):
        fmap.Event.open(name + "-none")


def test_timeouts(name):
    e = fmap.Event.create(name)
    assert e.wait(0.01) is False
    assert e.wait(0) is False
    for bad in (-1, -0.5, float("nan")):
        with pytest.raises(ValueError):
            e.wait(bad)
    with pytest.raises(OverflowError):
        e.wait(1e300)
    e.set()
    assert e.wait(float("inf"))


def test_wait_any_and_wait_all(name):
    a = fmap.Event.create(name + "-a")
    b = fmap.Semaphore.create(name + "-b", 0, 1)
    m = fmap.Mutex.create(name + "-m")
    r = fmap.wait_any([a, b], 0.01)
    assert not r and r.timed_out
    b.release()
    r = fmap.wait_any([a, b, m])
    assert r.index == 1 and not r.abandoned and r.code == fmap.WAIT_OBJECT_0 + 1
    assert b.count == 0
    a.set()
    assert not fmap.wait_all([a, b], 0.01)  # b is not available: nothing is taken
    assert a.is_set()
    b.release()
    r = fmap.wait_all((a, b, m), None)
    assert r.index == 0 and m.owned and not a.is_set() and b.count == 0
    m.release()
    with pytest.raises(TypeError):
        fmap.wait_any([a, "b"])
    with pytest.raises(fmap.Error) as e:
        fmap.wait_any([])
    assert e.value.winerror == fmap.ERROR_INVALID_PARAMETER
    with pytest.raises(fmap.Error):
        fmap.wait_all([a, fmap.Event.open(name + "-a")])  # the same object twice


def test_wait_any_reports_an_abandoned_mutex(name):
    e = fmap.Event.create(name + "-e")
    m = fmap.Mutex.create(name + "-m")
    in_thread(lambda: m.acquire())
    with pytest.warns(fmap.AbandonedMutexWarning, match="object 1 of the wait"):
        r = fmap.wait_any([e, m])
    assert r.index == 1 and r.abandoned and r.code == fmap.WAIT_ABANDONED_0 + 1
    m.release()
    in_thread(lambda: m.acquire())
    e.set()
    with pytest.warns(fmap.AbandonedMutexWarning):
        r = fmap.wait_all([e, m])
    assert r.abandoned and r.index == 0
    m.release()


def test_waits_release_the_gil(name):
    """A thread blocked in a wait lets the main thread run Python code: the main thread
    counts, then sets the event the thread waits for. Were the GIL held, the main thread
    could not count until the wait timed out, and the thread would report the timeout."""
    e = fmap.Event.create(name)
    m = fmap.Mutex.create(name + "-m", initial_owner=True)
    got = {}

    def waiter():
        got["event"] = e.wait(HANG_GUARD)
        got["mutex"] = bool(m.acquire(timeout=HANG_GUARD))
        m.release()

    t = threading.Thread(target=waiter)
    t.start()
    n = 0
    for _ in range(100_000):
        n += 1
    e.set()
    while t.is_alive() and "event" not in got:
        t.join(0.001)
    m.release()
    t.join(HANG_GUARD)
    assert got == {"event": True, "mutex": True} and n == 100_000


def test_waits_from_many_threads(name):
    """Threads take turns on a mutex and count in a shared section."""
    m = fmap.Mutex.create(name)
    v = fmap.Mapping.create(name + "-s", 4096).map_view()
    per_thread = 200

    def work():
        for _ in range(per_thread):
            with m:
                n = int.from_bytes(v[:8], "little")
                v[:8] = (n + 1).to_bytes(8, "little")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert int.from_bytes(v[:8], "little") == 4 * per_thread


@pytest.mark.parametrize("what", ["event", "mutex", "semaphore", "wait_all"])
def test_ctrl_c_interrupts_a_wait(name, what):
    """SIGINT ends a wait in the main thread with KeyboardInterrupt, as it ends time.sleep;
    the process is then still usable (it waits again and is handed the object)."""
    p = python(
        """
        import sys, fmap
        what, name = sys.argv[1], sys.argv[2]
        e = fmap.Event.create(name + "-e")
        s = fmap.Semaphore.create(name + "-s", 0, 1)
        m = fmap.Mutex.open(name + "-m")
        wait = {
            "event": e.wait,
            "mutex": m.acquire,
            "semaphore": s.acquire,
            "wait_all": lambda: fmap.wait_all([e, m]),
        }[what]
        print("waiting", flush=True)
        try:
            wait()
            print("not interrupted", flush=True)
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
        r = m.acquire(timeout=60)
        print("acquired" if r else "timed out", flush=True)
        """,
        what,
        name,
        # Python ignores SIGINT if it starts with it ignored; give it the default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    m = fmap.Mutex.create(name + "-m", initial_owner=True)
    try:
        expect_line(p, "waiting")
        # Blocked in the wait once it sleeps (a signal before the wait would be raised by the
        # interpreter between two statements, proving nothing about the wait).
        until("the child to block in its wait", lambda: asleep(p.pid))
        p.send_signal(signal.SIGINT)
        expect_line(p, "KeyboardInterrupt")
        m.release()
        expect_line(p, "acquired")
        out, err = p.communicate(timeout=HANG_GUARD)
        assert p.returncode == 0, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_pickled_handles_reopen_by_name(name):
    e = fmap.Event.create(name, manual_reset=True)
    e2 = pickle.loads(pickle.dumps(e))
    assert e2.name == name and e2.already_existed
    e2.set()
    assert e.is_set()
    with pytest.raises(TypeError):
        pickle.dumps(fmap.Event.create())
    assert repr(e) == f"<fmap.Event name={name!r}>"
    assert repr(fmap.wait_any([e])) == "WaitResult(index=0, abandoned=False)"

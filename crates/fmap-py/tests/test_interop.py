"""The same names from Python, from a Rust program (the `fmap` command) and from a C program
built against the Win32 C ABI (libfmap_win32.so, fmap-cc)."""

from __future__ import annotations

import signal
import subprocess

import pytest
from conftest import HANG_GUARD, expect_line, python, until

import fmap


def test_python_section_read_and_written_by_rust(tools, name):
    m = fmap.Mapping.create(name, 64 * 1024)
    v = m.map_view()
    v[:17] = b"hello from Python"
    r = tools.fmap("read", name, "--length", "17")
    assert r.stdout == b"hello from Python"
    tools.fmap("write", name, "--offset", "4KiB", "--text", "hello from Rust")
    assert v[4096 : 4096 + 15] == b"hello from Rust"
    listing = tools.fmap("ls", "--json").stdout.decode()
    assert name.replace("\\", "\\\\") in listing


def test_rust_section_opened_by_python_and_gone_with_it(tools, name):
    """`fmap create mapping` holds a section until SIGTERM; Python opens it, writes, and
    after the command exits (and Python closed its handle) the name is gone while Python's
    view keeps the memory."""
    holder = subprocess.Popen(
        [str(tools.cli), "--color", "never", "create", "mapping", name, "--size", "64KiB"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        until("fmap create to create the section", lambda: _exists(name))
        m = fmap.Mapping.open(name)
        assert m.size == 64 * 1024 and m.already_existed
        view = m.map_view()
        tools.fmap("write", name, "--text", "made by Rust")
        assert view[:12] == b"made by Rust"
        view[100:106] = b"Python"
        assert tools.fmap("read", name, "--offset", "100", "--length", "6").stdout == b"Python"
        m.close()
        holder.send_signal(signal.SIGTERM)
        holder.wait(HANG_GUARD)
        assert holder.returncode == 0
        with pytest.raises(FileNotFoundError):
            fmap.Mapping.open(name)
        r = tools.fmap("read", name, check=False)
        assert r.returncode == 1 and b"ERROR_FILE_NOT_FOUND" in r.stderr
        assert view[:12] == b"made by Rust"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def _exists(name: str) -> bool:
    try:
        fmap.Mapping.open(name, fmap.Access.READ).close()
        return True
    except FileNotFoundError:
        return False


def test_events_between_python_and_rust(tools, names):
    # Rust sets, Python waits.
    e = fmap.Event.create(names("to-python"))
    tools.fmap("signal", names("to-python"))
    assert e.wait(HANG_GUARD)
    # Python sets, Rust waits (and takes the auto-reset event).
    e2 = fmap.Event.create(names("to-rust"))
    waiter = subprocess.Popen(
        [str(tools.cli), "--color", "never", "wait", names("to-rust"), "--timeout", "60s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    e2.set()
    out, err = waiter.communicate(timeout=HANG_GUARD)
    assert waiter.returncode == 0, err
    assert not e2.is_set()


def test_rust_reports_a_mutex_abandoned_by_python(tools, name):
    owner = python(
        """
        import sys, fmap
        m = fmap.Mutex.create(sys.argv[1], initial_owner=True)
        print("owned", flush=True)
        sys.stdin.read()
        """,
        name,
        stdin=subprocess.PIPE,
    )
    expect_line(owner, "owned")
    keep = fmap.Mutex.open(name)  # noqa: F841 - keeps the name after the owner dies
    owner.kill()
    owner.wait(HANG_GUARD)
    r = tools.fmap("wait", name, "--timeout", "60s", check=False)
    assert r.returncode == 4, r  # abandoned


C_PROGRAM = r"""
#include <windows.h>
#include <stdio.h>
#include <string.h>

/* argv: the Python section, "ready" and "done" events, a mutex and a section to create. */
int main(int argc, char **argv)
{
    if (argc != 6) return 2;
    HANDLE sec = OpenFileMappingA(FILE_MAP_ALL_ACCESS, FALSE, argv[1]);
    char *p = sec ? (char *)MapViewOfFile(sec, FILE_MAP_ALL_ACCESS, 0, 0, 0) : NULL;
    HANDLE ready = OpenEventA(SYNCHRONIZE | EVENT_MODIFY_STATE, FALSE, argv[2]);
    HANDLE done = OpenEventA(EVENT_MODIFY_STATE, FALSE, argv[3]);
    if (!p || !ready || !done) {
        printf("open failed: %lu\n", GetLastError());
        return 1;
    }
    HANDLE mine = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 65536, argv[5]);
    char *q = mine ? (char *)MapViewOfFile(mine, FILE_MAP_WRITE, 0, 0, 0) : NULL;
    if (!q) {
        printf("CreateFileMapping failed: %lu\n", GetLastError());
        return 1;
    }
    strcpy(q, "made in C");
    /* Owned until the process ends: then abandoned. */
    HANDLE mx = CreateMutexA(NULL, TRUE, argv[4]);
    if (!mx || GetLastError() == ERROR_ALREADY_EXISTS) {
        printf("CreateMutex failed: %lu\n", GetLastError());
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    if (WaitForSingleObject(ready, 60000) != WAIT_OBJECT_0) return 1;
    printf("C read: %s\n", p);
    fflush(stdout);
    strcpy(p + 4096, "hello from C");
    SetEvent(done);
    if (WaitForSingleObject(ready, 60000) != WAIT_OBJECT_0) return 1;
    ExitProcess(0); /* still owning the mutex */
}
"""


def test_c_program_on_the_same_names(tools, names, tmp_path):
    exe = tools.compile_c(C_PROGRAM, tmp_path / "peer")
    section = fmap.Mapping.create(names("section"), 64 * 1024)
    view = section.map_view()
    view[:17] = b"hello from Python"
    ready = fmap.Event.create(names("ready"))
    done = fmap.Event.create(names("done"))
    c = subprocess.Popen(
        [str(exe), names("section"), names("ready"), names("done"), names("mutex"), names("c-section")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        expect_line(c, "ready")
        # The C program's section and mutex, opened by Python.
        theirs = fmap.Mapping.open(names("c-section")).map_view()
        assert theirs[:9] == b"made in C"
        m = fmap.Mutex.open(names("mutex"))
        assert not m.acquire(timeout=0)  # owned by the C program
        ready.set()
        expect_line(c, "C read: hello from Python")
        assert done.wait(HANG_GUARD)
        assert view[4096 : 4096 + 12] == b"hello from C"
        ready.set()
        c.wait(HANG_GUARD)
        assert c.returncode == 0
        with pytest.warns(fmap.AbandonedMutexWarning):
            r = m.acquire(timeout=HANG_GUARD)
        assert r.abandoned
        m.release()
        del theirs
        with pytest.raises(FileNotFoundError):
            fmap.Mapping.open(names("c-section"))  # its only handle died with the C program
    finally:
        if c.poll() is None:
            c.kill()
            c.wait()

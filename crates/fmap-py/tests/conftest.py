"""Shared fixtures of the fmap Python tests.

Every test session gets a namespace of its own: ``$FMAP_ROOT`` is set to a fresh directory in
/dev/shm before fmap is first used (fmap reads it once per process), and child processes
inherit it. So the tests never see, or leave, objects in the real ``/dev/shm`` namespace.

The interoperability tests need the ``fmap`` command (Rust) and ``libfmap_win32.so`` with
``fmap-cc`` (C). They use ``$FMAP_CLI`` and ``$FMAP_WIN32_LIBDIR`` if set, else build both with
cargo from the source tree this file is in; without cargo (or cc) they are skipped — unless
``FMAP_PY_REQUIRE_INTEROP=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

# Child processes that import this module again (multiprocessing's spawn imports the test
# module, which imports this one) keep the session's root.
_ROOT = os.environ.get("FMAP_PYTEST_ROOT") or tempfile.mkdtemp(prefix="fmap-pytest-", dir="/dev/shm")
os.environ["FMAP_PYTEST_ROOT"] = _ROOT
os.environ["FMAP_ROOT"] = _ROOT

import fmap  # noqa: E402  (after FMAP_ROOT is set)

REPO = Path(__file__).resolve().parents[3]
HANG_GUARD = 60.0  # seconds: how long a test waits for a child before it calls it hung

_counter = itertools.count()


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001
    shutil.rmtree(_ROOT, ignore_errors=True)


@pytest.fixture
def name(request) -> str:
    """A name no other test uses: Local\\<test>-<pid>-<n>."""
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:60]
    return f"Local\\{base}-{os.getpid()}-{next(_counter)}"


@pytest.fixture
def names(name):
    """A factory of related names: names("ready") -> Local\\<test>-...-ready."""
    return lambda suffix: f"{name}-{suffix}"


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    """Starts `code` (dedented) in a new Python process with the same interpreter and
    environment (so the same fmap and FMAP_ROOT), stdout and stderr piped as text."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def expect_line(p: subprocess.Popen, want: str) -> None:
    """Reads the child's next stdout line and checks it (the child's stderr on a mismatch)."""
    line = p.stdout.readline().strip()
    if line != want:
        p.kill()
        _, err = p.communicate(timeout=HANG_GUARD)
        raise AssertionError(f"child said {line!r}, expected {want!r}; stderr:\n{err}")


def finish(p: subprocess.Popen) -> str:
    """Waits for a child (hang guard) and returns its stdout; fails with its stderr if it failed."""
    out, err = p.communicate(timeout=HANG_GUARD)
    assert p.returncode == 0, f"child exited with {p.returncode}; stderr:\n{err}"
    return out


def until(what: str, cond) -> None:
    """Waits until cond() is true; a hang guard, not a timing assertion."""
    end = time.monotonic() + HANG_GUARD
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.005)


def asleep(pid: int) -> bool:
    """Is every thread of process `pid` asleep (state S, e.g. blocked in a wait)?"""
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "S":
                    return False
        return True
    except FileNotFoundError:
        return False


def _fail_or_skip(msg: str):
    if os.environ.get("FMAP_PY_REQUIRE_INTEROP") == "1":
        pytest.fail(msg + " (FMAP_PY_REQUIRE_INTEROP=1)")
    pytest.skip(msg)


class Tools:
    """The Rust command and the C compiler driver."""

    def __init__(self, cli: Path, libdir: Path):
        self.cli = cli
        self.libdir = libdir
        self.fmap_cc = REPO / "crates" / "fmap-win32" / "bin" / "fmap-cc"

    def fmap(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        r = subprocess.run(
            [str(self.cli), "--color", "never", *args],
            capture_output=True,
            timeout=HANG_GUARD,
            **kw,
        )
        if check and r.returncode != 0:
            raise AssertionError(f"fmap {' '.join(args)} exited with {r.returncode}: {r.stderr!r}")
        return r

    def compile_c(self, source: str, out: Path) -> Path:
        if shutil.which(os.environ.get("CC", "cc")) is None:
            _fail_or_skip("no C compiler (cc)")
        src = out.with_suffix(".c")
        src.write_text(textwrap.dedent(source))
        env = dict(os.environ, FMAP_WIN32_LIBDIR=str(self.libdir))
        r = subprocess.run(
            ["sh", str(self.fmap_cc), "-O1", "-Wall", "-o", str(out), str(src)],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert r.returncode == 0, f"fmap-cc failed:\n{r.stdout}{r.stderr}"
        return out


@pytest.fixture(scope="session")
def tools() -> Tools:
    cli = os.environ.get("FMAP_CLI")
    libdir = os.environ.get("FMAP_WIN32_LIBDIR")
    if cli and libdir:
        return Tools(Path(cli), Path(libdir))
    if shutil.which("cargo") is None or not (REPO / "Cargo.toml").is_file():
        _fail_or_skip("no cargo and no $FMAP_CLI/$FMAP_WIN32_LIBDIR: cannot build the fmap command")
    r = subprocess.run(
        ["cargo", "build", "--release", "-p", "fmap-cli", "-p", "fmap-win32"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, f"cargo build failed:\n{r.stderr[-4000:]}"
    meta = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    target = Path(json.loads(meta.stdout)["target_directory"]) / "release"
    return Tools(Path(cli) if cli else target / "fmap", Path(libdir) if libdir else target)

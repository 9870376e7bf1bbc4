"""fmap.mmap: Python's mmap.mmap(-1, length, tagname=...) of Windows, so that code written for
it runs unchanged with `import fmap as mmap`."""

from __future__ import annotations

import pytest
from conftest import finish, python

import fmap
import fmap as mmap  # what code written for Windows does


def test_tagname_shares_memory_between_mmaps(name):
    a = mmap.mmap(-1, 4096, tagname=name)
    b = mmap.mmap(-1, 4096, tagname=name)
    a[:5] = b"hello"
    assert b[:5] == b"hello"
    assert len(a) == 4096 and a.size() == 4096 and a.tagname == name
    a.close()
    assert a.closed
    assert b[:5] == b"hello"  # b's handle keeps the section


def test_file_like_api(name):
    with mmap.mmap(-1, 100, tagname=name, access=mmap.ACCESS_WRITE) as m:
        assert m.write(b"line one\nline two\n") == 18
        assert m.tell() == 18
        m.write_byte(ord("x"))
        assert m.seek(0) == 0
        assert m.readline() == b"line one\n"
        assert m.read(4) == b"line"
        assert m.read_byte() == ord(" ")
        assert m.find(b"two") == 14 and m.find(b"two", 15) == -1 and m.rfind(b"line") == -1
        assert m.rfind(b"line", 0) == 9
        assert m.find(b"one", 0, 8) == 5
        m.seek(-1, 2)
        assert m.tell() == 99
        m.seek(-50, 1)
        assert m.tell() == 49
        with pytest.raises(ValueError):
            m.seek(101)
        with pytest.raises(ValueError):
            m.seek(0, 3)
        m.seek(95)
        with pytest.raises(ValueError):
            m.write(b"too long")
        assert m.read() == bytes(5)
        with pytest.raises(ValueError):
            m.read_byte()
        with pytest.raises(ValueError):
            m.write_byte(1)
        m.move(50, 0, 8)
        assert m[50:58] == b"line one"
        with pytest.raises(ValueError):
            m.move(95, 0, 8)
        m.flush()
        m.flush(0, 10)
        with pytest.raises(ValueError):
            m.flush(0, 1000)
        assert m[0] == ord("l") and m[-1] == 0
        m[-1] = 7
        assert m[99] == 7
        assert m[:4] == b"line" and m[::25] == bytes([m[0], m[25], m[50], m[75]])
        with pytest.raises(IndexError):
            m[100]
        with pytest.raises(IndexError):
            m[0:2] = b"abc"
        with pytest.raises(TypeError):
            del m[0]
        with pytest.raises(fmap.Error):
            m.resize(200)
        assert "access=ACCESS_WRITE" in repr(m) and "length=100" in repr(m)
    assert m.closed
    with pytest.raises(ValueError):
        m.read()
    assert "closed=True" in repr(m)


def test_access_read_and_copy(name):
    rw = mmap.mmap(-1, 4096, tagname=name)
    rw[:3] = b"abc"
    ro = mmap.mmap(-1, 4096, tagname=name, access=mmap.ACCESS_READ)
    assert ro[:3] == b"abc"
    for mutate in (lambda: ro.write(b"x"), lambda: ro.__setitem__(0, 1), lambda: ro.write_byte(1),
                   lambda: ro.move(0, 1, 1), lambda: ro.resize(1)):
        with pytest.raises(TypeError):
            mutate()
    assert memoryview(ro).readonly
    cow = mmap.mmap(-1, 4096, tagname=name, access=mmap.ACCESS_COPY)
    cow[:3] = b"xyz"
    assert cow[:3] == b"xyz" and rw[:3] == b"abc"  # private
    with pytest.raises(ValueError):
        mmap.mmap(-1, 4096, tagname=name, access=7)


def test_windows_semantics_of_sizes(name):
    m = mmap.mmap(-1, 8192, tagname=name)
    part = mmap.mmap(-1, 100, tagname=name)  # an existing, larger section: mapped in part
    assert len(part) == 100
    with pytest.raises(PermissionError) as e:  # larger than the existing section
        mmap.mmap(-1, 3 * 65536, tagname=name)
    assert e.value.winerror == fmap.ERROR_ACCESS_DENIED
    with pytest.raises(OverflowError):
        mmap.mmap(-1, -1, tagname=name)
    with pytest.raises(ValueError):
        mmap.mmap(3, 100)  # files: use the mmap module
    big = mmap.mmap(-1, 100, tagname=name + "-off", offset=mmap.ALLOCATIONGRANULARITY)
    assert len(big) == 100
    with pytest.raises(fmap.Error) as e:
        mmap.mmap(-1, 100, tagname=name + "-bad", offset=4096)
    assert e.value.winerror == fmap.ERROR_MAPPED_ALIGNMENT
    ev = fmap.Event.create(name + "-ev")
    with pytest.raises(fmap.Error) as e:  # a name of another type
        mmap.mmap(-1, 100, tagname=ev.name)
    assert e.value.winerror == fmap.ERROR_INVALID_HANDLE
    del m


def test_unnamed_and_buffer_protocol():
    m = mmap.mmap(-1, 4096)
    assert m.tagname is None
    mv = memoryview(m)
    mv[:2] = b"hi"
    assert m[:2] == b"hi"
    with pytest.raises(BufferError):
        m.close()
    mv.release()
    m.close()


def test_assigning_an_mmap_to_itself(name):
    m = mmap.mmap(-1, 64, tagname=name)
    m[:4] = b"abcd"
    m[:] = m
    m[4:8] = m[:4]
    m.seek(0)
    m.write(m)  # its own bytes, read before they are written
    assert m[:8] == b"abcdabcd"


def test_numpy_on_mmap(name):
    np = pytest.importorskip("numpy")
    m = mmap.mmap(-1, 4096, tagname=name)
    a = np.frombuffer(m, dtype=np.uint32)
    a[:4] = [1, 2, 3, 4]
    assert bytes(m[:8]) == b"\x01\x00\x00\x00\x02\x00\x00\x00"


def test_windows_code_in_another_process(name):
    """The usual Windows pattern, across processes: one creates the tagged mapping and
    writes, the other opens the same tag and reads."""
    m = mmap.mmap(-1, 1024, tagname=name)
    m.write(b"from the parent")
    child = python(
        """
        import sys
        import fmap as mmap
        m = mmap.mmap(-1, 1024, tagname=sys.argv[1])
        print(m.read(15).decode())
        m.seek(512)
        m.write(b"from the child")
        """,
        name,
    )
    assert finish(child).strip() == "from the parent"
    m.seek(512)
    assert m.read(14) == b"from the child"

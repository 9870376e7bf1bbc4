"""Sections and views in one process: create/open semantics, names, errors, the buffer
protocol (memoryview, NumPy without copying) and view lifetime."""

from __future__ import annotations

import gc
import pickle
import weakref

import pytest

import fmap


def test_create_then_open_shares_memory(name):
    with fmap.Mapping.create(name, 10_000) as m:
        assert not m.already_existed
        assert m.name == name
        assert m.size == 12_288  # whole pages
        v = m.map_view()
        v[:5] = b"hello"
        again = fmap.Mapping.create(name, 1)  # CreateFileMapping on an existing name opens it
        assert again.already_existed and again.size == 12_288
        other = fmap.Mapping.open(name).map_view()
        assert other.read(0, 5) == b"hello"
        assert other.address != v.address  # two mappings of the same memory


def test_bare_and_local_names_are_the_same(name):
    bare = name.removeprefix("Local\\")
    m = fmap.Mapping.create(bare, 4096)
    assert m.name == name
    assert fmap.Mapping.open(name).name == name


def test_global_names(name):
    g = "Global\\" + name.removeprefix("Local\\")
    m = fmap.Mapping.create(g, 4096)
    assert m.name == g
    with pytest.raises(FileNotFoundError):
        fmap.Mapping.open(name)  # Local\x is another name
    assert fmap.Mapping.open(g).size == 4096


def test_the_name_goes_with_the_last_handle_but_views_keep_the_memory(name):
    m = fmap.Mapping.create(name, 4096)
    v = m.map_view()
    v[0] = 42
    m.close()
    assert m.closed
    with pytest.raises(FileNotFoundError):
        fmap.Mapping.open(name)
    assert v[0] == 42
    with pytest.raises(ValueError):
        m.map_view()


def test_errors_are_oserrors_with_winerror(name):
    with pytest.raises(FileNotFoundError) as e:
        fmap.Mapping.open(name)
    assert isinstance(e.value, fmap.Error) and isinstance(e.value, fmap.NotFoundError)
    assert e.value.winerror == fmap.ERROR_FILE_NOT_FOUND == 2
    assert e.value.winerror_name == "ERROR_FILE_NOT_FOUND"
    assert e.value.errno == 2
    assert name in str(e.value)
    assert "WinError 2" in str(e.value)

    ev = fmap.Event.create(name)  # noqa: F841 - held: the name lives while a handle does
    with pytest.raises(fmap.Error) as e:  # a name used by another type
        fmap.Mapping.create(name, 4096)
    assert e.value.winerror == fmap.ERROR_INVALID_HANDLE
    assert not isinstance(e.value, (FileNotFoundError, PermissionError, FileExistsError))
    with pytest.raises(fmap.Error) as e:
        fmap.Mapping.open(name)
    assert e.value.winerror == fmap.ERROR_INVALID_HANDLE

    with pytest.raises(fmap.Error) as e:
        fmap.Mapping.create(name + "-zero", 0)  # a pagefile section needs a size
    assert e.value.winerror == fmap.ERROR_INVALID_PARAMETER

    with pytest.raises(FileNotFoundError) as e:  # a backslash after the prefix
        fmap.Mapping.create(name + "\\sub", 4096)
    assert e.value.winerror == fmap.ERROR_PATH_NOT_FOUND

    # Exceptions pickle with their Win32 code (multiprocessing sends them back).
    e2 = pickle.loads(pickle.dumps(e.value))
    assert type(e2) is fmap.NotFoundError and e2.winerror == e.value.winerror


def test_exclusive_create(name):
    m = fmap.Mapping.create(name, 4096, exclusive=True)
    with pytest.raises(FileExistsError) as e:
        fmap.Mapping.create(name, 4096, exclusive=True)
    assert isinstance(e.value, fmap.AlreadyExistsError)
    assert e.value.winerror == fmap.ERROR_ALREADY_EXISTS
    m.close()
    fmap.Mapping.create(name, 4096, exclusive=True)  # the name was free again


def test_access_rights(name):
    m = fmap.Mapping.create(name, 4096)
    m.map_view()[0] = 7
    ro = fmap.Mapping.open(name, fmap.Access.READ)
    v = ro.map_view()  # default: the best view the handle allows
    assert v.readonly and v[0] == 7
    with pytest.raises(PermissionError) as e:
        ro.map_view(fmap.FILE_MAP_WRITE)
    assert isinstance(e.value, fmap.AccessDeniedError)
    assert e.value.winerror == fmap.ERROR_ACCESS_DENIED
    with pytest.raises(TypeError):
        v[0] = 1
    with pytest.raises(TypeError):
        v.write(b"x")

    ro_section = fmap.Mapping.create(name + "-ro", 4096, protection=fmap.PAGE_READONLY)
    assert ro_section.protection == fmap.Protection.READONLY
    assert ro_section.map_view().readonly
    with pytest.raises(PermissionError):
        ro_section.map_view(fmap.FILE_MAP_WRITE)


def test_views_at_offsets(name):
    m = fmap.Mapping.create(name, 3 * fmap.ALLOCATIONGRANULARITY)
    whole = m.map_view()
    whole[fmap.ALLOCATIONGRANULARITY] = 99
    part = m.map_view(offset=fmap.ALLOCATIONGRANULARITY, size=100)
    assert len(part) == 100 and part.offset == fmap.ALLOCATIONGRANULARITY and part[0] == 99
    with pytest.raises(fmap.Error) as e:
        m.map_view(offset=4096)
    assert e.value.winerror == fmap.ERROR_MAPPED_ALIGNMENT
    with pytest.raises(PermissionError):  # past the end, as Windows
        m.map_view(size=4 * fmap.ALLOCATIONGRANULARITY)


def test_copy_on_write_view(name):
    m = fmap.Mapping.create(name, 4096)
    shared = m.map_view()
    shared[:3] = b"abc"
    cow = m.map_view(fmap.FILE_MAP_COPY)
    assert not cow.readonly
    cow[:3] = b"xyz"
    assert shared[:3] == b"abc" and cow[:3] == b"xyz"


def test_indexing_and_slicing_like_bytearray(name):
    v = fmap.Mapping.create(name, 4096).map_view()
    ref = bytearray(4096)
    v[10:20] = bytes(range(10))
    ref[10:20] = bytes(range(10))
    v[-1] = 255
    ref[-1] = 255
    v[100:110:3] = b"ABCD"
    ref[100:110:3] = b"ABCD"
    for key in [slice(None), slice(5, 25), slice(-10, None), slice(None, None, -1),
                slice(108, 98, -2), slice(3000, 10)]:
        assert v[key] == bytes(ref[key]), key
    assert v[15] == ref[15] and v[-1] == 255
    with pytest.raises(IndexError):
        v[4096]
    with pytest.raises(IndexError):
        v[0:3] = b"too long"
    with pytest.raises(ValueError):
        v[0] = 256
    with pytest.raises(TypeError):
        v["x"]
    with pytest.raises(TypeError):
        del v[0]
    v.write(bytearray(b"via write"), 200)
    v.write(memoryview(b"--mv--"), 220)
    assert v.read(200, 9) == b"via write" and v.read(220, 6) == b"--mv--"
    assert v.read(4090) == bytes(ref[4090:])
    with pytest.raises(TypeError):
        v.write("text")
    with pytest.raises(fmap.Error):
        v.write(b"x", 4096)


def test_memoryview_is_the_memory_itself(name):
    m = fmap.Mapping.create(name, 4096)
    v = m.map_view()
    other = fmap.Mapping.open(name).map_view()
    mv = memoryview(v)
    assert mv.nbytes == 4096 and not mv.readonly and mv.format == "B"
    mv[:4] = b"\x01\x02\x03\x04"
    assert other.read(0, 4) == b"\x01\x02\x03\x04"
    other[4] = 5
    assert mv[4] == 5
    ro = memoryview(fmap.Mapping.open(name, fmap.Access.READ).map_view())
    assert ro.readonly
    with pytest.raises(TypeError):
        ro[0] = 1


def test_close_refuses_while_exported_and_gc_keeps_exports_valid(name):
    m = fmap.Mapping.create(name, 4096)
    v = m.map_view()
    mv = memoryview(v)
    with pytest.raises(BufferError):
        v.close()
    with pytest.raises(BufferError):
        with v:
            pass
    assert not v.closed
    mv.release()
    v.close()
    assert v.closed
    with pytest.raises(ValueError):
        v[0]
    with pytest.raises(ValueError):
        memoryview(v)
    v.close()  # twice is fine

    # Dropping every reference to the view while a memoryview exists: the memoryview keeps
    # the view (and its mapping) alive.
    mv = memoryview(m.map_view())
    gc.collect()
    mv[0] = 17
    assert fmap.Mapping.open(name).map_view()[0] == 17
    del mv
    gc.collect()


def test_assigning_a_view_to_itself(name):
    """The value is read (through the view's own buffer) before the view is written."""
    v = fmap.Mapping.create(name, 4096).map_view()
    v[:4] = b"abcd"
    v[:] = v
    v[4:8] = v[:4]
    v.write(v[:2], 8)
    assert v[:10] == b"abcdabcdab"


def test_views_are_weak_referenceable(name):
    m = fmap.Mapping.create(name, 4096)
    v = m.map_view()
    r = weakref.ref(v)
    assert r() is v and weakref.ref(m)() is m
    del v
    gc.collect()
    assert r() is None


def test_view_closes_on_gc(name):
    def mapped(address: int) -> bool:
        """Does a mapping of this process start at `address`?"""
        with open("/proc/self/maps") as f:
            return any(int(line.split("-", 1)[0], 16) == address for line in f)

    m = fmap.Mapping.create(name, 4096)
    v = m.map_view()
    address = v.address
    assert mapped(address)
    del v
    gc.collect()
    assert not mapped(address)
    m.close()


def test_numpy_zero_copy(name):
    np = pytest.importorskip("numpy")
    m = fmap.Mapping.create(name, 8 * 1024)
    v = m.map_view()
    a = np.frombuffer(v, dtype=np.int64)
    assert a.shape == (1024,) and a.flags.writeable
    assert a.__array_interface__["data"][0] == v.address  # the view's memory, not a copy
    a[:] = np.arange(1024)
    other = fmap.Mapping.open(name).map_view()
    b = np.frombuffer(other, dtype=np.int64)
    assert b.__array_interface__["data"][0] == other.address
    assert int(b.sum()) == 1023 * 1024 // 2
    b[7] = -1
    assert a[7] == -1
    ro = np.frombuffer(fmap.Mapping.open(name, fmap.Access.READ).map_view(), dtype=np.int64)
    assert not ro.flags.writeable and ro[7] == -1
    with pytest.raises(BufferError):
        v.close()
    del a
    v.close()


def test_repr_and_pickle(name):
    m = fmap.Mapping.create(name, 4096)
    assert repr(m).startswith("<fmap.Mapping name=")
    m2 = pickle.loads(pickle.dumps(m))  # reopens by name
    assert m2.name == name and m2.already_existed
    with pytest.raises(TypeError):
        pickle.dumps(fmap.Mapping.create(None, 4096))
    unnamed = fmap.Mapping.create(None, 4096)
    assert unnamed.name is None
    unnamed.map_view()[0] = 1

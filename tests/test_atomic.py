import pytest

from popcon.atomic import atomic_path, copy_atomic, write_bytes_atomic


def test_a_failed_write_keeps_the_previous_file_and_no_leftover(tmp_path):
    path = write_bytes_atomic(tmp_path / "sub" / "a.bin", b"old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash")
    assert path.read_bytes() == b"old"
    assert [p.name for p in path.parent.iterdir()] == ["a.bin"]


def test_copy_replaces_in_one_step(tmp_path):
    src = write_bytes_atomic(tmp_path / "src", b"new")
    dest = write_bytes_atomic(tmp_path / "dest", b"old")
    assert copy_atomic(src, dest).read_bytes() == b"new"

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.store.files import JobFiles, clean_partials, publish_dir, read_frames, write_frames


def test_frames_round_trip_losslessly(tmp_path):
    frames = [np.random.default_rng(i).integers(0, 255, (20, 30, 4), dtype=np.uint8) for i in range(3)]
    write_frames(tmp_path / "f", frames)
    back = read_frames(tmp_path / "f")
    assert len(back) == 3 and all(np.array_equal(a, b) for a, b in zip(frames, back, strict=True))


def test_a_failed_publish_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "frames"
    write_frames(target, [np.zeros((4, 4, 3), np.uint8)])
    with pytest.raises(RuntimeError), publish_dir(target) as tmp:
        (tmp / "000.png").write_bytes(b"half")
        raise RuntimeError("crash")
    assert len(list(target.glob("*.png"))) == 1
    assert read_frames(target)[0].shape == (4, 4, 3)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_inputs_are_never_overwritten(tmp_path):
    files = JobFiles(tmp_path, "0123456789ab")
    a = files.save_input("fox.png", b"one")
    b = files.save_input("fox.png", b"two")
    assert a != b and a.read_bytes() == b"one" and b.read_bytes() == b"two"
    weird = files.save_input("../../evil/../x.png", b"3")
    assert weird.parent == files.input_dir


def test_clean_partials_removes_only_leftovers(tmp_path):
    (tmp_path / "a.png.part").write_bytes(b"x")
    (tmp_path / ".frames.1234.part").mkdir()
    (tmp_path / "keep.png").write_bytes(b"y")
    clean_partials(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_job_files_refuse_bad_ids(tmp_path):
    with pytest.raises(InvalidInput):
        JobFiles(tmp_path, "../other")


def test_clean_partials_removes_a_killed_exports_staging_and_restores_a_set_moved_aside(tmp_path):
    exports = tmp_path / "exports"
    (exports / "line-emoji").mkdir(parents=True)
    (exports / "line-emoji" / "001.png").write_bytes(b"published")
    (exports / ".line-emoji.staging-1a2b3c4d").mkdir()
    (exports / ".line-emoji.staging-1a2b3c4d" / "001.png").write_bytes(b"half")
    (exports / ".line-emoji.zip.tmp-1a2b3c4d").write_bytes(b"half a zip")
    # killed between moving the old sticker set aside and moving the new one in
    (exports / ".line-sticker.old-99887766").mkdir()
    (exports / ".line-sticker.old-99887766" / "01.png").write_bytes(b"previous")
    clean_partials(tmp_path)
    assert sorted(p.name for p in exports.iterdir()) == ["line-emoji", "line-sticker"]
    assert (exports / "line-emoji" / "001.png").read_bytes() == b"published"
    assert (exports / "line-sticker" / "01.png").read_bytes() == b"previous"


def test_activity_is_kept_in_order_and_never_recreates_a_deleted_job(tmp_path):
    files = JobFiles(tmp_path, "0123456789ab")
    assert not files.append_activity({"kind": "job"})  # no folder yet: nothing written
    files.root.mkdir(parents=True)
    for i in range(5):
        assert files.append_activity({"kind": "action", "n": i})
    with files.activity.open("a") as f:
        f.write('{"torn": ')  # a crash mid-line
    assert [e["n"] for e in files.read_activity()] == [0, 1, 2, 3, 4]
    assert [e["n"] for e in files.read_activity(limit=3)][-2:] == [3, 4]
    files.remove()
    assert not files.root.exists()
    assert not files.append_activity({"kind": "job"})
    assert not files.root.exists()

"""The `popcon` command as a user runs it: a real process, a real data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from popcon.domain.platforms import get_platform
from popcon.media.validate import validate_apng

from ..conftest import BENCH, SAMPLES


def popcon(
    *args: str, data: Path, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POPCON_DATA_DIR": str(data), "COLUMNS": "120"}
    run = subprocess.run(
        [sys.executable, "-m", "popcon", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        input=stdin,
    )
    if check and run.returncode != 0:
        raise AssertionError(f"popcon {' '.join(args)} exited {run.returncode}:\n{run.stdout}\n{run.stderr}")
    return run


def _assert_valid_line_set(out: Path, n: int) -> None:
    preset = get_platform("line-emoji")
    folder = out / "line-emoji"
    files = sorted(p.name for p in folder.glob("[0-9]*.png"))
    assert files == [f"{i:03d}.png" for i in range(1, n + 1)]
    for name in files:
        results = validate_apng((folder / name).read_bytes(), preset)
        assert all(r.passed for r in results), (name, [r for r in results if not r.passed])
    with zipfile.ZipFile(out / "line-emoji.zip") as z:
        names = set(z.namelist())
    assert set(files) <= names and "tab.png" in names
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest


@pytest.mark.slow
@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*_on_white.jpg")))
def test_make_from_each_sample_on_white(tmp_path, sample):
    out = tmp_path / "out"
    run = popcon(
        "make", str(SAMPLES / sample), "--actions", "wave,jump", "--out", str(out), data=tmp_path / "d"
    )
    assert "line-emoji" in run.stdout
    _assert_valid_line_set(out, 2)


def test_make_from_a_prompt_offline(tmp_path):
    out = tmp_path / "out"
    run = popcon(
        "make",
        "--prompt",
        "a chubby orange cat in a hoodie",
        "--actions",
        "wave,cry",
        "--out",
        str(out),
        data=tmp_path / "d",
    )
    assert "offline procedural generator" in run.stdout
    _assert_valid_line_set(out, 2)


def test_make_with_an_imported_clip_then_jobs_commands(tmp_path):
    data = tmp_path / "d"
    clip_src = BENCH / "matte" / "clips" / "1f600__green" / "video.mp4"
    out = tmp_path / "out"
    popcon(
        "make",
        str(SAMPLES / "fox.png"),
        "--clip",
        f"wave={clip_src}",
        "--actions",
        "wave,jump",
        "--out",
        str(out),
        data=data,
    )
    _assert_valid_line_set(out, 2)
    listing = popcon("jobs", "list", data=data).stdout
    assert "completed" in listing
    job_id = next(line.split()[1] for line in listing.splitlines() if "completed" in line)
    show = popcon("jobs", "show", job_id, data=data).stdout
    assert "wave" in show and "jump" in show and "done" in show

    kept = popcon("jobs", "delete", job_id, data=data, check=False, stdin="n\n")
    assert kept.returncode == 1 and job_id in popcon("jobs", "list", data=data).stdout
    assert (data / "jobs" / job_id).is_dir()
    popcon("jobs", "delete", job_id, "--yes", data=data)
    assert job_id not in popcon("jobs", "list", data=data).stdout
    assert not (data / "jobs" / job_id).exists()


def test_actions_lists_the_presets(tmp_path):
    lines = popcon("actions", data=tmp_path / "d").stdout.strip().splitlines()
    assert len(lines) >= 16
    assert any(line.startswith("wave") for line in lines)


def test_matte_writes_one_rgba_png_per_frame(tmp_path):
    from PIL import Image

    clip = BENCH / "matte" / "clips" / "1f47b__gray" / "video.mp4"
    popcon("matte", str(clip), "--out", str(tmp_path / "f"), data=tmp_path / "d")
    frames = sorted((tmp_path / "f").glob("*.png"))
    assert len(frames) == 24
    im = Image.open(frames[0])
    assert im.mode == "RGBA" and im.size == (1280, 720)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["make", "missing.png"], "no such image"),
        (["make", "--sample", "--actions", "wave,moonwalk"], "unknown action 'moonwalk'"),
        (["make", "--sample", "--platform", "myspace"], "myspace"),
        (["make", "--sample", "--clip", "wave"], "NAME=VALUE"),
        (["make"], "exactly one of"),
        (["jobs", "show", "nope"], "not a job id"),
        (["jobs", "show", "0123456789ab"], "no job"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path, args, message):
    run = popcon(*args, data=tmp_path / "d", check=False)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_corrupt_image_is_refused_before_a_job_exists(tmp_path):
    bad = tmp_path / "fox.png"
    bad.write_bytes((SAMPLES / "fox.png").read_bytes()[:2000])
    run = popcon("make", str(bad), data=tmp_path / "d", check=False)
    assert run.returncode == 2 and "damaged" in run.stderr
    assert "completed" not in popcon("jobs", "list", data=tmp_path / "d").stdout


@pytest.mark.parametrize("limit", ["99999999999999999999999", "-5", "0"])
def test_jobs_list_limit_is_bounded(tmp_path: Path, limit: str) -> None:
    run = popcon("jobs", "list", "--limit", limit, data=tmp_path / "data", check=False)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "--limit" in run.stderr


def test_a_degenerate_image_is_refused_before_any_work(tmp_path: Path) -> None:
    from PIL import Image

    strip = tmp_path / "strip.png"
    Image.new("RGB", (8000, 10), (200, 40, 40)).save(strip)
    run = popcon(
        "make",
        str(strip),
        "--actions",
        "wave",
        "--out",
        str(tmp_path / "o"),
        data=tmp_path / "d",
        check=False,
    )
    assert run.returncode == 2 and "8000x10" in run.stderr
    assert not (tmp_path / "d" / "jobs").exists() or not any((tmp_path / "d" / "jobs").iterdir())


def test_matte_warns_when_the_background_is_not_flat(tmp_path):
    import av
    import numpy as np

    rng = np.random.default_rng(2)
    clip = tmp_path / "busy.mp4"
    with av.open(str(clip), "w") as c:
        s = c.add_stream("libx264", rate=12)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for t in range(4):
            frame = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)  # a busy, changing background
            frame[80:160, 100 + 4 * t : 180 + 4 * t] = (230, 120, 40)
            c.mux(s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        c.mux(s.encode())
    run = popcon("matte", str(clip), "--out", str(tmp_path / "f"), data=tmp_path / "d")
    assert "background is not flat; refine with clicks" in run.stderr + run.stdout
    flat = BENCH / "matte" / "clips" / "1f600__green" / "video.mp4"
    run = popcon("matte", str(flat), "--out", str(tmp_path / "g"), data=tmp_path / "d")
    assert "not flat" not in run.stderr + run.stdout


def test_rig_writes_joints_and_make_rejects_a_bad_rig_naming_the_field(tmp_path):
    char = BENCH / "rig" / "char2"
    if not char.exists():
        pytest.skip("shared bench data not present")
    from PIL import Image

    im = Image.open(char / "texture.png").convert("RGBA")
    im.putalpha(Image.open(char / "mask.png").convert("L"))
    image = tmp_path / "girl.png"
    im.save(image)
    joints, rig = tmp_path / "j.json", tmp_path / "rig.json"
    run = popcon("rig", str(image), "--joints-out", str(joints), "--rig-out", str(rig), data=tmp_path / "d")
    assert "arms and legs" in run.stderr
    found = json.loads(joints.read_text())
    assert {"neck", "right_hand", "left_foot"} <= set(found)
    data = json.loads(rig.read_text())
    data["joints"]["left_elbow"] = [1e6, 5]
    rig.write_text(json.dumps(data))
    bad = popcon("make", str(image), "--rig", str(rig), "--actions", "wave", data=tmp_path / "d", check=False)
    assert bad.returncode == 2 and "joints.left_elbow" in bad.stderr
    del data["joints"]["left_elbow"]
    rig.write_text(json.dumps(data))
    bad = popcon("make", str(image), "--rig", str(rig), "--actions", "wave", data=tmp_path / "d", check=False)
    assert bad.returncode == 2 and "joints.left_elbow: missing while has_arms is true" in bad.stderr
    assert not (tmp_path / "d" / "jobs").exists() or not any((tmp_path / "d" / "jobs").iterdir())
    face = popcon("rig", str(SAMPLES / "fox.png"), "--joints-out", str(joints), data=tmp_path / "d")
    assert "whole body" in face.stderr and json.loads(joints.read_text()) == {}


def test_jobs_rig_replaces_a_rig_or_keeps_the_last_good_one(tmp_path):
    from PIL import Image

    from popcon.domain.actions import resolve_actions
    from popcon.domain.rig import SCORED_JOINTS, Rig, parse_rig
    from popcon.settings import Settings
    from popcon.store.db import JobStore
    from popcon.store.files import JobFiles

    data = tmp_path / "d"
    data.mkdir()
    store = JobStore(Settings(data_dir=data).db_url)  # a job the store knows, its character made
    store.create_job(
        job_id="0123456789ab", source="sample", actions=resolve_actions(["wave"]), platforms=["line-emoji"]
    )
    store.close()
    files = JobFiles(data, "0123456789ab")
    files.root.mkdir(parents=True)
    Image.new("RGBA", (100, 200), (200, 0, 0, 255)).save(files.character)
    joints = {n: (10.0 + 4 * i, 20.0 + 8 * i) for i, n in enumerate(SCORED_JOINTS)}
    first = Rig(width=100, height=200, joints=joints)
    files.rig.write_text(first.to_json())
    bad = tmp_path / "bad.json"
    bad.write_text(
        first.model_copy(update={"has_legs": True}).to_json().replace('"right_knee"', '"right_kneee"')
    )
    run = popcon("jobs", "rig", "0123456789ab", "--set", str(bad), data=data, check=False)
    assert run.returncode == 2 and "joints.right_kneee: unknown joint" in run.stderr
    assert parse_rig(files.rig.read_text()) == first
    good = tmp_path / "good.json"
    good.write_text(first.scaled(2.0, 2.0).to_json())  # placed on a 2x copy: scaled to the character
    run = popcon("jobs", "rig", "0123456789ab", "--set", str(good), data=data)
    assert "rig replaced" in run.stdout
    now = parse_rig(files.rig.read_text())
    assert (
        now.source == "user" and now.joints["root"] == (10.0, 20.0) and (now.width, now.height) == (100, 200)
    )


def test_cutout_cuts_a_drawing_on_paper_and_warns_on_a_blank_page(tmp_path):
    """`popcon cutout`: the same cut a job makes of an upload, at the picture's size, with its confidence."""
    from PIL import Image

    from ..helpers.drawings import paper, stick_figure

    rgb, truth = stick_figure(gradient=0.3, gap=5)
    Image.fromarray(rgb).save(tmp_path / "drawing.jpg", quality=85)
    run = popcon(
        "cutout", str(tmp_path / "drawing.jpg"), "--out", str(tmp_path / "cut.png"), data=tmp_path / "d"
    )
    assert "confidence" in run.stdout and "warning" not in (run.stdout + run.stderr).lower()
    cut = Image.open(tmp_path / "cut.png")
    assert cut.mode == "RGBA" and cut.size == (rgb.shape[1], rgb.shape[0])
    kept = np.asarray(cut)[..., 3] > 127
    assert (kept & truth).sum() / (kept | truth).sum() > 0.85
    Image.fromarray(paper(200, 260, gradient=0.3)).save(tmp_path / "blank.png")
    run = popcon("cutout", str(tmp_path / "blank.png"), "--out", str(tmp_path / "b.png"), data=tmp_path / "d")
    assert "warning" in run.stderr.lower() and "keeps almost nothing" in run.stderr

"""Where a job's files live, and how they are written without ever losing a finished result.

Layout under `<data_dir>/jobs/<job_id>/`:
```
input/        the upload and imported clips, exactly as received (never modified)
character.png the character cut-out (RGBA)
rig.json      the character's rig (popcon.domain.rig), made once; rig-layers/<part>.png when drawn in layers
actions/<NN>-<action>/pose.png     start pose
                      clip.mp4     a clip on a key colour (video model) or a copy of the import
                      clip.mov     or: a clip with its own alpha, lossless (offline animator,
                                   an imported PNG sequence)
                      frames/      extracted loop frames (the pristine originals): RGBA PNG when
                                   the clip has alpha, else RGB PNG
                      cutouts/     the cut-outs, RGBA PNG: the frames' own alpha, or the matte's
exports/<platform>/  and  exports/<platform>.zip
export-round.json    the export request in progress (popcon.pipeline.export_round)
```
Folders of frames are published whole: written under a temporary name, then renamed, so a
crash leaves either the previous complete folder or none.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from popcon.atomic import storage_errors, write_bytes_atomic
from popcon.media.images import read_png, write_png
from popcon.store.db import check_job_id

ACTIVITY_KEEP = 400  # activity lines kept per job: enough for a 40-action set, bounded on disk


class JobFiles:
    def __init__(self, data_dir: Path, job_id: str) -> None:
        self.root = data_dir / "jobs" / check_job_id(job_id)

    @property
    def activity(self) -> Path:
        return self.root / "activity.jsonl"

    def append_activity(self, entry: dict[str, Any]) -> bool:
        """Append one progress event to the job's activity log, so a reloaded page still shows it.

        Never recreates a deleted job's folder; returns False when the job has none.
        """
        if not self.root.is_dir():
            return False
        with self.activity.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, default=str) + "\n")
        return True

    def read_activity(self, limit: int = ACTIVITY_KEEP) -> list[dict[str, Any]]:
        """The last `limit` activity entries, oldest first (a torn last line is skipped)."""
        if not self.activity.exists():
            return []
        out = []
        for line in self.activity.read_text("utf-8").splitlines()[-limit:]:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def remove(self) -> None:
        """Delete the job's whole folder (inputs, frames, exports)."""
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def input_dir(self) -> Path:
        return self.root / "input"

    @property
    def character(self) -> Path:
        return self.root / "character.png"

    @property
    def rig(self) -> Path:
        return self.root / "rig.json"

    @property
    def rig_layers_dir(self) -> Path:
        return self.root / "rig-layers"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    def action_dir(self, index: int, action_id: str) -> Path:
        return self.root / "actions" / f"{index:02d}-{action_id}"

    def pose(self, index: int, action_id: str) -> Path:
        return self.action_dir(index, action_id) / "pose.png"

    def clip(self, index: int, action_id: str) -> Path:
        """The action's clip as stored: the lossless one when there is one, else the video."""
        lossless = self.lossless_clip(index, action_id)
        return lossless if lossless.exists() else self.video_clip(index, action_id)

    def video_clip(self, index: int, action_id: str) -> Path:
        """A clip as a video model delivers it (on a key colour), or a copy of an imported file."""
        return self.action_dir(index, action_id) / "clip.mp4"

    def lossless_clip(self, index: int, action_id: str) -> Path:
        """A clip with its own transparency, RGBA kept bit for bit (QuickTime RLE: the fastest
        lossless RGBA codec FFmpeg writes; 2-3x slower FFV1 files would be half the size)."""
        return self.action_dir(index, action_id) / "clip.mov"

    def frames_dir(self, index: int, action_id: str) -> Path:
        return self.action_dir(index, action_id) / "frames"

    def cutouts_dir(self, index: int, action_id: str) -> Path:
        return self.action_dir(index, action_id) / "cutouts"

    def save_input(self, name: str, data: bytes) -> Path:
        """Keep an upload under a fresh name; an existing input is never replaced."""
        with storage_errors():
            self.input_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c for c in Path(name).name if c.isalnum() or c in "._-")[-80:] or "upload"
        path = self.input_dir / safe
        if path.exists():
            path = self.input_dir / f"{uuid.uuid4().hex[:8]}-{safe}"
        return write_bytes_atomic(path, data)

    def save_input_folder(self, name: str, items: Sequence[tuple[str, bytes]]) -> Path:
        """Keep a folder of inputs (a PNG sequence) under a fresh name, published whole."""
        safe = "".join(c for c in name if c.isalnum() or c in "._-")[-80:] or "folder"
        path = self.input_dir / safe
        if path.exists():
            path = self.input_dir / f"{uuid.uuid4().hex[:8]}-{safe}"
        with publish_dir(path) as tmp, storage_errors():
            for item, data in items:
                (tmp / Path(item).name).write_bytes(data)
        return path


@contextmanager
def publish_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `target` in one rename."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    with storage_errors():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.old")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_frames(target: Path, frames: Sequence[np.ndarray]) -> int:
    with publish_dir(target) as tmp:
        for i, f in enumerate(frames):
            write_png(tmp / f"{i:03d}.png", f)
    return len(frames)


def frame_paths(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.png") if not p.name.startswith("."))


def read_frames(folder: Path) -> list[np.ndarray]:
    return [read_png(p) for p in frame_paths(folder)]


def copy_frames(source: Path, target: Path) -> int:
    """Publish a copy of a folder of frames, byte for byte (no decode, no re-encode)."""
    paths = frame_paths(source)
    with publish_dir(target) as tmp, storage_errors():
        for p in paths:
            shutil.copyfile(p, tmp / p.name)
    return len(paths)


def clean_partials(root: Path) -> None:
    """Remove leftovers of a crash (temporary folders and files); finished results are untouched."""
    if not root.exists():
        return
    for p in list(root.rglob("*.part")) + list(root.rglob(".*.part")) + list(root.rglob(".*.old")):
        _remove(p)
    clean_exports(root / "exports")


def clean_exports(exports: Path) -> None:
    """Remove what a killed export left beside the published sets: staging folders, half-written
    ZIPs, and the previous set moved aside mid-swap (put back when its replacement never landed)."""
    if not exports.is_dir():
        return
    for p in exports.glob(".*.old-*"):
        final = exports / p.name[1:].rsplit(".old-", 1)[0]
        if final.exists():
            _remove(p)
        else:
            p.replace(final)
    for p in [*exports.glob(".*.staging-*"), *exports.glob(".*.zip.tmp-*")]:
        _remove(p)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)

"""Refine a job's cut-outs: click masks, keep / erase / restore layers, undo / redo, apply to all.

Why a use case: the shells speak frames of a job (action index, frame index); the segmentation engine
speaks images and clicks. This module owns the mapping and the on-disk edit state, so the routes stay
thin and the engine can change underneath. It raises domain errors (Conflict, NotFound), never web ones.

Edits never destroy anything. Per action, under `<job>/refine/<NN-action>/`:
  auto/NNN.png     the automatic cut-out as the matte stage wrote it (saved before the first edit)
  edits/NNN/       the frame's LayerStack (vision.segment.edits): layers.json + one mask per layer
After each change the frame's cut-out (`cutouts/NNN.png`, what export reads) is recomposed from the
pristine original frame, the automatic cut-out and the active layers.
Modes: keep = keep only the selected region, erase = remove it, restore = bring it back from the
original frame: its own alpha when the clip has one, else the frame with its key colour taken out
(vision.unmix), so a restore never pastes the background. "Apply to all frames" uses
vision.segment.propagate (flow-carried clicks and masks).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from popcon.atomic import copy_atomic
from popcon.domain.errors import Conflict, InvalidInput, NotFound
from popcon.domain.models import ActionClip, Job
from popcon.domain.status import ActionStatus
from popcon.media.images import read_png, write_png
from popcon.settings import Settings
from popcon.store.files import JobFiles
from popcon.usecases.frames import on_neutral
from popcon.vision.segment.base import Click, Segmenter, check_clicks, choices, warm
from popcon.vision.segment.edits import OPS, LayerStack, erase_rim
from popcon.vision.segment.propagate import propagate_edit
from popcon.vision.segment.registry import get_segmenter
from popcon.vision.unmix import frame_background, unmix_key

__all__ = [
    "Click",
    "ClickIn",
    "FrameKey",
    "RefineService",
    "clicks_of",
    "default_choice",
    "done_action",
    "require_editable",
]

ClickIn = tuple[float, float, bool]  # x, y in frame pixels; True: foreground


def clicks_of(raw: Sequence[ClickIn]) -> list[Click]:
    return [Click(x, y, positive) for x, y, positive in raw]


DECODED_KEEP = 16  # decoded frames kept in memory (a 720p RGBA frame is 3.7 MB)
PREPARE_AHEAD = 5  # frames after the one on screen prepared before the user steps to them
PREPARE_BEHIND = 2


@dataclass(frozen=True)
class FrameKey:
    job_id: str
    index: int
    action_id: str
    frame: int

    @property
    def cache_key(self) -> str:
        return f"{self.job_id}/{self.index}/{self.frame}"


def require_editable(job: Job) -> None:
    if not job.status.editable:
        raise Conflict(f"job {job.id} is {job.status}; frames can be refined once they are cut out")


def done_action(job: Job, index: int) -> ActionClip:
    """The action `index` of the job, which must have finished frames."""
    action = next((a for a in job.actions if a.index == index), None)
    if action is None:
        raise NotFound(f"job {job.id} has no action #{index}")
    if action.status != ActionStatus.DONE or not action.frame_count:
        raise Conflict(f"action #{index} ({action.action_id}) is {action.status}; it has no cut-out frames")
    return action


class RefineService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # Frames to prepare ahead of the user, most wanted first; one worker, replaced wholesale when
        # the user moves (work for frames left behind is dropped, not queued behind the new ones).
        self._want: list[tuple[Segmenter, FrameKey, bool]] = []
        self._want_cv = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None
        self._decoded: OrderedDict[Path, tuple[tuple[int, int], np.ndarray]] = OrderedDict()

    # ---- paths (built from ids the store returned, never from request text) -------------------
    def key(self, job: Job, action_index: int, frame: int) -> FrameKey:
        action = done_action(job, action_index)
        if not 0 <= frame < action.frame_count:
            raise NotFound(f"action #{action_index} has frames 0..{action.frame_count - 1}, not {frame}")
        return FrameKey(job.id, action.index, action.action_id, frame)

    def _files(self, k: FrameKey) -> JobFiles:
        return JobFiles(self.settings.data_dir, k.job_id)

    def _dir(self, k: FrameKey) -> Path:
        return self._files(k).root / "refine" / f"{k.index:02d}-{k.action_id}"

    def original_path(self, k: FrameKey) -> Path:
        return self._files(k).frames_dir(k.index, k.action_id) / f"{k.frame:03d}.png"

    def cutout_path(self, k: FrameKey) -> Path:
        return self._files(k).cutouts_dir(k.index, k.action_id) / f"{k.frame:03d}.png"

    def _auto_path(self, k: FrameKey) -> Path:
        return self._dir(k) / "auto" / f"{k.frame:03d}.png"

    def _lock(self, k: FrameKey) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(k.cache_key, threading.Lock())

    def frame_size(self, job: Job, action_index: int) -> tuple[int, int]:
        """Width and height of the action's frames."""
        h, w = self._read(self.original_path(self.key(job, action_index, 0))).shape[:2]
        return int(w), int(h)

    def edited_frames(self, job: Job, action_index: int) -> list[int]:
        action = done_action(job, action_index)
        folder = self._dir(FrameKey(job.id, action.index, action.action_id, 0)) / "edits"
        out = []
        for p in sorted(folder.glob("*/layers.json")) if folder.exists() else []:
            doc = json.loads(p.read_text("utf-8"))
            if any(e.get("stack", "layers") == "layers" for e in doc.get("layers", [])):
                out.append(int(p.parent.name))
        return out

    # ---- segmentation ---------------------------------------------------------------------
    def _segmenter(self) -> Segmenter:
        return get_segmenter(self.settings)

    def _read(self, path: Path) -> np.ndarray:
        """A decoded PNG, cached while the file is unchanged: each click would otherwise decode the
        frame and its cut-out again (tens of ms on a 720p frame)."""
        st = path.stat()
        tag = (st.st_mtime_ns, st.st_size)
        with self._locks_guard:
            hit = self._decoded.get(path)
            if hit is not None and hit[0] == tag:
                self._decoded.move_to_end(path)
                return hit[1]
        arr = read_png(path)
        arr.setflags(write=False)
        with self._locks_guard:
            self._decoded[path] = (tag, arr)
            while len(self._decoded) > DECODED_KEEP:
                self._decoded.popitem(last=False)
        return arr

    def _rgb(self, k: FrameKey) -> np.ndarray:
        """What the segmenter sees: the original frame, over the page's neutral grey when it has alpha."""
        return on_neutral(self._read(self.original_path(k)))

    def _alpha(self, k: FrameKey) -> np.ndarray:
        cut = self._read(self.cutout_path(k))
        return cut[..., 3] if cut.shape[2] == 4 else np.full(cut.shape[:2], 255, np.uint8)

    def prepare_action(self, job: Job, action_index: int, frame: int = 0) -> int:
        """Prepare, in the background, the frame the user is on and the ones they will step to next
        (PREPARE_AHEAD after it, PREPARE_BEHIND before), so a first click finds the work done. Returns
        how many frames were queued; a later call replaces what is still waiting."""
        action = done_action(job, action_index)
        n = action.frame_count
        order = [frame] + [frame + d for d in range(1, PREPARE_AHEAD + 1)]
        order += [frame - d for d in range(1, PREPARE_BEHIND + 1)]
        frames = list(dict.fromkeys(f % n for f in order))
        seg = self._segmenter()
        keys = [FrameKey(job.id, action.index, action.action_id, f) for f in frames]
        # First what a click on the character needs, for every frame of the window; then the rest.
        self._queue([(seg, k, False) for k in keys] + [(seg, k, True) for k in keys], replace=True)
        return len(keys)

    def _queue(self, items: list[tuple[Segmenter, FrameKey, bool]], replace: bool) -> None:
        with self._want_cv:
            if self._closed:
                return
            rest = [] if replace else [w for w in self._want if w not in items]
            self._want = items + rest
            if self._worker is None:
                self._worker = threading.Thread(target=self._prepare_loop, name="popcon-prepare", daemon=True)
                self._worker.start()
            self._want_cv.notify()

    def _prepare_loop(self) -> None:
        while True:
            with self._want_cv:
                while not self._want and not self._closed:
                    self._want_cv.wait()
                if self._closed:
                    return
                seg, k, full = self._want.pop(0)
            try:
                self._prepare_one(seg, k, full)
            except Exception:  # ahead-of-time work: the click itself reports what went wrong
                continue

    def _prepare_one(self, seg: Segmenter, k: FrameKey, full: bool = True) -> None:
        """What a first click on the frame needs: the part structure of the cut-out as it stands; with
        `full` also that of the automatic one (restore chooses from it) and the colour models a click
        off the cut-out uses."""
        prepared = seg.prepare(self._rgb(k), key=k.cache_key)
        warm(seg, prepared, self._prior(k, "erase"))
        if full:
            warm(seg, prepared, self._prior(k, "restore"), models=True)

    def _prior(self, k: FrameKey, mode: str) -> np.ndarray:
        """The current cut-out's alpha, except for restore: what comes back is chosen against the
        automatic cut-out, since the current one no longer holds the erased region."""
        if mode == "restore" and self._auto_path(k).exists():
            auto = self._read(self._auto_path(k))
            return auto[..., 3] if auto.shape[2] == 4 else np.full(auto.shape[:2], 255, np.uint8)
        return self._alpha(k)

    def choices(self, k: FrameKey, clicks: Sequence[Click], mode: str = "erase") -> list[np.ndarray]:
        """Soft masks (float32 0..1) the clicks may mean on this frame, smallest first: the part under
        the click, the bigger parts it belongs to, the whole piece."""
        if not clicks:
            raise InvalidInput("click on the frame at least once")
        seg = self._segmenter()
        prepared = seg.prepare(self._rgb(k), key=k.cache_key)
        check_clicks(clicks, prepared.shape)
        return choices(seg, prepared, list(clicks), self._prior(k, mode))

    def predict(
        self, k: FrameKey, clicks: Sequence[Click], mode: str = "erase", choice: int | None = None
    ) -> np.ndarray:
        """The mask of one choice (`default_choice` when None) of what the clicks select."""
        masks = self.choices(k, clicks, mode)
        return masks[pick_choice(mode, len(masks), choice)]

    # ---- edit state (a LayerStack per frame) -------------------------------------------------
    def _stack_dir(self, k: FrameKey) -> Path:
        return self._dir(k) / "edits" / f"{k.frame:03d}"

    def _stack(self, k: FrameKey) -> LayerStack:
        folder = self._stack_dir(k)
        if (folder / "layers.json").exists():
            return LayerStack.load(folder)
        h, w = self._read(self.original_path(k)).shape[:2]
        return LayerStack((h, w))

    def _ensure_auto(self, k: FrameKey, stack: LayerStack) -> None:
        """Keep the automatic cut-out before the first edit. A frame without edits takes a fresh copy,
        so a cut-out the matte stage rewrote since (a retried action) is the new base."""
        auto = self._auto_path(k)
        if not auto.exists() or not (stack.can_undo or stack.can_redo):
            copy_atomic(self.cutout_path(k), auto)

    def describe(self, k: FrameKey) -> dict[str, Any]:
        stack = self._stack(k)
        return _describe(k, stack)

    def apply(
        self,
        k: FrameKey,
        clicks: Sequence[Click],
        mode: str,
        mask: np.ndarray | None = None,
        choice: int | None = None,
    ) -> dict[str, Any]:
        """Add one layer (the clicks' mask in `mode`, the choice the user settled on) on top of the
        frame's active layers."""
        if mode not in OPS:
            raise InvalidInput(f"mode must be one of {', '.join(OPS)}")
        if mask is None:
            mask = self.predict(k, clicks, mode, choice)
        with self._lock(k):
            stack = self._stack(k)
            self._ensure_auto(k, stack)
            stack.push(mode, self._with_rim(k, mode, mask), clicks)
            self._save_and_compose(k, stack)
        self._queue([(self._segmenter(), k, True)], replace=False)  # the next click reads the new cut-out
        return _describe(k, stack)

    def _with_rim(self, k: FrameKey, mode: str, mask: np.ndarray) -> np.ndarray:
        """An erase also takes the soft matte rim around what it removes (else a ghost outline stays)."""
        return erase_rim(mask, self._alpha(k)) if mode == "erase" else mask

    def step(self, k: FrameKey, delta: int) -> dict[str, Any]:
        """Undo (-1) or redo (+1) one layer."""
        with self._lock(k):
            stack = self._stack(k)
            if not (stack.undo() if delta < 0 else stack.redo()):
                raise Conflict("nothing to undo" if delta < 0 else "nothing to redo")
            self._save_and_compose(k, stack)
        self._queue([(self._segmenter(), k, True)], replace=False)
        return _describe(k, stack)

    def _save_and_compose(self, k: FrameKey, stack: LayerStack) -> None:
        stack.save(self._stack_dir(k))
        auto = self._read(self._auto_path(k))
        original = self._read(self.original_path(k))
        write_png(self.cutout_path(k), stack.compose(original, matte=auto, source=self._source(original)))

    @staticmethod
    def _source(original: np.ndarray) -> np.ndarray:
        """What a restore may paste: a frame with alpha as it is; a frame on a flat hued background
        (a key colour, read from the frame's border) with that background taken out of every pixel,
        colours decontaminated like the matte's edges. Never the raw key."""
        if original.shape[2] == 4:
            return original
        return unmix_key(original, frame_background(original))

    # ---- apply to all frames ---------------------------------------------------------------
    def apply_all(
        self, job: Job, action_index: int, source_frame: int, progress: Callable[[int, int], None]
    ) -> dict[str, Any]:
        """Carry the source frame's edits to every other frame: each layer's mask and clicks are
        propagated frame to frame (optical flow + re-segmentation), then pushed as that frame's layer."""
        t0 = time.perf_counter()
        src = self.key(job, action_index, source_frame)
        layers = list(self._stack(src).layers)
        if not layers:
            raise Conflict("this frame has no edits to apply; click on it and apply an edit first")
        action = done_action(job, action_index)
        keys = [FrameKey(job.id, action.index, action.action_id, f) for f in range(action.frame_count)]
        frames = [self._rgb(k) for k in keys]
        n = len(keys)
        total = len(layers) * n
        seg = self._segmenter()
        # Each frame's own automatic cut-out bounds what a propagated edit may show (see guard_edit).
        autos = [self._auto_alpha(k) for k in keys]
        per_layer = []
        for li, layer in enumerate(layers):
            masks = propagate_edit(
                seg,
                frames,
                source_frame,
                layer.op,
                layer.clicks,
                layer.alpha,
                autos,
                keys=[k.cache_key for k in keys],
                progress=_offset(progress, li * n, total),
            )
            per_layer.append(masks)
        suspect = []
        for k in keys:
            if k.frame == source_frame:
                continue
            with self._lock(k):
                stack = self._stack(k)
                self._ensure_auto(k, stack)
                for layer, masks in zip(layers, per_layer, strict=True):
                    stack.push(layer.op, self._with_rim(k, layer.op, masks[k.frame]), layer.clicks)
                self._save_and_compose(k, stack)
                if _differs(stack.alpha(autos[k.frame]), autos[k.frame]):
                    suspect.append(k.frame)
        return {
            "action": action_index,
            "frames": n - 1,
            "seconds": round(time.perf_counter() - t0, 2),
            "check_frames": suspect,  # frames whose edited cut-out departs far from their own automatic one
        }

    def _auto_alpha(self, k: FrameKey) -> np.ndarray:
        """The frame's automatic alpha (0..1): the kept copy once edited, else the cut-out itself."""
        path = self._auto_path(k)
        stack_exists = (self._stack_dir(k) / "layers.json").exists()
        rgba = self._read(path if path.exists() and stack_exists else self.cutout_path(k))
        return (
            rgba[..., 3].astype(np.float32) / 255.0
            if rgba.ndim == 3 and rgba.shape[2] == 4
            else np.ones(rgba.shape[:2], np.float32)
        )

    def close(self) -> None:
        with self._want_cv:
            self._closed = True
            self._want.clear()
            self._want_cv.notify_all()


def default_choice(mode: str, n: int) -> int:
    """Which of `n` nested choices (smallest first) a click shows first: erase and restore start from
    the part under the click (the least that could go wrong), keep-only from the whole piece."""
    return n - 1 if mode == "keep" else 0


def pick_choice(mode: str, n: int, choice: int | None) -> int:
    if choice is None:
        return default_choice(mode, n)
    if not 0 <= choice < n:
        raise InvalidInput(f"choice {choice} does not exist: these clicks have {n} (0..{n - 1})")
    return choice


def _offset(progress: Callable[[int, int], None], base: int, total: int) -> Callable[[int, int], None]:
    """Report one layer's propagation as part of the whole apply-all run."""

    def report(done: int, _n: int) -> None:
        progress(base + done, total)

    return report


CHECK_IOU = 0.85  # an edited frame this far from its own automatic cut-out is flagged for a look


def _differs(edited: np.ndarray, auto: np.ndarray) -> bool:
    a, b = edited > 0.5, auto > 0.5
    union = int((a | b).sum())
    return union > 0 and int((a & b).sum()) / union < CHECK_IOU


def _describe(k: FrameKey, stack: LayerStack) -> dict[str, Any]:
    return {
        "action": k.index,
        "frame": k.frame,
        "layers": len(stack.layers),
        "can_undo": stack.can_undo,
        "can_redo": stack.can_redo,
    }

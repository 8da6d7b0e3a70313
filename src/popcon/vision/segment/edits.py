"""Edits on one frame as layers over the untouched original: keep, erase, restore, with undo/redo.

Why layers: the original frame and the automatic matte are never overwritten, so every edit can be
undone, replayed over a better automatic matte later, and "restore" always has the pristine pixels (the
matte may have decontaminated or cleared colours there; using them would show a white or black box).
The stack is stored beside the frames as `layers.json` plus one 8-bit mask PNG per layer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from popcon.atomic import write_bytes_atomic
from popcon.domain.errors import InvalidInput
from popcon.vision.segment.base import Click

__all__ = ["OPS", "Layer", "LayerStack"]

Op = Literal["keep", "erase", "restore"]
RIM_RADIUS = 3  # px of soft matte edge an erase takes with it
RIM_SOLID = 0.94  # alpha from which a pixel is solid character, never taken by the rim
OPS: tuple[str, ...] = ("keep", "erase", "restore")
FORMAT = 1


def _to_u8(mask: np.ndarray) -> np.ndarray:
    m = np.asarray(mask)
    if m.dtype == np.uint8:
        return m.copy()
    if m.dtype == bool:
        return m.astype(np.uint8) * 255
    return np.round(np.clip(m.astype(np.float32), 0.0, 1.0) * 255).astype(np.uint8)


@dataclass
class Layer:
    """One edit: the operation, its soft mask (uint8, stored exactly) and the clicks that made it."""

    op: Op
    mask: np.ndarray = field(repr=False)
    clicks: tuple[Click, ...] = ()

    @property
    def alpha(self) -> np.ndarray:
        return self.mask.astype(np.float32) / 255.0


class LayerStack:
    """Edits of one frame, in order, with undo/redo. Composed over the automatic matte on demand."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.layers: list[Layer] = []
        self._redo: list[Layer] = []

    # -- editing -------------------------------------------------------------------------------
    def push(self, op: str, mask: np.ndarray, clicks: Sequence[Click] = ()) -> Layer:
        """Add an edit; a new edit drops the redo history, as in every editor."""
        if op not in OPS:
            raise InvalidInput(f"unknown edit {op!r}; use one of {', '.join(OPS)}")
        m = _to_u8(mask)
        if m.shape != self.shape:
            raise InvalidInput(
                f"edit mask is {m.shape[1]}x{m.shape[0]}, frame is {self.shape[1]}x{self.shape[0]}"
            )
        layer = Layer(op, m, tuple(clicks))  # type: ignore[arg-type]
        self.layers.append(layer)
        self._redo.clear()
        return layer

    def keep(self, mask: np.ndarray, clicks: Sequence[Click] = ()) -> Layer:
        return self.push("keep", mask, clicks)

    def erase(self, mask: np.ndarray, clicks: Sequence[Click] = ()) -> Layer:
        return self.push("erase", mask, clicks)

    def restore(self, mask: np.ndarray, clicks: Sequence[Click] = ()) -> Layer:
        return self.push("restore", mask, clicks)

    def undo(self) -> bool:
        if not self.layers:
            return False
        self._redo.append(self.layers.pop())
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self.layers.append(self._redo.pop())
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self.layers)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- composing -----------------------------------------------------------------------------
    def alpha(self, base_alpha: np.ndarray | None = None, cap: np.ndarray | None = None) -> np.ndarray:
        """float32 alpha after all edits: keep = the region, erase = minus it, restore = plus it.

        `cap` (0..1) is the most alpha a kept or restored pixel may get: the opacity its source pixel
        really has (a key-coloured pixel has none), never less than the automatic matte's."""
        a = np.zeros(self.shape, np.float32) if base_alpha is None else _alpha01(base_alpha, self.shape)
        limit = None if cap is None else np.maximum(_alpha01(cap, self.shape), a)
        for layer in self.layers:
            m = layer.alpha if limit is None else layer.alpha * limit
            if layer.op == "keep":
                a = m.copy()
            elif layer.op == "erase":
                a = a * (1.0 - layer.alpha)
            else:
                a = np.maximum(a, m)
        return a

    def compose(
        self, original: np.ndarray, matte: np.ndarray | None = None, source: np.ndarray | None = None
    ) -> np.ndarray:
        """RGBA uint8 cut-out: edits over the automatic matte, colours from the matte or the source.

        Where the matte shows the character its (decontaminated) colours are used; wherever an edit
        brings pixels back (restore, or keep of a region the matte had cleared) they come from
        `source`: RGBA, straight alpha, what each pixel of the frame is once its background is taken
        out (a keyed frame's colours with the key removed, or a frame's own alpha). The pasted pixel
        is never more opaque than its source says, so no background colour comes back. Without a
        source: the original frame itself, as it is (opaque where it is RGB).
        """
        if original.shape[:2] != self.shape or original.ndim != 3:
            raise InvalidInput("original frame does not match the edit layers")
        if source is None:
            source = original
        if source.shape[:2] != self.shape or source.ndim != 3:
            raise InvalidInput("restore source does not match the edit layers")
        rgb = np.ascontiguousarray(source[..., :3]).copy()
        cap = source[..., 3] if source.shape[2] == 4 else np.full(self.shape, 255, np.uint8)
        base_alpha = None
        shown = np.zeros(self.shape, bool)
        if matte is not None:
            if matte.shape[:2] != self.shape:
                raise InvalidInput("matte does not match the edit layers")
            if matte.ndim == 3 and matte.shape[2] == 4:
                base_alpha = matte[..., 3]
                # Where the matte shows the character (beyond a faint edge), its colours are the
                # decontaminated ones: the original there still carries the background at the rim.
                shown = matte[..., 3] > 12
                rgb[matte[..., 3] > 0] = matte[..., :3][matte[..., 3] > 0]
            else:
                base_alpha = matte
        for layer in self.layers:
            if layer.op == "restore":
                back = (layer.mask > 0) & ~shown
                rgb[back] = source[..., :3][back]
        a = self.alpha(base_alpha, cap)
        return np.dstack([rgb, np.round(a * 255).astype(np.uint8)])

    # -- storage -------------------------------------------------------------------------------
    def save(self, folder: Path) -> Path:
        """Write `layers.json` and one mask PNG per layer (undo and redo history both kept)."""
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("layer_*.png"):
            old.unlink()
        entries = []
        for kind, items in (("layers", self.layers), ("redo", self._redo)):
            for i, layer in enumerate(items):
                name = f"layer_{kind}_{i:03d}.png"
                Image.fromarray(layer.mask, mode="L").save(folder / name)
                entries.append(
                    {
                        "stack": kind,
                        "op": layer.op,
                        "mask": name,
                        "clicks": [[c.x, c.y, c.positive] for c in layer.clicks],
                    }
                )
        doc = {"format": FORMAT, "height": self.shape[0], "width": self.shape[1], "layers": entries}
        return write_bytes_atomic(folder / "layers.json", json.dumps(doc, indent=1).encode())

    @classmethod
    def load(cls, folder: Path) -> LayerStack:
        path = folder / "layers.json"
        if not path.is_file():
            raise InvalidInput(f"no edit layers in {folder}")
        try:
            doc = json.loads(path.read_text())
            stack = cls((doc["height"], doc["width"]))
            for e in doc["layers"]:
                mask = np.asarray(Image.open(folder / e["mask"]).convert("L"))
                if e["op"] not in OPS or mask.shape != stack.shape:
                    raise ValueError(f"bad layer {e['mask']}")
                clicks = tuple(Click(float(x), float(y), bool(p)) for x, y, p in e.get("clicks", []))
                layer = Layer(e["op"], mask.copy(), clicks)
                (stack.layers if e.get("stack", "layers") == "layers" else stack._redo).append(layer)
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise InvalidInput(f"edit layers in {folder} are damaged: {exc}") from exc
        return stack


def erase_rim(mask: np.ndarray, alpha: np.ndarray, radius: int = RIM_RADIUS) -> np.ndarray:
    """The erase mask grown over the soft matte edge around it.

    Why: a click mask follows the object's solid edge, while the matte's anti-aliased rim (and any halo)
    lies a few pixels outside it, so `alpha * (1 - mask)` left a faint outline of what was erased.
    Within `radius` px of the mask, partly transparent pixels are removed too; the opaque ones (the part
    of the character that stays) are not, and a soft mask edge becomes full where the matte is soft.
    """
    m = _alpha01(mask, alpha.shape[:2])
    a = _alpha01(alpha, alpha.shape[:2])
    sel = (m > 0.5).astype(np.uint8)
    if not sel.any():
        return _to_u8(m)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    near = cv2.dilate(sel, k) > 0
    rim = near & (a < RIM_SOLID)
    return _to_u8(np.where(rim, 1.0, m))


def _alpha01(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 3:
        a = a[..., -1]
    if a.shape != shape:
        raise InvalidInput("matte does not match the edit layers")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    return np.clip(a.astype(np.float32), 0.0, 1.0)

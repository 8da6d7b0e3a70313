"""The one interface every interactive segmenter speaks.

Why two steps: the expensive part (colour models, image embeddings) depends only on the frame, the
cheap part on the clicks. The web UI prepares a frame once when it is opened and then predicts on every
click, so `prepare` results are cached per key (frame id) in a small thread-safe LRU.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from popcon.domain.errors import InvalidInput, OutOfRange
from popcon.settings import Settings

__all__ = [
    "Click",
    "LRUCache",
    "Prepared",
    "Segmenter",
    "check_image",
    "choices",
    "click_arrays",
    "merge_prior",
    "normalize_prior",
    "prefetch",
]


@dataclass(frozen=True)
class Click:
    """One user click in image pixel coordinates; `positive` marks foreground."""

    x: float
    y: float
    positive: bool = True


@dataclass
class Prepared:
    """What `prepare` computed for one image; `data` is private to the backend that made it."""

    backend: str
    shape: tuple[int, int]
    data: Any = field(repr=False)
    seconds: float = 0.0


@runtime_checkable
class Segmenter(Protocol):
    """Prepare an image once, then predict a soft mask from all the clicks of one object."""

    name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Segmenter:
        """The segmenter as the settings configure it (weights, device)."""
        ...

    def prepare(self, image: np.ndarray, key: str | None = None) -> Prepared:
        """Expensive per-image work, cached by `key` when given. `image` is RGB uint8 HxWx3."""
        ...

    def predict(
        self, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
    ) -> np.ndarray:
        """float32 HxW mask in [0, 1] at image size; `prior` is the current matte (HxW, 0..1 or 0..255)."""
        ...


def check_image(image: np.ndarray) -> np.ndarray:
    """Accept RGB or RGBA uint8 and return contiguous RGB, or say clearly what is wrong."""
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InvalidInput("segmentation needs an RGB image (HxWx3)")
    if image.dtype != np.uint8:
        raise InvalidInput(f"segmentation needs uint8 pixels, got {image.dtype}")
    if min(image.shape[:2]) < 8:
        raise InvalidInput(f"image of {image.shape[1]}x{image.shape[0]} is too small to segment")
    return np.ascontiguousarray(image[..., :3])


def normalize_prior(prior: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    """A prior as float32 0..1 at image size (uint8 0..255, bool or float accepted)."""
    if prior is None:
        return None
    p = np.asarray(prior)
    if p.ndim == 3:
        p = p[..., -1]
    if p.shape != shape:
        raise InvalidInput(f"prior mask is {p.shape[1]}x{p.shape[0]}, image is {shape[1]}x{shape[0]}")
    if p.dtype == np.uint8:
        return p.astype(np.float32) / 255.0
    return np.clip(p.astype(np.float32), 0.0, 1.0)


def check_clicks(points: Sequence[Click], shape: tuple[int, int]) -> None:
    """User clicks must land on the image: one outside it is a mistake to report, not to clip."""
    h, w = shape
    for i, p in enumerate(points):
        if not (math.isfinite(p.x) and math.isfinite(p.y)):
            raise OutOfRange(f"click {i + 1}: coordinates must be finite numbers")
        if not (0 <= p.x < w and 0 <= p.y < h):
            raise OutOfRange(f"click {i + 1} at ({p.x:g}, {p.y:g}) is outside the {w}x{h} frame")


def click_arrays(points: Sequence[Click], shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Clicks as (N,2) float xy clipped into the image and (N,) bool labels."""
    h, w = shape
    if not points:
        return np.zeros((0, 2), np.float32), np.zeros(0, bool)
    xy = np.array([[p.x, p.y] for p in points], np.float32)
    xy[:, 0] = xy[:, 0].clip(0, w - 1)
    xy[:, 1] = xy[:, 1].clip(0, h - 1)
    return xy, np.array([bool(p.positive) for p in points])


class LRUCache:
    """A tiny thread-safe LRU; `get_or_make` computes outside the lock so two frames prepare in parallel."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = max(1, capacity)
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def get_or_make(self, key: str | None, make: Callable[[], Any]) -> Any:
        if key is None:
            return make()
        hit = self.get(key)
        if hit is not None:
            return hit
        value = make()
        self.put(key, value)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._items


def merge_prior(mask: np.ndarray, prior: np.ndarray, xy: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Keep the parts of the prior the clicks did not touch (a second prop, a detached tail).

    Why: clicks mean "this object"; a backend that only returns the clicked object must not silently
    delete the rest of the current matte.
    """
    import cv2

    pk = (prior > 0.5).astype(np.uint8)
    n, lab = cv2.connectedComponents(pk, connectivity=8)
    if n <= 1:
        return mask
    ix = xy[:, 0].round().astype(int)
    iy = xy[:, 1].round().astype(int)
    touched = set(np.unique(lab[mask > 0.5]).tolist()) | set(lab[iy, ix].tolist())
    keep = np.isin(lab, list(set(range(1, n)) - touched))
    if not keep.any():
        return mask
    keep = cv2.dilate(keep.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return np.where(keep, np.maximum(mask, prior), mask).astype(np.float32)


def choices(
    segmenter: Segmenter, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
) -> list[np.ndarray]:
    """The masks the clicks may mean, smallest first. Backends that answer one click with several
    nested masks (the part, the bigger part, the whole) offer `choices`; the rest give their one mask."""
    multi = getattr(segmenter, "choices", None)
    if callable(multi):
        out: list[np.ndarray] = multi(prepared, points, prior)
        return out
    return [segmenter.predict(prepared, points, prior)]


def warm(segmenter: Segmenter, prepared: Prepared, prior: np.ndarray | None, *, models: bool = False) -> None:
    """Do ahead what the first click on a frame would otherwise wait for: a backend's `structure` of
    the cut-out (clicks on it), with `models` also its colour models (clicks off it)."""
    make = getattr(segmenter, "structure", None)
    if callable(make) and prior is not None:
        make(prepared, prior)
    learn = getattr(segmenter, "learn", None)
    if models and callable(learn):
        learn(prepared)


def prefetch(segmenter: Segmenter, frames: Sequence[np.ndarray], keys: Sequence[str]) -> threading.Thread:
    """Prepare every frame of a clip in a background thread (the UI calls this when a clip is opened).

    Why: SAM's embedding takes seconds on a CPU; doing it ahead means the first click on any frame is
    answered from the cache. Errors are left to the later, user-facing prepare call.
    """

    def work() -> None:
        for frame, key in zip(frames, keys, strict=True):
            try:
                segmenter.prepare(frame, key=key)
            except Exception:
                return

    t = threading.Thread(target=work, name="popcon-segment-prefetch", daemon=True)
    t.start()
    return t

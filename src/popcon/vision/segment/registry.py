"""Pick the interactive segmenter from settings; nothing heavy is imported unless SAM is chosen."""

from __future__ import annotations

import threading

from popcon.domain.errors import InvalidInput
from popcon.settings import Settings
from popcon.vision.segment.base import Segmenter

__all__ = ["BACKENDS", "get_segmenter"]

BACKENDS = ("classical", "sam2")
_lock = threading.Lock()
_instances: dict[tuple[str, str], Segmenter] = {}


def get_segmenter(settings: Settings, backend: str | None = None) -> Segmenter:
    """classical by default, sam2 when asked or when `sam_weights` is set.

    Why shared instances: a segmenter owns its prepare cache (and SAM its model), so every request for
    the same backend and weights reuses one object instead of rebuilding it.
    """
    name = (backend or ("sam2" if settings.sam_weights else "classical")).lower()
    if name not in BACKENDS:
        raise InvalidInput(f"unknown segmentation backend {name!r}; choose one of {', '.join(BACKENDS)}")
    key = (name, str(settings.sam_weights or ""))
    with _lock:
        seg = _instances.get(key)
        if seg is None:
            if name == "classical":
                from popcon.vision.segment.classical import ClassicalSegmenter

                seg = ClassicalSegmenter()
            else:
                from popcon.vision.segment.sam2 import Sam2Segmenter

                seg = Sam2Segmenter(settings.sam_weights)
            _instances[key] = seg
    return seg

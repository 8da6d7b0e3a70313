"""Pick the interactive segmenter from settings; nothing heavy is imported unless SAM is chosen."""

from __future__ import annotations

import threading

from popcon.registry import Registry
from popcon.settings import Settings
from popcon.vision.segment.base import Segmenter

__all__ = ["SEGMENTERS", "get_segmenter"]

SEGMENTERS: Registry[type[Segmenter]] = Registry(
    "segmentation backend", ("popcon.vision.segment.classical", "popcon.vision.segment.sam2")
)
_lock = threading.Lock()
_instances: dict[tuple[str, str], Segmenter] = {}


def get_segmenter(settings: Settings, backend: str | None = None) -> Segmenter:
    """classical by default, sam2 when asked or when `sam_weights` is set.

    Why shared instances: a segmenter owns its prepare cache (and SAM its model), so every request for
    the same backend and weights reuses one object instead of rebuilding it.
    """
    name = (backend or ("sam2" if settings.sam_weights else "classical")).lower()
    cls = SEGMENTERS.get(name)
    key = (name, str(settings.sam_weights or ""))
    with _lock:
        seg = _instances.get(key)
        if seg is None:
            seg = _instances[key] = cls.from_settings(settings)
    return seg

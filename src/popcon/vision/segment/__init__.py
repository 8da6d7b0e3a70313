"""Interactive segmentation: prepare a frame once, predict a soft mask from clicks, edit in layers."""

from popcon.vision.segment.base import Click, Prepared, Segmenter
from popcon.vision.segment.registry import get_segmenter

__all__ = ["Click", "Prepared", "Segmenter", "get_segmenter"]

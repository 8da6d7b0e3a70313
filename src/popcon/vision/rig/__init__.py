"""Weight-free auto-rig of a character cut-out (see autorig)."""

from popcon.vision.rig.autorig import auto_rig

__all__ = ["auto_rig"]

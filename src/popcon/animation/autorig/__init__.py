"""Weight-free auto-rig of a character cut-out (see autorig)."""

from popcon.animation.autorig.autorig import auto_rig

__all__ = ["auto_rig"]

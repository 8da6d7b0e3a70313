"""What everything outside the animation package calls: this module only (tests/test_layers.py checks).

The pipeline and the use cases rig characters and draw the sample; the offline provider, a thin
adapter, draws mascots, frames start poses and renders clips. The package's other modules can change
without either noticing.
"""

from popcon.animation.animator import render_clip
from popcon.animation.autorig import auto_rig
from popcon.animation.effects import effect_colors
from popcon.animation.framing import follow_pose, frame_full_body
from popcon.animation.mascot import MascotRig, draw_mascot_rig, sample_character
from popcon.animation.mascot_prompt import SAMPLE_PROMPT

__all__ = [
    "SAMPLE_PROMPT",
    "MascotRig",
    "auto_rig",
    "draw_mascot_rig",
    "effect_colors",
    "follow_pose",
    "frame_full_body",
    "render_clip",
    "sample_character",
]

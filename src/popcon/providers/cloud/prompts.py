"""Prompts for the cloud models, written so their output can be keyed and animated.

The rules come from what the models get wrong without them: several characters or a sprite sheet,
cropped feet, fake transparency drawn as a checkerboard, backgrounds that drift during a clip.
Every prompt names the flat key colour so the matte can remove it.
"""

from __future__ import annotations

from popcon.domain.actions import ActionPreset

MAX_VIDEO_PROMPT = 800
MAX_NEGATIVE_PROMPT = 500

_COLOR_NAMES: dict[tuple[int, int, int], str] = {
    (0, 255, 0): "pure green",
    (0, 177, 64): "chroma-key green",
    (0, 0, 255): "pure blue",
    (255, 0, 255): "magenta",
    (0, 255, 255): "cyan",
    (255, 255, 0): "yellow",
    (255, 0, 0): "pure red",
    (255, 255, 255): "white",
}

NEGATIVE_PROMPT = (
    "multiple characters, two characters, duplicate, crowd, sprite sheet, character sheet, grid, "
    "collage, cropped, cut off feet, out of frame, close-up, checkerboard, transparency pattern, "
    "gradient background, scenery, shadow on background, background change, camera movement, zoom, "
    "text, letters, caption, watermark, logo, signature, extra limbs, extra fingers, deformed, blurry"
)
assert len(NEGATIVE_PROMPT) <= MAX_NEGATIVE_PROMPT


def color_name(rgb: tuple[int, int, int]) -> str:
    """'pure green (#00FF00)': a name models understand plus the exact value."""
    hex_ = "#{:02X}{:02X}{:02X}".format(*rgb)
    name = _COLOR_NAMES.get(tuple(rgb))  # type: ignore[arg-type]
    return f"{name} ({hex_})" if name else hex_


def _background(key: tuple[int, int, int]) -> str:
    c = color_name(key)
    return (
        f"Plain flat solid {c} background filling the whole image, one uniform colour, "
        f"no checkerboard, no transparency pattern, no gradient, no shadow, no scenery."
    )


_FRAMING = (
    "Exactly ONE character, alone. Full body from head to toe with both feet visible, "
    "centred, with a small margin on every side. Square 1:1 image. Not a sprite sheet, "
    "not a character sheet, no multiple views, no text, no watermark."
)


def character_prompt(description: str, key: tuple[int, int, int], with_reference: bool = False) -> str:
    ref = (
        "Keep the design, colours and proportions of the character in the reference image. "
        if with_reference
        else ""
    )
    return (
        f"A cute sticker-style character: {description.strip()}. {ref}{_FRAMING} {_background(key)} "
        "Clean outlines and flat colours that do not use the background colour."
    )


def start_pose_prompt(action: ActionPreset, key: tuple[int, int, int]) -> str:
    return (
        "Redraw the SAME character from the image (same design, colours and proportions) "
        f"in this pose: {action.start_pose_prompt.strip()}. {_FRAMING} {_background(key)}"
    )


def motion_prompt(action: ActionPreset, key: tuple[int, int, int]) -> str:
    """The image-to-video prompt: body mechanics, static camera, unchanging flat background."""
    head = "The single character from the image, full body, "
    tail = (
        f" Static camera, no zoom, no cut. The background stays plain flat {color_name(key)} for the "
        "whole clip. The character stays centred and fully in frame, feet visible. "
        "The motion ends in the starting pose so the clip loops."
    )
    room = MAX_VIDEO_PROMPT - len(head) - len(tail)
    return head + action.motion_prompt.strip()[: max(0, room)] + tail

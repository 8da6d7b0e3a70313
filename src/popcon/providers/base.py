"""The small interfaces every generation provider implements (offline and cloud alike)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PIL import Image

from popcon.domain.actions import ActionPreset

CancelCheck = Callable[[], None]
"""Called between units of work; raises `popcon.domain.errors.Canceled` when the job was canceled."""


def never_canceled() -> None:
    return None


class ImageProvider(Protocol):
    """Makes the character from a prompt and the start pose of each action."""

    name: str
    offline: bool

    def character(
        self, prompt: str, reference: Image.Image | None, key_color: tuple[int, int, int]
    ) -> Image.Image:
        """The character, full body; RGBA, or RGB on the flat `key_color` (cloud models have no alpha)."""
        ...

    def start_pose(
        self, character: Image.Image, action: ActionPreset, key_color: tuple[int, int, int]
    ) -> Image.Image:
        """The first frame of the action: the same character, full body, centred."""
        ...


class VideoProvider(Protocol):
    """Turns a start pose into a short clip of the action on a flat, key-able background."""

    name: str
    offline: bool

    def animate(
        self,
        pose: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        out_path: Path,
        check_cancel: CancelCheck = never_canceled,
    ) -> Path: ...

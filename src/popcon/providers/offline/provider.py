"""The embedded defaults: no key, no network, deterministic."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.providers.base import CancelCheck, UsageSink, ignore_usage, never_canceled
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.settings import Settings


@IMAGE_PROVIDERS.register("offline")
class OfflineImageProvider:
    """Draws a procedural mascot from the prompt's words; the start pose is the character itself."""

    name = "offline"
    offline = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        from popcon.providers.offline.mascot import draw_mascot

        return draw_mascot(prompt)

    def start_pose(
        self,
        character: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        from popcon.providers.offline.pose import frame_full_body

        return frame_full_body(character, size=max(character.size))


@VIDEO_PROVIDERS.register("offline")
class OfflineVideoProvider:
    """Renders the action's procedural motion recipe as an H.264 clip on the key colour."""

    name = "offline"
    offline = True

    def overlay_colors(self, effects: Sequence[str]) -> tuple[tuple[int, int, int], ...]:
        """Colours this provider draws over the character for these effects: the key avoids them too."""
        from popcon.providers.offline.effects import effect_colors

        return tuple(effect_colors(list(effects)))

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def animate(
        self,
        pose: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        out_path: Path,
        check_cancel: CancelCheck = never_canceled,
        on_usage: UsageSink = ignore_usage,
    ) -> Path:
        from popcon.providers.offline.animator import render_clip

        check_cancel()
        return render_clip(
            pose,
            action.recipe,
            out_path,
            background=key_color,
            size=self.settings.clip_size,
            fps=self.settings.clip_fps,
        )

"""The embedded defaults: no key, no network, deterministic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.rig import Rig
from popcon.providers.base import CancelCheck, UsageSink, VideoCapabilities, ignore_usage, never_canceled
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.settings import Settings

if TYPE_CHECKING:
    from popcon.providers.offline.mascot import MascotRig


@IMAGE_PROVIDERS.register("offline")
class OfflineImageProvider:
    """Draws a procedural mascot from the prompt's words; the start pose is the character itself."""

    name = "offline"
    offline = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._last: tuple[str, MascotRig] | None = None  # the latest drawing, for character_rig

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        from popcon.providers.offline.mascot import draw_mascot_rig

        drawn = draw_mascot_rig(prompt)
        self._last = (prompt, drawn)
        return drawn.image

    def character_rig(self, prompt: str, image: Image.Image) -> tuple[Rig, dict[str, Image.Image]] | None:
        """The rig and part layers of the mascot this provider drew for `prompt`, in `image`'s pixels.

        None when `image` is not that mascot (an edited or uploaded character): it gets auto-rigged."""
        import numpy as np

        from popcon.providers.offline.mascot import draw_mascot_rig

        last = self._last
        drawn = last[1] if last is not None and last[0] == prompt else draw_mascot_rig(prompt)
        mine = np.asarray(drawn.image.convert("RGBA"))
        if image.size != drawn.image.size or not np.array_equal(np.asarray(image.convert("RGBA")), mine):
            return None
        return drawn.rig, dict(drawn.layers)

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
    """Renders the action's procedural motion recipe as a lossless RGBA clip: it draws every frame with
    exact transparency, so the clip never meets a key colour or the matte."""

    name = "offline"
    offline = True
    capabilities = VideoCapabilities(alpha=True)

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
        rig: Rig | None = None,
        layers: Mapping[str, Image.Image] | None = None,
    ) -> Path:
        from popcon.providers.offline.animator import render_clip

        check_cancel()
        return render_clip(
            pose,
            action.recipe,
            out_path,
            background=None,
            size=self.settings.clip_size,
            fps=self.settings.clip_fps,
            rig=rig,
            layers=layers,
        )

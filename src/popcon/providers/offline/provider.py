"""The embedded defaults: no key, no network, deterministic."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.rig import Rig
from popcon.providers.base import (
    RGB,
    CharacterRig,
    ClipRequest,
    Free,
    ImageCapabilities,
    ProviderListing,
    UsageSink,
    VideoCapabilities,
    ignore_usage,
)
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.settings import Settings

if TYPE_CHECKING:
    from popcon.animation.api import MascotRig

LISTING = ProviderListing({"procedural": "no key, no network, deterministic"}, "", None, "procedural")


@IMAGE_PROVIDERS.register("offline")
class OfflineImageProvider(Free):
    """Draws a procedural mascot from the prompt's words; the start pose is the character itself."""

    name = "offline"
    offline = True
    capabilities = ImageCapabilities(rigs=True)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._last: tuple[str, MascotRig] | None = None  # the latest drawing, for character_rig

    @classmethod
    def listing(cls, settings: Settings) -> ProviderListing:
        return LISTING

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: RGB,
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        from popcon.animation.api import draw_mascot_rig

        drawn = draw_mascot_rig(prompt)
        self._last = (prompt, drawn)
        return drawn.image

    def character_rig(self, prompt: str, image: Image.Image) -> CharacterRig | None:
        """The rig and part layers of the mascot this provider drew for `prompt`, in `image`'s pixels.

        None when `image` is not that mascot (an edited or uploaded character): it gets auto-rigged."""
        import numpy as np

        from popcon.animation.api import draw_mascot_rig

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
        key_color: RGB,
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        from popcon.animation.api import frame_full_body

        return frame_full_body(character, size=max(character.size))


@VIDEO_PROVIDERS.register("offline")
class OfflineVideoProvider(Free):
    """Renders the action's procedural motion recipe as a lossless RGBA clip: it draws every frame with
    exact transparency, so the clip never meets a key colour or the matte."""

    name = "offline"
    offline = True
    capabilities = VideoCapabilities(alpha=True, rigs=True, overlays=True)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def listing(cls, settings: Settings) -> ProviderListing:
        return LISTING

    def overlay_colors(self, effects: Sequence[str]) -> tuple[RGB, ...]:
        """Colours this provider draws over the character for these effects: a key avoids them too."""
        from popcon.animation.api import effect_colors

        return tuple(effect_colors(list(effects)))

    def animate(self, request: ClipRequest) -> Path:
        from popcon.animation.api import render_clip

        request.check_cancel()
        followed = _pose_rig(request)
        rig, layers = followed if followed is not None else (None, None)
        return render_clip(
            request.pose,
            request.action.recipe,
            request.out_path,
            background=None,
            size=self.settings.clip_size,
            fps=self.settings.clip_fps,
            rig=rig,
            layers=layers,
        )


def _pose_rig(request: ClipRequest) -> tuple[Rig, Mapping[str, Image.Image] | None] | None:
    """The character's rig and part layers in the start pose's pixels, when the rig moves parts and the
    pose is the character reframed; None otherwise (the clip then moves the character as one piece)."""
    from popcon.animation.api import follow_pose

    rig, character = request.rig, request.character
    if rig is None or character is None or not rig.animates_parts:
        return None
    pose = request.pose.convert("RGBA")
    layers = dict(request.layers) if request.layers else None
    digest = hashlib.blake2b(digest_size=16)
    for im in [character, pose, *(layers or {}).values()]:
        digest.update(im.tobytes())
    key = (rig.to_json(), tuple(sorted(layers or {})), digest.digest())
    with _FOLLOWED_LOCK:
        if key in _FOLLOWED:
            return _FOLLOWED[key]
    followed = follow_pose(character.convert("RGBA"), pose, rig, layers)
    with _FOLLOWED_LOCK:
        _FOLLOWED[key] = followed
        while len(_FOLLOWED) > 4:
            _FOLLOWED.pop(next(iter(_FOLLOWED)))
    return followed


# Fitting the layers to a pose costs ~0.3 s per action, and every offline action of a job starts from
# the same reframed pose: done once per (rig, layers, pose). The images are shared, read-only.
_FOLLOWED: dict[tuple[Any, ...], tuple[Rig, dict[str, Image.Image] | None] | None] = {}
_FOLLOWED_LOCK = threading.Lock()

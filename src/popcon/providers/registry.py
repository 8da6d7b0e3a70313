"""Provider choice by settings, never by probing the network. Each provider class registers itself
(`@IMAGE_PROVIDERS.register(name)`); its constructor takes the settings, and its class declares what
it can do (`capabilities`), how it is listed, what it bills and which prices it needs. Adding a
provider: one module, plus its line in `_MODULES`."""

from __future__ import annotations

from popcon.providers.base import ImageProvider, PlannedWork, ProviderClass, Usage, VideoProvider
from popcon.registry import Registry
from popcon.settings import Settings

_MODULES = (
    "popcon.providers.offline.provider",
    "popcon.providers.cloud.dashscope",
    "popcon.providers.cloud.gemini",
)
IMAGE_PROVIDERS: Registry[ProviderClass[ImageProvider]] = Registry("image provider", _MODULES)
VIDEO_PROVIDERS: Registry[ProviderClass[VideoProvider]] = Registry("video provider", _MODULES)


def image_provider(settings: Settings, name: str | None = None) -> ImageProvider:
    """The image provider `name` (default: the settings' choice); a cloud one needs its key."""
    return IMAGE_PROVIDERS.get(name or settings.image_provider)(settings)


def video_provider(settings: Settings, name: str | None = None) -> VideoProvider:
    """The video provider `name` (default: the settings' choice); a cloud one needs its key."""
    return VIDEO_PROVIDERS.get(name or settings.video_provider)(settings)


SAMPLE_PROVIDER = "offline"  # the image provider that draws the built-in sample character


def sample_prompt() -> str:
    """The prompt the built-in sample character is drawn from, by the `SAMPLE_PROVIDER`."""
    from popcon.animation.api import SAMPLE_PROMPT

    return SAMPLE_PROMPT


def provider_names() -> list[str]:
    """Every registered provider, image or video, in registration order."""
    return list(dict.fromkeys([*IMAGE_PROVIDERS.names(), *VIDEO_PROVIDERS.names()]))


def estimate_job_cost(
    settings: Settings,
    n_actions: int,
    *,
    character_from_prompt: bool = False,
    image_provider: str | None = None,
    video_provider: str | None = None,
    imported_clips: int = 0,
) -> list[Usage]:
    """What a run will likely bill, one `Usage` (estimated=True) per provider and model, from each
    chosen provider's own `estimate`. Free providers add nothing; a cost of None means no known price."""
    images = IMAGE_PROVIDERS.get(image_provider or settings.image_provider)
    video = VIDEO_PROVIDERS.get(video_provider or settings.video_provider)
    work = PlannedWork(
        characters=1 if character_from_prompt else 0,
        start_poses=n_actions,
        clips=max(0, n_actions - imported_clips),
    )
    return [
        *images.estimate(settings, PlannedWork(work.characters, work.start_poses, 0)),
        *video.estimate(settings, PlannedWork(0, 0, work.clips)),
    ]

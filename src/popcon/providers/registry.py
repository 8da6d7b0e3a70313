"""Provider choice by settings, never by probing the network. Each provider class registers itself
(`@IMAGE_PROVIDERS.register(name)`); its constructor takes the settings."""

from __future__ import annotations

from collections.abc import Callable

from popcon.providers.base import ImageProvider, VideoProvider
from popcon.registry import Registry
from popcon.settings import Settings

_MODULES = (
    "popcon.providers.offline.provider",
    "popcon.providers.cloud.dashscope",
    "popcon.providers.cloud.gemini",
)
IMAGE_PROVIDERS: Registry[Callable[[Settings], ImageProvider]] = Registry("image provider", _MODULES)
VIDEO_PROVIDERS: Registry[Callable[[Settings], VideoProvider]] = Registry("video provider", _MODULES)


def image_provider(settings: Settings, name: str | None = None) -> ImageProvider:
    """The image provider `name` (default: the settings' choice); a cloud one needs its key."""
    return IMAGE_PROVIDERS.get(name or settings.image_provider)(settings)


def video_provider(settings: Settings, name: str | None = None) -> VideoProvider:
    """The video provider `name` (default: the settings' choice); a cloud one needs its key."""
    return VIDEO_PROVIDERS.get(name or settings.video_provider)(settings)

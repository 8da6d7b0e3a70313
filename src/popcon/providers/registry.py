"""Provider choice by settings, never by probing the network."""

from __future__ import annotations

from popcon.domain.errors import InvalidInput
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.settings import Settings

IMAGE_PROVIDERS = ("offline", "dashscope", "gemini")
VIDEO_PROVIDERS = ("offline", "dashscope")


def image_provider(settings: Settings, name: str | None = None) -> ImageProvider:
    """The image provider `name` (default: the settings' choice); a cloud one needs its key."""
    name = name or settings.image_provider
    if name == "offline":
        from popcon.providers.offline.provider import OfflineImageProvider

        return OfflineImageProvider(settings)
    if name == "dashscope":
        from popcon.providers.cloud.dashscope import DashScopeImageProvider

        return DashScopeImageProvider(settings)
    if name == "gemini":
        from popcon.providers.cloud.gemini import GeminiImageProvider

        return GeminiImageProvider(settings)
    raise InvalidInput(f"unknown image provider {name!r} (available: {', '.join(IMAGE_PROVIDERS)})")


def video_provider(settings: Settings, name: str | None = None) -> VideoProvider:
    """The video provider `name` (default: the settings' choice); a cloud one needs its key."""
    name = name or settings.video_provider
    if name == "offline":
        from popcon.providers.offline.provider import OfflineVideoProvider

        return OfflineVideoProvider(settings)
    if name == "dashscope":
        from popcon.providers.cloud.dashscope import DashScopeVideoProvider

        return DashScopeVideoProvider(settings)
    raise InvalidInput(f"unknown video provider {name!r} (available: {', '.join(VIDEO_PROVIDERS)})")

"""Provider choice by settings, never by probing the network."""

from __future__ import annotations

from popcon.domain.errors import InvalidInput
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.settings import Settings


def image_provider(settings: Settings, name: str | None = None) -> ImageProvider:
    name = name or settings.image_provider
    if name == "offline":
        from popcon.providers.offline.provider import OfflineImageProvider

        return OfflineImageProvider(settings)
    raise InvalidInput(f"unknown image provider {name!r} (available: offline)")


def video_provider(settings: Settings, name: str | None = None) -> VideoProvider:
    name = name or settings.video_provider
    if name == "offline":
        from popcon.providers.offline.provider import OfflineVideoProvider

        return OfflineVideoProvider(settings)
    raise InvalidInput(f"unknown video provider {name!r} (available: offline)")

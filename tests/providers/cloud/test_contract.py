"""The provider contract, checked on every implementation (offline and cloud against the local server)."""

from __future__ import annotations

import pytest
from PIL import Image

from popcon.domain.actions import load_presets
from popcon.domain.errors import Canceled
from popcon.media.video import decode_frames
from popcon.providers.base import ClipRequest, ImageProvider, Usage, VideoProvider
from popcon.providers.registry import image_provider, video_provider

WAVE = load_presets()["wave"]


@pytest.fixture(params=["offline", "dashscope"])
def video(request, cloud_settings) -> VideoProvider:
    return video_provider(cloud_settings, request.param)


@pytest.fixture(params=["offline", "dashscope", "gemini"])
def images(request, cloud_settings) -> ImageProvider:
    return image_provider(cloud_settings, request.param)


def test_video_provider_writes_a_decodable_clip(video, fox, fox_key, tmp_path):
    assert isinstance(video.name, str) and isinstance(video.offline, bool)
    usage: list[Usage] = []
    out = tmp_path / "clips" / "001-wave.mp4"
    key = None if video.capabilities.alpha else fox_key
    assert video.animate(ClipRequest(fox, WAVE, key, out, lambda: None, usage.append)) == out
    frames, fps = decode_frames(out, keep_alpha=True)
    assert len(frames) >= 8 and fps > 0 and frames[0].shape[2] == (4 if video.capabilities.alpha else 3)
    assert not list(out.parent.glob("*.part"))
    if not video.offline:
        assert usage and all(u.quantity > 0 and not u.estimated for u in usage)


def test_video_provider_honours_cancel(video, fox, fox_key, tmp_path):
    def canceled() -> None:
        raise Canceled("job canceled")

    out = tmp_path / "wave.mp4"
    with pytest.raises(Canceled):
        video.animate(ClipRequest(fox, WAVE, fox_key, out, canceled))
    assert not out.exists()


def test_image_provider_makes_a_character_and_poses(images, fox, fox_key):
    usage: list[Usage] = []
    character = images.character("a red fox with a white tail", None, fox_key, usage.append)
    assert isinstance(character, Image.Image) and min(character.size) >= 256
    assert character.mode in ("RGB", "RGBA")
    pose = images.start_pose(fox, WAVE, fox_key, usage.append)
    assert isinstance(pose, Image.Image) and pose.width == pose.height and pose.width >= 256
    if character.mode == "RGB":  # no alpha: the background must be the flat key colour
        assert character.getpixel((0, 0)) == fox_key
    if not images.offline:
        assert len(usage) == 2 and all(u.unit == "image" for u in usage)


def test_image_provider_accepts_a_reference(images, fox, fox_key):
    character = images.character("this fox, smiling", fox, fox_key, lambda u: None)
    assert isinstance(character, Image.Image) and min(character.size) >= 256

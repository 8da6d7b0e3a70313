"""The job's rig: made once at the character stage, from the user's file, the provider, or the auto-rig."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from popcon.domain.errors import InvalidInput
from popcon.domain.models import JobOptions
from popcon.domain.rig import SCORED_JOINTS, Rig
from popcon.pipeline.rig import ensure_rig, read_rig, save_rig
from popcon.providers.base import ImageCapabilities
from popcon.store.files import JobFiles


def _files(tmp_path: Path, size: tuple[int, int] = (200, 100)) -> JobFiles:
    files = JobFiles(tmp_path, "0123456789ab")
    files.root.mkdir(parents=True)
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((20, 10, 180, 90), fill=(255, 0, 0, 255))
    im.save(files.character)
    return files


def _user_rig(w: int, h: int) -> Rig:
    joints = {n: (w * (0.2 + 0.03 * i), h * (0.1 + 0.05 * i)) for i, n in enumerate(SCORED_JOINTS)}
    return Rig(width=w, height=h, joints=joints, source="user")


class _Plain:
    """An image provider that draws no parts."""

    name = "plain"
    capabilities = ImageCapabilities()


class _Layered:
    name = "layered"
    capabilities = ImageCapabilities(rigs=True)

    def __init__(self) -> None:
        self.calls = 0

    def character_rig(self, prompt: str, image: Image.Image) -> tuple[Rig, dict[str, Image.Image]]:
        self.calls += 1
        return _user_rig(*image.size).model_copy(update={"source": "mascot"}), {
            "head": Image.new("RGBA", image.size)
        }


def test_auto_rig_is_made_once_and_read_back_never_rebuilt(tmp_path: Path) -> None:
    files = _files(tmp_path)
    logs: list[str] = []
    rig = ensure_rig(files, JobOptions(), None, _Plain(), logs.append)
    assert not rig.animates_parts and "whole body" in logs[0]
    # An edit stored with the job is what later stages and resume get, even if auto-rig would differ.
    edited = _user_rig(200, 100)
    save_rig(files, edited)
    assert ensure_rig(files, JobOptions(), None, _Plain(), logs.append) == edited
    assert read_rig(files) == edited and len(logs) == 1


def test_user_rig_wins_and_is_scaled_to_the_cut_out(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files.save_input("rig.json", _user_rig(400, 200).to_json().encode())
    provider = _Layered()
    rig = ensure_rig(files, JobOptions(rig="rig.json"), "a cat", provider, lambda _m: None)
    assert rig.source == "user" and (rig.width, rig.height) == (200, 100) and provider.calls == 0
    assert rig.joints["root"] == pytest.approx((200 * 0.2, 100 * 0.1))


def test_user_rig_for_another_picture_names_the_field(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files.save_input("rig.json", _user_rig(100, 100).to_json().encode())
    with pytest.raises(InvalidInput, match="width/height"):
        ensure_rig(files, JobOptions(rig="rig.json"), None, _Plain(), lambda _m: None)
    assert not files.rig.exists()


def test_provider_rig_and_layers_are_kept(tmp_path: Path) -> None:
    files = _files(tmp_path)
    provider = _Layered()
    rig = ensure_rig(files, JobOptions(), "a cat", provider, lambda _m: None)
    assert rig.source == "mascot" and rig.layers and (files.rig_layers_dir / "head.png").exists()
    ensure_rig(files, JobOptions(), "a cat", provider, lambda _m: None)
    assert provider.calls == 1


def test_uploads_do_not_ask_the_provider(tmp_path: Path) -> None:
    files = _files(tmp_path)
    provider = _Layered()
    ensure_rig(files, JobOptions(), None, provider, lambda _m: None)
    rig = read_rig(files)
    assert provider.calls == 0 and rig is not None
    # The auto-rig's whole-body rig (it may carry a start for placing joints by hand).
    assert rig.source == "auto" and not rig.animates_parts and rig.confidence == 0.0

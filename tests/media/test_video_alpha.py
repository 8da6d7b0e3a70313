"""Clips with their own alpha: stored losslessly, and every import format that carries alpha keeps it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.media.formats.webm import encode_webm
from popcon.media.images import write_png
from popcon.media.video import decode_frames, encode_lossless, encode_mp4, pack_png_sequence


def _frames(n: int = 12, size: int = 96) -> list[np.ndarray]:
    """A grey stroke with a soft edge moving across a transparent frame."""
    out = []
    for i in range(n):
        f = np.zeros((size, size, 4), np.uint8)
        f[20:70, 10 + 3 * i : 16 + 3 * i] = (120, 113, 103, 255)
        f[20:70, 16 + 3 * i, :3] = (120, 113, 103)
        f[20:70, 16 + 3 * i, 3] = 96
        out.append(f)
    return out


def test_lossless_clip_keeps_every_bit(tmp_path: Path) -> None:
    frames = _frames()
    path = encode_lossless(frames, tmp_path / "clip.mov", fps=24)
    back, fps = decode_frames(path, keep_alpha=True)
    assert fps == 24.0 and len(back) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(back, frames, strict=True))
    rgb, _ = decode_frames(path)  # a caller that wants no alpha gets RGB
    assert rgb[0].shape[2] == 3


def test_opaque_alpha_channel_comes_as_rgb(tmp_path: Path) -> None:
    frames = [np.dstack([f[..., :3], np.full(f.shape[:2], 255, np.uint8)]) for f in _frames()]
    back, _ = decode_frames(encode_lossless(frames, tmp_path / "o.mov", fps=12), keep_alpha=True)
    assert back[0].shape[2] == 3  # nothing transparent: the matte decides
    h264, _ = decode_frames(encode_mp4([f[..., :3] for f in frames], tmp_path / "o.mp4", 12), keep_alpha=True)
    assert h264[0].shape[2] == 3


def test_webm_vp9_alpha_is_read(tmp_path: Path) -> None:
    frames = _frames()
    path = tmp_path / "in.webm"
    path.write_bytes(encode_webm(frames, seconds=1.0, crf=10))
    back, _ = decode_frames(path, keep_alpha=True)
    assert len(back) == len(frames) and back[0].shape[2] == 4
    for a, b in zip(back, frames, strict=True):  # the alpha plane of each frame, not of another one
        assert np.abs(a[..., 3].astype(int) - b[..., 3]).max() <= 24
        assert (a[..., 3] == 0).mean() > 0.8


@pytest.mark.parametrize("fmt", ["png", "gif"])
def test_animated_png_and_gif_keep_their_transparency(tmp_path: Path, fmt: str) -> None:
    frames = _frames()
    path = tmp_path / f"in.{fmt}"
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=83, loop=0, disposal=2)
    back, _ = decode_frames(path, keep_alpha=True)
    assert len(back) == len(frames) and back[0].shape[2] == 4
    solid = frames[4][..., 3] == 255
    assert (back[4][..., 3][solid] == 255).all() and (back[4][..., 3][frames[4][..., 3] == 0] == 0).all()


def test_png_sequence_packs_losslessly_and_refuses_mixed_sizes(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    folder.mkdir()
    frames = _frames(8)
    for i, f in enumerate(frames):
        write_png(folder / f"f{i:02d}.png", f)
    back, fps = decode_frames(pack_png_sequence(folder, tmp_path / "seq.mov", 12), keep_alpha=True)
    assert fps == 12.0 and all(np.array_equal(a, b) for a, b in zip(back, frames, strict=True))
    write_png(folder / "f99.png", np.zeros((10, 10, 4), np.uint8))
    with pytest.raises(InvalidInput, match=r"f99\.png"):
        pack_png_sequence(folder, tmp_path / "bad.mov", 12)
    assert not (tmp_path / "bad.mov").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInput, match="no PNG"):
        pack_png_sequence(empty, tmp_path / "none.mov", 12)

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.media.video import decode_frames, encode_mp4, probe


def test_encode_then_decode(tmp_path):
    frames = [np.full((64, 80, 3), (i * 10, 100, 200 - i * 10), np.uint8) for i in range(12)]
    path = encode_mp4(frames, tmp_path / "c.mp4", fps=12)
    info = probe(path)
    assert (info.width, info.height, info.fps, info.frames) == (80, 64, 12.0, 12)
    back, fps = decode_frames(path)
    assert len(back) == 12 and fps == 12.0
    assert np.abs(back[5].astype(int) - frames[5]).mean() < 4
    assert not (tmp_path / "c.mp4.part").exists()


def test_garbage_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(InvalidInput, match=r"bad\.mp4"):
        decode_frames(bad)
    with pytest.raises(InvalidInput, match="no such video"):
        decode_frames(tmp_path / "missing.mp4")

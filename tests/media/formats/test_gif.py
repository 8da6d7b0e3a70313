from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames
from popcon.media.formats import fit_budget
from popcon.media.formats.gif import encode_gif, flatten_alpha, frame_delays_cs
from popcon.media.palette import quantize
from popcon.media.validate import failures, parse_gif, validate_gif
from tests.helpers.clips import disc_clip, sample_clip

DISCORD = get_platform("discord-emoji")
DARK = np.array(DISCORD.edge_colour(), np.float32)


def _decode(data: bytes) -> list[np.ndarray]:
    out = []
    with Image.open(io.BytesIO(data)) as im:
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGBA")).copy())
    return out


def _gif(clip: list[np.ndarray], seconds: float = 1, loops: int = 0, colours: int = 64) -> bytes:
    flat = flatten_alpha(clip, DISCORD.edge_colour())
    q = quantize(flat, colours)
    return encode_gif(q.palette, q.indices, frame_delays_cs(len(clip), seconds), loops)


def failed(results) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.rule for r in failures(results)}


def test_delays_sum_exactly_and_respect_the_floor() -> None:
    d = frame_delays_cs(12, 1)
    assert sum(d) == 100 and max(d) - min(d) <= 1 and min(d) >= 2
    assert sum(frame_delays_cs(7, 3)) == 300
    with pytest.raises(Exception, match="cs"):
        frame_delays_cs(60, 1)  # 1 cs frames: browsers would slow them to 10 cs


def test_every_frame_is_written_and_decodes_to_the_quantised_pixels() -> None:
    clip = fit_frames(disc_clip(10, size=200), DISCORD.canvas)
    clip.insert(3, clip[2].copy())  # identical neighbours must still be two frames
    flat = flatten_alpha(clip, DISCORD.edge_colour())
    q = quantize(flat, 64)
    data = encode_gif(q.palette, q.indices, frame_delays_cs(len(clip), 2), 0)
    p = parse_gif(data)
    assert len(p.frames) == 11 and p.loops == 0 and sum(f.delay_cs for f in p.frames) == 200
    for i, got in enumerate(_decode(data)):
        want = q.to_rgba(i)
        vis = want[..., 3] > 0
        assert np.array_equal(got[..., 3] > 0, vis)
        assert np.array_equal(got[vis][:, :3], want[vis][:, :3])


def test_soft_edges_show_no_halo_on_the_dark_chat_background() -> None:
    clip = fit_frames(sample_clip("fox", 6, size=256), DISCORD.canvas)
    data = fit_budget(clip, 1, DISCORD).data
    assert not failures(validate_gif(data, DISCORD))
    src, out = clip[0], _decode(data)[0]
    a = src[..., 3]
    edge = (a > 20) & (a < 235)  # soft edge pixels of the source
    assert edge.sum() > 50
    # Reference: the true cut-out over the dark chat background; the GIF over the same background.
    ref = src[..., :3] * (a[..., None] / 255.0) + DARK * (1 - a[..., None] / 255.0)
    oa = out[..., 3:4] / 255.0
    got = out[..., :3] * oa + DARK * (1 - oa)
    lum = lambda x: x @ np.array([0.299, 0.587, 0.114])  # noqa: E731
    brighter = lum(got[edge]) - lum(ref[edge])
    assert float(np.mean(brighter)) < 8.0  # no white fringe
    assert float(np.percentile(brighter, 95)) < 60.0
    # Naive threshold without matting leaves the source's light edge colour: much brighter.
    naive = np.where(a[..., None] >= 128, src[..., :3], DARK)
    assert float(np.mean(lum(naive[edge]) - lum(ref[edge]))) > float(np.mean(brighter))


def test_kakao_gif_is_flattened_on_white() -> None:
    kakao = get_platform("kakao-emoticon")
    clip = fit_frames(disc_clip(6, size=200), kakao.canvas)
    data = fit_budget(clip, 1, kakao).data
    assert not failures(validate_gif(data, kakao))
    first = _decode(data)[0]
    assert (first[..., 3] == 255).all() and tuple(first[0, 0, :3]) == (255, 255, 255)


def _set_screen(data: bytes, w: int, h: int) -> bytes:
    return data[:6] + struct.pack("<HH", w, h) + data[10:]


def test_gif_validator_rejections() -> None:
    clip = fit_frames(disc_clip(8, size=200), DISCORD.canvas)
    good = _gif(clip)
    assert not failures(validate_gif(good, DISCORD))
    assert "canvas_size" in failed(validate_gif(_set_screen(good, 130, 128), DISCORD))
    fast = _gif(clip[:2] * 60, seconds=2.4)  # 120 frames of 2 cs: fine
    assert not failed(validate_gif(fast, DISCORD))
    many = _gif(clip[:2] * 101, seconds=5)  # 202 frames
    assert "frame_count" in failed(validate_gif(many, DISCORD))
    once = _gif(clip, loops=3)
    assert "loop_count" in failed(validate_gif(once, DISCORD))
    no_loop = good.replace(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00", b"")
    assert "loop_count" in failed(validate_gif(no_loop, DISCORD))
    flat = flatten_alpha(clip, DISCORD.edge_colour())
    q = quantize(flat, 32)
    too_fast = encode_gif(q.palette, q.indices, [1] * len(clip), 0)
    assert "frame_delays" in failed(validate_gif(too_fast, DISCORD))
    opaque = encode_gif(q.palette, q.indices, [10] * len(clip), 0, transparent=False)
    assert "transparency" in failed(validate_gif(opaque, DISCORD))
    small = get_platform("slack-emoji").model_copy(update={"max_bytes": 1000})
    assert "file_size" in failed(validate_gif(good, small))
    assert {"gif_signature", "structure"} <= failed(validate_gif(b"\x89PNG not a gif", DISCORD))
    assert "structure" in failed(validate_gif(good[: len(good) // 2], DISCORD))
    still = _gif([clip[0]] * 4)
    assert "frames_not_identical" in failed(validate_gif(still, DISCORD))


def test_compliant_gif_is_not_reencoded_and_a_bad_one_is_refitted() -> None:
    from popcon.media.formats import ensure_compliant

    clip = fit_frames(disc_clip(6, size=200), DISCORD.canvas)
    good = fit_budget(clip, 1, DISCORD).data
    assert ensure_compliant(good, DISCORD) is good
    bad = _set_screen(good, 128, 120)  # wrong logical screen: must be rebuilt
    fixed = ensure_compliant(_gif(clip, loops=2), DISCORD)
    assert not failures(validate_gif(fixed, DISCORD))
    assert failures(validate_gif(bad, DISCORD))

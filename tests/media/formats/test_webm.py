from __future__ import annotations

import io
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames
from popcon.media.formats.webm import CRF_BEST, bleed_colour, encode_webm, fit_webm
from popcon.media.validate import failures, validate_webm
from tests.helpers.clips import disc_clip

EMOJI = get_platform("telegram-emoji")
VIDEO = get_platform("telegram-video-sticker")


def failed(results) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.rule for r in failures(results)}


def _clip(n: int = 8, size: int = 100) -> list[np.ndarray]:
    return fit_frames(disc_clip(n, size=160, radius=40, travel=20), EMOJI.canvas, size=(size, size))


def _decode_libvpx(data: bytes) -> list[np.ndarray]:
    """Decode as a player that supports VP9 alpha does: libvpx-vp9, yuva420p."""
    out = []
    with av.open(io.BytesIO(data)) as c:
        dec = av.CodecContext.create("libvpx-vp9", "r")
        for pkt in c.demux(c.streams.video[0]):
            for fr in dec.decode(pkt if pkt.size else None):
                assert fr.format.name == "yuva420p"
                a = np.frombuffer(fr.planes[3], np.uint8).reshape(-1, fr.planes[3].line_size)
                rgba = fr.to_ndarray(format="rgba")
                rgba[..., 3] = a[: fr.height, : fr.width]  # swscale garbles alpha at row ends
                out.append(rgba)
    return out


def _raw_webm(
    frames: list[np.ndarray],
    fps: int,
    *,
    fmt: str = "webm",
    pix_fmt: str = "yuva420p",
    audio: bool = False,
) -> bytes:
    """A hand-rolled file with the flaws the validator must catch (no popcon code involved)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        st = out.add_stream("libvpx-vp9", rate=fps)
        st.height, st.width = frames[0].shape[:2]
        st.pix_fmt = pix_fmt
        st.options = {"crf": "40", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        aud = out.add_stream("libopus", rate=48000) if audio else None
        for i, f in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(f, format="rgba").reformat(format=pix_fmt)
            vf.pts, vf.time_base = i, Fraction(1, fps)
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
        if aud is not None:
            for k in range(5):
                af = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), format="s16", layout="mono")
                af.sample_rate, af.pts = 48000, k * 960
                for pkt in aud.encode(af):
                    out.mux(pkt)
            for pkt in aud.encode():
                out.mux(pkt)
    return buf.getvalue()


def test_alpha_is_preserved_and_the_file_passes() -> None:
    clip = _clip()
    data = encode_webm(clip, 1, 30)
    assert not failures(validate_webm(data, EMOJI))
    frames = _decode_libvpx(data)
    assert len(frames) == len(clip)
    for f, src in zip(frames, clip, strict=True):
        assert f.shape == (100, 100, 4)
        for y, x in ((0, 0), (0, 99), (99, 0), (99, 99)):
            assert f[y, x, 3] < 8  # transparent corners
        inside = src[..., 3] == 255
        assert float(np.mean(f[..., 3][inside])) > 240


def test_colour_under_transparent_pixels_is_bled_from_the_edge() -> None:
    f = np.zeros((20, 20, 4), np.uint8)
    f[5:15, 5:15] = (200, 40, 40, 255)
    out = bleed_colour(f)
    assert tuple(out[4, 10, :3]) == (200, 40, 40) and out[4, 10, 3] == 0
    assert np.array_equal(out[5:15, 5:15], f[5:15, 5:15])


def test_budget_search_lowers_quality_until_it_fits() -> None:
    clip = _clip(10)
    full = fit_webm(clip, 1, EMOJI)
    assert full.knobs.crf == CRF_BEST and full.size <= EMOJI.max_bytes
    tight = fit_webm(clip, 1, EMOJI, max_bytes=full.size // 3)
    assert tight.size <= full.size // 3 and tight.knobs.crf > CRF_BEST
    assert sum(tight.delays_ms) == 1000
    with pytest.raises(Exception, match="cannot fit"):
        fit_webm(clip, 1, EMOJI, max_bytes=300)


def test_fit_fills_the_budget_when_quality_would_benefit() -> None:
    clip = _clip(10)
    budget = len(encode_webm(clip, 1, 27)) + 10  # between two CRF steps: the finer one must be found
    fit = fit_webm(clip, 1, EMOJI, max_bytes=budget)
    assert fit.knobs.crf <= 27 and 0.95 * budget <= fit.size <= budget
    assert not failures(validate_webm(fit.data, EMOJI))


def test_near_zero_alpha_is_cleared_before_encoding() -> None:
    """Faint matte noise (alpha 1..17) in the background must not play back as specks."""
    rng = np.random.default_rng(3)
    clip = _clip(6)
    noisy = []
    for f in clip:
        g = f.copy()
        bg = g[..., 3] == 0
        g[..., 3][bg] = rng.integers(1, 18, size=int(bg.sum()))
        g[..., :3][bg] = 20
        noisy.append(g)
    out = _decode_libvpx(encode_webm(noisy, 1, 20))
    union = np.max([f[..., 3] for f in clip], axis=0) > 0
    far = cv2.dilate(union.astype(np.uint8), np.ones((17, 17), np.uint8)) == 0
    assert far.sum() > 1000
    for f, src in zip(out, clip, strict=True):
        assert int(f[..., 3][far].max()) <= 2  # nothing visible away from the character
        assert float(np.mean(f[..., 3][src[..., 3] == 255])) > 240  # the character stays


def test_webm_validator_rejections() -> None:
    clip = _clip(6)
    ok = _raw_webm(clip, 6)
    assert not failures(validate_webm(ok, EMOJI))
    assert "no_audio" in failed(validate_webm(_raw_webm(clip, 6, audio=True), EMOJI))
    assert "canvas_size" in failed(validate_webm(_raw_webm(_clip(6, 96), 6), EMOJI))
    assert "canvas_size" in failed(validate_webm(ok, VIDEO))  # 100 px: no side is 512
    assert "duration" in failed(validate_webm(_raw_webm(clip * 7, 10), EMOJI))  # 4.2 s
    assert "fps" in failed(validate_webm(_raw_webm(clip * 4, 60), EMOJI))
    assert "frame_count" in failed(validate_webm(_raw_webm(clip * 16, 30), EMOJI))  # 96 > 90 frames
    assert "alpha" in failed(validate_webm(_raw_webm(clip, 6, pix_fmt="yuv420p"), EMOJI))
    assert "container" in failed(validate_webm(_raw_webm(clip, 6, fmt="matroska"), EMOJI))
    still = {r.rule: r for r in validate_webm(_raw_webm([clip[0]] * 6, 6), EMOJI)}
    assert not still["frames_not_identical"].passed and still["frames_not_identical"].severity == "warning"
    assert "file_size" in failed(validate_webm(ok, EMOJI.model_copy(update={"max_bytes": 100})))
    assert {"structure", "codec"} <= failed(validate_webm(b"GIF89a nonsense", EMOJI))


def test_compliant_webm_is_not_reencoded_and_a_long_one_is_refitted() -> None:
    from popcon.media.formats import ensure_compliant

    clip = _clip(6)
    good = encode_webm(clip, 1, 30)
    assert ensure_compliant(good, EMOJI) is good
    long = _raw_webm(clip * 6, 9)  # 4 s: over Telegram's 3 s
    assert "duration" in failed(validate_webm(long, EMOJI))
    fixed = ensure_compliant(long, EMOJI)
    assert not failures(validate_webm(fixed, EMOJI))


def test_preview_plays_webm(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from popcon.media.preview import PreviewItem, preview_gif, write_preview_html

    data = encode_webm(_clip(6), 1, 30)
    gif = preview_gif([data], ["x"])
    assert gif.startswith(b"GIF89a")
    (tmp_path / "001.webm").write_bytes(data)
    html = write_preview_html(tmp_path / "p.html", [PreviewItem("001.webm", "x")], "t").read_text()
    assert "<video" in html and "001.webm" in html

"""One-shot tools that need no job: cut out a clip or an image, validate files against a platform."""

from __future__ import annotations

import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform
from popcon.domain.reports import MatteReport
from popcon.settings import Settings

PREVIEW_SIDE = 512


def matte_clip(video: Path, out: Path) -> tuple[int, MatteReport]:
    """Decode a clip, cut out every frame into `out` as RGBA PNGs; how many were written, and the
    matte's report (per-frame confidence, a warning when the background could not be separated)."""
    from popcon.media.images import write_png
    from popcon.media.video import decode_frames
    from popcon.vision.matte import matte_clip as matte

    frames, _ = decode_frames(video)
    result = matte(frames)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as ex:
        list(ex.map(lambda ia: write_png(out / f"{ia[0]:05d}.png", ia[1]), enumerate(result.cutouts)))
    return len(result.cutouts), result.report()


@dataclass(frozen=True)
class CutoutPreview:
    png: bytes
    confidence: float | None = None  # None: the upload had its own transparency, nothing was cut
    warning: str | None = None  # set when the background could not be separated with confidence
    warning_code: str | None = None  # the warning's stable code (the web UI words it itself)


def cutout_preview(settings: Settings, data: bytes) -> CutoutPreview:
    """The image with its background removed as a job would cut it, scaled down, as PNG bytes."""
    from popcon.media.images import check_character_image, has_transparency, load_image
    from popcon.media.memory import give_back
    from popcon.vision.cutout import cut_out, kept_problem

    try:  # decoded at the preview's size (a band at a time), never the whole canvas as RGBA
        small = load_image(
            data,
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            max_side=PREVIEW_SIDE,
        )
        check_character_image(small, "the image")
        confidence: float | None = None
        warning: str | None = None
        code: str | None = None
        if not has_transparency(small):
            cut = cut_out(np.asarray(small.convert("RGB")))
            small = Image.fromarray(cut.rgba, "RGBA")
            confidence, warning, code = cut.confidence, cut.warning, cut.warning_code
            if problem := kept_problem(cut.rgba[..., 3]):
                code, warning = problem
        buf = io.BytesIO()
        small.save(buf, "PNG")
        return CutoutPreview(buf.getvalue(), confidence, warning, code)
    finally:
        give_back()


@dataclass(frozen=True)
class CutoutResult:
    kind: str  # "drawing" (strokes on paper, inside filled), "figure" (on a backdrop) or "own alpha"
    confidence: float | None  # None: the image had its own transparency, nothing was cut
    warning: str | None
    kept: float  # share of the image kept


def cutout_image(settings: Settings, image: Path, out: Path) -> CutoutResult:
    """Cut the character out of one picture as a job cuts an upload, at the picture's own size, and
    write it as an RGBA PNG; a picture with its own transparency is written as it is."""
    from popcon.media.images import has_transparency, load_image
    from popcon.vision.cutout import cut_out, judge_kept

    im = load_image(image, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
    if has_transparency(im):
        rgba = np.asarray(im.convert("RGBA"))
        kind, confidence, warning = "own alpha", None, None
    else:
        cut = cut_out(np.asarray(im.convert("RGB")))
        rgba, kind, confidence, warning = cut.rgba, cut.kind, cut.confidence, cut.warning
    warning = judge_kept(rgba[..., 3]) or warning
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgba, "RGBA").save(out)
    return CutoutResult(kind, confidence, warning, float((rgba[..., 3] > 127).mean()))


@dataclass(frozen=True)
class Segmented:
    backend: str
    clicks: int
    kept: float  # share of the image kept


def segment_image(
    settings: Settings,
    image: Path,
    clicks: Sequence[tuple[float, float, bool]],
    out: Path,
    *,
    backend: str | None = None,
    prior: Path | None = None,
    mask_out: Path | None = None,
) -> Segmented:
    """Cut out the object the clicks (x, y, foreground?) point at and write it as an RGBA PNG."""
    from popcon.media.images import load_image
    from popcon.vision.segment.base import Click, check_clicks
    from popcon.vision.segment.registry import get_segmenter

    rgba = np.asarray(
        load_image(image, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
    )
    rgb = np.ascontiguousarray(rgba[..., :3])
    points = [Click(x, y, fg) for x, y, fg in clicks]
    check_clicks(points, (rgb.shape[0], rgb.shape[1]))
    prior_mask = None
    if prior is not None:
        if not prior.is_file():
            raise InvalidInput(f"no such mask: {prior}")
        pm = Image.open(prior)
        prior_mask = np.asarray(pm.getchannel("A") if pm.mode in ("RGBA", "LA") else pm.convert("L"))
        if prior_mask.shape != rgb.shape[:2]:
            raise InvalidInput(
                f"prior {prior.name} is {prior_mask.shape[1]}x{prior_mask.shape[0]}, "
                f"image is {rgb.shape[1]}x{rgb.shape[0]}"
            )
    seg = get_segmenter(settings, backend)
    mask = seg.predict(seg.prepare(rgb), points, prior=prior_mask)
    alpha = np.round(np.clip(mask, 0, 1) * 255).astype(np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA").save(out)
    if mask_out is not None:
        Image.fromarray(alpha, mode="L").save(mask_out)
    return Segmented(seg.name, len(clicks), float((alpha > 127).mean()))


@dataclass(frozen=True)
class RuleCheck:
    rule: str
    passed: bool
    severity: str
    measured: object
    limit: object


def check_file(platform: str, path: Path) -> tuple[list[RuleCheck], list[str]]:
    """Every rule of the platform for the file: the checks and the names of the failed ones."""
    from popcon.media.formats import validate_file
    from popcon.media.validate import failures

    preset = get_platform(platform)
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    results = validate_file(path, preset)
    checks = [RuleCheck(r.rule, r.passed, r.severity, r.measured, r.limit) for r in results]
    return checks, [r.rule for r in failures(results)]

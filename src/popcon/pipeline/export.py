"""Export stage: cut-out clips in, a validated, packaged platform set out.

Per action: fit the canvas, then the preset's codec (popcon.media.formats) fits the byte budget,
encodes and validates.
Then the extra images (tab, LINE main), the previews, a manifest of everything measured, and
the ZIP the platform accepts. Everything is written into a staging folder beside the target and
swapped in at the end, so a failed or interrupted export never leaves a half-written set where
the previous good one was.

Failure policy: an action that cannot fit its byte budget (BudgetExceeded) is left out, listed
under "failed" in the manifest and in the warnings, and the rest of the set is still packaged
and numbered contiguously (LINE numbers must have no gaps); a person can simplify and retry
that one action. The export fails as a whole when no action fits, and whenever a written file
breaks a rule (InvalidExport naming the file and rule): that is a bug, never packaged.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from popcon.atomic import write_bytes_atomic
from popcon.domain.captions import Caption
from popcon.domain.errors import InvalidInput
from popcon.domain.exports import (
    EncodeKnobs,
    ExportedFile,
    ExportSummary,
    LeftOut,
    RuleResult,
    TriedKnobs,
    WarningCode,
)
from popcon.domain.platforms import CanvasRule, ExtraImage, PlatformPreset, get_platform
from popcon.media.budget import BudgetExceeded
from popcon.media.canvas import fit_frames
from popcon.media.captions import fit_captioned
from popcon.media.formats import codec_for
from popcon.media.interrupt import interruptible
from popcon.media.preview import PreviewItem, preview_gif, write_preview_html
from popcon.media.validate import InvalidExport, require_valid
from popcon.pipeline.parallel import one_blas_thread

Progress = Callable[[int, int, str], None]  # (done, total, message)


@dataclass(frozen=True)
class ExportInput:
    """One action's loop: RGBA uint8 frames (frame 0 is the still preview) lasting `seconds`."""

    action_id: str
    label: str
    frames: list[np.ndarray]
    seconds: int
    caption: Caption | None = None  # drawn on the canvas before the byte budget is fitted


class Encoded(NamedTuple):
    """One action encoded: the file bytes, the knobs chosen (stored in the manifest), PSNR, time spent."""

    data: bytes
    knobs: EncodeKnobs
    psnr_db: float | None
    seconds: float


@dataclass(frozen=True)
class ExportReport:
    """A published set: where it lies, and its `ExportSummary` (what `manifest.json` holds)."""

    directory: Path
    summary: ExportSummary

    @property
    def preset_id(self) -> str:
        return self.summary.preset

    @property
    def zip_path(self) -> Path:
        return self.directory.parent / self.summary.zip

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"

    @property
    def preview_html(self) -> Path:
        return self.directory / "preview.html"

    @property
    def preview_gif(self) -> Path:
        return self.directory / "preview.gif"

    @property
    def extra_images(self) -> dict[str, Path]:
        return {name: self.directory / name for name in self.summary.extra_images}

    @property
    def files(self) -> list[ExportedFile]:
        return self.summary.files

    @property
    def warnings(self) -> list[str]:
        return self.summary.warnings

    @property
    def failed(self) -> list[LeftOut]:
        return self.summary.failed


def _check_inputs(
    actions: Sequence[ExportInput], preset: PlatformPreset
) -> tuple[list[str], list[dict[str, Any] | None]]:
    """The set's warnings (English) and, beside each, its stable code and values for a UI that words
    it in another language (None: free text only)."""
    if not preset.implemented:
        raise InvalidInput(f"export to {preset.id} is not implemented yet ({preset.format})")
    if not actions:
        raise InvalidInput("nothing to export: no actions")
    if len(actions) > preset.set.max:
        raise InvalidInput(f"{preset.name} sets hold at most {preset.set.max} items; got {len(actions)}")
    allowed = preset.timing.loop_seconds
    for a in actions:
        if not a.frames:
            raise InvalidInput(f"action {a.action_id!r} has no frames")
        if allowed and a.seconds not in allowed:
            raise InvalidInput(f"action {a.action_id!r} lasts {a.seconds} s; {preset.name} allows {allowed}")
        if a.seconds <= 0:
            raise InvalidInput(f"action {a.action_id!r} lasts {a.seconds} s")
    warnings: list[str] = []
    codes: list[dict[str, Any] | None] = []
    limit = preset.timing.max_total_seconds
    n = len(actions)
    for a in actions:
        if not allowed and limit and a.seconds > limit:
            warnings.append(
                f"{a.action_id}: the {a.seconds} s loop plays faster, in {limit:g} s ({preset.name} limit)"
            )
            params = {"action": a.action_id, "s": a.seconds, "limit": f"{limit:g}"}
            codes.append(_code("loop_sped_up", preset=preset, **params))
    if n < preset.set.min:
        warnings.append(f"set has {n} items; {preset.name} needs at least {preset.set.min} to be submitted")
        codes.append(_code("set_too_small", n=n, min=preset.set.min, preset=preset))
    if preset.set.sizes and n not in preset.set.sizes:
        warnings.append(f"set has {n} items; {preset.name} accepts {preset.set.sizes}")
        codes.append(_code("set_sizes", n=n, sizes=", ".join(map(str, preset.set.sizes)), preset=preset))
    return warnings, codes


def _code(code: str, *, preset: PlatformPreset, **params: Any) -> dict[str, Any]:
    """A warning's code and values; `platform` is the preset id (the UI names it in its language)."""
    return {"code": code, "params": {**params, "platform": preset.id, "name": preset.name}}


def play_seconds(a: ExportInput, preset: PlatformPreset) -> float:
    """Loop length on the platform: the action's own, sped up to fit a limit (Telegram: 3 s)."""
    limit = preset.timing.max_total_seconds
    if not preset.timing.loop_seconds and limit and a.seconds > limit:
        return float(limit)
    return float(a.seconds)


def encode_action(a: ExportInput, preset: PlatformPreset) -> Encoded:
    """One action as the preset's file bytes, through the preset's codec."""
    t0 = time.perf_counter()
    if a.caption is not None:
        canvas = fit_captioned(a.frames, preset.canvas, preset.margin_px, a.caption)
    else:
        canvas = fit_frames(a.frames, preset.canvas, preset.margin_px)
    seconds = play_seconds(a, preset)
    fit = codec_for(preset).fit(canvas, seconds, preset)
    knobs = EncodeKnobs(
        **fit.knobs.to_dict(),
        loops=fit.loops,
        seconds=seconds,
        delays_ms=fit.delays_ms,
        source_frames=fit.source_frames,
        attempts=[(TriedKnobs(**k.to_dict()), size) for k, size in fit.attempts],
    )
    return Encoded(fit.data, knobs, fit.psnr_db, time.perf_counter() - t0)


def _detail(f: ExportedFile) -> str:
    return f"{f.frames} frames, {f.seconds} s x {f.loops}, {f.bytes} bytes"


def extra_preset(preset: PlatformPreset, width: int, height: int) -> PlatformPreset:
    """The preset's rules at an extra image's exact size (LINE main.png: an APNG at 240x240)."""
    canvas = CanvasRule(width=width, height=height, mode="exact")
    return preset.model_copy(update={"canvas": canvas, "allow_scale": False})


def _extra_image(a: ExportInput, preset: PlatformPreset, extra: ExtraImage) -> tuple[bytes, list[RuleResult]]:
    """An extra image (tab, main) from the first packaged action, by the extra's own codec and rules."""
    rules = extra_preset(preset, extra.width, extra.height)
    if extra.source == "first_frame":
        canvas = fit_frames([a.frames[0]], rules.canvas, 0)
    else:
        margin = preset.margin_px * min(extra.width, extra.height) // 270
        canvas = fit_frames(a.frames, rules.canvas, margin)
    codec = codec_for(extra.format)
    data = codec.fit(canvas, a.seconds, rules).data
    return data, codec.validate(data, rules)


def safe_label(text: str) -> str:
    """A file-name-safe form of an action id ({label} in file name patterns)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "item"


def _encode_all(
    actions: Sequence[ExportInput], preset: PlatformPreset, check_cancel: Callable[[], None]
) -> Iterator[Encoded | BudgetExceeded]:
    """Encode the actions on all cores (quantising and zlib release the GIL), yielding in order.

    A cancel stops the work promptly: encodes not yet started are dropped, not waited for.
    """

    def one(a: ExportInput) -> Encoded | BudgetExceeded:
        check_cancel()
        try:
            with interruptible(check_cancel):  # the encoders check it per frame
                return encode_action(a, preset)
        except BudgetExceeded as e:
            return e

    one_blas_thread()  # the encodes are the parallelism
    pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1, len(actions))))
    try:
        futures = [pool.submit(one, a) for a in actions]
        for f in futures:
            while True:
                check_cancel()
                try:
                    yield f.result(timeout=0.25)
                    break
                except FutureTimeout:
                    continue
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def export_set(
    actions: Sequence[ExportInput],
    preset_id: str,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    check_cancel: Callable[[], None] = lambda: None,
    round_token: str | None = None,
    notes: str | None = None,
) -> ExportReport:
    """Write `out_dir/<preset>/` (files, extra images, previews, manifest.json) and `out_dir/<preset>.zip`.

    Raises InvalidInput for unusable input, BudgetExceeded when no clip fits (single misfits are
    left out and listed in the manifest), InvalidExport (naming the file and rule) when a written
    file breaks the rules; nothing is swapped in then. `check_cancel` raises to stop (a canceled
    job): the staging folder goes and the previous export stays as it was. `round_token` (see
    popcon.pipeline.export_round) is written into the manifest and as the ZIP's comment. `notes` (the
    store's title and description) go to `submission.txt` beside the files, outside the ZIP.
    """
    preset = get_platform(preset_id)
    warnings, warning_codes = _check_inputs(actions, preset)
    codec = codec_for(preset)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final_dir, final_zip = out_dir / preset.id, out_dir / f"{preset.id}.zip"
    token = uuid.uuid4().hex[:8]
    stage = out_dir / f".{preset.id}.staging-{token}"
    stage.mkdir()
    zip_tmp = out_dir / f".{preset.id}.zip.tmp-{token}"
    total = len(actions) + 2
    try:
        files: list[ExportedFile] = []
        blobs: list[bytes] = []
        failed: list[LeftOut] = []
        encodes = _encode_all(actions, preset, check_cancel)
        for k, (a, encoded) in enumerate(zip(actions, encodes, strict=True)):
            if progress:  # k + 1 steps done: this file is encoded
                progress(k + 1, total, f"encoded {a.label}")
            if isinstance(encoded, BudgetExceeded):
                failed.append(
                    LeftOut(action_id=a.action_id, label=a.label, error=str(encoded), code=encoded.code)
                )
                warnings.append(f"{a.action_id} left out of the set: {encoded}")
                warning_codes.append(
                    _code("left_out", preset=preset, action=a.action_id, reason=encoded.code)
                )
                continue
            data, knobs, score, secs = encoded
            name = preset.file_name_for(len(files) + 1, safe_label(a.action_id))
            results = codec.validate(data, preset)
            write_bytes_atomic(stage / name, data)
            blobs.append(data)
            files.append(
                ExportedFile(
                    action_id=a.action_id,
                    label=a.label,
                    file_name=name,
                    path=final_dir / name,
                    bytes=len(data),
                    frames=knobs.frames,
                    seconds=a.seconds,
                    loops=knobs.loops,
                    knobs=knobs,
                    psnr_db=score,
                    encode_seconds=round(secs, 3),
                    rules=results,
                )
            )
            for r in results:
                if not r.passed and r.severity == "warning":
                    warnings.append(f"{name}: {r.message or r.rule} (measured {r.measured}, want {r.limit})")
                    params = {
                        "file": name,
                        "rule": r.rule,
                        "measured": str(r.measured),
                        "limit": str(r.limit),
                    }
                    warning_codes.append(_code("file_rule", preset=preset, **params))
        for f in files:
            require_valid(f.rules, f.file_name)
        if not files:
            raise BudgetExceeded(
                f"no action fits {preset.name}: " + "; ".join(f"{x.action_id}: {x.error}" for x in failed)
            )

        if progress:
            progress(len(actions), total, "extra images and previews")
        extras: dict[str, Path] = {}
        extra_results: dict[str, list[RuleResult]] = {}
        packaged = [a for a in actions if a.action_id in {f.action_id for f in files}]
        for extra in preset.extra_images:
            png, extra_results[extra.name] = _extra_image(packaged[0], preset, extra)
            require_valid(extra_results[extra.name], extra.name)
            with Image.open(io.BytesIO(png)) as im:
                if im.size != (extra.width, extra.height):
                    raise InvalidExport(f"{extra.name}: {im.size} is not {extra.width}x{extra.height}")
            write_bytes_atomic(stage / extra.name, png)
            extras[extra.name] = final_dir / extra.name

        labels = [f.label or f.file_name for f in files]
        items = [
            PreviewItem(f.file_name, label, _detail(f), f.valid)
            for f, label in zip(files, labels, strict=True)
        ]
        write_preview_html(stage / "preview.html", items, f"{preset.name}: {len(files)} items")
        write_bytes_atomic(stage / "preview.gif", preview_gif(blobs, labels))

        summary = ExportSummary(
            preset=preset.id,
            platform=preset.platform,
            zip=final_zip.name,
            created_unix=int(time.time()),
            round=round_token,
            warnings=warnings,
            warning_codes=[WarningCode.model_validate(c) if c else None for c in warning_codes],
            failed=failed,
            files=files,
            extra_images=sorted(extras),
            extra_rules=extra_results,
            captions={a.action_id: a.caption.text for a in actions if a.caption is not None},
        )
        if notes:
            write_bytes_atomic(stage / "submission.txt", notes.encode())
        write_bytes_atomic(stage / "manifest.json", summary.manifest_json().encode())

        if progress:
            progress(len(actions) + 1, total, "packaging")
        with zipfile.ZipFile(zip_tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            if round_token:
                zf.comment = round_token.encode("ascii")
            for f in files:
                zf.write(stage / f.file_name, f.file_name)
            for name in extras:
                zf.write(stage / name, name)
        zip_size = zip_tmp.stat().st_size
        if preset.zip_max_bytes and zip_size > preset.zip_max_bytes:
            raise InvalidExport(f"{final_zip.name} is {zip_size} bytes; the limit is {preset.zip_max_bytes}")
        check_cancel()  # the last moment a cancel can keep this set from being published
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        zip_tmp.unlink(missing_ok=True)
        raise

    _swap_in(stage, final_dir, zip_tmp, final_zip, token)
    if progress:
        progress(total, total, "done")
    return ExportReport(final_dir, summary)


def _swap_in(stage: Path, final_dir: Path, zip_tmp: Path, final_zip: Path, token: str) -> None:
    """Replace the previous export by the staged one with renames only; restore it if a rename fails."""
    old = final_dir.with_name(f".{final_dir.name}.old-{token}")
    had_old = final_dir.exists()
    if had_old:
        os.replace(final_dir, old)
    try:
        os.replace(stage, final_dir)
    except OSError:
        if had_old:
            os.replace(old, final_dir)
        raise
    os.replace(zip_tmp, final_zip)
    if had_old:
        shutil.rmtree(old, ignore_errors=True)

"""Previews a person can open before submitting: an HTML contact sheet and a GIF of the whole set.

The sheet shows each exported file as the platform would, animated, on a light and on a dark
chat background (edge fringes show up on one or the other). It references the exported files
relatively, so the folder can be moved or zipped as is.
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

LIGHT_BG = (0xF2, 0xF3, 0xF5)
DARK_BG = (0x1F, 0x22, 0x27)
CHAT_LIGHT = "#8cabd9"  # LINE's default chat wallpaper blue
GIF_TICK_MS = 100
GIF_MAX_MS = 12_000


@dataclass(frozen=True)
class PreviewItem:
    file_name: str  # relative to the preview's folder
    label: str
    detail: str = ""  # e.g. "20 frames, 2 s x 2, 143 kB"
    ok: bool = True


def write_preview_html(path: Path, items: Sequence[PreviewItem], title: str) -> Path:
    """A self-contained contact sheet (no external assets) at `path`."""
    cards = []
    for it in items:
        src = html.escape(it.file_name, quote=True)
        badge = "ok" if it.ok else "invalid"
        if it.file_name.lower().endswith(".webm"):  # browsers play VP9 alpha WebM in <video>, not <img>
            tag = f'<video src="{src}" autoplay loop muted playsinline></video>'
            first = tag
        else:
            tag = f'<img src="{src}" alt="">'
            first = f'<img src="{src}" alt="{html.escape(it.label)}">'
        cards.append(
            f'<figure class="card {badge}"><div class="pair">'
            f'<div class="bg light">{first}</div>'
            f'<div class="bg chat">{tag}</div>'
            f'<div class="bg dark">{tag}</div></div>'
            f"<figcaption><b>{html.escape(it.file_name)}</b> {html.escape(it.label)}"
            f"<br><small>{html.escape(it.detail)}</small></figcaption></figure>"
        )
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:16px;background:#fafafa;color:#222}}
.grid{{display:flex;flex-wrap:wrap;gap:12px}}
.card{{margin:0;padding:8px;border:1px solid #ddd;border-radius:8px;background:#fff}}
.card.invalid{{border-color:#d33}}
.pair{{display:flex;gap:4px}}
.bg{{padding:6px;border-radius:6px;line-height:0}}
.light{{background:rgb{LIGHT_BG}}} .chat{{background:{CHAT_LIGHT}}} .dark{{background:rgb{DARK_BG}}}
img,video{{image-rendering:auto;max-width:180px;max-height:180px}}
figcaption{{font-size:13px;margin-top:6px}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Animations play their platform loop count and then stop, as in the app.
<button onclick="replay()">Replay all</button></p>
<div class="grid">
{chr(10).join(cards)}
</div>
<script>
function replay(){{const t=Date.now();document.querySelectorAll('img').forEach(i=>{{
const s=i.getAttribute('src').split('?')[0];i.src=s+'?t='+t;}});
document.querySelectorAll('video').forEach(v=>{{v.currentTime=0;v.play();}});}}
</script>
</body></html>
"""
    path.write_text(doc, "utf-8")
    return path


def _decode(data: bytes) -> tuple[list[Image.Image], list[int]]:
    frames, durations = [], []
    if data[:4] == b"\x1a\x45\xdf\xa3":  # WebM: Pillow cannot read it; libvpx keeps the alpha
        from popcon.media.validate import parse_webm

        p = parse_webm(data)
        total = round((p.duration or 1.0) * 1000)
        times = [round(t * 1000) for t in p.pts_seconds] or [0]
        if len(times) != len(p.frames):
            times = [i * total // max(1, len(p.frames)) for i in range(len(p.frames))]
        for i, f in enumerate(p.frames):
            frames.append(Image.fromarray(f, "RGBA"))
            nxt = times[i + 1] if i + 1 < len(times) else total
            durations.append(max(1, nxt - times[i]))
        return frames, durations
    with Image.open(io.BytesIO(data)) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(im.convert("RGBA"))
            durations.append(max(1, round(float(im.info.get("duration", 100) or 100))))
    return frames, durations


def preview_gif(
    files: Sequence[bytes],
    labels: Sequence[str] = (),
    *,
    cell: int = 120,
    columns: int | None = None,
    background: tuple[int, int, int] = LIGHT_BG,
) -> bytes:
    """An animated GIF grid of the whole set on a light background, all clips on one clock.

    The GIF lasts the least common multiple of the loop lengths (capped at 12 s) sampled every
    100 ms, so a 2 s and a 3 s clip both loop seamlessly in it.
    """
    decoded = [_decode(d) for d in files]
    if not decoded:
        raise ValueError("nothing to preview")
    loops_ms = [sum(d) for _, d in decoded]
    total = 1
    for ms in loops_ms:
        total = math.lcm(total, ms)
    total = min(total, GIF_MAX_MS)
    cols = columns or min(len(files), max(1, math.ceil(math.sqrt(len(files)))))
    rows = math.ceil(len(files) / cols)
    label_h = 16 if labels else 0
    W, H = cols * cell, rows * (cell + label_h)
    cells = [[f.copy() for f in fr] for fr, _ in decoded]
    for fr in cells:
        for f in fr:
            f.thumbnail((cell - 8, cell - 8), Image.Resampling.LANCZOS)
    starts = [np.cumsum([0, *d[:-1]]) for _, d in decoded]
    base = Image.new("RGB", (W, H), background)
    draw = ImageDraw.Draw(base)
    for k, label in enumerate(labels[: len(files)]):
        r, c = divmod(k, cols)
        draw.text((c * cell + 4, r * (cell + label_h) + cell), label[:18], fill=(60, 60, 60))
    out: list[Image.Image] = []
    for t in range(0, total, GIF_TICK_MS):
        canvas = base.copy()
        for k, (fr, st) in enumerate(zip(cells, starts, strict=True)):
            j = int(np.searchsorted(st, t % loops_ms[k], side="right") - 1)
            f = fr[j]
            r, c = divmod(k, cols)
            x = c * cell + (cell - f.width) // 2
            y = r * (cell + label_h) + (cell - f.height) // 2
            canvas.paste(f, (x, y), f)
        out.append(canvas)
    # One palette for the whole GIF, from a mosaic of a few moments (per-frame palettes flicker).
    picks = out[:: max(1, len(out) // 6)][:6]
    mosaic = Image.new("RGB", (W, H * len(picks)))
    for i, f in enumerate(picks):
        mosaic.paste(f, (0, i * H))
    pal = mosaic.quantize(255, method=Image.Quantize.MEDIANCUT)
    frames_p = [f.quantize(palette=pal, dither=Image.Dither.NONE) for f in out]
    buf = io.BytesIO()
    frames_p[0].save(
        buf, "GIF", save_all=True, append_images=frames_p[1:], duration=GIF_TICK_MS, loop=0, optimize=False
    )
    return buf.getvalue()

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames
from popcon.media.formats import fit_budget
from popcon.media.preview import LIGHT_BG, PreviewItem, preview_gif, write_preview_html
from tests.helpers.clips import disc_clip

PRESET = get_platform("line-emoji")


def _apng(n: int, seconds: int) -> bytes:
    return fit_budget(fit_frames(disc_clip(n, size=200), PRESET.canvas), seconds, PRESET).data


def test_html_sheet_is_self_contained(tmp_path: Path) -> None:
    items = [PreviewItem("001.png", "Wave <3", "10 frames"), PreviewItem("002.png", "Jump", ok=False)]
    path = write_preview_html(tmp_path / "preview.html", items, "LINE emoji")
    text = path.read_text("utf-8")
    assert text.count('src="001.png"') == 3 and text.count('src="002.png"') == 3  # light, chat, dark
    assert "Wave &lt;3" in text and "invalid" in text
    assert "http://" not in text and "https://" not in text


def test_gif_grid_runs_all_clips_on_one_clock() -> None:
    data = preview_gif([_apng(10, 1), _apng(8, 2), _apng(6, 2)], ["a", "b", "c"], cell=100)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF"
        assert im.n_frames == 20  # lcm(1 s, 2 s) at 100 ms
        assert im.size == (200, 2 * 116)
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        assert sum(durations) == 2000
        im.seek(0)
        corner = im.convert("RGB").getpixel((199, 231))  # empty 4th cell: light background
        assert max(abs(a - b) for a, b in zip(corner, LIGHT_BG, strict=True)) <= 8

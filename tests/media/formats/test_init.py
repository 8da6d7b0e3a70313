from __future__ import annotations

import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import load_platforms
from popcon.media.formats import CODECS, codec_for


def test_every_preset_and_extra_image_has_a_codec_by_name() -> None:
    for preset in load_platforms().values():
        assert codec_for(preset).name == preset.format
        for extra in preset.extra_images:
            assert codec_for(extra.format) is CODECS[extra.format]
    with pytest.raises(InvalidInput, match="no codec for format 'bmp'"):
        codec_for("bmp")


def test_no_format_name_dispatch_outside_the_lookup() -> None:
    """Branching on a format name anywhere but here would bring back the per-format if-chains."""
    import re
    from pathlib import Path

    import popcon

    names = "|".join(CODECS)
    pattern = re.compile(
        rf"""format\s*(==|!=)\s*["']({names})["']|["']({names})["']\s*(==|!=)\s*\w+\.format"""
    )
    root = Path(popcon.__file__).parent
    hits = [
        f"{p.relative_to(root)}:{i}"
        for p in root.rglob("*.py")
        for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []

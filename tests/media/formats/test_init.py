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

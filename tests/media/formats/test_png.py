from __future__ import annotations

import pytest

from popcon.domain.platforms import CanvasRule, get_platform
from popcon.media.budget import BudgetExceeded
from popcon.media.canvas import fit_frames
from popcon.media.formats.png import CODEC
from popcon.media.validate import failures
from tests.media.test_canvas import disc_clip

TAB = get_platform("line-emoji").model_copy(update={"canvas": CanvasRule(width=96, height=74, mode="exact")})


def test_still_png_is_the_first_frame_and_validates() -> None:
    clip = fit_frames(disc_clip(4, size=120), TAB.canvas)
    fit = CODEC.fit(clip, 1, TAB)
    assert fit.knobs.frames == 1 and fit.source_frames == [0]
    assert not failures(CODEC.validate(fit.data, TAB))
    frames, _ = CODEC.decode(fit.data, TAB)
    assert (frames[0] == clip[0]).all()
    wrong = TAB.model_copy(update={"canvas": CanvasRule(width=80, height=80, mode="exact")})
    assert "canvas_size" in {r.rule for r in failures(CODEC.validate(fit.data, wrong))}
    with pytest.raises(BudgetExceeded, match="cannot fit"):
        CODEC.fit(clip, 1, TAB, max_bytes=10)

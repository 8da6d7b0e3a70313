from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from PIL import Image
from typer.testing import CliRunner

from popcon.cli.segment import register

from .conftest import iou, scene


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:  # a group, like the real app
        pass

    register(app)
    return app


def test_segment_writes_rgba_png(tmp_path: Path) -> None:
    img, truth = scene()
    src = tmp_path / "in.png"
    Image.fromarray(img).save(src)
    out = tmp_path / "out" / "cut.png"
    r = CliRunner().invoke(
        _app(), ["segment", str(src), "--click", "150,120,fg", "--click", "300,220,bg", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    im = Image.open(out)
    assert im.mode == "RGBA" and im.size == (img.shape[1], img.shape[0])
    a = np.asarray(im)[..., 3]
    assert iou(a > 127, truth) >= 0.93


def test_segment_with_prior_and_bad_click(tmp_path: Path) -> None:
    img, truth = scene()
    src = tmp_path / "in.png"
    Image.fromarray(img).save(src)
    prior = tmp_path / "prior.png"
    Image.fromarray(truth.astype(np.uint8) * 255).save(prior)
    out = tmp_path / "cut.png"
    r = CliRunner().invoke(
        _app(), ["segment", str(src), "--click", "150,120,fg", "--prior", str(prior), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(_app(), ["segment", str(src), "--click", "a,b,fg", "--out", str(out)])
    assert r.exit_code == 2
    assert "X,Y" in r.output or "numbers" in r.output

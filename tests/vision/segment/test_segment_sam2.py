from __future__ import annotations

import builtins
import importlib.util
from pathlib import Path

import pytest

from popcon.domain.errors import PopconError
from popcon.settings import Settings
from popcon.vision.segment.registry import get_segmenter


def test_missing_weights_is_a_clear_error(tmp_path: Path) -> None:
    from popcon.vision.segment.sam2 import Sam2Segmenter

    with pytest.raises(PopconError, match="POPCON_SAM_WEIGHTS"):
        Sam2Segmenter(None)
    with pytest.raises(PopconError, match="not found"):
        Sam2Segmenter(tmp_path / "sam2.1_t.pt")
    with pytest.raises(PopconError, match="POPCON_SAM_WEIGHTS"):
        get_segmenter(Settings(data_dir=tmp_path), "sam2")


def test_wrong_checkpoint_name(tmp_path: Path) -> None:
    from popcon.vision.segment.sam2 import Sam2Segmenter

    f = tmp_path / "model.pt"
    f.write_bytes(b"x")
    with pytest.raises(PopconError, match=r"sam2\.1_t\.pt"):
        Sam2Segmenter(f)


def test_missing_extra_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from popcon.vision.segment import sam2

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "ultralytics" else real(n, *a)
    )
    f = tmp_path / "sam2.1_t.pt"
    f.write_bytes(b"x")
    with pytest.raises(PopconError, match=r"popcon\[sam\]"):
        sam2.Sam2Segmenter(f)


def test_registry_defaults(tmp_path: Path) -> None:
    assert get_segmenter(Settings(data_dir=tmp_path)).name == "classical"
    assert get_segmenter(Settings(data_dir=tmp_path), "classical").name == "classical"
    with pytest.raises(PopconError):
        get_segmenter(Settings(data_dir=tmp_path), "magic")


def test_importing_the_package_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, popcon.vision.segment, popcon.vision.segment.registry, popcon.vision.segment.sam2, "
        "popcon.vision.segment.propagate, popcon.vision.segment.edits, popcon.cli.segment; "
        "print('torch' in sys.modules or 'ultralytics' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert builtins is not None


def test_random_weights_load_through_settings(sam_weights: Path, tmp_path: Path) -> None:
    seg = get_segmenter(Settings(data_dir=tmp_path, sam_weights=sam_weights))
    assert seg.name == "sam2"
    corrupt = tmp_path / "bad" / "sam2.1_t.pt"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"not a checkpoint")
    import numpy as np

    from popcon.vision.segment.sam2 import Sam2Segmenter

    with pytest.raises(PopconError, match="cannot load"):
        Sam2Segmenter(corrupt).prepare(np.zeros((32, 32, 3), np.uint8))


def test_loading_ultralytics_keeps_pillows_own_errors():
    """ultralytics patches PIL.Image.open on import; uploads must still fail with our clear error."""
    pytest.importorskip("ultralytics")
    from popcon.domain.errors import UnsupportedFormat
    from popcon.media.images import load_image
    from popcon.vision.segment.sam2 import _offline_ultralytics

    _offline_ultralytics()
    with pytest.raises(UnsupportedFormat):
        load_image(b"definitely not an image")

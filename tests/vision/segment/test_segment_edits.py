from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.vision.segment.base import Click
from popcon.vision.segment.edits import LayerStack, erase_rim

H, W = 40, 60


def _frame() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    original = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    matte = np.zeros((H, W, 4), np.uint8)
    matte[10:30, 10:40, :3] = (
        255 - original[10:30, 10:40]
    )  # "decontaminated" colours differ from the original
    matte[10:30, 10:40, 3] = 255
    return original, matte


def _mask(y0: int, y1: int, x0: int, x1: int, v: float = 1.0) -> np.ndarray:
    m = np.zeros((H, W), np.float32)
    m[y0:y1, x0:x1] = v
    return m


def test_keep_erase_restore_exact() -> None:
    original, matte = _frame()
    base = matte[..., 3].astype(np.float32) / 255
    s = LayerStack((H, W))
    np.testing.assert_array_equal(
        s.compose(original, matte),
        matte[..., :4] * (matte[..., 3:] > 0)
        + np.dstack([original * (matte[..., 3:] == 0), np.zeros((H, W, 1), np.uint8)]),
    )

    keep = _mask(0, 20, 0, 20)
    s.keep(keep)
    np.testing.assert_array_equal(s.alpha(base), keep)

    erase = _mask(5, 10, 5, 10)
    s.erase(erase)
    np.testing.assert_array_equal(s.alpha(base), keep * (1 - erase))

    restore = _mask(30, 40, 40, 60, 0.6)  # a soft region the matte had cleared
    s.restore(restore, [Click(50, 35, True)])
    a = s.alpha(base)
    np.testing.assert_allclose(a, np.maximum(keep * (1 - erase), np.round(restore * 255) / 255))
    out = s.compose(original, matte)
    region = restore > 0
    np.testing.assert_array_equal(out[..., :3][region], original[region])  # pristine pixels, no white box
    assert out[..., 3][region].tolist() == [153] * int(region.sum())


def test_restore_inside_the_matte_keeps_its_decontaminated_colours() -> None:
    """Erase then restore part of the character: it comes back as the matte showed it, so the rim
    does not bring back the background colour that the original pixels still carry there."""
    original, matte = _frame()
    s = LayerStack((H, W))
    s.erase(_mask(10, 30, 10, 40))
    s.restore(_mask(15, 20, 15, 20))
    out = s.compose(original, matte)
    np.testing.assert_array_equal(out[15:20, 15:20, :3], matte[15:20, 15:20, :3])
    assert (out[15:20, 15:20, 3] == 255).all()
    assert (out[25:30, 10:40, 3] == 0).all()


def test_restore_outside_the_matte_uses_original_pixels() -> None:
    original, matte = _frame()
    s = LayerStack((H, W))
    s.restore(_mask(2, 8, 2, 8))  # the matte had cleared this corner
    out = s.compose(original, matte)
    np.testing.assert_array_equal(out[2:8, 2:8, :3], original[2:8, 2:8])
    assert (out[2:8, 2:8, 3] == 255).all()


def test_undo_redo() -> None:
    _original, matte = _frame()
    base = matte[..., 3]
    s = LayerStack((H, W))
    a0 = s.alpha(base)
    s.erase(_mask(10, 30, 10, 25))
    a1 = s.alpha(base)
    s.restore(_mask(12, 14, 12, 14))
    a2 = s.alpha(base)
    assert s.undo()
    np.testing.assert_array_equal(s.alpha(base), a1)
    assert s.undo()
    np.testing.assert_array_equal(s.alpha(base), a0)
    assert not s.undo()
    assert s.redo() and s.redo() and not s.redo()
    np.testing.assert_array_equal(s.alpha(base), a2)
    s.undo()
    s.keep(_mask(0, 5, 0, 5))  # a new edit drops the redo history
    assert not s.can_redo


def test_save_load_roundtrip(tmp_path: Path) -> None:
    original, matte = _frame()
    s = LayerStack((H, W))
    s.keep(_mask(0, 30, 0, 50, 0.8), [Click(3.5, 4.0, True), Click(40, 20, False)])
    s.erase(_mask(10, 20, 10, 20))
    s.restore(_mask(12, 15, 12, 15))
    s.undo()
    s.save(tmp_path / "f0001")
    t = LayerStack.load(tmp_path / "f0001")
    assert [layer.op for layer in t.layers] == ["keep", "erase"]
    assert t.layers[0].clicks == (Click(3.5, 4.0, True), Click(40, 20, False))
    np.testing.assert_array_equal(t.compose(original, matte), s.compose(original, matte))
    assert t.redo()
    s.redo()
    np.testing.assert_array_equal(t.compose(original, matte), s.compose(original, matte))


def test_bad_edits_refused(tmp_path: Path) -> None:
    s = LayerStack((H, W))
    with pytest.raises(InvalidInput):
        s.push("paint", _mask(0, 1, 0, 1))
    with pytest.raises(InvalidInput):
        s.keep(np.zeros((3, 3), np.float32))
    with pytest.raises(InvalidInput):
        LayerStack.load(tmp_path)


def test_erase_takes_the_soft_matte_rim_but_not_the_solid_neighbour() -> None:
    """A click mask stops at the solid edge; the matte's soft rim outside it must go with it (no ghost)."""
    alpha = np.zeros((40, 60), np.uint8)
    alpha[10:30, 10:30] = 255  # the object to erase
    alpha[8:32, 8:10] = alpha[8:32, 30:32] = alpha[8:10, 8:32] = alpha[30:32, 8:32] = 90  # its soft rim
    alpha[10:30, 33:50] = 255  # a solid neighbour 3 px away
    mask = np.zeros((40, 60), np.float32)
    mask[10:30, 10:30] = 1.0
    stack = LayerStack(alpha.shape)
    stack.erase(mask)
    naive = stack.alpha(alpha)
    assert naive[8:32, 8:32].max() > 0.3  # what erase alone left: the outline
    stack = LayerStack(alpha.shape)
    stack.erase(erase_rim(mask, alpha))
    a = stack.alpha(alpha)
    assert a[8:32, 8:32].max() == 0.0
    assert (a[10:30, 33:50] == 1.0).all()  # the solid neighbour is untouched


def test_restore_pastes_the_source_never_more_opaque_than_it() -> None:
    """With a restore source (a keyed frame with its key taken out, or a frame's own alpha), restored
    pixels take its colours and at most its alpha: a restore over the background brings back nothing."""
    original, matte = _frame()
    source = np.zeros((H, W, 4), np.uint8)
    source[..., :3] = 7
    source[30:40, 40:50, 3] = 128  # half a character pixel there, pure background elsewhere
    s = LayerStack((H, W))
    s.restore(_mask(25, 40, 35, 60))
    out = s.compose(original, matte, source=source)
    assert (out[30:40, 40:50, 3] == 128).all() and (out[30:40, 40:50, :3] == 7).all()
    assert (out[25:30, 50:60, 3] == 0).all()  # background: no opacity to restore
    np.testing.assert_array_equal(out[10:30, 10:40], matte[10:30, 10:40])  # the matte's part untouched
    s.erase(_mask(10, 30, 10, 40))
    s.restore(_mask(10, 30, 10, 40))  # what the matte showed comes back to the matte's alpha
    assert (s.compose(original, matte, source=source)[10:30, 10:40, 3] == 255).all()

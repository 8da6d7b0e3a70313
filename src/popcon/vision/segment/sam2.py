"""SAM 2.1 click segmentation through ultralytics (optional extra `popcon[sam]`, AGPL, imported lazily).

Why our own thin loop instead of ultralytics' Predictor: we need the image embedding cached per frame
(the UI predicts on every click), all clicks of one object as one prompt, every candidate mask kept
(confidence 0: nothing filtered, the best-scored one returned as a soft mask), and no side effects.
ultralytics is only used to build the network and load the local checkpoint; before it is imported the
environment is set so it never touches the network (no online check, no auto-install, no settings sync,
no asset download) and keeps its settings file in a directory of ours.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from popcon.domain.errors import MissingWeights
from popcon.settings import Settings
from popcon.vision.segment.base import (
    Click,
    LRUCache,
    Prepared,
    check_image,
    click_arrays,
    merge_prior,
    normalize_prior,
)
from popcon.vision.segment.registry import SEGMENTERS

__all__ = ["MODEL_NAMES", "Sam2Segmenter", "write_random_weights"]

MODEL_NAMES = ("sam2.1_t.pt", "sam2.1_s.pt", "sam2.1_b.pt", "sam2.1_l.pt")
IMGSZ = 1024
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)
_import_lock = threading.Lock()


def _restore_pillow_open() -> None:
    """Undo ultralytics' process-wide patch of PIL.Image.open.

    Its wrapper tries to install a HEIF plugin when Pillow cannot identify a file, which turns our
    clear "not an image" upload error into a missing-module crash.
    """
    from PIL import Image

    with contextlib.suppress(ImportError):
        from ultralytics.utils import patches

        original = getattr(patches, "_image_open", None)
        if original is not None and Image.open is getattr(patches, "image_open", None):
            Image.open = original


def _offline_ultralytics() -> Any:
    """Import ultralytics' SAM builders with every network path switched off."""
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("ultralytics") is None:
        raise MissingWeights(
            "the SAM 2 backend needs the optional extra: pip install 'popcon[sam]' "
            "(torch + ultralytics); or use --backend classical"
        )
    with _import_lock:
        os.environ["YOLO_OFFLINE"] = "1"
        os.environ["YOLO_AUTOINSTALL"] = "False"
        os.environ.setdefault("YOLO_VERBOSE", "False")
        os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "popcon-ultralytics"))
        from ultralytics.models.sam import build
        from ultralytics.utils import SETTINGS

        _restore_pillow_open()

        if SETTINGS.get("sync", False):
            SETTINGS.update(sync=False)
        return build


def _builder(name: str) -> Any:
    build = _offline_ultralytics()
    size = name.removesuffix(".pt")[-1]
    return {
        "t": build.build_sam2_t,
        "s": build.build_sam2_s,
        "b": build.build_sam2_b,
        "l": build.build_sam2_l,
    }[size]


def _model_name(weights: Path) -> str:
    for name in MODEL_NAMES:
        if weights.name.endswith(name):
            return name
    raise MissingWeights(
        f"{weights.name} is not a SAM 2.1 checkpoint name; expected one of {', '.join(MODEL_NAMES)} "
        "(the name tells which architecture to build)"
    )


def write_random_weights(path: Path, size: str = "t") -> Path:
    """Build SAM 2.1 with random weights and save it as a checkpoint (tests, latency bench; no download)."""
    import torch

    build = _offline_ultralytics()
    real_load = build._load_checkpoint
    build._load_checkpoint = lambda model, checkpoint: model  # keep the 2.1 architecture, skip the download
    try:
        model = _builder(f"sam2.1_{size}.pt")(f"sam2.1_{size}.pt")
    finally:
        build._load_checkpoint = real_load
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.state_dict()}, path)
    return path


@SEGMENTERS.register("sam2")
class Sam2Segmenter:
    """SAM 2.1 image predictor: embeddings per frame in an LRU, prompts decoded on each click."""

    name = "sam2"

    @classmethod
    def from_settings(cls, settings: Settings) -> Sam2Segmenter:
        return cls(settings.sam_weights)

    def __init__(self, weights: Path | str | None, device: str = "cpu", cache_size: int = 8) -> None:
        if weights is None or str(weights) == "":
            raise MissingWeights(
                "SAM 2.1 needs its weights: download sam2.1_t.pt (or _s/_b/_l) yourself and set "
                "POPCON_SAM_WEIGHTS to its path; PopCon never downloads them. Or use --backend classical."
            )
        self.weights = Path(weights).expanduser()
        if not self.weights.is_file():
            raise MissingWeights(f"SAM 2.1 weights not found at {self.weights} (POPCON_SAM_WEIGHTS)")
        self.model_name = _model_name(self.weights)
        _offline_ultralytics()  # fail now, with a clear message, when the extra is missing
        self.device = device
        self._model: Any = None
        self._model_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._cache = LRUCache(cache_size)

    def _net(self) -> Any:
        with self._model_lock:
            if self._model is None:
                build = _builder(self.model_name)
                try:
                    model = build(str(self.weights))
                except Exception as e:  # a corrupt or mismatched file: say which
                    raise MissingWeights(f"cannot load SAM 2.1 weights {self.weights}: {e}") from e
                self._model = model.to(self.device).eval()
            return self._model

    def prepare(self, image: np.ndarray, key: str | None = None) -> Prepared:
        rgb = check_image(image)
        h, w = rgb.shape[:2]

        def make() -> Prepared:
            import torch

            t0 = time.perf_counter()
            model = self._net()
            r = IMGSZ / max(h, w)
            nh, nw = round(h * r), round(w * r)
            x = np.zeros((IMGSZ, IMGSZ, 3), np.float32)  # letterbox: top-left aligned, zero padded
            x[:nh, :nw] = (cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR) - MEAN) / STD
            t = torch.from_numpy(x.transpose(2, 0, 1)[None].copy()).to(self.device)
            with self._run_lock, torch.inference_mode():
                out = model.forward_image(t)
                _, feats, _, _ = model._prepare_backbone_features(out)
                if model.directly_add_no_mem_embed:
                    feats[-1] = feats[-1] + model.no_mem_embed
                sizes = [(IMGSZ // 4, IMGSZ // 4), (IMGSZ // 8, IMGSZ // 8), (IMGSZ // 16, IMGSZ // 16)]
                maps = [f.permute(1, 2, 0).reshape(1, -1, *s) for f, s in zip(feats, sizes, strict=True)]
            data = {"embed": maps[-1], "high_res": maps[:-1], "scale": r, "resized": (nh, nw)}
            return Prepared(self.name, (h, w), data, time.perf_counter() - t0)

        return self._cache.get_or_make(key, make)

    def predict(
        self, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
    ) -> np.ndarray:
        import torch

        h, w = prepared.shape
        p = normalize_prior(prior, (h, w))
        xy, pos = click_arrays(points, (h, w))
        if len(xy) == 0:
            return p.copy() if p is not None else np.zeros((h, w), np.float32)
        d = prepared.data
        model = self._net()
        coords = torch.from_numpy((xy + 0.5) * np.float32(d["scale"]))[None].to(self.device)
        labels = torch.from_numpy(pos.astype(np.int32))[None].to(self.device)
        with self._run_lock, torch.inference_mode():
            sparse, dense = model.sam_prompt_encoder(points=(coords, labels), boxes=None, masks=None)
            masks, scores, _, _ = model.sam_mask_decoder(
                image_embeddings=d["embed"],
                image_pe=model.sam_prompt_encoder.get_dense_pe(),
                sparse_prompt_embeddings=sparse,
                dense_prompt_embeddings=dense,
                multimask_output=len(xy) == 1,  # one click is ambiguous: keep every candidate
                repeat_image=False,
                high_res_features=d["high_res"],
            )
        # conf 0: no candidate is dropped; the one the model scores best is returned
        best = int(scores[0].argmax())
        logits = masks[0, best].float().cpu().numpy()
        nh, nw = d["resized"]
        big = cv2.resize(logits, (IMGSZ, IMGSZ), interpolation=cv2.INTER_LINEAR)[:nh, :nw]
        big = cv2.resize(big, (w, h), interpolation=cv2.INTER_LINEAR)
        mask = (1.0 / (1.0 + np.exp(-np.clip(big, -30, 30)))).astype(np.float32)
        return merge_prior(mask, p, xy, pos) if p is not None else mask

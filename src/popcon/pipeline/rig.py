"""The character's rig, made once per job right after the character cut-out and stored beside it.

Where a rig comes from, first match wins: the rig the user placed (saved with the job's inputs), the
image provider's own rig when it drew the character in parts (`capabilities.rigs`: `character_rig`
may also return exact part layers), else the weight-free auto-rig. Every later stage and every
resume reads `rig.json`; nothing rebuilds it, so a clip rendered after a crash moves the same parts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image

from popcon.atomic import atomic_path, write_bytes_atomic
from popcon.domain.models import JobOptions
from popcon.domain.rig import PART_NAMES, Rig, fit_rig, parse_rig
from popcon.providers.base import ImageProvider
from popcon.store.files import JobFiles


def read_rig(files: JobFiles) -> Rig | None:
    """The job's stored rig (None before the character stage made it)."""
    return parse_rig(files.rig.read_bytes()) if files.rig.exists() else None


def save_rig(files: JobFiles, rig: Rig) -> Path:
    """Replace the job's rig atomically (the previous good rig stays until the new one is complete)."""
    return write_bytes_atomic(files.rig, rig.to_json().encode())


def _save_layers(files: JobFiles, layers: dict[str, Image.Image]) -> None:
    for name, im in layers.items():
        if name not in PART_NAMES:
            raise ValueError(f"rig layer {name!r} is not a part ({', '.join(PART_NAMES)})")
        with atomic_path(files.rig_layers_dir / f"{name}.png") as tmp:
            im.convert("RGBA").save(tmp, format="PNG")


def ensure_rig(
    files: JobFiles,
    options: JobOptions,
    prompt: str | None,
    images: ImageProvider,
    log: Callable[[str], None],
) -> Rig:
    """The job's rig: the stored one, or made now from the user's file, the provider (asked only for a
    character drawn from `prompt`), or the auto-rig."""
    stored = read_rig(files)
    if stored is not None:
        return stored
    character = Image.open(files.character).convert("RGBA")
    w, h = character.size
    rig: Rig | None = None
    if name := options.rig:
        rig = fit_rig(parse_rig((files.input_dir / name).read_bytes()), w, h)
        rig = rig.model_copy(update={"source": "user"})
        log("rig: the one you placed")
    if rig is None and prompt is not None and images.capabilities.rigs:
        made = images.character_rig(prompt, character)
        if made is not None:
            rig, layers = made
            rig = fit_rig(rig, w, h)
            if layers:
                _save_layers(files, layers)
                rig = rig.model_copy(update={"layers": True})
            log(f"rig: drawn by the {images.name} provider")
    if rig is None:
        from popcon.animation.api import auto_rig

        rig = auto_rig(character)
        if rig.animates_parts:
            log(f"rig: found automatically (confidence {rig.confidence:.2f})")
        else:
            log(f"rig: whole body ({rig.note})")
    save_rig(files, rig)
    return rig

"""A job's captions and store text at export time: what each action shows on one preset, and the
notes (title, description per language) written beside a LINE or Kakao package.

Read from the job's stored options only, so a resumed or re-run export draws the same captions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PIL import Image

from popcon.domain.captions import (
    Caption,
    caption_for,
    submission_problems,
    wants_submission_text,
)
from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.pipeline.rig import read_rig
from popcon.store.files import JobFiles


def rig_head(files: JobFiles) -> tuple[float, float] | None:
    """The head's rows in the character's own box, from the rig's head_top (else the box's top) down
    to its neck (the head's base); None without a rig that places the neck."""
    try:
        rig = read_rig(files)
    except ValueError:
        return None
    if rig is None or "neck" not in rig.joints or not files.character.exists():
        return None
    with Image.open(files.character) as im:
        alpha = np.asarray(im.convert("RGBA"))[:, :, 3]
    rows = np.flatnonzero((alpha > 8).any(axis=1))
    if rows.size == 0:
        return None
    sy = alpha.shape[0] / rig.height  # the rig may be stored for another size of the same image
    y0, h = float(rows[0]), float(rows[-1] + 1 - rows[0])
    top = rig.joints["head_top"][1] * sy if "head_top" in rig.joints else y0
    return (top - y0) / h, (rig.joints["neck"][1] * sy - y0) / h


def action_captions(files: JobFiles, job: Job, preset_id: str) -> dict[str, Caption]:
    """Action id -> its caption on `preset_id` (actions without one are absent)."""
    options = job.options.captions
    if options is None or not options.enabled:
        return {}
    kind = get_platform(preset_id).kind
    out = {a.action_id: c for a in job.actions if (c := caption_for(options, a.action_id, kind))}
    if out:
        head = rig_head(files)  # read only when some action carries a caption
        out = {k: replace(c, head=head) for k, c in out.items()}
    return out


def submission_notes(job: Job, preset_id: str) -> str | None:
    """The text to paste into the store's form (None: the store asks for none, or none was given)."""
    preset = get_platform(preset_id)
    texts = job.options.submission
    if not texts or not wants_submission_text(preset.platform):
        return None
    lines = [f"{preset.name}: text for the store's item form (paste per language)", ""]
    for problem in submission_problems(preset.platform, texts):
        lines.append(f"! {problem}")
    for lang, t in texts.items():
        lines += [f"[{lang}]", f"title: {t.title}", f"description: {t.description}", ""]
    return "\n".join(lines)

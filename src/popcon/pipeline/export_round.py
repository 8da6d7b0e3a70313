"""One export request ("round"): the platforms asked for and a token every set it publishes carries.

Why: a process killed mid-export is resumed by exporting again, and without a record of what this
very request already published, the finished platforms were encoded and swapped in a second time
(new manifest, new ZIP, new inodes). The round is written before the job enters `exporting`; each
set it publishes carries its token in `manifest.json` and as the ZIP's comment (the ZIP is swapped
in last), so a resume of the same round keeps a set whose folder and ZIP both carry the token and
redoes only the rest. A new request (export again, after refinement) starts a new round, so a set
from an older one is never mistaken for current.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from popcon.atomic import write_bytes_atomic

ROUND_FILE = "export-round.json"  # in the job folder, beside exports/ (which holds only the sets)


@dataclass(frozen=True)
class ExportRound:
    token: str
    platforms: list[str]

    @classmethod
    def start(cls, job_dir: Path, platforms: list[str]) -> ExportRound:
        """A new round, on disk before anything of it is published."""
        rnd = cls(uuid.uuid4().hex, list(platforms))
        data = json.dumps({"token": rnd.token, "platforms": rnd.platforms}).encode()
        write_bytes_atomic(job_dir / ROUND_FILE, data)
        return rnd

    @classmethod
    def load(cls, job_dir: Path) -> ExportRound | None:
        """The round in progress, or None (none recorded, or unreadable: then start a new one)."""
        try:
            raw = json.loads((job_dir / ROUND_FILE).read_text("utf-8"))
            token, platforms = raw["token"], raw["platforms"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(token, str) or not isinstance(platforms, list) or not platforms:
            return None
        return cls(token, [str(p) for p in platforms])

    @staticmethod
    def forget(job_dir: Path) -> None:
        """No round in progress any more (a new request is about to start one)."""
        with suppress(OSError):
            (job_dir / ROUND_FILE).unlink(missing_ok=True)


def published_manifest(exports_dir: Path, preset_id: str, token: str) -> dict[str, Any] | None:
    """The manifest of `preset_id`'s set when this round published it whole (folder and ZIP), else None."""
    try:
        manifest = json.loads((exports_dir / preset_id / "manifest.json").read_text("utf-8"))
        with zipfile.ZipFile(exports_dir / f"{preset_id}.zip") as zf:
            comment = zf.comment.decode("ascii", "replace")
    except (OSError, ValueError, zipfile.BadZipFile):
        return None
    if not isinstance(manifest, dict) or manifest.get("round") != token or comment != token:
        return None
    return manifest

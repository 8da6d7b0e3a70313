"""Find the caption fonts on this machine and split a caption into runs, one font per run.

A face is looked up by family through fontconfig (`fc-list`, where installed) and, failing that, by
its known file names in the usual font folders (Debian, macOS, Windows, the user's own), so no single
path is assumed. `POPCON_CAPTION_FONT_DIRS` (os.pathsep-separated) adds folders, for fonts kept beside
a project. Each character of a caption goes to the first family of its language's list whose cmap has
it; a character no listed font has is an error naming it and the package that provides the fonts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import ClassVar

from popcon.domain.captions import FontFace, caption_data, check_language
from popcon.domain.errors import InvalidInput
from popcon.media.fontfile import font_charset

_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "C:/Windows/Fonts",
)


class MissingFont(InvalidInput):
    """No installed font draws some character of a caption."""

    code: ClassVar[str] = "missing_font"


@dataclass(frozen=True)
class FontRef:
    family: str
    path: Path
    index: int


def _fc_list(family: str) -> list[tuple[Path, int]]:
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, "--format", "%{file}\t%{index}\t%{style}\n", f":family={family}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.splitlines():
        path, _, rest = line.partition("\t")
        index, _, style = rest.partition("\t")
        if "Bold" in style.split(",") and index.isdigit():
            found.append((Path(path), int(index)))
    return found


def _font_dirs() -> list[Path]:
    extra = [p for p in os.environ.get("POPCON_CAPTION_FONT_DIRS", "").split(os.pathsep) if p]
    return [Path(d).expanduser() for d in (*extra, *_FONT_DIRS)]


def _by_file_name(face: FontFace) -> list[tuple[Path, int]]:
    found: list[tuple[Path, int]] = []
    for root in _font_dirs():
        if not root.is_dir():
            continue
        for name in face.files:
            found.extend((p, face.index if p.suffix.lower() == ".ttc" else 0) for p in root.rglob(name))
    return found


@cache
def locate(family: str) -> FontRef | None:
    """The bold face of `family` on this machine, or None (cached for the process)."""
    face = caption_data().fonts[family]
    extra_first = _by_file_name(face) if os.environ.get("POPCON_CAPTION_FONT_DIRS") else []
    for path, index in (*extra_first, *_fc_list(family), *_by_file_name(face)):
        if path.is_file():
            try:
                font_charset(path, index)
            except InvalidInput:
                continue
            return FontRef(family, path, index)
    return None


def _joins_previous(ch: str) -> bool:
    """Marks, joiners and spaces stay with the run before them (Thai vowel signs and tone marks)."""
    return unicodedata.category(ch) in {"Mn", "Mc", "Me", "Cf", "Zs"}


def font_runs(text: str, lang: str) -> list[tuple[FontRef, str]]:
    """`text` as consecutive (font, piece) runs, each drawn by one face that has every character.

    Raises MissingFont naming the characters no installed font of the language draws.
    """
    spec = caption_data().languages[check_language(lang)]
    faces = [(ref, font_charset(ref.path, ref.index)) for f in spec.fonts if (ref := locate(f))]
    runs: list[tuple[FontRef, str]] = []
    missing: list[str] = []
    for ch in text:
        cp = ord(ch)
        if runs and _joins_previous(ch) and cp in font_charset(runs[-1][0].path, runs[-1][0].index):
            runs[-1] = (runs[-1][0], runs[-1][1] + ch)
            continue
        ref = next((r for r, charset in faces if cp in charset), None)
        if ref is None:
            if not ch.isspace():
                missing.append(ch)
            continue
        if runs and runs[-1][0] == ref:
            runs[-1] = (ref, runs[-1][1] + ch)
        else:
            runs.append((ref, ch))
    if missing:
        fonts = caption_data().fonts
        absent = [f for f in spec.fonts if locate(f) is None]
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in dict.fromkeys(missing))
        if absent:
            packages = " and ".join(sorted({fonts[f].package for f in absent}))
            hint = f"install {packages} (`make install` does), change the caption, or turn captions off"
        else:
            hint = f"none of {', '.join(spec.fonts)} has it: change the caption (emoji are not drawn)"
        raise MissingFont(f"no caption font draws {shown} of the {lang} caption {text!r}; {hint}")
    return runs

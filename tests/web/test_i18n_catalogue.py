"""The web UI's message catalogues (static/i18n/{en,ja,ko}.json): every language has every message, with
the same placeholders, and every key the pages use (in markup, in scripts, and the keys made from
data: statuses, actions, platforms, error and warning codes, joints) is in them."""

from __future__ import annotations

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

from popcon.domain import errors
from popcon.domain.actions import load_presets
from popcon.domain.platforms import load_platforms
from popcon.domain.reports import CUTOUT_LOW_CONFIDENCE, MATTE_LOW_CONFIDENCE
from popcon.domain.status import ActionStatus, JobStatus
from tests.conftest import REPO

STATIC = REPO / "src" / "popcon" / "web" / "static"
LANGS = ("en", "ja", "ko")
PLURAL = ".one"  # English's singular form ("1 file"); languages without one use the base message


def catalogue(lang: str) -> dict[str, str]:
    return json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def base_keys(cat: dict[str, str]) -> set[str]:
    return {k for k in cat if not k.endswith(PLURAL)}


def sources() -> dict[Path, str]:
    files = [STATIC / "index.html", *sorted((STATIC / "js").rglob("*.js"))]
    return {p: p.read_text(encoding="utf-8") for p in files}


def used_keys() -> set[str]:
    """Keys written out in the pages: msg("..."), data-i18n="..." and data-i18n-attr="name=key"."""
    keys: set[str] = set()
    for text in sources().values():
        keys |= set(re.findall(r"""\bmsg\(\s*["']([\w.-]+)["']""", text))
        keys |= set(re.findall(r'data-i18n="([\w.-]+)"', text))
        for attrs in re.findall(r'data-i18n-attr="([^"]+)"', text):
            keys |= {pair.split("=")[1].strip() for pair in attrs.split(";")}
    return keys


def made_keys() -> set[str]:
    """Keys the pages build from data (msg(`status.${s}`) and the like): every value the data can take."""
    rig = (STATIC / "js" / "rig-editor.js").read_text(encoding="utf-8")
    joints = re.findall(r"^\s*(?:\w+: \[[\d., ]+\],?\s*)+", rig[rig.index("const TEMPLATE") :], re.M)
    joint_names = set(re.findall(r"(\w+): \[", "".join(joints)))
    export_py = (REPO / "src" / "popcon" / "pipeline" / "export.py").read_text(encoding="utf-8")
    cutout_py = (REPO / "src" / "popcon" / "vision" / "cutout.py").read_text(encoding="utf-8")
    warnings = set(re.findall(r'_code\(\s*"(\w+)"', export_py))
    warnings |= set(re.findall(r'"(cutout_\w+)"', cutout_py))
    keys = {f"status.{s}" for s in [*JobStatus, *ActionStatus, "running", "progress"]}
    # The job page's tracker: every working stage, then review, export and done.
    keys |= {f"stage.{s}" for s in JobStatus if s.active or s.value in ("awaiting_refinement", "completed")}
    keys -= {"stage.queued"}
    keys |= {f"action.{a}" for a in load_presets()}
    keys |= {f"platform.{p}" for p in load_platforms()}
    keys |= {f"warning.{w}" for w in warnings | {MATTE_LOW_CONFIDENCE, CUTOUT_LOW_CONFIDENCE}}
    keys |= {f"rig.joint_{j}" for j in joint_names}
    keys |= {f"event.{k}" for k in ("job", "action", "export", "log", "refine")}
    keys |= {f"refine.mode_{m}" for m in ("keep", "erase", "restore")}
    keys |= {f"refine.backdrop_{b}" for b in ("checker", "light", "dark")}
    keys |= {f"captions.motion_{m}" for m in ("pop", "bounce", "none")}
    keys |= {f"jobs.next_{s}" for s in ("refine", "results", "watch", "open")}
    keys |= {f"error.{c}" for c in error_codes()}
    keys |= {f"rule.{r}" for r in rule_ids()}
    return keys


SRC = REPO / "src" / "popcon"


def error_classes() -> dict[str, tuple[str, ast.ClassDef]]:
    """Every PopconError subclass in the package (by name: its module and its class body), found by
    walking the source, so a class in a module no test imports is seen too."""
    found: dict[str, tuple[str, ast.ClassDef]] = {}
    bases: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found[node.name] = (module, node)
                bases[node.name] = {b.id for b in node.bases if isinstance(b, ast.Name)}
    family = {"PopconError"}
    while grown := {n for n, b in bases.items() if b & family} - family:
        family |= grown
    return {n: found[n] for n in family}


def error_codes() -> set[str]:
    """Every code a stored error, an event or an API answer can carry: each error class's own code,
    the job outcomes no class names, and the storage codes the API and the engine tell apart."""
    codes = {getattr(importlib.import_module(m), name).code for name, (m, _) in error_classes().items()}
    return codes | set(errors.JOB_ERROR_CODES) | {"storage_full", "storage_unavailable"}


def rule_ids() -> set[str]:
    """Every rule id a validator can report: the first argument of each `RuleResult(...)` made."""
    ids: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RuleResult":
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant), (
                    f"{path.name}:{node.lineno}: a rule id must be a literal"
                )
                ids.add(first.value)
    return ids


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_every_language_has_every_message() -> None:
    cats = {lang: catalogue(lang) for lang in LANGS}
    every = set().union(*(base_keys(c) for c in cats.values()))
    for lang, cat in cats.items():
        missing = sorted(every - base_keys(cat))
        assert not missing, f"{lang}.json lacks {missing}"
        orphans = sorted(k for k in cat if k.endswith(PLURAL) and k[: -len(PLURAL)] not in cat)
        assert not orphans, f"{lang}.json has plural forms with no base message: {orphans}"
        empty = sorted(k for k, v in cat.items() if not isinstance(v, str) or not v.strip())
        assert not empty, f"{lang}.json has empty messages: {empty}"


def test_translations_use_the_placeholders_of_the_english() -> None:
    en = catalogue("en")
    for lang in ("ja", "ko"):
        for key, text in catalogue(lang).items():
            extra = placeholders(text) - placeholders(en[key])
            assert not extra, f"{lang}.json {key} uses {extra}, which the page never passes"


def test_translations_are_not_left_in_english() -> None:
    en = catalogue("en")
    for lang in ("ja", "ko"):
        same = [
            k
            for k, v in catalogue(lang).items()
            if v == en.get(k)
            and re.search(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", v))
            and not k.startswith(("platform.", "action.ok"))
        ]
        assert not same, f"{lang}.json copies the English of {same}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_a_page_uses_is_in_the_catalogue(lang: str) -> None:
    cat = base_keys(catalogue(lang))
    missing = sorted((used_keys() | made_keys()) - cat)
    assert not missing, f"{lang}.json lacks keys the pages use: {missing}"


def test_the_key_scan_sees_the_pages() -> None:
    """The scan itself finds keys in markup and in scripts (else the test above proves nothing)."""
    keys = used_keys()
    assert {"nav.create", "app.title", "create.submit", "job.resume", "refine.apply"} <= keys
    assert {"status.completed", "action.wave", "platform.line-emoji", "rig.joint_left_knee"} <= made_keys()
    assert "warning.set_too_small" in made_keys() and "warning.cutout_empty" in made_keys()


def test_every_error_class_names_its_own_code() -> None:
    """A new error class must choose its code (else it would silently take its parent's words)."""
    silent = []
    for name, (_, node) in error_classes().items():
        own = [
            s
            for s in node.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.target.id == "code"
        ]
        if not own:
            silent.append(name)
    assert not silent, f"error classes without their own `code`: {silent}"


def test_the_code_scan_sees_the_errors_and_rules() -> None:
    codes = error_codes()
    assert {"provider_refused", "over_budget", "missing_weights", "internal", "canceled"} <= codes
    assert {"all_actions_failed", "invalid_export", "busy", "storage_full"} <= codes
    assert {"file_size", "canvas_size", "frame_count", "first_last_similar", "alpha"} <= rule_ids()
    assert "warning.left_out" in made_keys() and "warning.file_rule" in made_keys()


def test_no_page_text_is_written_in_english_outside_the_catalogue() -> None:
    """A sentence typed into a view's h() call bypasses the catalogue: look for capitalised English
    string literals passed as children or as labelled attributes."""
    pattern = re.compile(
        r"""(?:"(?:aria-label|title|placeholder|alt)":\s*|\},\s*)(["'`])([A-Z][a-z]+(?: [a-z]+)*)\1"""
    )
    found = []
    for path, text in sources().items():
        if path.name == "i18n.js":
            continue
        found += [f"{path.name}: {m.group(2)}" for m in pattern.finditer(text)]
    assert not found, found

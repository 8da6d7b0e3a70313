"""The layers point down only, read from every module's imports (ast, so lazy imports count too).

shells (cli, web) -> use cases -> queue -> pipeline -> adapters (providers, vision, media, store)
-> domain and the shared base (settings, atomic, registry). A module may import its own layer and
any layer below; the shells may import nothing between them and the use cases.
"""

from __future__ import annotations

import ast
from pathlib import Path

import popcon

SRC = Path(popcon.__file__).resolve().parent

RANK = {
    "domain": 0,
    "settings": 0,
    "atomic": 0,
    "registry": 0,
    "data": 0,
    "__init__": 0,
    "__main__": 6,
    "store": 1,
    "media": 1,
    "vision": 1,
    "providers": 1,
    "pipeline": 2,
    "queue": 3,
    "usecases": 4,
    "web": 5,
    "cli": 5,
}
SHELLS = {"cli", "web"}
SHELL_MAY_IMPORT = {"domain", "settings", "usecases", "cli", "web", "__init__"}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    module = "popcon." + ".".join(path.relative_to(SRC).with_suffix("").parts)
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("popcon")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "popcon":  # `from popcon import x`: x is a module, or a name of popcon/__init__
                for a in node.names:
                    is_module = (SRC / a.name).is_dir() or (SRC / f"{a.name}.py").exists()
                    out.append((node.lineno, f"popcon.{a.name}" if is_module else "popcon"))
            elif name.startswith("popcon."):
                out.append((node.lineno, name))
    return out


def verdict(layer: str, target: str) -> str | None:
    """Why `layer` may not import `target`, or None when it may."""
    to = _top(target)
    if layer in SHELLS and to not in SHELL_MAY_IMPORT:
        return f"a shell calls use cases, not {to}"
    if RANK.get(to, 0) > RANK.get(layer, 0):
        return f"{layer} may not import the layer above it, {to}"
    return None


def layer_violations() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        layer = rel.parts[0].removesuffix(".py")
        for line, target in _imports(path):
            why = verdict(layer, target)
            if why:
                bad.append(f"{rel}:{line} imports {target} ({why})")
    return bad


def test_every_layer_imports_only_downwards() -> None:
    bad = layer_violations()
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_the_rules_refuse_upward_and_shell_imports() -> None:
    assert verdict("pipeline", "popcon.queue.pool")
    assert verdict("web", "popcon.store.db")
    assert verdict("cli", "popcon.vision.matte")
    assert verdict("domain", "popcon.media.images")
    assert verdict("queue", "popcon.pipeline.engine") is None
    assert verdict("web", "popcon.usecases.jobs") is None


def test_the_check_sees_lazy_imports() -> None:
    found = {t for _, t in _imports(SRC / "usecases" / "tools.py")}  # imports vision inside functions
    assert "popcon.vision.matte" in found


def test_every_top_level_package_has_a_layer() -> None:
    tops = {
        p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    assert tops <= set(RANK), f"no layer for {sorted(tops - set(RANK))}"

"""The layers point down only, read from every module's imports (ast, so lazy imports count too).

shells (cli, web) -> use cases -> queue -> pipeline -> adapters (providers, vision, media, store)
-> domain and the shared base (settings, atomic, registry). A module may import its own layer and
any layer below; the shells may import nothing between them and the use cases. The pipeline and the
queue reach a provider through its interface and the registry only, never a provider package's
modules, and no module imports itself back through others at import time.
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
    "animation": 1,
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


# ---- the pipeline reaches a provider through its interface only ---------------------------------
PROVIDER_CLIENTS = {"pipeline", "queue"}


def provider_internal(target: str) -> bool:
    """A module inside one provider's package (popcon.providers.offline.*, .cloud.*): its internals.
    The interface (providers.base), the registry and shared helpers sit beside the packages."""
    parts = target.split(".")
    return (
        parts[:2] == ["popcon", "providers"] and len(parts) >= 3 and (SRC / "providers" / parts[2]).is_dir()
    )


def provider_internal_imports() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] not in PROVIDER_CLIENTS:
            continue
        bad += [f"{rel}:{line} imports {t}" for line, t in _imports(path) if provider_internal(t)]
    return bad


def test_the_pipeline_imports_no_provider_internals() -> None:
    bad = provider_internal_imports()
    assert not bad, "the pipeline goes through providers.base and providers.registry:\n" + "\n".join(bad)


def test_the_provider_rule_sees_internals() -> None:
    assert provider_internal("popcon.providers.offline.provider")
    assert provider_internal("popcon.providers.cloud.dashscope")
    assert not provider_internal("popcon.providers.base")
    assert not provider_internal("popcon.providers.registry")


# ---- the layers above and the providers reach the animation package through its interface only --
ANIMATION_CLIENTS = {"pipeline", "queue", "usecases", "providers"}  # the offline provider: a thin adapter
ANIMATION_INTERFACE = "popcon.animation.api"


def animation_internal(target: str) -> bool:
    """A module of popcon.animation other than its interface (`animation.api`)."""
    return target.split(".")[:2] == ["popcon", "animation"] and target != ANIMATION_INTERFACE


def animation_internal_imports() -> list[str]:
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] not in ANIMATION_CLIENTS:
            continue
        bad += [f"{rel}:{line} imports {t}" for line, t in _imports(path) if animation_internal(t)]
    return bad


def test_the_pipeline_calls_animation_through_its_interface() -> None:
    bad = animation_internal_imports()
    assert not bad, f"the pipeline, use cases and providers go through {ANIMATION_INTERFACE}:\n" + "\n".join(
        bad
    )


def test_the_animation_rule_sees_internals() -> None:
    assert animation_internal("popcon.animation.autorig")
    assert animation_internal("popcon.animation.part_posing")
    assert animation_internal("popcon.animation")
    assert not animation_internal("popcon.animation.api")
    assert not animation_internal("popcon.vision.matte")


REPO = Path(__file__).resolve().parents[1]  # the repository root: its tests/ and bench/ count too


def animation_private_imports(paths: list[Path]) -> list[str]:
    """`from popcon.animation... import _name` in these files: a private name used outside its package."""
    bad = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if not isinstance(node, ast.ImportFrom) or node.level:
                continue
            module = node.module or ""
            if module.split(".")[:2] == ["popcon", "animation"]:
                bad += [
                    f"{path}:{node.lineno} imports {module}.{a.name}" for a in node.names if a.name[0] == "_"
                ]
    return bad


def test_nothing_outside_animation_imports_its_private_names() -> None:
    """A name the package shares is public and says why; a leading underscore stays in its module."""
    outside = [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "animation"]
    outside += [p for d in ("tests", "bench") for p in (REPO / d).rglob("*.py")]
    assert len(outside) > 100
    bad = animation_private_imports(outside)
    assert not bad, "private names of popcon.animation used outside it:\n" + "\n".join(bad)


def test_the_private_name_rule_sees_private_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from popcon.animation.part_geometry import _x, y\nfrom popcon.animation.api import _z\n"
    )
    assert animation_private_imports([probe]) == [
        f"{probe}:1 imports popcon.animation.part_geometry._x",
        f"{probe}:2 imports popcon.animation.api._z",
    ]


def test_animation_imports_no_provider_nor_anything_above() -> None:
    """The offline provider is a client of the animation package, never the other way."""
    bad = [
        f"{p.relative_to(SRC)}:{line} imports {t}"
        for p in sorted((SRC / "animation").rglob("*.py"))
        for line, t in _imports(p)
        if _top(t) in {"providers", "pipeline", "queue", "usecases", "store"}
    ]
    assert not bad, "\n".join(bad)


# ---- no import cycles ---------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join(("popcon", *parts))


def _eager_imports(path: Path) -> set[str]:
    """Modules imported when this one is (module level; lazy imports in functions and TYPE_CHECKING
    blocks run later or never, so they cannot close a cycle at import time)."""
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    out: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name.startswith("popcon"))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                    name = ".".join(base + ([node.module] if node.module else []))
                else:
                    name = node.module or ""
                if name.startswith("popcon"):
                    out.add(name)
                    out.update(f"{name}.{a.name}" for a in node.names)  # `from pkg import module`

    visit(ast.parse(path.read_text("utf-8")).body)
    return out


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk of `graph` closes (each as the path from its first module back)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in graph.get(m, []):
            if state.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in state:
                walk(t)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m)
    return cycles


def import_cycles() -> list[list[str]]:
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    return find_cycles(
        {m: sorted(t for t in _eager_imports(p) if t in modules and t != m) for m, p in modules.items()}
    )


def test_the_cycle_check_finds_cycles() -> None:
    assert find_cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": ["b"], "b": [], "c": ["a", "b"]}) == []
    assert "popcon.providers.base" in _eager_imports(SRC / "providers" / "registry.py")


def test_no_import_cycles() -> None:
    cycles = import_cycles()
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)

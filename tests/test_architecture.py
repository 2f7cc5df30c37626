"""The package's shape: imports flow one way (no cycles), no private name is imported across modules.

Run by hand: ``python -m pytest tests/test_architecture.py -q`` (the same check ``.ci/run`` runs). Imports
inside functions count too: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "textcluster"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> list[tuple[str, list[str]]]:
    """(imported textcluster module, names taken from it) for every import statement in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("textcluster")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("textcluster"):
                continue
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]  # `from . import registry`
            out += [(s, []) for s in subs]
            rest = [n for n in names if f"{target}.{n}" not in known]
            if rest or not subs:
                out.append((target, rest))
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, _ in _imports(name, path, known):
            # importing a.b.c runs a/__init__ and a/b/__init__ too, but those edges are the package's own
            if target in known and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    graph = _graph()
    # package __init__ files re-export their children; a child importing its parent package is the cycle
    cycles = _cycles(graph)
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_names_imported_across_modules():
    mods = _modules()
    bad = []
    for name, path in mods.items():
        for target, names in _imports(name, path, set(mods)):
            bad += [f"{name} imports {target}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    assert bad == [], "\n".join(bad)


def test_nn_never_imports_the_layers_above_it():
    graph = _graph()
    up = {f"{m} -> {t}" for m, ts in graph.items() if m.startswith("textcluster.nn")
          for t in ts if not t.startswith("textcluster.nn") and t != "textcluster.errors"}
    assert up == set(), f"textcluster.nn imports from above it: {sorted(up)}"


def test_the_checker_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

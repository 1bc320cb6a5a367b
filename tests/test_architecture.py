"""The package's layout holds without anyone policing it: imports go downwards only, no module
imports another one that (directly or through others) imports it back, and no module takes a
private name (``_x``) out of another.

Layers, lowest first (a module may import its own layer and the ones below):

0. leaves, importing nothing else of the package so that every layer may use them:
   ``liif_viewer`` (the version), ``locations`` (where the data files are), ``files.atomic``
   (the one atomic writer, used by ``model.weights`` too), ``cancel`` (the cancel token and ``Cancelled``,
   raised from ``model`` up)
1. ``model``: the paper's model (PyTorch)
2. ``render``: the headless engine
3. ``files``: image and animation files
4. ``tasks``, ``learn`` and ``desktop`` (the menu entry's files): jobs built on the layers below
5. ``app``: the Qt viewer
6. ``cli`` and ``__main__``: the commands (``view`` opens the app, so the CLI sits above it)

The rules read every import statement, function-level ones included (``ast``). Cycles are looked
for on the whole graph, imports under ``if TYPE_CHECKING:`` included; a cycle is allowed only where
it is listed in ``TYPE_ONLY_CYCLES`` with its reason and all its back edges are type-only (they never
run). A package's ``__init__`` importing its own modules is the usual package pattern, not a cycle:
importing ``cli.export`` runs ``cli/__init__`` first, but that is not an import statement of
``cli.export``. A private module (``cli._common``) may be imported by the modules of its own
package only; dunder names (``__version__``) are public.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = "liif_viewer"
LEAVES = {"liif_viewer", "liif_viewer.locations", "liif_viewer.files.atomic", "liif_viewer.cancel"}
LAYERS = {"model": 1, "render": 2, "files": 3, "tasks": 4, "learn": 4, "desktop": 4, "app": 5, "cli": 6,
          "__main__": 6}

#: Cycles made only of ``if TYPE_CHECKING:`` back edges, each with the reason it stays (sorted module names).
TYPE_ONLY_CYCLES: dict[tuple[str, ...], str] = {
    ("liif_viewer.render.engine", "liif_viewer.render.prefetch"):
        "prefetch.py is the engine's idle-time helper, split off for size: the engine hands it itself",
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str  # a module of the package (a package's __init__ by the package's name)
    names: tuple[str, ...]
    type_only: bool
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        lines.add(sub.lineno)
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    type_only = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    target = alias.name
                    while target not in modules:
                        target = target.rpartition(".")[0]
                    found.append(Import(name, target, (), node.lineno in type_only, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                if f"{origin}.{alias.name}" in modules:  # from . import engine: the module itself
                    found.append(Import(name, f"{origin}.{alias.name}", (), node.lineno in type_only, node.lineno))
                else:
                    found.append(Import(name, origin, (alias.name,), node.lineno in type_only, node.lineno))
    return found


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    modules = all_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def layer(module: str) -> int:
    if module in LEAVES:
        return 0
    return LAYERS[module.split(".")[1]]


def test_every_module_has_a_layer():
    assert [m for m in all_modules() if m not in LEAVES and m.split(".")[1] not in LAYERS] == []


def test_leaves_import_nothing_of_the_package(graph):
    assert [f"{i.source}:{i.line} imports {i.target}" for i in graph if i.source in LEAVES] == []


def upward(graph: list[Import]) -> list[str]:
    return [f"{i.source}:{i.line} (layer {layer(i.source)}) imports {i.target} (layer {layer(i.target)})"
            for i in graph if layer(i.target) > layer(i.source)]


def private_imports(graph: list[Import]) -> list[str]:
    def private(part: str) -> bool:
        return part.startswith("_") and not part.startswith("__")

    bad = []
    for i in graph:
        target_package = i.target.rpartition(".")[0]
        private_module = any(private(p) for p in i.target.split(".")[1:])
        if private_module and target_package != i.source.rpartition(".")[0] and target_package != i.source:
            bad.append(f"{i.source}:{i.line} imports the private module {i.target}")
        bad += [f"{i.source}:{i.line} imports {i.target}.{n}" for n in i.names if private(n)]
    return bad


def test_no_module_imports_upwards(graph):
    assert upward(graph) == []


def test_no_module_imports_a_private_name_of_another(graph):
    assert private_imports(graph) == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _edges(graph: list[Import], type_only: bool) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for i in graph:
        if i.source == i.target or (i.type_only and not type_only):
            continue
        edges.setdefault(i.source, set()).add(i.target)
    return edges


def test_no_import_cycles_at_run_time(graph):
    assert _cycles(_edges(graph, type_only=False)) == []


def test_type_only_cycles_are_the_listed_ones(graph):
    cycles = {tuple(c): c for c in _cycles(_edges(graph, type_only=True))}
    assert sorted(set(cycles) - set(TYPE_ONLY_CYCLES)) == [], "a new cycle (through TYPE_CHECKING imports)"
    assert sorted(set(TYPE_ONLY_CYCLES) - set(cycles)) == [], "a listed cycle is gone: remove it from the list"


def test_the_checker_sees_function_level_and_type_only_imports():
    modules = all_modules()
    learn = imports_of("liif_viewer.cli.learn", modules["liif_viewer.cli.learn"], modules)
    assert any(i.target == "liif_viewer.learn.evaluate" and not i.type_only for i in learn)  # inside cmd_eval
    assert any(i.target == "liif_viewer.learn.distributed" and i.type_only for i in learn)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_checker_finds_what_it_looks_for():
    def edge(source: str, target: str, *names: str) -> Import:
        return Import(source, target, names, False, 1)

    assert upward([edge("liif_viewer.render.engine", "liif_viewer.files.image_io")]) != []
    assert upward([edge("liif_viewer.model.weights", "liif_viewer.files.atomic")]) == []  # a leaf
    assert upward([edge("liif_viewer.cli.view", "liif_viewer.app.run")]) == []
    assert private_imports([edge("liif_viewer.cli.learn", "liif_viewer.cli", "_say")]) != []
    assert private_imports([edge("liif_viewer.cli.learn", "liif_viewer.cli._common", "say")]) == []
    assert private_imports([edge("liif_viewer.app.tools", "liif_viewer.cli._common", "say")]) != []
    assert private_imports([edge("liif_viewer.app.run", "liif_viewer", "__version__")]) == []

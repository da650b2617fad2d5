"""No import cycles in the symphony package.

A cycle between modules means neither can be understood, tested or loaded
without the other, and it breaks at import time as soon as one of them
needs a name from the other at module level. The graph is built from the
source with `ast` (nothing is imported), from module-level imports only:
imports inside functions are deliberate late imports, and those under
`if TYPE_CHECKING:` never run. Each strongly connected component with more
than one module (or a module importing itself) is a cycle, and the failure
names one concrete loop through it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "symphony"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package is its __init__)."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    """`if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:`."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run when the module is imported.

    Descends into `if` (except TYPE_CHECKING), `try` and `with` blocks, which
    run at import time, but not into functions or classes' methods.
    """
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _module_level(block)
            for handler in node.handlers:
                yield from _module_level(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _module_level(node.body)


def _absolute(name: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The absolute module a `from` import names (resolving leading dots)."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    drop = node.level - 1 if is_package else node.level
    base = base[: len(base) - drop] if drop else base
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules `name` imports at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in _module_level(tree.body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            source = _absolute(name, node, path.name == "__init__.py")
            # `from pkg import sub` imports the submodule pkg.sub when there is one.
            subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
            plain = len(subs) < len(node.names)
            targets = subs + ([source] if plain else [])
        found.update(targets)
    return {t for t in found if t in modules}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports at module level."""
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components (iterative), sorted, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on_stack.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    components.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(components)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The components that are cycles (several modules, or one importing itself)."""
    return [c for c in strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]


def a_loop(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop through a component, from its first module back to it."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for child in sorted(graph[node] & members):
                if child == start:
                    path = [start]
                    while node != start:
                        path.append(node)
                        node = previous[node]
                    return [start, *reversed(path[1:]), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no loop in component {component}")


def test_the_graph_sees_the_package() -> None:
    """The graph has the modules and the edges it should, so a pass means something."""
    graph = import_graph()
    assert "symphony.engine.hook" in graph
    assert "symphony.engine.lanes" in graph["symphony.engine.hook"]
    assert "symphony.cli" in graph


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    """A planted cycle (one import under TYPE_CHECKING, one inside a function) is named."""
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from symphony.sub import b\n")
    (pkg / "sub" / "b.py").write_text("from . import c\n")
    (pkg / "sub" / "c.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "try:\n    from .a import thing\nexcept ImportError:\n    pass\n"
        "if TYPE_CHECKING:\n    from symphony.sub import d\n"
    )
    (pkg / "sub" / "d.py").write_text(
        "import symphony.sub.c\ndef late():\n    from symphony.sub import a\n"
    )
    graph = import_graph(pkg)
    found = cycles(graph)
    assert found == [["symphony.sub.a", "symphony.sub.b", "symphony.sub.c"]]
    assert a_loop(graph, found[0]) == [
        "symphony.sub.a",
        "symphony.sub.b",
        "symphony.sub.c",
        "symphony.sub.a",
    ]


def test_no_import_cycles() -> None:
    graph = import_graph()
    loops = [" -> ".join(a_loop(graph, component)) for component in cycles(graph)]
    if loops:
        pytest.fail("import cycles:\n  " + "\n  ".join(loops))

"""The package's shape, checked statically: no import cycle among selfverify's modules, imports only
go down the floors (core, store, services and wording, front ends), and no module over 500 lines.

Every ``import`` and ``from ... import`` of a selfverify module counts, at module level and inside
functions alike (an import moved into a function hides a cycle from Python, not from a reader):
relative imports are resolved, and ``from selfverify.services import tokens`` is an import of the
module ``selfverify.services.tokens``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import selfverify

SRC = Path(selfverify.__file__).resolve().parent
MAX_LINES = 500


def module_files(root: Path = SRC) -> dict[str, tuple[Path, bool]]:
    """``{dotted module name: (file, is a package's __init__)}`` for every module under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports_of(name: str, path: Path, is_package: bool, modules: set[str]) -> set[str]:
    """The selfverify modules ``name`` imports anywhere in its source."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in modules:
                    found.add(submodule)
                elif target in modules:
                    found.add(target)
    found.discard(name)
    return found


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    files = module_files(root)
    names = set(files)
    return {name: imports_of(name, path, is_package, names) for name, (path, is_package) in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> b -> ... -> a) per strongly connected group of modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:  # recursion depth is bounded by the package's ~150 modules
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_within(graph, group) for group in groups]


def _cycle_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A concrete cycle through the group's first module (shortest, by breadth-first search)."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a group always has one


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_graph_sees_every_kind_of_import(tmp_path):
    """The parser itself: relative, function-level and ``from package import module`` imports all count."""
    pkg = tmp_path / "selfverify"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from . import b\n")
    (pkg / "sub" / "b.py").write_text("def later():\n    from selfverify.sub.c import thing\n")
    (pkg / "sub" / "c.py").write_text("from selfverify import top\n")
    (pkg / "top.py").write_text("import json\nfrom .sub import a\n")
    graph = import_graph(pkg)
    assert graph["selfverify.sub.a"] == {"selfverify.sub.b"}
    assert graph["selfverify.sub.b"] == {"selfverify.sub.c"}
    assert graph["selfverify.sub.c"] == {"selfverify.top"}
    assert graph["selfverify.top"] == {"selfverify.sub.a"}
    assert cycles(graph) == [["selfverify.sub.a", "selfverify.sub.b", "selfverify.sub.c", "selfverify.top", "selfverify.sub.a"]]


def test_no_module_over_500_lines():
    sizes = {str(path.relative_to(SRC.parent)): len(path.read_text(encoding="utf-8").splitlines())
             for path, _ in module_files().values()}
    too_long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them along their concerns): {too_long}"


# the floors, lowest first: a module imports only from its own floor or those below it
FLOORS = ("core", "store", "services", "wording", "front ends")
FLOOR_OF = {"core": 0, "store": 1, "services": 2, "wording": 2}  # wording sits beside services
# top-level modules that are not helpers for every floor: the context wires store and services
# together for the front ends; doctor holds the machine checks (a service); the rest are front ends
TOP_LEVEL_FLOOR = {"context": 2, "doctor": 2, "launch": 3, "cli": 3, "__main__": 3}


def floor_of(module: str) -> int | None:
    """The floor of a selfverify module (None: a top-level helper module such as errors or i18n, usable
    from every floor; a front end: tui, plain, commands, cli, launch)."""
    parts = module.split(".")
    if len(parts) == 2 and parts[1] in TOP_LEVEL_FLOOR:
        return TOP_LEVEL_FLOOR[parts[1]]
    if len(parts) < 3 and not (len(parts) == 2 and parts[1] in FLOOR_OF):
        return None
    return FLOOR_OF.get(parts[1], 3)


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for name, targets in graph.items():
        mine = floor_of(name)
        for target in targets:
            theirs = floor_of(target)
            if mine is not None and theirs is not None and theirs > mine:
                found.append(f"{name} -> {target}")
            elif mine is None and theirs is not None and theirs >= 1 and name.count(".") == 1:
                found.append(f"{name} (a module every floor may use) -> {target}")
    return sorted(found)


def test_imports_only_go_down():
    """core < store < services/wording < front ends (README: How the code is laid out); the top-level
    helpers (errors, i18n, paths, textcheck, codec, ...) import only core or each other."""
    assert not upward_imports(import_graph()), "imports going up a floor:\n" + "\n".join(upward_imports(import_graph()))


def test_an_upward_import_is_caught(tmp_path):
    root = tmp_path / "selfverify"
    for folder in ("store", "services"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "services" / "rules.py").write_text("X = 1\n")
    (root / "store" / "rows.py").write_text("def f():\n    from selfverify.services.rules import X\n    return X\n")
    assert upward_imports(import_graph(root)) == ["selfverify.store.rows -> selfverify.services.rules"]

"""No import cycle in summit/: not between modules, not between feature packages.

The graph is read from the source with ``ast``, so an import inside a function
(the usual way to hide a cycle from Python) counts like one at the top of a
module. A package is ``summit.<name>`` (``summit.checkin``, ``summit.mail``, and the
shared top-level modules such as ``summit.urls``); ``summit`` itself, whose
``create_app`` wires every feature together, is no package of this graph.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "summit"


def module_files() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """Every ``summit`` module ``module`` imports, anywhere in its source."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # ``from summit.x import y`` imports the module summit.x.y when there is one.
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in modules else base


def module_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {
        name: {
            target
            for target in imported_modules(name, path, modules)
            if target in modules and target != name
        }
        for name, path in modules.items()
    }


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else None


def package_graph(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, targets in modules.items():
        source = package_of(module)
        if source is None:
            continue
        graph.setdefault(source, set())
        for target in targets:
            package = package_of(target)
            if package is not None and package != source:
                graph[source].add(package)
                graph.setdefault(package, set())
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def described(graph: dict[str, set[str]], found: list[list[str]]) -> str:
    """The imports inside each cycle, so a failure says what to move."""
    lines = []
    for component in found:
        members = set(component)
        lines += [f"{a} -> {b}" for a in component for b in sorted(graph[a] & members)]
        lines.append("")
    return "\n".join(lines)


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    graph = module_graph()
    assert "summit.certificates.document" in graph["summit.certificates.services"]
    assert "summit.verification" in graph["summit.certificates.verify"]
    assert "summit.auth.api_tokens" in graph["summit.checkin.tokens"]


def test_cycles_are_found_in_a_made_up_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_two_modules_import_each_other_even_through_others():
    graph = module_graph()
    found = cycles(graph)
    assert not found, "import cycles between modules:\n" + described(graph, found)


def test_no_two_feature_packages_import_each_other_even_through_others():
    graph = package_graph(module_graph())
    found = cycles(graph)
    assert not found, "import cycles between packages:\n" + described(graph, found)

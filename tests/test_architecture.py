"""The house's layering, checked from the source (issue 11: one house a newcomer can read).

The layers run one way: pure rules (`backend.domain`, `backend.vietnamese`, `geo`) at the bottom,
then storage, services, exports, and the doors (API, web, CLI, dashboard) on top. A newcomer can
then read any layer knowing only the layers below it, and a pure module stays testable without a
database, a server or Dash. The import graph is built with `ast` alone: every import counts,
wherever it sits (module level, inside a function, under try/except), except those under
`if TYPE_CHECKING:`, which never run. Change the table below when the design changes, not the code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "dashboard", "geo")
SKIPPED = ("backend/storage/migrations/",)
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 120
LAYERS = ("backend.domain", "backend.vietnamese", "backend.config", "backend.reference",
          "backend.storage", "backend.services", "backend.exports", "backend.api", "backend.web",
          "backend.commands", "backend.cli", "backend.demo", "backend.bench", "dashboard", "geo")
_DOORS = ("backend.api", "backend.web", "dashboard")

# layer prefix -> (why, import prefixes it may not use); a module obeys every layer it is inside.
FORBIDDEN: dict[str, tuple[str, tuple[str, ...]]] = {
    "backend": ("the core never imports Dash or the dashboard",
                ("dashboard", "dash", "dash_leaflet", "plotly")),
    "backend.domain": ("pure rules: no database, web, settings, data files or network",
                       ("backend.storage", "backend.services", "backend.api", "backend.web",
                        "backend.exports", "backend.commands", "backend.demo", "backend.bench",
                        "backend.config", "backend.reference", "dashboard",
                        "sqlalchemy", "flask", "requests", "redis", "tomllib")),
    "backend.vietnamese": ("pure text helpers usable by anything: they import only the config",
                           tuple(p for p in LAYERS if p not in ("backend.vietnamese",
                                                                "backend.config"))),
    "backend.reference": ("the data files are read without a database, a service or a door",
                          ("backend.storage", "backend.services", "backend.exports", *_DOORS)),
    "backend.storage": ("storage sits under the services and never calls upward",
                        ("backend.services", "backend.exports", *_DOORS)),
    "backend.services": ("services are called by the exports and the doors, never the reverse",
                         (*_DOORS, "backend.exports", "backend.commands", "backend.cli",
                          "backend.bench", "backend.demo")),
    "backend.exports": ("the packs render the services' figures and are served by the doors",
                        _DOORS),
    "backend.api": ("the API never depends on the dashboard", ("dashboard",)),
    "dashboard": ("the dashboard only calls services: no tables, no SQL, no API internals",
                  ("backend.storage", "backend.api", "sqlalchemy")),
    "geo": ("geo is a small pure library", ("backend", "dashboard")),
}


# Which floors of the project each floor may use (itself included): docs/architecture.md's table.
# The most specific prefix applies. Third-party bans are in FORBIDDEN above.
_CORE = ("backend.domain", "backend.vietnamese", "backend.config")
ALLOWED: dict[str, tuple[str, ...]] = {
    "backend.domain": ("backend.domain", "backend.vietnamese"),
    "backend.vietnamese": ("backend.vietnamese", "backend.config"),
    "backend.config": ("backend.config",),
    "backend.reference": ("backend.reference", *_CORE),
    "backend.storage": ("backend.storage", "backend.reference", *_CORE),
    "backend.services": ("backend.services", "backend.storage", "backend.reference", *_CORE,
                         "geo"),
    "backend.exports": ("backend.exports", "backend.services", "backend.storage",
                        "backend.reference", *_CORE),
    "backend.api": ("backend.api", "backend.web", "backend.exports", "backend.services",
                    "backend.storage", "backend.reference", *_CORE, "geo"),
    "backend.web": ("backend.web", "backend.api", "backend.exports", "backend.services",
                    "backend.storage", "backend.reference", *_CORE, "geo"),
    "backend": ("backend", "geo"),  # commands, cli, demo, bench: anything of the core
    "dashboard": ("dashboard", "backend.services", "backend.exports", "backend.web", *_CORE,
                  "geo"),
    "geo": ("geo",),
}


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} ({self.file}:{self.line})"


def _inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def discover(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Module name -> file, for every project module (migrations aside)."""
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if not rel.startswith(SKIPPED):
                parts = rel.removesuffix(".py").split("/")
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping the bodies of `if TYPE_CHECKING:`."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    if isinstance(node, ast.If) and "TYPE_CHECKING" in {
        getattr(node.test, "id", None), getattr(node.test, "attr", None)
    }:
        children: list[ast.AST] = list(node.orelse)
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from _imports(child)


Graph = tuple[dict[str, Path], list[Edge]]


def build_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> Graph:
    """Project modules, and one edge per distinct (importer, imported, line)."""
    modules = discover(root, packages)
    edges: list[Edge] = []
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        rel = path.relative_to(root).as_posix()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            edges += [Edge(module, t, rel, node.lineno) for t in targets if t != module]
    return modules, list(dict.fromkeys(edges))


def strong_components(nodes: list[str], edges: list[Edge]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (the import circles)."""
    succ: dict[str, set[str]] = {n: set() for n in nodes}
    for e in edges:
        if e.imported in succ:
            succ[e.importer].add(e.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(succ[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return found


def cycle_report(modules: dict[str, Path], edges: list[Edge]) -> list[str]:
    lines: list[str] = []
    for component in strong_components(list(modules), edges):
        lines.append("cycle: " + ", ".join(component))
        lines += [f"  {e}" for e in edges if e.importer in component and e.imported in component]
    return lines


def forbidden_edges(edges: list[Edge]) -> list[str]:
    found: list[str] = []
    for e in edges:
        for layer, (why, banned) in FORBIDDEN.items():
            hit = next((b for b in banned if _inside(e.imported, b)), None)
            if _inside(e.importer, layer) and hit:
                found.append(f"{e}  [{layer} -/-> {hit}: {why}]")
    return found


def unlisted_edges(modules: dict[str, Path], edges: list[Edge]) -> list[str]:
    """Project imports outside the importer's allow-list (ALLOWED, most specific prefix)."""
    found: list[str] = []
    for e in edges:
        if not any(_inside(e.imported, p) for p in PACKAGES):
            continue  # third-party or standard library: FORBIDDEN's business
        layer = max((p for p in ALLOWED if _inside(e.importer, p)), key=len, default=None)
        if layer and not any(_inside(e.imported, a) for a in ALLOWED[layer]):
            found.append(f"{e}  [{layer} may use only {', '.join(ALLOWED[layer])}]")
    return found


def oversized(root: Path, modules: dict[str, Path]) -> list[str]:
    found: list[str] = []
    for path in modules.values():
        rel = path.relative_to(root).as_posix()
        source = path.read_text(encoding="utf-8")
        if (count := len(source.splitlines())) > MAX_MODULE_LINES:
            found.append(f"{rel}: module of {count} lines (max {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(source, rel)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    found.append(f"{rel}:{node.lineno}: {node.name}() of {size} lines "
                                 f"(max {MAX_FUNCTION_LINES})")
    return found


@cache
def _project() -> Graph:
    return build_graph(ROOT)


@pytest.mark.architecture
def test_no_import_cycles() -> None:
    report = cycle_report(*_project())
    assert not report, "import circles among project modules:\n" + "\n".join(report)


@pytest.mark.architecture
def test_no_forbidden_import_direction() -> None:
    report = forbidden_edges(_project()[1])
    assert not report, "imports against the layering:\n" + "\n".join(report)


@pytest.mark.architecture
def test_every_floor_uses_only_the_floors_it_may() -> None:
    report = unlisted_edges(*_project())
    assert not report, "imports outside the allowed floors:\n" + "\n".join(report)


@pytest.mark.architecture
def test_no_oversized_modules_or_functions() -> None:
    report = oversized(ROOT, _project()[0])
    assert not report, "too big to read in one sitting:\n" + "\n".join(report)


@pytest.mark.architecture
def test_checker_finds_a_cycle_and_a_forbidden_edge(tmp_path: Path) -> None:
    files = {
        "backend/__init__.py": "",
        "backend/domain/__init__.py": "from . import rules\n",
        "backend/domain/rules.py": "def f():\n    from backend.storage import db\n",
        "backend/storage/__init__.py": "",
        "backend/storage/db.py": "from typing import TYPE_CHECKING\nfrom ..domain import rules\n"
                                 "if TYPE_CHECKING:\n    import dashboard\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    modules, edges = build_graph(tmp_path, ("backend",))
    cycle = ["backend.domain.rules", "backend.storage.db"]
    assert strong_components(list(modules), edges) == [cycle]
    assert forbidden_edges(edges) == [
        "backend.domain.rules -> backend.storage.db (backend/domain/rules.py:2)"
        "  [backend.domain -/-> backend.storage: pure rules: no database, web, settings, data files"
        " or network]"
    ]
    assert not any(e.imported == "dashboard" for e in edges)
    assert [line.split("  [")[0] for line in unlisted_edges(modules, edges)] == [
        "backend.domain.rules -> backend.storage.db (backend/domain/rules.py:2)"]

"""The import graph, read from the source: no cycles, and no import hidden in a function.

Each file is parsed with ``ast`` (nothing is imported), and every import of a module of the
same tree becomes an edge, wherever it is written: at module level or inside a function.

- ``phases/``: no cycle, and every import at module top. An import inside a function is
  how a cycle is usually dodged, so none is allowed.
- ``tutor/``: no cycle (the services publish tasks by name, so they do not import
  ``tutor.tasks``), and no import of a tutor module inside a function either.
- ``scripts/``: no cycle among the scripts (``from bench_estimate import ...``). Imports
  inside functions are allowed there: a script sets up Django's environment first.

Imports under ``if TYPE_CHECKING:`` are not edges: they never run.
"""

import ast
import os
import subprocess
import sys
from collections.abc import Iterator, Set
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path, package: str | None) -> str:
    if package is None:  # scripts/: each file is a top-level module
        return path.stem
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules(folder: str, package: str | None) -> dict[str, Path]:
    return {
        _module_name(path, package): path
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


_Import = ast.Import | ast.ImportFrom


def _imports(tree: ast.AST) -> Iterator[tuple[_Import, bool]]:
    """Every import that runs, and whether it is inside a function."""

    def walk(
        node: ast.AST, in_function: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    yield from walk(sub, in_function)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, in_function
            inner = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            yield from walk(child, inner)

    yield from walk(tree, False)


def _targets(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> Iterator[str]:
    """The names of the modules an import may load (resolved, relative ones included)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    if base.startswith("scripts."):  # ``from scripts.accuracy import ...`` is accuracy too
        base = base.removeprefix("scripts.")
    yield base
    for alias in node.names:
        yield f"{base}.{alias.name}"  # ``from phases import capacity`` loads phases.capacity


def graph(folder: str, package: str | None, left_out: Set[str] = frozenset()) -> dict:
    """``{module: {imported module of the same tree: line}}`` and the function-level ones."""
    modules = _modules(folder, package)
    edges: dict[str, dict[str, int]] = {name: {} for name in modules if name not in left_out}
    in_functions: list[str] = []
    for name, path in modules.items():
        if name in left_out:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, in_function in _imports(tree):
            local = [t for t in _targets(node, name, path) if t in modules and t != name]
            if in_function and local:
                in_functions.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            for target in local:
                if target not in left_out:
                    edges[name].setdefault(target, node.lineno)
    return {"edges": edges, "in_functions": in_functions}


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
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
            if len(component) > 1 or v in edges[v]:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_a_cycle_and_a_function_level_import(tmp_path, monkeypatch):
    """The checks below would catch what they look for."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.a import x\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    found = graph("pkg", "pkg")
    assert cycles(found["edges"]) == [["pkg.a", "pkg.b"]]
    assert found["in_functions"] == ["pkg/b.py:2"]
    assert found["edges"]["pkg.c"] == {}


def test_the_graph_reads_the_subpackages_of_phases():
    """Every module of phases/, in engine/, reading/ ... too, is a node, and imports
    between folders are edges (so the checks below cover them)."""
    edges = graph("phases", "phases")["edges"]
    assert len(edges) == len(list((ROOT / "phases").rglob("*.py")))
    assert "phases.engine" in edges  # phases/engine/__init__.py
    assert "phases.requirements" in edges["phases.engine.registry"]
    assert "phases.engine.unit" in edges["phases.requirements"]
    assert "phases.reading.units" in edges["phases.knowledge.reference"]


def test_phases_has_no_import_cycle():
    assert cycles(graph("phases", "phases")["edges"]) == []


def test_phases_imports_everything_at_module_top():
    assert graph("phases", "phases")["in_functions"] == []


def test_tutor_has_no_import_cycle():
    assert cycles(graph("tutor", "tutor")["edges"]) == []


def test_tutor_imports_its_own_modules_at_module_top():
    assert graph("tutor", "tutor")["in_functions"] == []


def test_scripts_have_no_import_cycle():
    assert cycles(graph("scripts", None)["edges"]) == []


def test_nothing_in_phases_imports_django_or_tutor():
    """``phases/`` stays plain Python: the tests of tests/phases need no Django."""
    for path in sorted((ROOT / "phases").rglob("*.py")):
        for node, _ in _imports(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert name.split(".")[0] not in ("django", "tutor"), f"{path}: {name}"


def test_runs_without_django(tmp_path):
    """``pytest tests/phases`` with no settings, database or Redis, and Django unreachable.

    The subprocess collects every test of the folder (which imports every module and
    conftest) and runs two quick files; a ``django`` package that fails on import stands
    in for a machine without Django, so any import of it fails the run.
    """
    (tmp_path / "django").mkdir()
    (tmp_path / "django" / "__init__.py").write_text("raise ImportError('no Django here')\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env["PYTHONPATH"] = str(tmp_path)
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collected = subprocess.run(
        [*base, "--collect-only", "tests/phases"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stdout + collected.stderr
    ran = subprocess.run(
        [*base, "tests/phases/test_text.py", "tests/phases/test_variants.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert " passed" in ran.stdout

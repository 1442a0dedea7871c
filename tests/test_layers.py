"""The folder tree is the architecture: import-linter's contract (pyproject.toml) holds, no module takes part
in an import circle, `phys/` holds only its layers beside `spec.py` and `errors.py`, and every package is
installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"cli", "core", "machine", "science", "stages", "tui", "views"}


def test_the_import_contract_holds() -> None:
    lint = shutil.which("lint-imports")
    assert lint is not None, "import-linter is a test dependency (pip install -e '.[test]')"
    proc = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def import_graph() -> dict[str, set[str]]:
    sys.path.insert(0, str(ROOT))  # `recipes` as it lies in the repository
    try:
        graph = grimp.build_graph("phys", "recipes", exclude_type_checking_imports=True)
    finally:
        sys.path.remove(str(ROOT))
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_circles_are_found() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_takes_part_in_an_import_circle() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    assert circles(import_graph()) == []


def test_no_recipe_imports_another() -> None:
    """Recipes share code through the private modules (`recipes/_bios.py`, …), never through each other."""
    edges = import_graph()
    public = {m for m in edges if m.startswith("recipes.") and not m.split(".")[1].startswith("_")}
    assert len(public) >= 18 and edges["recipes.capacity_scaling"] >= {"recipes._capacity"}
    assert {m: sorted(edges[m] & public) for m in public if edges[m] & public} == {}


def test_phys_holds_only_its_layers_spec_and_errors() -> None:
    entries = {p.name for p in (ROOT / "phys").iterdir() if p.name != "__pycache__"}
    assert entries == LAYERS | {"__init__.py", "__main__.py", "spec.py", "errors.py"}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_every_layer_says_what_it_owns(layer: str) -> None:
    assert (ROOT / "phys" / layer / "__init__.py").read_text().startswith('"""')


def test_every_package_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "phys").rglob("__init__.py")}
    assert listed == found | {"phys.recipes"}
    assert config["package-dir"] == {"phys.recipes": "recipes"}
    assert (ROOT / "recipes" / "__init__.py").exists()

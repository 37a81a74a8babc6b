"""Dependencies point one way: report and checks read gold, gold reads silver, and so on down.

A module may import its own package and any package below it in LAYERS, never one above.
Read from the source text (ast), so a lazy import inside a function counts too."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lowest first. `tables` is the catalogue every job uses to find a table.
LAYERS = ("platform", "sources", "tables", "bronze", "silver", "gold", "checks", "report")


def package_of(module: str) -> str | None:
    """`utils.gold.feature_store` -> `gold`; None for anything outside utils."""
    parts = module.split(".")
    return parts[1] if parts[0] == "utils" and len(parts) > 1 else None


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "utils" else [f"utils.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {package for name in names if (package := package_of(name))}
    return found


def upward_imports(utils_dir: Path) -> list[str]:
    problems = []
    for path in sorted(utils_dir.rglob("*.py")):
        own = path.relative_to(utils_dir).parts[0].removesuffix(".py")
        if own == "__init__":
            continue
        for package in imported_packages(path):
            if LAYERS.index(package) > LAYERS.index(own):
                problems.append(f"{path.relative_to(utils_dir.parent)} ({own}) imports utils.{package}")
    return problems


def test_every_package_of_utils_has_a_layer():
    packages = {
        path.name.removesuffix(".py")
        for path in (ROOT / "utils").iterdir()
        if path.name != "__init__.py" and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert packages == set(LAYERS)


def test_no_layer_imports_a_higher_one():
    assert upward_imports(ROOT / "utils") == []


def test_the_check_finds_an_upward_import(tmp_path):
    silver = tmp_path / "utils" / "silver"
    silver.mkdir(parents=True)
    (silver / "build.py").write_text("def f():\n    from utils.gold.feature_store import FEATURES\n")
    (tmp_path / "utils" / "tables.py").write_text("from utils import report\n")
    assert upward_imports(tmp_path / "utils") == [
        "utils/silver/build.py (silver) imports utils.gold",
        "utils/tables.py (tables) imports utils.report",
    ]


@pytest.mark.parametrize("module", ["utils.gold.build", "utils.tables", "main"])
def test_package_of(module):
    assert package_of(module) == {"utils.gold.build": "gold", "utils.tables": "tables", "main": None}[module]

"""The package's layout: layers checked by import-linter, a docstring on every module, tests mirroring the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "longsum"
SUBPACKAGES = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))


def test_the_import_contracts_in_pyproject_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_the_contracts_name_every_subpackage():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert SUBPACKAGES == ["assets", "bench", "cli", "engine", "metrics", "parallel", "results", "runs", "sources", "summarizers"]
    for name in SUBPACKAGES:
        assert f'"longsum.{name}",' in text


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_opens_with_a_docstring(module):
    docstring = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8")))
    assert docstring and len(docstring.splitlines()[0]) > 20


def test_tests_mirror_the_package():
    folders = sorted(p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    assert folders == SUBPACKAGES
    for name in SUBPACKAGES:
        modules = {p.stem for p in (PACKAGE / name).glob("*.py")} - {"__init__"}
        tests = {p.stem.removeprefix("test_") for p in (ROOT / "tests" / name).glob("test_*.py")}
        assert tests, name
        # A test file is named for a module of its subpackage, or for a workflow across several.
        assert tests & modules, (name, tests, modules)

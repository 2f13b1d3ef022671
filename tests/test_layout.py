"""The package's layout: layers checked by import-linter, a docstring on every module, modules of a readable size,
no scripts in the package, and tests that mirror the modules they test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "longsum"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")
#: Subpackages that hold code (``assets`` holds package data only).
SUBPACKAGES = sorted(
    p.parent.name for p in PACKAGE.glob("*/__init__.py") if any(m.name != "__init__.py" for m in p.parent.rglob("*.py"))
)
#: Test folders that are not named for a subpackage: workflows across several, and the tools outside the package.
OTHER_TEST_FOLDERS = ["tools", "workflows"]
MAX_MODULE_LINES = 350


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_the_import_contracts_in_pyproject_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_the_contracts_name_every_subpackage():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert SUBPACKAGES == [
        "bench",
        "cli",
        "engine",
        "metrics",
        "parallel",
        "results",
        "runs",
        "sources",
        "summarizers",
    ]
    for name in SUBPACKAGES:
        assert f'"longsum.{name}",' in text


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_opens_with_a_docstring(module):
    docstring = ast.get_docstring(ast.parse(module.read_text(encoding="utf-8")))
    assert docstring and len(docstring.splitlines()[0]) > 20


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_the_size_limit(module):
    assert lines(module) <= MAX_MODULE_LINES


def test_no_subpackage_holds_more_than_30_percent_of_the_package():
    total = sum(lines(p) for p in PACKAGE.rglob("*.py"))
    for name in SUBPACKAGES:
        share = sum(lines(p) for p in (PACKAGE / name).rglob("*.py")) / total
        assert share <= 0.30, (name, f"{share:.0%}")


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_installed_module_is_a_script(module):
    text = module.read_text(encoding="utf-8")
    assert "argparse" not in text
    assert 'if __name__ == "__main__"' not in text or module == PACKAGE / "__main__.py"


def test_tests_mirror_the_package():
    folders = sorted(p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    assert folders == sorted([*SUBPACKAGES, *OTHER_TEST_FOLDERS])
    for name in SUBPACKAGES:
        modules = {p.stem for p in (PACKAGE / name).rglob("*.py")} - {"__init__"}
        for test in (ROOT / "tests" / name).rglob("test_*.py"):
            # A test file is named for a module of the subpackage it sits in.
            assert test.stem.removeprefix("test_") in modules, test.relative_to(ROOT)


def test_most_modules_have_a_test_file_of_their_name():
    tested = {p.stem.removeprefix("test_") for p in (ROOT / "tests").rglob("test_*.py")}
    untested = [str(p.relative_to(ROOT)) for p in MODULES if p.stem not in tested]
    assert 1 - len(untested) / len(MODULES) >= 0.80, untested

"""The ``longsum`` app and its entry points: usage errors in one line, ``--version``, ``python -m longsum`` as a
real subprocess, plain help texts in panels, and an import that never loads torch."""

import json
import os
import subprocess
import sys

import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

from longsum.cli import app, main
from longsum.cli.app import COMMANDS
from longsum.cli.options import PANELS

runner = CliRunner()
FAST = ["--max-length", "8", "--max-input-tokens", "512", "--bootstrap-samples", "20"]


def run_module(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "longsum", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


def test_real_subprocess_runs_eval_and_reports_errors_in_one_line(examples):
    ok = run_module("eval", "--model", "builtin:tglobal", "--dataset", str(examples), "--limit", "2", "--json", *FAST)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["documents"] == 2
    bad = run_module("eval", "--model", "builtin:tglobal", "--dataset", "missing.jsonl")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: dataset not found: missing.jsonl"


def test_real_subprocess_usage_errors_are_one_line():
    bad = run_module("eval", "--no-such-flag")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["error: No such option: --no-such-flag"]
    assert run_module("--version").stdout.strip().startswith("longsum ")


def test_the_package_exposes_every_command_as_a_function_without_importing_torch():
    code = (
        "import sys, longsum; assert 'torch' not in sys.modules; "
        "names = ['evaluate', 'load_summarizer', 'summarize_files', 'score_file', 'compare_files', 'bench']; "
        "assert all(callable(getattr(longsum, n)) for n in names)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


def test_importing_the_command_line_never_imports_torch_or_the_runs():
    code = (
        "import sys, longsum.cli; "
        "loaded = [m for m in ('torch', 'transformers', 'datasets', 'longsum.runs') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_main_reports_usage_errors_in_one_line_and_shows_help_without_arguments(monkeypatch, capsys):
    for argv, code in ((["longsum", "table", "run", "--format", "html"], 2), (["longsum"], 0)):
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as stop:
            main()
        assert stop.value.code == code
    out, err = capsys.readouterr()
    assert err.splitlines()[0].startswith("error: Invalid value for '--format'") and len(err.splitlines()) == 1
    assert "eval" in out and "datasets" in out


def test_every_command_is_registered_with_its_docstring_on_one_line_per_paragraph():
    group = typer.main.get_command(app)
    assert sorted(group.commands) == sorted(COMMANDS)
    help_text = group.commands["eval"].help
    assert "\n\n" in help_text and "the\nfirst" not in help_text


def all_parameters():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        for param in command.params:
            if param.name != "help":
                yield name, param


def test_every_help_text_is_plain_and_every_option_has_a_panel():
    for name, param in all_parameters():
        text = getattr(param, "help", None) or ""
        assert text, (name, param.name)
        # rich markup mode would swallow [tags] or :emoji: codes; no help text may hold any.
        assert Text.from_markup(text).plain == text, (name, param.name)
        if param.param_type_name == "option":
            assert param.rich_help_panel in PANELS, (name, param.name)


def test_every_flag_an_error_names_is_an_option_of_some_command():
    import re
    from pathlib import Path

    import longsum

    flags = {"--help", "--version"} | {o for _, p in all_parameters() for o in p.opts if o.startswith("--")}
    package = Path(longsum.__file__).parent
    named = {
        (path.name, flag)
        for path in package.rglob("*.py")
        for message in re.findall(
            r"LongsumError\((.*?)\)\n|_require\((.*?)\)\n", path.read_text(encoding="utf-8"), re.S
        )
        for flag in re.findall(r"--[a-z][a-z0-9-]*[a-z0-9]", "".join(message))
    }
    assert named and {(name, flag) for name, flag in named if flag not in flags} == set()

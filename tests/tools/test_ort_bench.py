"""ONNX Runtime beside longsum: the arguments, the settings handed to ONNX Runtime, the cached export, the token
comparison, and (slow, where the ONNX Runtime venv is) the whole script on a tiny LongT5."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES
from ort_bench import (
    VENV_VARIABLE,
    agreeing_tokens,
    compare,
    default_export_dir,
    export_once,
    generate_kwargs,
    generated_ids,
    in_window,
    longsum_config,
    main,
    ort_settings,
    parse_args,
    report_lines,
)
from typer.testing import CliRunner

from longsum.cli import app

#: The ONNX Runtime venv the slow test runs in: ``$LONGSUM_ORT_VENV``, else the development machine's.
ORT_VENV = Path(os.environ.get(VENV_VARIABLE) or "/work/ort-venv")
NEEDS_ORT_VENV = pytest.mark.skipif(
    not (ORT_VENV / "bin" / "optimum-cli").exists(),
    reason=f"no ONNX Runtime venv at {ORT_VENV} (set ${VENV_VARIABLE}; CI does not build one)",
)

#: Sentencepiece-like pieces: a leading ▁ is a space.
PIECES = {1: "▁the", 2: "▁cell", 3: "s", 4: "▁grew", 5: "▁cells", 6: "▁died"}


def decode(ids):
    return "".join(PIECES[i] for i in ids).replace("▁", " ").strip()


@pytest.fixture
def venv(tmp_path):
    """A stand-in venv whose optimum-cli writes one file into the folder it is given, or fails when asked to."""
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").touch()
    cli = tmp_path / "venv" / "bin" / "optimum-cli"
    cli.write_text('#!/bin/sh\n[ -e "$(dirname "$0")/fail" ] && exit 3\nmkdir -p "$7" && echo "$@" > "$7/args"\n')
    cli.chmod(0o755)
    return tmp_path / "venv"


def test_the_defaults_are_the_issues_full_setting(venv, monkeypatch):
    monkeypatch.setenv(VENV_VARIABLE, str(venv))
    args = parse_args(["--dataset", "sample.jsonl"])
    assert (args.model, args.documents, args.max_input_tokens, args.num_beams, args.max_new_tokens) == (
        "shape:base",
        8,
        16384,
        2,
        256,
    )
    assert args.ort_venv == venv and (args.min_tokens, args.max_tokens) == (0, None)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--documents", "0"], "--documents must be at least 1"),
        (["--max-new-tokens", "0"], "--max-new-tokens must be at least 1"),
        (["--max-input-tokens", "1"], "--max-input-tokens must be at least 2"),
        (["--min-tokens", "9000", "--max-tokens", "8500"], "--max-tokens must be at least --min-tokens"),
        (["--ort-venv", "no/such/venv"], "no/such/venv is not a venv (no bin/python)"),
    ],
)
def test_bad_arguments_stop_with_an_error_line(venv, extra, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--dataset", "sample.jsonl", "--ort-venv", str(venv), *extra])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"ort_bench.py: error: {message}"


def test_the_venv_must_be_named(monkeypatch, capsys):
    monkeypatch.delenv(VENV_VARIABLE, raising=False)
    with pytest.raises(SystemExit):
        parse_args(["--dataset", "sample.jsonl"])
    assert f"--ort-venv or ${VENV_VARIABLE}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "length, low, high, timed", [(4000, 4000, 8500, True), (8500, 4000, 8500, True), (3999, 4000, 8500, False)]
)
def test_the_length_window_holds_its_bounds(length, low, high, timed):
    assert in_window(length, low, high) is timed
    assert in_window(length, 0, None)


def test_unset_settings_are_left_to_the_library_and_max_new_tokens_replaces_max_length():
    settings = {"max_length": 512, "max_new_tokens": 64, "num_beams": 2, "length_penalty": None}
    assert generate_kwargs(settings) == {"max_new_tokens": 64, "num_beams": 2}
    assert generate_kwargs({"max_length": 512}) == {"max_length": 512}


def test_onnx_runtime_gets_the_beam_search_longsum_runs_with_its_start_end_and_pad_ids():
    from transformers import GenerationConfig

    from longsum.config import GenerationSettings
    from longsum.engine.generation_config import effective_generation_config

    base = GenerationConfig(decoder_start_token_id=0, eos_token_id=1, pad_token_id=0)
    config = effective_generation_config(base, GenerationSettings(max_new_tokens=64, num_beams=2))
    kwargs = ort_settings(config)
    assert {key: kwargs[key] for key in ("max_new_tokens", "num_beams", "decoder_start_token_id", "eos_token_id")} == {
        "max_new_tokens": 64,
        "num_beams": 2,
        "decoder_start_token_id": 0,
        "eos_token_id": 1,
    }
    assert kwargs["do_sample"] is False and kwargs["no_repeat_ngram_size"] == 0 and "max_length" not in kwargs


def test_longsum_is_configured_as_bench_configures_it(venv, monkeypatch):
    import longsum.runs.bench
    import longsum.summarizers.resolver

    seen = []

    def stop(config, summarizer):
        seen.append(config.eval)
        raise RuntimeError("stop before timing")

    monkeypatch.setattr(longsum.summarizers.resolver, "load_summarizer", lambda config: None)
    monkeypatch.setattr(longsum.runs.bench, "bench", stop)
    flags = ["--dataset", "sample.jsonl", "--max-input-tokens", "4096", "--max-new-tokens", "64", "--num-beams", "2"]
    CliRunner().invoke(app, ["bench", "--shape", "base", *flags])
    ours = longsum_config(parse_args([*flags, "--ort-venv", str(venv)]))
    assert (ours.generation, ours.batching, ours.scoring) == (seen[0].generation, seen[0].batching, seen[0].scoring)
    assert ours.model.model == seen[0].model.model == "shape:base" and ours.model.dtype == "fp32"


def test_generated_ids_drop_the_start_token_and_what_follows_the_end():
    assert generated_ids([0, 5, 6, 1, 0, 0], eos_token_id=1, pad_token_id=0) == [5, 6, 1]
    assert generated_ids([0, 5, 6, 0, 0], eos_token_id=1, pad_token_id=0) == [5, 6]
    assert generated_ids([0, 5, 6], eos_token_id=None, pad_token_id=None) == [5, 6]


@pytest.mark.parametrize(
    "ids, reference, agreeing",
    [
        ([1, 5, 4], "the cells grew", 3),
        ([1, 2, 3, 4], "the cells grew", 4),  # the same text in other pieces agrees all along
        ([1, 5, 6], "the cells grew", 2),
        ([6, 5, 4], "the cells grew", 0),
        ([1, 5], "the cells grew", 2),  # a shorter summary agrees as far as it goes
        ([], "the cells grew", 0),
    ],
)
def test_agreeing_tokens_count_how_far_the_summary_reads_as_the_reference(ids, reference, agreeing):
    assert agreeing_tokens(ids, reference, decode) == agreeing


def test_compare_sets_each_summary_beside_longsum_s():
    inputs = [{"id": "a", "input_ids": [7] * 10}, {"id": "b", "input_ids": [7] * 3}]
    ort = [
        {"id": "a", "seconds": 2.0, "cpu_seconds": 3.0, "ids": [1, 5, 4]},
        {"id": "b", "seconds": 1.0, "cpu_seconds": 1.5, "ids": [1, 5, 6]},
    ]
    rows = compare(inputs, ort, {"a": "the cells grew", "b": "the cells grew"}, decode)
    assert [(r["input_tokens"], r["identical"], r["agreeing_tokens"]) for r in rows] == [(10, True, 3), (3, False, 2)]
    assert rows[1]["ort_prediction"] == "the cells died" and rows[1]["longsum_prediction"] == "the cells grew"
    report = {
        "documents": rows,
        "ort": {"seconds": 3.0, "cpu_seconds": 4.5},
        "longsum": {"seconds": 2.0, "cpu_seconds": 3.0},
        "speedup": 1.5,
        "cpu_speedup": 1.5,
        "identical": 1,
    }
    lines = report_lines(report)
    assert lines[1:3] == ["a  10  2.0  3.0  3/3  True", "b  3  1.0  1.5  2/3  False"]
    assert lines[-1] == "longsum over ONNX Runtime: 1.50x wall, 1.50x CPU; identical summaries: 1 of 2"


def test_each_checkpoint_has_its_own_export_folder(tmp_path):
    first, second = (
        default_export_dir(tmp_path / "a" / "ckpt", tmp_path),
        default_export_dir(tmp_path / "ckpt", tmp_path),
    )
    assert first != second and first.parent == second.parent == tmp_path / "ort"
    assert first.name.startswith("ckpt-")


def test_the_export_runs_once_and_only_a_whole_one_is_kept(venv, tmp_path):
    dest = tmp_path / "export"
    (venv / "bin" / "fail").touch()
    with pytest.raises(subprocess.CalledProcessError):
        export_once(venv, tmp_path / "ckpt", dest)
    assert not dest.exists()
    (venv / "bin" / "fail").unlink()
    assert export_once(venv, tmp_path / "ckpt", dest) is not None
    command = ["export", "onnx", "--model", str(tmp_path / "ckpt"), "--task", "text2text-generation-with-past"]
    assert (dest / "args").read_text().split() == [*command, str(dest.with_name("export.partial"))]
    assert not dest.with_name("export.partial").exists()
    assert export_once(venv, tmp_path / "ckpt", dest) is None


@NEEDS_ORT_VENV
@pytest.mark.slow
def test_the_script_times_both_and_compares_their_summaries(tiny_tglobal, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    settings = ["--documents", "2", "--max-input-tokens", "512", "--max-new-tokens", "8"]
    paths = ["--model", str(tiny_tglobal), "--dataset", str(EXAMPLES), "--ort-venv", str(ORT_VENV)]
    main([*settings, *paths, "--export-dir", str(tmp_path / "export"), "--json", str(report_path)])
    report = json.loads(report_path.read_text())
    rows = report["documents"]
    assert len(rows) == 2 and rows[0]["ort_ids"] != rows[1]["ort_ids"]
    for row in rows:
        assert 0 < len(row["ort_ids"]) <= 8 and 0 <= row["agreeing_tokens"] <= len(row["ort_ids"])
        assert row["ort_seconds"] > 0 and row["identical"] == (row["ort_prediction"] == row["longsum_prediction"])
    assert report["ort"]["versions"]["onnxruntime"] and report["ort"]["export_seconds"] > 0
    assert report["settings"]["generate"]["num_beams"] == 2 and report["longsum"]["seconds"] > 0
    assert "longsum over ONNX Runtime" in capsys.readouterr().out

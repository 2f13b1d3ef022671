"""``longsum bench``: its panels, its closed sets checked at parse time, its own checks before any model loads, the
JSON it writes and the CI gates it applies."""

import json
import typing

import pytest
from conftest import NATIVE_BF16
from fakes import write_baseline
from typer.testing import CliRunner

from longsum.cli import app
from longsum.cli.bench_command import Attention, Shape
from longsum.summarizers.shapes import ATTENTIONS, CAUSAL_SHAPES, SHAPES

runner = CliRunner()


def test_the_choices_are_the_shapes_and_attentions_the_library_builds():
    assert typing.get_args(Shape) == ("tiny", *SHAPES, *CAUSAL_SHAPES)
    assert typing.get_args(Attention) == tuple(ATTENTIONS)


@pytest.mark.parametrize(
    "flag, typo, choices",
    [("--shape", "huge", "'tiny', 'base', 'large'"), ("--attention", "global", "'transient-global', 'local'")],
)
def test_a_typo_in_a_closed_set_stops_at_parse_time(flag, typo, choices):
    result = runner.invoke(app, ["bench", flag, typo])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert f"'{flag}'" in result.stderr and f"'{typo}' is not one of {choices}" in result.stderr


def test_help_groups_the_options_in_panels():
    output = runner.invoke(app, ["bench", "--help"]).output
    for panel in ("Model", "Data", "Generation", "Batching", "Benchmark", "Output"):
        assert f"─ {panel} " in output
    assert "shape:base" in output and "transient-global|local" in output and "tiny|base|large" in output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--max-regression", "1"], "--max-regression must lie in [0, 1)"),
        (["--min-speedup", "0"], "--min-speedup must be above 0"),
    ],
)
def test_bad_thresholds_are_one_line_before_the_model_loads(args, message):
    result = runner.invoke(app, ["bench", "--model", "./no/such/checkpoint", *args])
    assert result.exit_code == 2 and result.stderr == f"error: {message}\n"


def test_bench_on_a_longt5_reports_the_roofline_and_the_breakdown(tmp_path, tiny_tglobal):
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "--model",
            str(tiny_tglobal),
            "--documents",
            "2",
            "--max-input-tokens",
            "512",
            "--max-new-tokens",
            "8",
            "--compare-recipe",
            "--json",
            str(tmp_path / "b.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert report["machine"]["peak_flops_per_second"] > 0 and report["machine"]["dtype"] == "float32"
    for run in ("longsum", "recipe"):
        roofline = report[run]["roofline"]
        assert roofline["encoder_flops"] > 0 and roofline["decoding_bytes"] > 0
        assert roofline["encoder_fraction_of_peak_flops"] > 0 and roofline["decoding_fraction_of_bandwidth"] > 0
        main = report[run]["time_breakdown"]["main_thread"]
        assert main["encoding"] > 0 and main["decoding"] > 0
    # Same documents, same useful work, whatever each run pads.
    assert report["longsum"]["roofline"]["encoder_flops"] == report["recipe"]["roofline"]["encoder_flops"]
    for text in ("where the seconds go", "encoder % of peak FLOP/s", "decoding % of bandwidth", "machine ceilings"):
        assert text in result.output


def test_bench_shape_option_picks_the_model_and_refuses_unknown_shapes():
    result = CliRunner().invoke(app, ["bench", "--shape", "huge"])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1].startswith(
        "error: Invalid value for '--shape'"
    )


def tiny_bench(examples):
    """``longsum bench`` on the built-in tiny LongT5 and two shipped examples: seconds, not minutes."""
    return [
        "bench",
        "--model",
        "builtin:tglobal",
        "--dataset",
        str(examples),
        "--limit",
        "2",
        "--max-length",
        "8",
        "--max-input-tokens",
        "512",
    ]


def test_bench_cli_writes_json_and_fails_on_regression(tmp_path, examples):
    runner = CliRunner()
    args = tiny_bench(examples)
    ok = runner.invoke(app, [*args, "--json", str(tmp_path / "b.json"), "--compare-recipe"])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["identical_predictions"] is True and report["longsum"]["documents"] == 2
    assert "speed-up over the docs recipe" in ok.stdout
    fast = write_baseline(tmp_path / "fast.json", report["longsum"]["docs_per_second"] * 100)
    slow = runner.invoke(app, [*args, "--baseline", str(fast)])
    assert slow.exit_code == 1 and "regression:" in slow.stderr


def test_bench_cli_min_speedup_times_the_recipe_and_fails_below_it(tmp_path, examples):
    args = [
        *tiny_bench(examples),
        "--json",
        str(tmp_path / "b.json"),
    ]
    result = CliRunner().invoke(app, [*args, "--min-speedup", "1000"])
    assert result.exit_code == 1
    assert "speed-up over the docs recipe" in result.stdout  # --min-speedup implies --compare-recipe
    assert "is below --min-speedup 1000.00x" in result.stderr
    assert json.loads((tmp_path / "b.json").read_text())["speedup"] > 0


def test_bench_times_a_decoder_only_model_against_its_one_prompt_recipe(tmp_path, examples):
    result = runner.invoke(
        app,
        [
            "bench",
            "--model",
            "builtin:qwen2",
            "--dataset",
            str(examples),
            "--limit",
            "3",
            "--max-new-tokens",
            "6",
            "--max-input-tokens",
            "1024",
            "--compare-recipe",
            "--json",
            str(tmp_path / "b.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["identical_predictions"] is True and report["model"]["kind"] == "causal"
    # The plain recipe pads nothing; neither does longsum.
    assert report["recipe"]["padding_efficiency"] == report["longsum"]["padding_efficiency"] == 1.0
    assert report["longsum"]["generated_tokens"] == report["recipe"]["generated_tokens"] > 0
    # The roofline of a decoder-only model: the prefill in the encoder's place, decoding's least bytes.
    for run in ("longsum", "recipe"):
        roofline = report[run]["roofline"]
        assert roofline["prefill_flops"] > 0 and roofline["prefill_fraction_of_peak_flops"] > 0
        assert roofline["decoding_bytes"] > 0 and roofline["decoding_fraction_of_bandwidth"] > 0
    assert report["longsum"]["roofline"]["prefill_flops"] == report["recipe"]["roofline"]["prefill_flops"]
    assert "prefill % of peak FLOP/s" in result.output


@NATIVE_BF16
def test_bench_in_bf16_times_the_recipe_in_bf16_and_probes_the_bf16_rate(tmp_path, tiny_local, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["bench", "--model", str(tiny_local), "--documents", "2", "--max-input-tokens", "512"]
    result = runner.invoke(
        app, [*args, "--max-new-tokens", "8", "--dtype", "bf16", "--compare-recipe", "--json", "b.json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    # The recipe runs on the same bf16 model; the roofline counts 2-byte weights.
    assert report["longsum"]["roofline"]["decoding_bytes"] > 0
    assert report["model"]["dtype"] == "bf16" and report["config"]["model"]["dtype"] == "bf16"
    assert report["machine"]["dtype"] == "bfloat16" and "dtype:bf16" in report["signature"]
    assert report["identical_predictions"] is True and report["recipe"]["seconds"] > 0

"""``longsum eval``: its options and their panels, its runs, the split it reads and its one seed."""

import dataclasses
import json

import pytest
from typer.testing import CliRunner

import longsum.sources.documents as documents_module
from longsum.cli import app
from longsum.config import DataSettings, EvalConfig
from longsum.sources.documents import data_label, iter_documents
from longsum.sources.presets import PRESETS

runner = CliRunner()
FAST = ["--max-length", "8", "--max-input-tokens", "512", "--bootstrap-samples", "20"]


def invoke(*args):
    return runner.invoke(app, list(args))


def test_help_lists_every_eval_option():
    result = invoke("eval", "--help")
    assert result.exit_code == 0
    for option in (
        "--model",
        "--dataset",
        "--split",
        "--text-column",
        "--summary-column",
        "--id-column",
        "--limit",
        "--max-input-tokens",
        "--max-length",
        "--max-new-tokens",
        "--num-beams",
        "--length-penalty",
        "--no-repeat-ngram-size",
        "--batch-size",
        "--max-batch-tokens",
        "--padding",
        "--dtype",
        "--device",
        "--output-dir",
        "--json",
        "--seed",
        "--use-stemmer",
        "--revision",
    ):
        assert option in result.output


def test_help_groups_the_options_in_panels_and_lists_every_model_form():
    output = invoke("eval", "--help").output
    titles = [f"─ {panel} " for panel in ("Model", "Data", "Generation", "Batching", "Scoring", "Output")]
    assert all(title in output for title in titles), output
    assert [output.index(title) for title in titles] == sorted(output.index(title) for title in titles)
    for form in ("builtin:tglobal", "builtin:bigbird-pegasus", "shape:base", "shape:large-local", "lead-K", "oracle"):
        assert form in output
    # Choices are listed as such.
    assert "auto|bf16|fp16|fp32" in output and "dynamic|max-length" in output and "punkt|newline" in output
    assert "superseded/" in output and "overwrite" not in output


@pytest.mark.parametrize(
    "flag, typo, choices",
    [
        ("--dtype", "fp8", "'auto', 'bf16', 'fp16', 'fp32'"),
        ("--padding", "longest", "'dynamic', 'max-length'"),
        ("--sentence-splitter", "spacy", "'punkt', 'newline'"),
    ],
)
def test_a_typo_in_a_closed_set_stops_at_parse_time(monkeypatch, flag, typo, choices):
    def never(*args, **kwargs):
        raise AssertionError("the command ran")

    monkeypatch.setattr(DataSettings, "__post_init__", never)
    result = invoke("eval", "--model", "lead-1", flag, typo)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert f"'{flag}'" in result.stderr and f"'{typo}' is not one of {choices}" in result.stderr


def test_eval_on_the_builtin_model_prints_a_table_and_writes_outputs(examples, tmp_path):
    result = invoke(
        "eval",
        "--model",
        "builtin:tglobal",
        "--dataset",
        str(examples),
        "--limit",
        "3",
        "--output-dir",
        str(tmp_path / "run"),
        *FAST,
    )
    assert result.exit_code == 0, result.output
    assert "rougeLsum" in result.stdout and "signature: model:builtin:tglobal@sha256:" in result.stdout
    # A random model never emits its end token: every summary runs to the limit.
    assert "cut at the length limit 3 (100.0%)" in result.stdout
    assert len((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()) == 3
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["documents"] == 3


def test_eval_json_output_is_the_metrics_document(examples):
    result = invoke("eval", "--model", "builtin:local", "--dataset", str(examples), "--limit", "2", "--json", *FAST)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 2 and set(metrics["rouge"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert metrics["model"]["generation"]["max_length"] == 8


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "nope/missing.jsonl"], "dataset not found"),
        (["--summary-column", "highlights"], "--summary-column 'highlights' is not a column"),
        (["--num-beams", "0"], "--num-beams must be at least 1"),
        (["--limit", "-1"], "--limit must be 0 or more"),
        (["--dtype", "fp16"], "--dtype fp16 needs a CUDA device"),
        (["--device", "cuda"], "no CUDA device"),
        (["--dtype", "int4"], "'int4' is not one of"),
        (["--model", "./no-such-dir"], "model directory not found"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(examples, args, message):
    base = {"--model": "builtin:tglobal", "--dataset": str(examples)}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    result = invoke("eval", *[x for pair in base.items() for x in pair], *FAST)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def test_bf16_on_a_cpu_without_native_bf16_is_one_line(examples, monkeypatch):
    from longsum.engine import loading

    monkeypatch.setattr(loading, "cpu_has_native_bf16", lambda: False)
    result = invoke("eval", "--model", "builtin:tglobal", "--dataset", str(examples), "--dtype", "bf16", *FAST)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: --dtype bf16 needs a CUDA device or a CPU with native bf16 (AVX512-BF16 or AMX); use fp32 (or auto) "
        "here"
    )


@pytest.fixture
def hub_splits(monkeypatch):
    """The split every hub read asks for; the records come from here, never from the network."""
    splits = []

    def records(dataset, split, revision=None):
        splits.append(split)
        return iter(
            [
                {"article": "cells grew in culture. they grew fast.", "abstract": "cells grew."},
                {"article": "mice were fed a diet. they ate.", "abstract": "mice ate."},
            ]
        )

    monkeypatch.setattr(documents_module, "_hub_records", records)
    return splits


@pytest.mark.parametrize("dataset, split", [("pubmed", PRESETS["pubmed"].split), ("org/papers:document", "validation")])
def test_the_library_and_the_command_line_read_the_same_split(hub_splits, dataset, split):
    # The library's default: a named benchmark's own split (test), else validation.
    assert DataSettings().split is None
    library = DataSettings(dataset=dataset)
    next(iter_documents(library))
    result = invoke("eval", "--model", "lead-1", "--dataset", dataset, "--json", "--bootstrap-samples", "10")
    assert result.exit_code == 0, result.output
    assert hub_splits == [split, split]
    assert f"|data:{data_label(library)}|" in json.loads(result.stdout)["signature"]
    assert data_label(library).endswith(f"/{split}")


def test_one_seed_seeds_torch_and_the_bootstrap(monkeypatch, examples, tmp_path):
    import torch

    seeds = []
    monkeypatch.setattr(torch, "manual_seed", lambda seed: seeds.append(seed))
    result = invoke(
        "eval",
        "--model",
        "lead-1",
        "--dataset",
        str(examples),
        "--seed",
        "5",
        "--bootstrap-samples",
        "10",
        "--output-dir",
        str(tmp_path / "run"),
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert seeds == [5]
    metrics = json.loads(result.stdout)
    assert "|seed:5|" in metrics["signature"]
    config = json.loads((tmp_path / "run" / "metrics.json").read_text())["config"]
    assert config["scoring"]["seed"] == 5 and "seed" not in config
    assert "seed" not in {f.name for f in dataclasses.fields(EvalConfig)}


def test_eval_shows_example_summaries_chosen_the_same_way_every_time(examples, tmp_path):
    args = ["eval", "--model", "lead-2", "--dataset", str(examples), "--bootstrap-samples", "20"]
    first = invoke(*args, "--output-dir", str(tmp_path / "a"), "--report", str(tmp_path / "a.html"))
    again = invoke(*args)
    assert first.exit_code == 0 and again.exit_code == 0, first.output
    shown = [line for line in first.stdout.splitlines() if "ROUGE-1:" in line]
    assert [line.split(" (")[0].strip() for line in shown] == [
        line.split(" (")[0].strip() for line in again.stdout.splitlines() if "ROUGE-1:" in line
    ]
    assert len(shown) == 2 and shown[0].startswith("median ROUGE-1: ") and shown[1].startswith("lowest ROUGE-1: ")
    assert "summary" in first.stdout and "reference" in first.stdout
    stored = json.loads((tmp_path / "a" / "metrics.json").read_text())["examples"]
    assert [e["label"] for e in stored] == ["median ROUGE-1", "lowest ROUGE-1"]
    assert stored[0]["rouge1"] >= stored[1]["rouge1"]
    # The summary is the stored prediction, cut to a few lines of the terminal.
    assert stored[1]["prediction"].split()[0] in first.stdout
    report = (tmp_path / "a.html").read_text(encoding="utf-8")
    assert "median ROUGE-1" in report and "lowest ROUGE-1" in report


def test_json_output_and_examples_0_show_no_examples(examples):
    as_json = invoke("eval", "--model", "lead-2", "--dataset", str(examples), "--json", "--bootstrap-samples", "20")
    assert as_json.exit_code == 0 and "examples" not in json.loads(as_json.stdout)
    none = invoke(
        "eval", "--model", "lead-2", "--dataset", str(examples), "--examples", "0", "--bootstrap-samples", "20"
    )
    assert none.exit_code == 0 and "ROUGE-1:" not in none.stdout
    four = invoke("eval", "--model", "lead-2", "--dataset", str(examples), "--json", "--examples", "4")
    assert [e["label"] for e in json.loads(four.stdout)["examples"]][:3] == [
        "median ROUGE-1",
        "lowest ROUGE-1",
        "highest ROUGE-1",
    ]


def test_a_decoder_only_model_runs_with_the_prompt_options_and_records_them(examples, tmp_path):
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text("Summarize this article.\n\n{document}\n\nSummary:", encoding="utf-8")
    result = invoke(
        "eval",
        "--model",
        "builtin:llama",
        "--dataset",
        str(examples),
        "--limit",
        "2",
        "--max-new-tokens",
        "6",
        "--prompt",
        f"@{prompt_file}",
        "--system-prompt",
        "You write abstracts.",
        "--truncation",
        "middle",
        "--stop",
        "\n\n",
        "--json",
        "--bootstrap-samples",
        "10",
        "--output-dir",
        str(tmp_path / "run"),
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    prompt = metrics["model"]["prompt"]
    assert prompt["template"] == "Summarize this article.\n\n{document}\n\nSummary:"
    assert prompt["system_prompt"] == "You write abstracts." and prompt["truncation"] == "middle"
    assert prompt["stop"] == ["\n\n"] and metrics["model"]["kind"] == "causal"
    assert f"|prompt:{prompt['template_sha256']}|" in metrics["signature"] and "|trunc:middle|" in metrics["signature"]
    # Greedy unless asked: the checkpoint's own beam width, where a seq2seq model gets the recipe's 2.
    assert metrics["model"]["generation"]["num_beams"] == 1
    stored = json.loads((tmp_path / "run" / "run.json").read_text())["config"]["prompting"]
    assert stored["prompt"] == prompt["template"] and stored["stop"] == ["\n\n"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--prompt", "Summarize the article."], "the prompt has no {document} placeholder"),
        (["--prompt", "@/nonexistent/prompt.txt"], "--prompt @/nonexistent/prompt.txt: cannot read"),
        (["--chat-template", "yes"], "'yes' is not one of 'auto', 'on', 'off'"),
        (["--truncation", "start"], "'start' is not one of 'end', 'middle'"),
    ],
)
def test_prompt_mistakes_are_one_line(examples, args, message):
    result = invoke("eval", "--model", "builtin:llama", "--dataset", str(examples), *args)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and message in errors[0], result.output


@pytest.mark.slow
def test_eval_scores_faithfulness_into_every_output_and_the_table_tests_it(examples, tmp_path):
    """lead-1 and lead-3 with a random NLI model: metrics.json, the side file, the report, the model index, and
    `longsum table` with a faithfulness column tested against the baseline."""
    from nli_models import build_nli

    model = build_nli(tmp_path / "nli", ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"])
    runs = []
    for name in ("lead-1", "lead-3"):
        out = tmp_path / name
        result = invoke(
            "eval",
            "--model",
            name,
            "--dataset",
            str(examples),
            "--bootstrap-samples",
            "50",
            "--output-dir",
            str(out),
            "--faithfulness",
            str(model),
            "--report",
            str(out / "report.html"),
            "--model-index",
            str(out / "mi.yaml"),
        )
        assert result.exit_code == 0, result.output
        assert "faithfulness (summac-zs, -1 to 1" in " ".join(result.stdout.split())
        runs.append(out)
    metrics = json.loads((runs[1] / "metrics.json").read_text(encoding="utf-8"))
    faithfulness = metrics["faithfulness"]
    assert faithfulness["documents"] == metrics["documents"] and -1 <= faithfulness["mean"] <= 1
    assert faithfulness["low"] <= faithfulness["mean"] <= faithfulness["high"]
    assert sum(b["documents"] for b in faithfulness["by_length"]) == faithfulness["documents"]
    assert metrics["config"]["scoring"]["faithfulness"] == str(model)
    assert f"|faith:{faithfulness['model']}|faith-method:summac-zs" in metrics["signature"]
    lines = (runs[1] / "faithfulness.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == metrics["documents"]
    assert 'id="faithfulness"' in (runs[1] / "report.html").read_text(encoding="utf-8")
    assert "type: faithfulness" in (runs[1] / "mi.yaml").read_text(encoding="utf-8")

    # Scoring the run again reads the side file: the same mean, and no new line.
    again = invoke("score", str(runs[1]), "--faithfulness", str(model), "--bootstrap-samples", "50", "--json")
    assert json.loads(again.stdout)["faithfulness"]["mean"] == faithfulness["mean"]
    assert len((runs[1] / "faithfulness.jsonl").read_text(encoding="utf-8").splitlines()) == len(lines)

    table = json.loads(invoke("table", *map(str, runs), "--format", "json", "--samples", "50").stdout)
    assert table["rouge_types"][-1] == "faithfulness"
    assert table["rows"][1]["rouge"]["faithfulness"]["f"] == faithfulness["mean"]
    versus = table["rows"][1]["vs_baseline"]["faithfulness"]
    assert versus["b"] == pytest.approx(faithfulness["mean"])
    assert "Faith" in invoke("table", *map(str, runs), "--samples", "50").stdout


def test_eval_refuses_a_non_nli_model_before_the_summarizer_loads(examples, tmp_path, monkeypatch):
    from nli_models import build_nli

    model = build_nli(tmp_path / "sentiment", ["negative", "neutral", "positive"])

    def never(*_args, **_kwargs):
        raise AssertionError("the summarizer loaded")

    monkeypatch.setattr("longsum.summarizers.resolver.load_summarizer", never)
    result = invoke("eval", "--model", "lead-3", "--dataset", str(examples), "--faithfulness", str(model))
    assert result.exit_code != 0
    assert result.output.startswith("error:") and "not an NLI classifier" in result.output

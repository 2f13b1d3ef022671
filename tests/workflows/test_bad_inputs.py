"""Every user mistake ``longsum eval`` knows: one clear line on stderr, exit code 2, no traceback; and the malformed
records it can skip and count instead."""

import json
import os

import pytest
from typer.testing import CliRunner

from longsum.cli import app

runner = CliRunner()
GOOD = [
    {"id": "a", "article": "cells grew in culture.", "abstract": "cells grew."},
    {"id": "b", "article": "mice were fed a diet.", "abstract": "mice ate."},
]


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def file_with(name, content):
    def make(folder):
        (folder / name).write_bytes(content)
        return folder / name

    return make


def remote_code_checkpoint(folder):
    """A checkpoint whose config names modeling code it ships, as LSG models do."""
    folder.mkdir()
    auto_map = {"AutoConfig": "modeling_lsg.LSGConfig", "AutoModelForSeq2SeqLM": "modeling_lsg.LSGModel"}
    (folder / "config.json").write_text(json.dumps({"model_type": "lsg_bart", "auto_map": auto_map}), encoding="utf-8")
    (folder / "modeling_lsg.py").write_text(
        "raise RuntimeError('never run without --trust-remote-code')\n", encoding="utf-8"
    )
    return folder


def seq2seq_free_checkpoint(folder):
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert", "num_hidden_layers": 1}), encoding="utf-8")
    return folder


# (case, model, dataset builder, extra flags, expected message)
CASES = [
    ("missing model path", "./no/such/checkpoint", None, [], "model directory not found: ./no/such/checkpoint"),
    ("directory that is not a checkpoint", "{tmp}", None, [], "is not a checkpoint directory (no config.json)"),
    ("checkpoint that is not seq2seq", "{tmp}/bert", None, [], "is a bert model, not an encoder-decoder"),
    (
        "checkpoint shipping its own code",
        "{tmp}/lsg",
        None,
        [],
        "ships its own modeling code; pass --trust-remote-code",
    ),
    (
        "--max-input-tokens above the model's positions",
        "builtin:bart",
        None,
        ["--max-input-tokens", "2048"],
        "--max-input-tokens 2048 is more than this bart model's 1024 input positions",
    ),
    ("unknown hub id while offline", "org/never-heard-of", None, [], "cannot reach the Hugging Face Hub"),
    ("dataset file missing", None, lambda t: t / "missing.jsonl", [], "dataset not found"),
    ("dataset file empty", None, file_with("e.jsonl", b""), [], "the file is empty"),
    ("dataset not UTF-8", None, file_with("l.jsonl", b'{"article": "\xe9"}\n'), [], "not UTF-8"),
    ("dataset of an unknown type", None, file_with("d.xml", b"<a/>"), [], "unsupported file type"),
    (
        "malformed JSONL line",
        None,
        file_with("m.jsonl", (json.dumps(GOOD[0]) + "\n{oops\n").encode()),
        [],
        "m.jsonl:2: not valid JSON",
    ),
    (
        "missing text column",
        None,
        lambda t: jsonl(t / "c.jsonl", [{"foo": "x", "summary": "y"}]),
        [],
        "no text column found (pass --text-column); columns: foo, summary",
    ),
    (
        "missing named summary column",
        None,
        lambda t: jsonl(t / "c.jsonl", GOOD),
        ["--summary-column", "tldr"],
        "--summary-column 'tldr' is not a column of the dataset; columns: id, article, abstract",
    ),
    ("duplicate ids", None, lambda t: jsonl(t / "d.jsonl", [GOOD[0], GOOD[0]]), [], "duplicate id 'a'"),
    (
        "hub dataset while offline",
        None,
        lambda t: "ccdv/pubmed-summarization:document",
        [],
        "cannot reach the Hugging Face Hub to fetch dataset",
    ),
    ("--num-beams 0", None, None, ["--num-beams", "0"], "--num-beams must be at least 1"),
    ("negative --limit", None, None, ["--limit", "-3"], "--limit must be 0 or more"),
    ("--max-length below 1", None, None, ["--max-length", "0"], "--max-length must be at least 1"),
    ("--max-new-tokens below 1", None, None, ["--max-new-tokens", "0"], "--max-new-tokens must be at least 1"),
    ("unknown dtype", None, None, ["--dtype", "fp8"], "'fp8' is not one of 'auto', 'bf16', 'fp16', 'fp32'"),
    ("unknown device", None, None, ["--device", "tpu"], "unknown --device 'tpu'"),
    ("fp16 asked on the CPU", None, None, ["--dtype", "fp16"], "--dtype fp16 needs a CUDA device"),
    ("CUDA asked without CUDA", None, None, ["--device", "cuda:0"], "has no CUDA device"),
    ("unknown padding", None, None, ["--padding", "longest"], "'longest' is not one of 'dynamic', 'max-length'"),
    ("resume without an output dir", None, None, ["--resume"], "--resume needs --output-dir"),
    ("lead-0 baseline", "lead-0", None, [], "lead-K needs K of at least 1"),
    ("report path is a directory", None, None, ["--report", "{tmp}"], "is a directory; give a file name"),
    (
        "report folder is a file",
        None,
        lambda t: jsonl(t / "d.jsonl", GOOD),
        ["--report", "{tmp}/d.jsonl/r.html"],
        "d.jsonl is a file, not a folder",
    ),
]


@pytest.mark.parametrize("case, model, make_dataset, flags, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, examples, case, model, make_dataset, flags, message):
    seq2seq_free_checkpoint(tmp_path / "bert")
    remote_code_checkpoint(tmp_path / "lsg")
    model = (model or "builtin:tglobal").format(tmp=tmp_path)
    dataset = make_dataset(tmp_path) if make_dataset else examples
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    result = runner.invoke(app, ["eval", "--model", model, "--dataset", str(dataset), "--max-length", "4", *flags])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_bad_records_can_be_skipped_and_are_counted(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(GOOD[0]) + "\n{oops\n[1]\n" + json.dumps(GOOD[1]) + "\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "builtin:tglobal",
            "--dataset",
            str(path),
            "--max-length",
            "4",
            "--skip-bad-records",
            "--json",
            "--bootstrap-samples",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 2 and metrics["bad_records"] == 2
    assert "warning: 2 malformed record(s) skipped" in result.stderr


def test_empty_documents_and_missing_references_are_counted_and_warned(tmp_path):
    rows = [GOOD[0], {"id": "blank", "article": "  \n ", "abstract": "x y."}, {"id": "noref", "article": "text here."}]
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "builtin:tglobal",
            "--dataset",
            str(jsonl(tmp_path / "d.jsonl", rows)),
            "--max-length",
            "4",
            "--json",
            "--bootstrap-samples",
            "10",
            "--output-dir",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert (metrics["documents"], metrics["empty_documents"], metrics["missing_references"], metrics["scored"]) == (
        3,
        1,
        1,
        2,
    )
    assert "1 document(s) were empty or whitespace-only" in result.stderr
    assert "1 document(s) had no reference summary" in result.stderr
    blank = [json.loads(line) for line in (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()][1]
    stats = blank.pop("stats")
    assert blank == {
        "schema_version": 1,
        "id": "blank",
        "prediction": "",
        "reference": "x y.",
        "input_tokens": 0,
        "truncated": False,
        "generated_tokens": 0,
        "ended_with_eos": None,
    }
    assert stats["source_words"] == 0 and stats["prediction"]["words"] == 0 and stats["reference"]["words"] == 2


def test_id_column_resolves_duplicate_ids(tmp_path):
    rows = [{**GOOD[0], "pmid": "1"}, {**GOOD[0], "pmid": "2"}]
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "builtin:tglobal",
            "--dataset",
            str(jsonl(tmp_path / "d.jsonl", rows)),
            "--id-column",
            "pmid",
            "--max-length",
            "4",
            "--json",
            "--bootstrap-samples",
            "10",
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_dataset(tmp_path):
    path = jsonl(tmp_path / "d.jsonl", GOOD)
    path.chmod(0)
    result = runner.invoke(app, ["eval", "--model", "builtin:tglobal", "--dataset", str(path)])
    assert result.exit_code == 2 and "not readable" in result.stderr

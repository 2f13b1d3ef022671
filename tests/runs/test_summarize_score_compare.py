"""summarize, score and compare: every input form, through CliRunner and the library."""

import json

import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import ScoreSettings
from longsum.runs.comparison import compare_files
from longsum.runs.scoring import score_file

runner = CliRunner()
FAST = ["--model", "builtin:tglobal", "--max-length", "12", "--max-input-tokens", "256"]


def minimal_pdf(text):
    """A one-page PDF showing ``text``, built by hand so the test needs no PDF writer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def documents(tmp_path):
    (tmp_path / "a.txt").write_text("the cells grew in culture. " * 40, encoding="utf-8")
    (tmp_path / "b.md").write_text("# Title\n\nmice were fed a high fat diet for weeks.", encoding="utf-8")
    (tmp_path / "c.pdf").write_bytes(minimal_pdf("bacteria regulate iron uptake"))
    return tmp_path


def test_summarize_several_files_heads_each_summary_with_its_name(documents):
    result = runner.invoke(app, ["summarize", *FAST, str(documents / "a.txt"), str(documents / "b.md")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"==> {documents / 'a.txt'} <==\n")
    assert f"==> {documents / 'b.md'} <==" in result.stdout


def test_summarize_json_stdin_pdf_and_truncation_warning(documents):
    result = runner.invoke(
        app,
        ["summarize", *FAST, "--json", str(documents / "a.txt"), "-", str(documents / "c.pdf")],
        input="a short note from stdin about kidney function.",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(documents / "a.txt"), "-", str(documents / "c.pdf")]
    assert all(set(line) == {"file", "summary", "input_tokens", "truncated"} for line in lines)
    assert lines[0]["truncated"] is True and lines[0]["input_tokens"] == 256
    assert lines[2]["input_tokens"] > 3  # the PDF's text reached the model
    assert f"warning: {documents / 'a.txt'}:" in result.stderr and "truncated by" in result.stderr


def test_summarize_batches_files_together_and_matches_one_at_a_time(documents):
    files = [str(documents / "a.txt"), str(documents / "b.md")]
    together = runner.invoke(app, ["summarize", *FAST, "--json", *files])
    alone = [runner.invoke(app, ["summarize", *FAST, "--json", f]) for f in files]
    assert together.stdout == "".join(r.stdout for r in alone)


def test_summarize_to_a_file(documents, tmp_path):
    out = tmp_path / "summary.txt"
    result = runner.invoke(app, ["summarize", *FAST, str(documents / "a.txt"), "--output", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    printed = runner.invoke(app, ["summarize", *FAST, str(documents / "a.txt")]).stdout
    assert out.read_text(encoding="utf-8") == printed and printed.strip()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: [str(d / "missing.txt")], "file not found"),
        (lambda d: [str(d)], "is a folder"),
        (lambda d: ["-", "-"], "stdin ('-') can be read only once"),
        (lambda d: [str((d / "x.pdf").write_bytes(b"not a pdf") and d / "x.pdf")], "not a readable PDF"),
    ],
)
def test_summarize_errors(documents, make, message):
    result = runner.invoke(app, ["summarize", *FAST, *make(documents)])
    assert result.exit_code == 2 and message in result.stderr and result.stderr.count("\n") == 1


@pytest.fixture
def two_runs(examples, tmp_path):
    for name, beams in (("a", "1"), ("b", "2")):
        result = runner.invoke(
            app,
            [
                "eval",
                *FAST,
                "--dataset",
                str(examples),
                "--num-beams",
                beams,
                "--bootstrap-samples",
                "200",
                "--output-dir",
                str(tmp_path / name),
            ],
        )
        assert result.exit_code == 0, result.output
    return tmp_path / "a", tmp_path / "b"


def test_score_equals_what_eval_reported(two_runs):
    run = two_runs[0]
    stored = json.loads((run / "metrics.json").read_text())
    result = runner.invoke(app, ["score", str(run / "predictions.jsonl"), "--bootstrap-samples", "200", "--json"])
    assert result.exit_code == 0, result.output
    scored = json.loads(result.stdout)
    assert scored["rouge"] == stored["rouge"]
    assert (scored["documents"], scored["truncated"]) == (stored["documents"], stored["truncated"])
    assert scored["signature"].startswith(f"predictions:{run / 'predictions.jsonl'}|n:8|")


def test_score_two_plain_text_files(tmp_path):
    (tmp_path / "pred.txt").write_text("the cat sat\nx y z\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("the cat sat on the mat\na b c\n", encoding="utf-8")
    metrics = score_file(tmp_path / "pred.txt", tmp_path / "ref.txt", ScoreSettings(bootstrap_samples=50))
    assert metrics["documents"] == 2
    assert metrics["rouge"]["rouge1"]["f"] == pytest.approx((2 / 3 + 0) / 2)


def test_score_other_jsonl_field_names(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"summary": "the cat sat", "target": "the cat sat"}) + "\n", encoding="utf-8")
    assert score_file(path, None, ScoreSettings(bootstrap_samples=10))["rouge"]["rougeL"]["f"] == 1.0


@pytest.mark.parametrize(
    "files, message",
    [
        ({"p.jsonl": '{"text": "x", "gold": "y"}\n'}, "no prediction field"),
        ({"p.txt": "a\nb\n", "r.txt": "a\n"}, "different numbers of lines"),
        ({}, "predictions not found"),
    ],
)
def test_score_errors(tmp_path, files, message):
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    args = [str(tmp_path / ("p.txt" if "p.txt" in files else "p.jsonl"))] + (
        [str(tmp_path / "r.txt")] if "r.txt" in files else []
    )
    result = runner.invoke(app, ["score", *args])
    assert result.exit_code == 2 and message in result.stderr


def test_compare_two_runs(two_runs):
    a, b = two_runs
    result = runner.invoke(app, ["compare", str(a), str(b), "--samples", "300", "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.stdout)
    assert comparison["shared_documents"] == 8 and comparison["samples"] == 300 and comparison["seed"] == 0
    for c in comparison["metrics"].values():
        assert c["delta"] == pytest.approx(c["b"] - c["a"])
        assert c["delta_low"] <= c["delta"] <= c["delta_high"]
        assert 0 < c["p_bootstrap"] <= 1 and 0 < c["p_randomization"] <= 1
    table = runner.invoke(app, ["compare", str(a), str(b), "--samples", "100"])
    assert "rougeLsum" in table.stdout and "8 shared documents" in table.stdout


def test_compare_a_run_with_itself_finds_nothing(two_runs):
    comparison = compare_files(two_runs[0], two_runs[0], ScoreSettings(bootstrap_samples=100))
    assert all(c["delta"] == 0 and c["p_randomization"] == 1.0 for c in comparison["metrics"].values())

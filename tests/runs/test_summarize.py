"""Summarizing files: every input form (text, Markdown, PDF, stdin) through CliRunner and the library, batched
together as one at a time would give them, and each unreadable input one line."""

import io
import json

import pytest
from conftest import FAST
from fakes import EchoSummarizer
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import BatchSettings
from longsum.errors import LongsumError
from longsum.runs.summarize import FileSummary, read_input, summarize_files

runner = CliRunner()


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


def test_the_library_summarizes_in_the_order_given_and_skips_the_model_for_empty_files(tmp_path, monkeypatch):
    (tmp_path / "short.txt").write_text("cells grew.", encoding="utf-8")
    (tmp_path / "long.md").write_text("mice were fed a high fat diet for many weeks.", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("  \n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("a note from stdin."))
    names = [str(tmp_path / "short.txt"), "-", str(tmp_path / "blank.txt"), str(tmp_path / "long.md")]
    summarizer = EchoSummarizer(limit=20, words=3)
    summaries = summarize_files(names, summarizer, BatchSettings(batch_size=2))
    assert [s.file for s in summaries] == names
    assert [s.summary for s in summaries] == ["cells grew.", "a note from", "", "mice were fed"]
    # One token per character and an end token, cut at 20: only the long file lost tokens.
    assert [(s.input_tokens, s.source_tokens, s.truncated) for s in summaries] == [
        (12, 12, False),
        (19, 19, False),
        (0, 0, False),
        (20, 46, True),
    ]
    assert sorted(item.doc.id for b in summarizer.batches for item in b.items) == sorted(set(names) - {names[2]})


def test_a_summary_s_json_form_leaves_out_the_source_length():
    summary = FileSummary("a.txt", "text", 256, True, 900)
    assert summary.to_dict() == {"file": "a.txt", "summary": "text", "input_tokens": 256, "truncated": True}


def test_a_file_that_is_not_utf8_is_named_with_the_byte(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(LongsumError, match=r"latin1.txt: not UTF-8 text \(byte 3\)$"):
        read_input(str(tmp_path / "latin1.txt"))

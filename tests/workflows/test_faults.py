"""The fault table: each row injects one fault into a run and checks that it ends with one clear line (or a
warning and goes on), that no finished prediction is lost, and that --resume then completes a run identical
to an uninterrupted one."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fakes import EchoSummarizer
from typer.testing import CliRunner

import longsum.results.storage as storage
import longsum.runs.evaluation as evaluation
import longsum.summarizers.resolver as resolver
from longsum.cli import app
from longsum.results.storage import METRICS, PARTS, PREDICTIONS, RUN, PredictionLog

runner = CliRunner()
ROWS = [
    {"id": f"d{i}", "article": f"text {i} " + "word " * (5 + 13 * i % 40), "abstract": f"text {i} word"}
    for i in range(12)
]


def write_jsonl(path, rows, newline="\n", prefix=""):
    path.write_text(prefix + "".join(json.dumps(r) + newline for r in rows), encoding="utf-8", newline="")
    return path


@pytest.fixture
def dataset(tmp_path):
    return write_jsonl(tmp_path / "docs.jsonl", ROWS)


class Faulty(EchoSummarizer):
    """An echo summarizer that raises ``error`` on generation call number ``at`` (counting from 1)."""

    def __init__(self, at, error):
        super().__init__()
        self.at, self.error, self.calls = at, error, 0

    def generate(self, batch):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return super().generate(batch)


def eval_cli(monkeypatch, dataset, out, *flags, summarizer=None, load=None):
    monkeypatch.setattr(resolver, "load_summarizer", load or (lambda config: summarizer or EchoSummarizer()))
    return runner.invoke(
        app,
        [
            "eval",
            "--model",
            "echo",
            "--dataset",
            str(dataset),
            "--output-dir",
            str(out),
            "--batch-size",
            "2",
            "--bootstrap-samples",
            "20",
            *flags,
        ],
    )


@pytest.fixture
def whole(monkeypatch, dataset, tmp_path):
    """An uninterrupted run of ``dataset``: the directory every resumed run must match."""
    result = eval_cli(monkeypatch, dataset, tmp_path / "whole")
    assert result.exit_code == 0, result.output
    return tmp_path / "whole"


def lines(path):
    return path.read_text(encoding="utf-8").count("\n") if path.exists() else 0


def assert_one_error_line(result, code, message):
    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.output


def assert_resume_matches(monkeypatch, dataset, out, whole, *flags, summarizer=None):
    result = eval_cli(monkeypatch, dataset, out, "--resume", *flags, summarizer=summarizer)
    assert result.exit_code == 0, result.output
    assert (out / PREDICTIONS).read_bytes() == (whole / PREDICTIONS).read_bytes()
    assert json.loads((out / METRICS).read_text())["rouge"] == json.loads((whole / METRICS).read_text())["rouge"]
    return result


class FlakyFile:
    """A file that writes half of its ``fail_at``-th write and then reports a full disk."""

    def __init__(self, handle, fail_at):
        self.handle, self.fail_at, self.writes = handle, fail_at, 0

    def write(self, data):
        self.writes += 1
        if self.writes == self.fail_at:
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)


def disk_full_on_batch(monkeypatch, tmp_path):
    opened = PredictionLog.__init__

    def init(self, path, resume=False):
        opened(self, path, resume)
        self._handle = FlakyFile(self._handle, fail_at=6)  # the second record of the third batch

    monkeypatch.setattr(PredictionLog, "__init__", init)
    return 4  # the first two batches are durable


def disk_full():
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def sigterm():
    os.kill(os.getpid(), signal.SIGTERM)


def on_rename_to(name, fault):
    """Run ``fault`` when the atomic writer is about to put ``name`` in place (its content fully written)."""

    def inject(monkeypatch, tmp_path):
        replace = os.replace

        def faulty(source, target):
            if os.path.basename(target) == name:
                fault()
            return replace(source, target)

        monkeypatch.setattr(storage.os, "replace", faulty)
        return len(ROWS)

    return inject


def sigterm_while_scoring(monkeypatch, tmp_path):
    score = evaluation.score_records

    def terminated(*args, **kwargs):
        sigterm()
        return score(*args, **kwargs)

    monkeypatch.setattr(evaluation, "score_records", terminated)
    return len(ROWS)


# (row, inject(monkeypatch, tmp_path) -> predictions kept at least, exit code, the line's words)
WRITE_FAULTS = [
    ("disk fills while a batch is appended", disk_full_on_batch, 2, "No space left on device"),
    (
        "disk fills while predictions.jsonl is written",
        on_rename_to(PREDICTIONS, disk_full),
        2,
        "No space left on device",
    ),
    ("disk fills while metrics.json is written", on_rename_to(METRICS, disk_full), 2, "No space left on device"),
    ("SIGTERM during the final merge", on_rename_to(PREDICTIONS, sigterm), 143, None),
    ("SIGTERM during scoring", sigterm_while_scoring, 143, None),
]


@pytest.mark.parametrize("row, inject, code, words", WRITE_FAULTS, ids=[r[0] for r in WRITE_FAULTS])
def test_write_faults_keep_the_work_and_resume(monkeypatch, dataset, tmp_path, whole, row, inject, code, words):
    kept = inject(monkeypatch, tmp_path)
    result = eval_cli(monkeypatch, dataset, tmp_path / "run")
    monkeypatch.undo()
    if words is None:  # a signal: the CLI's own line says how to go on
        assert result.exit_code == code and "terminated: finished batches are kept" in result.stderr
        assert "Traceback" not in result.output
    else:
        assert_one_error_line(result, code, words)
        assert "finished predictions are kept in" in result.stderr and "--resume" in result.stderr
    on_disk = lines(tmp_path / "run" / PREDICTIONS) + lines(tmp_path / "run" / PARTS / "part-0.jsonl")
    assert on_disk >= kept
    assert not list((tmp_path / "run").glob("*.tmp"))
    assert_resume_matches(monkeypatch, dataset, tmp_path / "run", whole)


GENERATION_FAULTS = [
    (
        "an exception inside generation",
        RuntimeError("boom\nsecond line"),
        "2",
        1,
        "generation failed on 2 document(s) (",
    ),
    (
        "out of memory on one document that cannot be split",
        RuntimeError("CUDA out of memory. Tried to allocate"),
        "1",
        2,
        "out of device memory on a single document",
    ),
]


@pytest.mark.parametrize(
    "row, error, batch_size, code, words", GENERATION_FAULTS, ids=[r[0] for r in GENERATION_FAULTS]
)
def test_generation_faults_end_with_one_line_and_resume(
    monkeypatch, dataset, tmp_path, whole, row, error, batch_size, code, words
):
    faulty = Faulty(3, error)
    result = eval_cli(monkeypatch, dataset, tmp_path / "run", "--batch-size", batch_size, summarizer=faulty)
    assert_one_error_line(result, code, words)
    assert "second line" not in result.stderr  # the first line of the exception's message only
    finished = sum(len(b.items) for b in faulty.batches)
    assert finished >= 2 and lines(tmp_path / "run" / PREDICTIONS) == finished
    assert_resume_matches(monkeypatch, dataset, tmp_path / "run", whole)


def test_a_corrupt_run_json_is_refused_in_one_line_and_force_resumes(monkeypatch, dataset, tmp_path, whole):
    cut = Faulty(3, KeyboardInterrupt())
    eval_cli(monkeypatch, dataset, tmp_path / "run", summarizer=cut)
    run_json = tmp_path / "run" / RUN
    run_json.write_text(run_json.read_text()[:40], encoding="utf-8")  # truncated
    result = eval_cli(monkeypatch, dataset, tmp_path / "run", "--resume")
    assert_one_error_line(result, 2, "run.json is corrupt or truncated")
    assert_resume_matches(monkeypatch, dataset, tmp_path / "run", whole, "--force")


def test_a_corrupt_metrics_json_is_rewritten_on_resume(monkeypatch, dataset, tmp_path, whole):
    assert eval_cli(monkeypatch, dataset, tmp_path / "run").exit_code == 0
    (tmp_path / "run" / METRICS).write_bytes(b'{"rouge": {"rouge1"')
    assert_resume_matches(monkeypatch, dataset, tmp_path / "run", whole)


def test_a_torn_part_file_of_a_multi_process_run_is_dropped_and_resumed(monkeypatch, dataset, tmp_path, whole):
    finished = (whole / PREDICTIONS).read_text(encoding="utf-8").splitlines(keepends=True)
    parts = tmp_path / "run" / PARTS
    parts.mkdir(parents=True)
    # Rank 1 finished d1, d3 and d5 and was killed while writing d7.
    (parts / "part-1.jsonl").write_text("".join(finished[1:6:2]) + finished[7][:25], encoding="utf-8")
    (tmp_path / "run" / RUN).write_text(json.dumps({"resume_key": {}}), encoding="utf-8")
    again = EchoSummarizer()
    # One process resumes what a run of two left: the settings the parts were made with are not known, hence --force.
    assert_resume_matches(monkeypatch, dataset, tmp_path / "run", whole, "--force", summarizer=again)
    assert sorted(it.doc.id for b in again.batches for it in b.items) == sorted(
        set(f"d{i}" for i in range(12)) - {"d1", "d3", "d5"}
    )


@pytest.mark.parametrize("change", ["an id vanished", "a new id", "changed text for the same id"])
def test_a_changed_dataset_is_detected_on_resume(monkeypatch, dataset, tmp_path, change):
    cut = Faulty(3, KeyboardInterrupt())
    eval_cli(monkeypatch, dataset, tmp_path / "run", summarizer=cut)
    before = (tmp_path / "run" / PREDICTIONS).read_bytes()
    rows = {
        "an id vanished": ROWS[1:],
        "a new id": [*ROWS, {"id": "new", "article": "new text.", "abstract": "new."}],
        "changed text for the same id": [{**ROWS[0], "article": "edited text."}, *ROWS[1:]],
    }[change]
    write_jsonl(dataset, rows)
    result = eval_cli(monkeypatch, dataset, tmp_path / "run", "--resume")
    assert_one_error_line(result, 2, "the dataset changed since the stored run")
    assert (tmp_path / "run" / PREDICTIONS).read_bytes() == before


def test_a_smaller_limit_on_resume_keeps_every_finished_prediction(monkeypatch, dataset, tmp_path, whole):
    out = tmp_path / "run"
    assert eval_cli(monkeypatch, dataset, out, "--limit", "10").exit_code == 0
    ten = (out / PREDICTIONS).read_bytes()
    result = eval_cli(monkeypatch, dataset, out, "--limit", "4", "--resume", "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 4 and metrics["kept_outside_run"] == 6 and metrics["generated_documents"] == 0
    assert "keeps 6 finished prediction(s) of documents outside this run" in " ".join(result.stderr.split())
    assert sorted((out / PREDICTIONS).read_bytes().splitlines()) == sorted(ten.splitlines())
    assert_resume_matches(monkeypatch, dataset, out, whole)


def test_a_forced_fresh_run_sets_the_old_one_aside(monkeypatch, dataset, tmp_path, whole):
    out = tmp_path / "run"
    assert eval_cli(monkeypatch, dataset, out, "--limit", "3").exit_code == 0
    old = (out / PREDICTIONS).read_bytes()
    assert eval_cli(monkeypatch, dataset, out, "--force").exit_code == 0
    (aside,) = (out / "superseded").iterdir()
    assert (aside / PREDICTIONS).read_bytes() == old and (aside / RUN).exists()
    assert (out / PREDICTIONS).read_bytes() == (whole / PREDICTIONS).read_bytes()


BAD_VALUES = [
    ("a number in the text column", {"article": 12345}, "column 'article' holds int '12345', not text"),
    ("a list in the text column", {"article": ["a", "b"]}, "column 'article' holds list"),
    ("a number in the summary column", {"abstract": 7.5}, "column 'abstract' holds float"),
]


@pytest.mark.parametrize("row, change, words", BAD_VALUES, ids=[r[0] for r in BAD_VALUES])
def test_non_text_values_stop_with_the_record_or_are_skipped(monkeypatch, tmp_path, row, change, words):
    rows = [ROWS[0], {**ROWS[1], **change}, ROWS[2]]
    dataset = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = eval_cli(monkeypatch, dataset, tmp_path / "run")
    assert_one_error_line(result, 2, f"bad.jsonl: record 1: {words}")
    assert "(--skip-bad-records skips such records)" in result.stderr
    result = eval_cli(monkeypatch, dataset, tmp_path / "skip", "--skip-bad-records", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["documents"] == 2
    assert "warning: 1 malformed record(s) skipped" in result.stderr


def test_a_null_text_is_an_empty_document_with_a_warning(monkeypatch, tmp_path):
    dataset = write_jsonl(tmp_path / "null.jsonl", [ROWS[0], {**ROWS[1], "article": None}])
    result = eval_cli(monkeypatch, dataset, tmp_path / "run", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["empty_documents"] == 1
    assert "1 document(s) were empty or whitespace-only" in result.stderr


def test_a_json_array_on_a_line_is_named_by_line_number(monkeypatch, tmp_path):
    dataset = tmp_path / "array.jsonl"
    dataset.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps([ROWS[1]]) + "\n", encoding="utf-8")
    result = eval_cli(monkeypatch, dataset, tmp_path / "run")
    assert_one_error_line(result, 2, "array.jsonl:2: expected a JSON object, got list")


@pytest.mark.parametrize("variant", ["BOM at the file start", "CRLF line ends", "NUL bytes in the text"])
def test_byte_level_oddities_read_as_the_plain_file(monkeypatch, tmp_path, whole, variant):
    if variant == "BOM at the file start":
        dataset = write_jsonl(tmp_path / "docs.jsonl", ROWS, prefix="\ufeff")
    elif variant == "CRLF line ends":
        dataset = write_jsonl(tmp_path / "docs.jsonl", ROWS, newline="\r\n")
    else:
        dataset = write_jsonl(tmp_path / "docs.jsonl", [{**r, "article": r["article"] + "\u0000"} for r in ROWS])
    result = eval_cli(monkeypatch, dataset, tmp_path / "run")
    assert result.exit_code == 0, result.output
    ours, theirs = (
        [json.loads(line) for line in (run / PREDICTIONS).read_text(encoding="utf-8").splitlines()]
        for run in (tmp_path / "run", whole)
    )
    assert [(r["id"], r["prediction"], r["reference"]) for r in ours] == [
        (r["id"], r["prediction"], r["reference"]) for r in theirs
    ]


def not_loaded(config):
    raise AssertionError("the model was loaded although the directory is held by another run")


def test_a_second_run_into_a_held_directory_names_the_holder_and_a_killed_holder_leaves_no_lock(
    monkeypatch, dataset, tmp_path, whole
):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from longsum.results.run_lock import run_lock\n"
            "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(600)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for flags in ([], ["--resume"]):
            result = eval_cli(monkeypatch, dataset, out, *flags, load=not_loaded)
            assert_one_error_line(result, 2, f"{out} is in use by process {holder.pid} on ")
        assert not (out / PREDICTIONS).exists()
    finally:
        holder.kill()
        holder.wait()
    result = eval_cli(monkeypatch, dataset, out)
    assert result.exit_code == 0, result.output
    assert (out / PREDICTIONS).read_bytes() == (whole / PREDICTIONS).read_bytes()


FAILING_RANK = """
import os, sys, time
from longsum.summarizers import seq2seq
from longsum.cli import main

generate, calls = seq2seq.Seq2SeqSummarizer.generate, []


def failing(self, batch):
    calls.append(batch)
    if os.environ["RANK"] == "1" and len(calls) == 2 and "FAILED_AT" in os.environ:
        with open(os.environ["FAILED_AT"], "w") as handle:
            handle.write(str(time.time()))
        raise RuntimeError("injected failure")
    return generate(self, batch)


seq2seq.Seq2SeqSummarizer.generate = failing
sys.argv[0] = "longsum"
main()
"""


@pytest.mark.slow
def test_a_failing_process_stops_a_two_process_run_within_a_minute_and_resume_completes_it(examples, tmp_path):
    common = [
        "eval",
        "--model",
        "builtin:tglobal",
        "--dataset",
        str(examples),
        "--max-length",
        "16",
        "--batch-size",
        "1",
        "--max-input-tokens",
        "1024",
        "--bootstrap-samples",
        "50",
    ]
    one = subprocess.run(
        [sys.executable, "-m", "longsum", *common, "--output-dir", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert one.returncode == 0, one.stderr
    script = tmp_path / "failing_rank.py"
    script.write_text(FAILING_RANK, encoding="utf-8")
    launch = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        "29531",
        str(script),
        *common,
        "--output-dir",
        str(tmp_path / "two"),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "FAILED_AT": str(tmp_path / "failed-at")}
    failed = subprocess.run(launch, capture_output=True, text=True, timeout=600, env=env)
    ended = time.time()
    assert failed.returncode != 0
    assert ended - float((tmp_path / "failed-at").read_text()) < 60
    errors = [line for line in failed.stderr.splitlines() if line.startswith("error:")]
    (failing,) = [line for line in errors if "rank 1 of 2 failed" in line]
    assert "generation failed on 1 document(s)" in failing and "RuntimeError: injected failure" in failing
    assert failing.endswith(f"the finished predictions are kept in {tmp_path / 'two'}: continue with --resume")
    # Rank 0 stops within a poll of the failure, or torchrun ends it first: either way it blames rank 1, once.
    assert all(
        line == failing
        or (line.startswith("error: rank 0 stopped because rank 1 failed: ") and line.count("--resume") == 1)
        for line in errors
    ), errors
    kept = sum(lines(part) for part in (tmp_path / "two" / PARTS).glob("part-*.jsonl"))
    assert kept >= 1  # rank 1's first document at least
    env.pop("FAILED_AT")
    resumed = subprocess.run([*launch, "--resume"], capture_output=True, text=True, timeout=600, env=env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (tmp_path / "two" / PREDICTIONS).read_bytes() == (tmp_path / "one" / PREDICTIONS).read_bytes()
    metrics = json.loads((tmp_path / "two" / METRICS).read_text())
    assert metrics["rouge"] == json.loads((tmp_path / "one" / METRICS).read_text())["rouge"]

"""Resumable runs end to end: an interrupted run resumed to the uninterrupted result, a larger limit, refused
resumes, and a real SIGKILL, SIGTERM and SIGINT."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import EchoSummarizer

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    ScoreSettings,
)
from longsum.errors import LongsumError
from longsum.results.storage import METRICS, PREDICTIONS, read_predictions
from longsum.runs.evaluation import evaluate


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [
        {"id": f"d{i}", "article": f"text {i} " + "word " * (5 + 13 * i % 40), "abstract": f"text {i} word"}
        for i in range(12)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def config_for(dataset, **changes):
    config = EvalConfig(
        data=DataSettings(dataset=str(dataset)),
        batching=BatchSettings(batch_size=2, sort_window=5),
        scoring=ScoreSettings(bootstrap_samples=50),
    )
    return replace(config, **changes)


class StopAfter(EchoSummarizer):
    """Raises KeyboardInterrupt (as Ctrl-C does) when asked for batch number ``after + 1``."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def generate(self, batch):
        if len(self.batches) == self.after:
            raise KeyboardInterrupt
        return super().generate(batch)


def test_interrupted_run_resumes_to_the_uninterrupted_result(dataset, tmp_path):
    config = config_for(dataset)
    whole = evaluate(config, output_dir=tmp_path / "whole", summarizer=EchoSummarizer())
    stopped = StopAfter(3)
    with pytest.raises(KeyboardInterrupt):
        evaluate(config, output_dir=tmp_path / "cut", summarizer=stopped)
    done = sum(len(b.items) for b in stopped.batches)
    assert len(read_predictions(tmp_path / "cut" / PREDICTIONS)) == done == 5  # durable before the interruption
    again = EchoSummarizer()
    resumed = evaluate(config, output_dir=tmp_path / "cut", summarizer=again, resume=True)
    assert sum(len(b.items) for b in again.batches) == 12 - done  # nothing done twice
    assert (tmp_path / "cut" / PREDICTIONS).read_bytes() == (tmp_path / "whole" / PREDICTIONS).read_bytes()
    assert resumed.rouge == whole.rouge
    assert resumed.stats.resumed_documents == done and resumed.counts.documents == 12
    stored = json.loads((tmp_path / "cut" / METRICS).read_text())
    assert stored["rouge"] == json.loads((tmp_path / "whole" / METRICS).read_text())["rouge"]


def test_resume_with_a_larger_limit_extends_the_run(dataset, tmp_path):
    small = config_for(dataset, data=DataSettings(dataset=str(dataset), limit=4))
    evaluate(small, output_dir=tmp_path / "run", summarizer=EchoSummarizer())
    result = evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer(), resume=True)
    assert result.stats.resumed_documents == 4 and result.stats.generated_documents == 8
    assert [r.id for r in read_predictions(tmp_path / "run" / PREDICTIONS)] == [f"d{i}" for i in range(12)]


def test_resume_with_other_generation_settings_is_refused_unless_forced(dataset, tmp_path):
    evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer())
    changed = config_for(dataset, batching=BatchSettings(max_input_tokens=999))
    with pytest.raises(LongsumError, match=r"cannot resume .*max_input_tokens differ"):
        evaluate(changed, output_dir=tmp_path / "run", summarizer=EchoSummarizer(), resume=True)
    evaluate(changed, output_dir=tmp_path / "run", summarizer=EchoSummarizer(), resume=True, force=True)


def test_a_fresh_run_never_overwrites_predictions_silently(dataset, tmp_path):
    evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer())
    with pytest.raises(LongsumError, match="already holds predictions; pass --resume"):
        evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer())
    evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer(), force=True)


def test_resume_needs_an_output_dir(dataset):
    with pytest.raises(LongsumError, match="--resume needs --output-dir"):
        evaluate(config_for(dataset), summarizer=EchoSummarizer(), resume=True)


def eval_command(examples, out, *extra):
    return [
        sys.executable,
        "-m",
        "longsum",
        "eval",
        "--model",
        "builtin:tglobal",
        "--dataset",
        str(examples),
        "--output-dir",
        str(out),
        "--batch-size",
        "1",
        "--max-length",
        "24",
        "--max-input-tokens",
        "1024",
        "--bootstrap-samples",
        "50",
        *extra,
    ]


def start_and_stop_after_two_batches(command, sig):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    predictions = os.path.join(command[command.index("--output-dir") + 1], PREDICTIONS)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if os.path.exists(predictions) and Path(predictions).read_text(encoding="utf-8").count("\n") >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be stopped"
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(examples, tmp_path):
    whole = subprocess.run(eval_command(examples, tmp_path / "whole"), capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    code, _ = start_and_stop_after_two_batches(eval_command(examples, tmp_path / "cut"), signal.SIGKILL)
    assert code == -signal.SIGKILL
    kept = (tmp_path / "cut" / PREDICTIONS).read_text(encoding="utf-8").count("\n")
    assert 2 <= kept < 8
    resumed = subprocess.run(
        eval_command(examples, tmp_path / "cut", "--resume"), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "cut" / PREDICTIONS).read_bytes() == (tmp_path / "whole" / PREDICTIONS).read_bytes()
    cut = json.loads((tmp_path / "cut" / METRICS).read_text())
    assert cut["rouge"] == json.loads((tmp_path / "whole" / METRICS).read_text())["rouge"]
    assert cut["resumed_documents"] == kept


@pytest.mark.slow
@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_sigterm_and_sigint_keep_the_work_and_say_how_to_resume(examples, tmp_path, sig, code, word):
    returncode, stderr = start_and_stop_after_two_batches(eval_command(examples, tmp_path / "run"), sig)
    assert returncode == code
    assert f"{word}: finished batches are kept in" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr
    assert len(read_predictions(tmp_path / "run" / PREDICTIONS)) >= 2


def test_a_causal_lms_resume_key_holds_its_prompt_and_a_seq2seq_key_stays_as_it_was():
    from dataclasses import replace

    from longsum.config import EvalConfig
    from longsum.runs.run_directory import resume_key
    from longsum.summarizers.protocol import PromptInfo, SummarizerInfo

    info = SummarizerInfo(model="m", revision="r", dtype="fp32", generation={"num_beams": 1})
    assert set(resume_key(EvalConfig(), info)) == {
        "model",
        "revision",
        "dtype",
        "generation",
        "max_input_tokens",
        "dataset",
    }
    prompt = PromptInfo("Summarize.\n\n{document}", "prompt", "Be brief.", None, "end", ("END",))
    key = resume_key(EvalConfig(), replace(info, kind="causal", prompt=prompt))
    assert key["prompt"] == prompt.to_dict() and key["prompt"]["system_prompt"] == "Be brief."

"""Data-parallel evaluation: shards write their own parts, the main process merges, scores and reports."""

import json
import os
import subprocess
import sys

import pytest
from fakes import EchoSummarizer

from longsum.config import BatchSettings, DataSettings, EvalConfig, ScoreSettings
from longsum.parallel.distributed import Shard
from longsum.results.storage import METRICS, PARTS, PREDICTIONS
from longsum.runs.evaluation import evaluate


def test_shards_split_documents_round_robin():
    shards = [Shard(rank, 3) for rank in range(3)]
    assert [[p for p in range(7) if s.owns(p)] for s in shards] == [[0, 3, 6], [1, 4], [2, 5]]
    assert Shard().owns(5) and not Shard().distributed and Shard(0, 2).is_main and not Shard(1, 2).is_main


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [
        {"id": f"d{i}", "article": f"text {i} " + "word " * (3 + 7 * i % 23), "abstract": f"text {i}"}
        for i in range(11)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def config_for(dataset, limit=None):
    return EvalConfig(
        data=DataSettings(dataset=str(dataset), limit=limit),
        batching=BatchSettings(batch_size=2, sort_window=4),
        scoring=ScoreSettings(bootstrap_samples=50),
    )


def test_two_shards_merge_into_the_single_process_result(dataset, tmp_path):
    single = evaluate(config_for(dataset), output_dir=tmp_path / "one", summarizer=EchoSummarizer())
    # Without a process group the barriers pass at once, so the ranks can run one after the other:
    # the main rank last, as the barrier before its merge would make it wait. Run this way, rank 1
    # starts before the main rank has written run.json, hence resume + force for the main rank.
    helper = EchoSummarizer()
    evaluate(config_for(dataset), output_dir=tmp_path / "two", summarizer=helper, shard=Shard(1, 2))
    assert sorted(it.doc.id for b in helper.batches for it in b.items) == [f"d{i}" for i in range(1, 11, 2)]
    assert (tmp_path / "two" / PARTS / "part-1.jsonl").exists()
    main = evaluate(
        config_for(dataset),
        output_dir=tmp_path / "two",
        summarizer=EchoSummarizer(),
        shard=Shard(0, 2),
        resume=True,
        force=True,
    )
    assert (tmp_path / "two" / PREDICTIONS).read_bytes() == (tmp_path / "one" / PREDICTIONS).read_bytes()
    assert main.rouge == single.rouge
    assert not (tmp_path / "two" / PARTS).exists()


def test_an_interrupted_sharded_run_resumes_with_another_number_of_processes(dataset, tmp_path):
    whole = evaluate(config_for(dataset), output_dir=tmp_path / "whole", summarizer=EchoSummarizer())
    # Three processes were running; only rank 2 finished its share before the run died.
    evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=EchoSummarizer(), shard=Shard(2, 3))
    again = EchoSummarizer()
    resumed = evaluate(config_for(dataset), output_dir=tmp_path / "run", summarizer=again, resume=True, force=True)
    assert resumed.stats.resumed_documents == 3  # d2, d5, d8
    assert sum(len(b.items) for b in again.batches) == 8
    assert (tmp_path / "run" / PREDICTIONS).read_bytes() == (tmp_path / "whole" / PREDICTIONS).read_bytes()
    assert resumed.rouge == whole.rouge


def test_several_processes_need_an_output_dir(dataset):
    from longsum.errors import LongsumError

    with pytest.raises(LongsumError, match="several processes needs --output-dir"):
        evaluate(config_for(dataset), summarizer=EchoSummarizer(), shard=Shard(0, 2))


LAUNCHERS = {
    "torchrun": [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517"],
    "accelerate": [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "29519",
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("launcher", "model"),
    [*((launcher, "builtin:tglobal") for launcher in sorted(LAUNCHERS)), ("torchrun", "builtin:llama")],
)
def test_two_gloo_processes_match_one_process(examples, tmp_path, launcher, model):
    common = [
        "eval",
        "--model",
        model,
        "--dataset",
        str(examples),
        "--max-length",
        "16",
        "--max-input-tokens",
        "1024",
        "--bootstrap-samples",
        "100",
        "--json",
    ]
    one = subprocess.run(
        [sys.executable, "-m", "longsum", *common, "--output-dir", str(tmp_path / "one")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert one.returncode == 0, one.stderr
    two = subprocess.run(
        [*LAUNCHERS[launcher], "-m", "longsum", *common, "--output-dir", str(tmp_path / "two")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert two.returncode == 0, two.stderr[-3000:]
    assert (tmp_path / "two" / PREDICTIONS).read_bytes() == (tmp_path / "one" / PREDICTIONS).read_bytes()
    metrics = [json.loads((tmp_path / run / METRICS).read_text()) for run in ("one", "two")]
    assert metrics[0]["rouge"] == metrics[1]["rouge"] and metrics[1]["documents"] == 8
    assert json.loads(two.stdout)["rouge"] == metrics[0]["rouge"]  # only the main process printed

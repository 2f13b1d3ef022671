import json

import pytest
from fakes import EchoSummarizer

from longsum.config import BatchSettings, DataSettings, EvalConfig, ScoreSettings
from longsum.metrics.rouge import RougeScorer
from longsum.results.storage import METRICS, PREDICTIONS, read_predictions
from longsum.runs.evaluation import evaluate, evaluate_in_memory

DOCS = [
    {"id": "short", "article": "alpha beta gamma delta.", "abstract": "alpha beta."},
    {"id": "long", "article": "one two three four five six seven eight nine ten " * 5, "abstract": "one two three."},
    {"id": "noref", "article": "no reference here at all.", "abstract": None},
    {"id": "empty", "article": "   ", "abstract": "something."},
    {"id": "mid", "article": "cells divide and grow in culture media.", "abstract": "cells grow."},
]


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    return path


def config_for(dataset, **batching):
    return EvalConfig(
        data=DataSettings(dataset=str(dataset)),
        batching=BatchSettings(max_input_tokens=100, **batching),
        scoring=ScoreSettings(bootstrap_samples=200),
    )


def run(dataset, tmp_path, **batching):
    summarizer = EchoSummarizer(limit=100)
    result = evaluate(config_for(dataset, **batching), output_dir=tmp_path / "run", summarizer=summarizer)
    return result, summarizer


def test_predictions_file_is_in_dataset_order_with_the_schema(dataset, tmp_path):
    _result, _ = run(dataset, tmp_path, max_batch_tokens=120, sort_window=3)
    lines = (tmp_path / "run" / PREDICTIONS).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [d["id"] for d in DOCS]
    fields = [
        "schema_version",
        "id",
        "prediction",
        "reference",
        "input_tokens",
        "truncated",
        "stats",
        "generated_tokens",
        "ended_with_eos",
    ]
    assert all(list(r) == fields for r in records)
    assert records[0]["ended_with_eos"] is True and records[0]["generated_tokens"] == 4
    assert records[1]["ended_with_eos"] is False and records[1]["generated_tokens"] == 6
    assert records[3]["ended_with_eos"] is None  # an empty document: no model call, no limit
    assert records[1]["truncated"] is True and records[1]["input_tokens"] == 100
    assert records[0]["truncated"] is False and records[0]["input_tokens"] == len(DOCS[0]["article"]) + 1
    # The steps a notebook calls give the same records as the file, in the same order.
    _, kept = evaluate_in_memory(
        config_for(dataset, max_batch_tokens=120, sort_window=3), summarizer=EchoSummarizer(limit=100)
    )
    assert read_predictions(tmp_path / "run" / PREDICTIONS) == kept


def test_batches_were_length_sorted_inside_windows(dataset, tmp_path):
    _, summarizer = run(dataset, tmp_path, max_batch_tokens=120, sort_window=3)
    first_window = [it.doc.index for b in summarizer.batches[:2] for it in b.items]
    assert sorted(first_window) == [0, 1, 2]
    assert first_window[0] == 1  # the longest goes first


def test_metrics_json_schema_and_counts(dataset, tmp_path):
    result, _ = run(dataset, tmp_path)
    metrics = json.loads((tmp_path / "run" / METRICS).read_text(encoding="utf-8"))
    assert metrics == json.loads(json.dumps(result.to_dict()))
    assert set(metrics["rouge"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    for scores in metrics["rouge"].values():
        assert set(scores) == {"f", "p", "r", "f_low", "f_high"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert metrics["documents"] == 5
    assert metrics["truncated"] == 1
    assert metrics["missing_references"] == 1 and metrics["scored"] == 4
    assert metrics["empty_documents"] == 1 and metrics["empty_predictions"] == 1
    # "long" and "mid" are longer than the echoed six words; the empty document had no limit to meet.
    assert metrics["cut_at_limit"] == 2 and metrics["cut_at_limit_share"] == 0.5
    assert metrics["padding_efficiency"] == 1.0
    assert metrics["seconds"] > 0 and metrics["docs_per_second"] > 0
    assert metrics["config"]["data"]["dataset"] == str(dataset)
    assert metrics["signature"].startswith("model:echo@0|")
    assert metrics["environment"]["versions"]["transformers"] != "missing"


def test_scores_are_the_mean_of_per_document_rouge(dataset, tmp_path):
    result, _ = run(dataset, tmp_path)
    scorer = RougeScorer()
    per_doc = [scorer.score(" ".join(d["article"].split()[:6]), d["abstract"]) for d in DOCS if d["abstract"]]
    expected = sum(s["rouge1"].f for s in per_doc) / len(per_doc)
    assert result.rouge["rouge1"].f == pytest.approx(expected)


def test_max_length_padding_counts_padding_in_efficiency(dataset, tmp_path):
    result, _ = run(dataset, tmp_path, padding="max-length", batch_size=2)
    # The empty document never reaches the model; the other four are padded to 100 tokens each.
    assert result.stats.runner.padding_efficiency == pytest.approx(result.counts.input_tokens / (100 * 4))

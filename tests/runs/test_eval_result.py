"""The outcome of an evaluation in metrics.json's form: scores and counts, what the run did, and what it ran on."""

import json

import pytest

from longsum.config import EvalConfig
from longsum.metrics.aggregation import Aggregate
from longsum.runs.eval_result import EvalResult, RunStats
from longsum.runs.scoring import RecordCounts, ScoredRecords
from longsum.summarizers.protocol import SummarizerInfo
from longsum.summarizers.runner import RunnerStats


def result(seconds=4.0, **fields):
    scored = ScoredRecords(
        RecordCounts(documents=10, truncated=2, unscored=1, input_tokens=5000),
        rouge={"rouge1": Aggregate(0.5, 0.4, 0.44, 0.4, 0.48)},
    )
    runner = RunnerStats(processed_tokens=4000, encoder_tokens=5000, generated_tokens=300, oom_splits=1)
    stats = RunStats(generated_documents=8, resumed_documents=2, bad_records=1, kept_outside_run=3, runner=runner)
    info = SummarizerInfo(model="m", revision="r", dtype="fp32", generation={"num_beams": 2})
    return EvalResult(scored, stats, seconds, EvalConfig(), info, {"device": "cpu"}, "model:m@r|n:10", **fields)


def test_metrics_json_holds_the_scores_what_the_run_did_and_what_it_ran_on():
    record = result(warnings=["a warning"], fast_paths=["beam-shared-cross-attention"]).to_dict()
    assert record["schema_version"] == 1
    assert record["rouge"] == {"rouge1": {"p": 0.5, "r": 0.4, "f": 0.44, "f_low": 0.4, "f_high": 0.48}}
    assert (record["documents"], record["scored"], record["truncated"]) == (10, 9, 2)
    assert (record["generated_documents"], record["resumed_documents"], record["generated_tokens"]) == (8, 2, 300)
    assert (record["padding_efficiency"], record["oom_splits"]) == (0.8, 1)
    assert (record["bad_records"], record["kept_outside_run"]) == (1, 3)
    assert (record["seconds"], record["docs_per_second"]) == (4.0, 2.0)  # generated documents only
    assert record["model"] == {
        "model": "m",
        "revision": "r",
        "dtype": "fp32",
        "device": "cpu",
        "generation": {"num_beams": 2},
    }
    assert record["warnings"] == ["a warning"] and record["fast_paths"] == ["beam-shared-cross-attention"]
    assert record["environment"] == {"device": "cpu"} and record["signature"] == "model:m@r|n:10"
    assert record["config"] == EvalConfig().to_dict()
    assert "evaluate" not in record  # only when a --metric module ran
    assert json.loads(json.dumps(record))["model"] == record["model"]  # JSON through and through


def test_metric_module_results_are_recorded_when_there_are_some():
    record = result(evaluate_metrics={"word_overlap": {"results": {"overlap": 0.5}}}).to_dict()
    assert record["evaluate"] == {"word_overlap": {"results": {"overlap": 0.5}}}


@pytest.mark.parametrize(("seconds", "rate"), [(4.0, 2.0), (0.0, 0.0), (-1.0, 0.0)])
def test_docs_per_second_is_zero_when_no_time_passed(seconds, rate):
    assert result(seconds).docs_per_second == rate


def test_the_shortcuts_read_the_scored_records():
    done = result()
    assert done.rouge is done.scored.rouge and done.counts is done.scored.counts

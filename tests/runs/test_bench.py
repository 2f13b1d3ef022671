import pytest
from fakes import EchoSummarizer

from longsum.benchmarks.checks import predictions_digest
from longsum.benchmarks.workloads import corpus_words, synthetic_documents
from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
)
from longsum.errors import LongsumError
from longsum.runs.bench import BenchConfig, bench, recipe_config
from longsum.runs.evaluation import evaluate_in_memory


def test_recipe_config_pads_to_the_limit_two_at_a_time():
    config = recipe_config(EvalConfig(batching=BatchSettings(max_input_tokens=4096, max_batch_tokens=9)))
    assert config.batching == BatchSettings(max_input_tokens=4096, padding="max-length", batch_size=2)


def test_a_decoder_only_recipe_is_one_prompt_at_a_time_unpadded():
    config = recipe_config(EvalConfig(batching=BatchSettings(max_input_tokens=4096, max_batch_tokens=9)), "causal")
    assert config.batching == BatchSettings(max_input_tokens=4096, padding="dynamic", batch_size=1)


def test_bench_report_with_recipe_comparison():
    # The echo summarizer counts a token per character, so the input limit is set in characters.
    eval_config = EvalConfig(data=DataSettings(dataset=""), batching=BatchSettings(max_input_tokens=200_000))
    config = BenchConfig(eval_config, synthetic_documents=6, repeats=2, compare_recipe=True, recipe_repeats=1)
    report = bench(config, EchoSummarizer(limit=200_000))
    assert len(report["longsum"]["runs"]) == 2 and len(report["recipe"]["runs"]) == 1
    assert "|repeats:2|recipe_repeats:1" in report["signature"] and report["config"]["recipe_repeats"] == 1
    for run in ("longsum", "recipe"):
        figures = report[run]
        assert figures["documents"] == 6
        assert figures["docs_per_second"] > 0 and figures["input_tokens_per_second"] > 0
        assert figures["time_to_first_batch"] is not None and figures["peak_memory_kind"] == "peak_rss"
    assert report["longsum"]["padding_efficiency"] == 1.0
    assert report["recipe"]["padding_efficiency"] < 1.0
    assert report["identical_predictions"] is True
    # The digest lets two reports (two commits) be checked for the same summaries without the texts.
    assert report["longsum"]["predictions_sha256"] == report["recipe"]["predictions_sha256"]
    _, records = evaluate_in_memory(
        eval_config, synthetic_documents(6, 0, corpus_words()), summarizer=EchoSummarizer(limit=200_000)
    )
    assert report["longsum"]["predictions_sha256"] == predictions_digest([p.prediction for p in records])
    assert predictions_digest(["a", "b"]) != predictions_digest(["a b"]) != predictions_digest(["b", "a"])
    assert report["speedup"] == pytest.approx(
        report["longsum"]["docs_per_second"] / report["recipe"]["docs_per_second"]
    )
    assert "data:synthetic:6@0" in report["signature"]
    assert report["environment"]["versions"]["torch"] != "missing"
    # The echo summarizer has no LongT5 config: no roofline, but the breakdown and token counts are there.
    assert report["machine"] is None and report["longsum"]["roofline"] is None
    assert report["longsum"]["generated_tokens"] == report["recipe"]["generated_tokens"] > 0
    breakdown = report["longsum"]["time_breakdown"]
    assert {"waiting_for_documents", "decoding", "scoring", "writing", "other"} <= set(breakdown["main_thread"])
    assert {"reading_tokenizing", "statistics", "writing"} <= set(breakdown["overlapped"])
    assert sum(breakdown["main_thread"].values()) == pytest.approx(breakdown["wall_seconds"], rel=0.05)


@pytest.mark.parametrize("field", ["repeats", "recipe_repeats"])
def test_bench_config_refuses_fewer_than_one_run(field):
    with pytest.raises(LongsumError, match=f"--{field.replace('_', '-')} must be at least 1"):
        BenchConfig(EvalConfig(), **{field: 0})

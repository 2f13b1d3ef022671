"""Device-memory logic driven with fakes: budget from free memory, out-of-memory back-off, peaks."""

import json

import pytest
import torch
from fakes import EchoSummarizer

from longsum.config import BatchSettings, DataSettings, EvalConfig, ScoreSettings
from longsum.engine.memory import (
    MAX_BATCH_TOKENS,
    MIN_BATCH_TOKENS,
    DecoderShape,
    batch_tokens_for_memory,
    is_out_of_memory,
    peak_memory_bytes,
)
from longsum.errors import LongsumError
from longsum.runs.evaluation import evaluate, evaluate_in_memory

LARGE = DecoderShape(layers=24, heads=16, head_dim=64, d_model=1024, dtype_bytes=2)  # LongT5-large in bf16


def test_budget_scales_with_free_memory_and_beams():
    one = batch_tokens_for_memory(40 << 30, LARGE, num_beams=2)
    assert batch_tokens_for_memory(80 << 30, LARGE, num_beams=2) == pytest.approx(2 * one, rel=1e-3)
    assert batch_tokens_for_memory(40 << 30, LARGE, num_beams=4) < one
    # 2 beams x 24 layers x (k, v) x 16 heads x 64 x 2 bytes = 196,608 bytes a token, plus scores and states.
    assert 50_000 < one < 110_000


def test_budget_is_clamped():
    assert batch_tokens_for_memory(1, LARGE, 2) == MIN_BATCH_TOKENS
    assert batch_tokens_for_memory(1 << 50, LARGE, 1) == MAX_BATCH_TOKENS


def test_out_of_memory_errors_are_recognised():
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_peak_memory_on_cpu_is_rss():
    peak, kind = peak_memory_bytes("cpu")
    assert kind == "peak_rss" and peak > 10 << 20


class OutOfMemoryAbove(EchoSummarizer):
    """Raises CUDA's out-of-memory error for batches of more than ``fits`` documents."""

    def __init__(self, fits: int) -> None:
        super().__init__()
        self.fits = fits
        self.generated_ids: list[str] = []

    def generate(self, batch):
        if len(batch.items) > self.fits:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 6.00 GiB")
        self.generated_ids += [item.doc.id for item in batch.items]
        return super().generate(batch)


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "docs.jsonl"
    rows = [{"id": f"d{i}", "article": "word " * (10 + 7 * i), "abstract": "word word"} for i in range(11)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def config_for(dataset, **batching):
    return EvalConfig(
        data=DataSettings(dataset=str(dataset)),
        batching=BatchSettings(**batching),
        scoring=ScoreSettings(bootstrap_samples=10),
    )


@pytest.mark.parametrize("padding", ["dynamic", "max-length"])
def test_out_of_memory_splits_batches_and_loses_or_repeats_nothing(dataset, padding):
    summarizer = OutOfMemoryAbove(fits=2)
    config = config_for(dataset, batch_size=8, sort_window=6, padding=padding, max_input_tokens=1000)
    result, result_predictions = evaluate_in_memory(config, summarizer=summarizer)
    assert sorted(summarizer.generated_ids) == sorted(f"d{i}" for i in range(11))  # each exactly once
    assert [p.id for p in result_predictions] == [f"d{i}" for i in range(11)]
    # 8 documents a batch -> 3 -> 1 in the first window; the lowered limits carry over to the second.
    assert result.stats.runner.oom_splits == 2
    assert all(len(b.items) == 1 for b in summarizer.batches)
    reference, reference_predictions = evaluate_in_memory(config, summarizer=EchoSummarizer())
    assert result_predictions == reference_predictions
    assert result.rouge == reference.rouge


def test_a_single_document_that_does_not_fit_is_a_clear_error(dataset):
    with pytest.raises(LongsumError, match="out of device memory on a single document"):
        evaluate(config_for(dataset), summarizer=OutOfMemoryAbove(fits=0))

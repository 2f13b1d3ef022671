"""The batch runner: every document of a window generated exactly once, empty ones without a model call, tokens
counted per batch, out-of-memory errors backed off by halving, and any other failure one line naming the
documents."""

import json

import pytest
import torch
from fakes import EchoSummarizer

from longsum.config import BatchSettings, DataSettings, EvalConfig, ScoreSettings
from longsum.engine.batching import Batch, Item, Limits
from longsum.errors import LongsumError
from longsum.runs.evaluation import evaluate, evaluate_in_memory
from longsum.sources.documents import Document
from longsum.summarizers.protocol import Output
from longsum.summarizers.runner import BatchRunner, GenerationFailed, RunnerStats, initial_limits


def item(index, length, source_tokens=None):
    text = " ".join(f"w{index}" for _ in range(length))
    return Item(Document(index, f"d{index}", text, None), list(range(3, 3 + length)), source_tokens or length)


class Recorder:
    """A progress receiver that keeps every call."""

    def __init__(self):
        self.calls = []

    def advance(self, documents, input_tokens, generated_tokens):
        self.calls.append((documents, input_tokens, generated_tokens))


def test_a_failure_is_one_line_naming_the_first_documents_and_keeps_the_cause():
    batch = Batch(tuple(item(i, 3) for i in range(7)))
    error = RuntimeError("boom\nsecond line of the message")
    failed = GenerationFailed(batch, error)
    assert str(failed) == "generation failed on 7 document(s) (d0, d1, d2, d3, d4, ...): RuntimeError: boom"
    assert failed.exit_code == 1
    assert str(GenerationFailed(Batch((item(0, 3),)), ValueError())) == (
        "generation failed on 1 document(s) (d0): ValueError: "
    )


def test_a_summarizer_that_raises_stops_the_window_with_the_cause_attached():
    class Raises(EchoSummarizer):
        def generate(self, batch):
            raise KeyError("no such head")

    runner = BatchRunner(Raises(), Limits(tokens=1000, documents=8), None)
    with pytest.raises(GenerationFailed, match=r"generation failed on 2 document\(s\) \(d1, d0\): KeyError") as info:
        list(runner.run_window([item(0, 3), item(1, 5)]))
    assert isinstance(info.value.__cause__, KeyError)


def test_empty_documents_come_first_without_a_model_call_and_the_rest_are_counted():
    summarizer, progress, stats = EchoSummarizer(words=2), Recorder(), RunnerStats()
    empty = Item(Document(9, "empty", "   ", None), [], 0)
    window = [item(0, 3), empty, item(1, 5), item(2, 4)]
    runner = BatchRunner(summarizer, Limits(tokens=10, documents=8), None, progress, stats)
    finished = list(runner.run_window(window))
    assert [[(i.doc.id, o) for i, o in batch] for batch in finished[:1]] == [[("empty", Output(text="", tokens=0))]]
    # Longest first while documents x the first's length fits in 10 tokens: 2 x 5, then d0 alone.
    assert [[i.doc.id for i, _ in batch] for batch in finished[1:]] == [["d1", "d2"], ["d0"]]
    assert [[i.doc.id for i in b.items] for b in summarizer.batches] == [["d1", "d2"], ["d0"]]
    assert stats.batches == [[(5, 2), (4, 2)], [(3, 2)]]
    assert (stats.processed_tokens, stats.encoder_tokens, stats.generated_tokens) == (12, 12, 6)
    assert stats.padding_efficiency == 1.0 and stats.oom_splits == 0
    assert progress.calls == [(2, 9, 4), (1, 3, 2)]


def test_padded_batches_count_the_padding_the_encoder_processes():
    stats = RunnerStats()
    runner = BatchRunner(EchoSummarizer(words=1), Limits(tokens=100, documents=2), pad_to=10, stats=stats)
    finished = list(runner.run_window([item(0, 3), item(1, 5), item(2, 4)]))
    # Dataset order, two documents a batch, each padded to 10 tokens.
    assert [[i.doc.id for i, _ in batch] for batch in finished] == [["d0", "d1"], ["d2"]]
    assert (stats.processed_tokens, stats.encoder_tokens) == (12, 30)
    assert stats.padding_efficiency == pytest.approx(12 / 30)
    assert RunnerStats().padding_efficiency == 1.0  # nothing processed yet


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


class Streamer(EchoSummarizer):
    """Hands summaries back one at a time, in reverse order, as a served model's answers may arrive."""

    def stream(self, items):
        for it in reversed(items):
            usage = {"prompt_tokens": 100 + it.doc.index, "completion_tokens": 1} if not it.input_ids else None
            yield it, Output(text=it.doc.text[:2], tokens=1, usage=usage)


def test_a_streaming_summarizer_yields_each_summary_alone_as_it_finishes_and_counts_the_servers_tokens():
    progress, stats = Recorder(), RunnerStats()
    untokenized = Item(Document(7, "d7", "seven words", None), [], 0)
    runner = BatchRunner(Streamer(), Limits(tokens=10, documents=8), None, progress, stats)
    finished = list(runner.run_window([item(0, 3), untokenized, item(1, 5)]))
    assert [[i.doc.id for i, _ in batch] for batch in finished] == [["d1"], ["d7"], ["d0"]]
    assert progress.calls == [(1, 5, 1), (1, 107, 1), (1, 3, 1)]
    assert (stats.processed_tokens, stats.generated_tokens) == (115, 3)
    assert stats.decode_seconds > 0


def test_the_first_limits_take_the_batch_shape_the_summarizer_asks_for():
    summarizer = EchoSummarizer()
    summarizer.batch_multiple, summarizer.same_length_batches = 2, True
    limits = initial_limits(summarizer, BatchSettings(batch_size=8))
    assert (limits.documents, limits.multiple, limits.same_length) == (8, 2, True)

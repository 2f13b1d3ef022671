import pytest

from longsum.engine.batching import Item
from longsum.engine.timing import PhaseTimes
from longsum.results.storage import PredictionLog, read_predictions
from longsum.runs.records import BackgroundRecords
from longsum.sources.documents import Document
from longsum.summarizers.protocol import Output


def finished(*ids):
    return [
        (Item(Document(i, f"d{i}", f"alpha beta gamma {i}.", "alpha beta."), [5, 6, 1], 3), Output(f"alpha {i}", 2))
        for i in ids
    ]


def test_records_are_written_in_order_with_their_statistics(tmp_path):
    phases = PhaseTimes()
    log = PredictionLog(tmp_path / "p.jsonl")
    with BackgroundRecords(log, "newline", phases) as records:
        records.submit(finished(2, 0))
        records.submit(finished(1))
    log.close()
    stored = read_predictions(tmp_path / "p.jsonl")
    assert [r.id for r in stored] == ["d2", "d0", "d1"]
    assert stored[0].stats["prediction"]["words"] == 2 and stored[0].stats["source_words"] == 4
    assert phases.overlapped["statistics"] > 0 and "waiting_for_statistics" in phases.main


def test_a_failure_on_the_worker_reaches_the_caller(tmp_path):
    log = PredictionLog(tmp_path / "p.jsonl")
    broken = [(Item(Document(0, "x", None, None), [5], 1), Output("a", 1))]  # type: ignore[arg-type]
    with pytest.raises((TypeError, AttributeError)), BackgroundRecords(log, "newline", PhaseTimes()) as records:
        records.submit(broken)
    log.close()


def test_the_raw_output_is_written_only_where_it_differs_from_the_prediction(tmp_path):
    import json

    item = finished(0)[0][0]
    outputs = [Output("a summary.", 5, True, raw="<think>plan</think> a summary."), Output("plain.", 2, True)]
    log = PredictionLog(tmp_path / "p.jsonl")
    with BackgroundRecords(log, "newline", PhaseTimes()) as records:
        records.submit([(item, outputs[0]), (item, outputs[1])])
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines[0]["raw_prediction"] == "<think>plan</think> a summary." and "raw_prediction" not in lines[1]
    stored = read_predictions(tmp_path / "p.jsonl")
    assert [r.raw_prediction for r in stored] == ["<think>plan</think> a summary.", None]
    assert [r.prediction for r in stored] == ["a summary.", "plain."]


def test_a_served_record_takes_the_servers_prompt_count_when_nothing_was_tokenized_here(tmp_path):
    log = PredictionLog(tmp_path / "p.jsonl")
    served = Item(Document(0, "s", "alpha beta.", "alpha."), [], 0)
    answered = Output("alpha", 1, True, usage={"prompt_tokens": 42, "completion_tokens": 1})
    refused = Output("", 0, too_long=True)
    with BackgroundRecords(log, "newline", PhaseTimes()) as records:
        records.submit([(served, answered), (served, refused), *finished(1)])
    log.close()
    first, second, local = read_predictions(tmp_path / "p.jsonl")
    assert (first.input_tokens, first.usage, first.truncated) == (
        42,
        {"prompt_tokens": 42, "completion_tokens": 1},
        False,
    )
    assert (second.input_tokens, second.too_long, second.truncated) == (-1, True, True)
    assert (local.input_tokens, local.usage, local.too_long) == (3, None, False)

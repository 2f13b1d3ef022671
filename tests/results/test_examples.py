"""Example summaries: chosen deterministically by ROUGE-1, labelled by their place, read with their texts."""

from __future__ import annotations

from longsum.metrics.rouge import Score
from longsum.results.examples import example_ids, select_examples
from longsum.results.storage import PredictionRecord
from longsum.results.terminal import cut_to_lines


def scores_of(rouge1: dict[str, float]):
    return {doc_id: {"rouge1": Score(f, f, f)} for doc_id, f in rouge1.items()}


def test_the_median_then_the_lowest_then_the_highest():
    scores = scores_of({"a": 0.5, "b": 0.1, "c": 0.9, "d": 0.3, "e": 0.7})
    assert example_ids(scores, 3) == [("median ROUGE-1", "a"), ("lowest ROUGE-1", "b"), ("highest ROUGE-1", "c")]
    assert example_ids(scores, 5)[3:] == [("lower quartile ROUGE-1", "d"), ("upper quartile ROUGE-1", "e")]
    assert example_ids(scores, 0) == []


def test_the_choice_does_not_depend_on_the_order_of_the_scores():
    forward = scores_of({"x": 0.2, "y": 0.2, "z": 0.2, "w": 0.4})
    backward = dict(reversed(list(forward.items())))
    assert example_ids(forward, 2) == example_ids(backward, 2) == [("median ROUGE-1", "y"), ("lowest ROUGE-1", "x")]


def test_a_document_is_shown_once_and_a_small_run_gives_fewer_examples():
    assert example_ids(scores_of({"only": 0.4}), 3) == [("median ROUGE-1", "only")]
    assert example_ids({}, 2) == []
    assert len(example_ids(scores_of({str(i): i / 10 for i in range(9)}), 8)) == 8


def test_examples_carry_their_texts_in_the_chosen_order():
    records = [
        PredictionRecord("lo", "a poor summary", "the reference", 120, False),
        PredictionRecord("mid", "a fair summary", None, 80, True),
        PredictionRecord("hi", "a good summary", "another reference", 60, False),
    ]
    chosen = select_examples(records, scores_of({"lo": 0.1, "mid": 0.5, "hi": 0.9}), 2)
    assert [(e["label"], e["id"]) for e in chosen] == [("median ROUGE-1", "mid"), ("lowest ROUGE-1", "lo")]
    assert chosen[0] == {
        "label": "median ROUGE-1",
        "id": "mid",
        "prediction": "a fair summary",
        "reference": "",
        "rouge1": 0.5,
        "input_tokens": 80,
        "truncated": True,
    }


def test_texts_are_cut_to_a_few_lines_of_the_width():
    text = " ".join(f"word{i}" for i in range(200))
    lines = cut_to_lines(text, 30, 3).splitlines()
    assert len(lines) == 3 and all(len(line) <= 30 for line in lines) and lines[-1].endswith("…")
    assert cut_to_lines("short\n\ntext", 30) == "short text"
    assert cut_to_lines("   ", 30) == "(empty)"

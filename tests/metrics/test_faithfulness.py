"""Faithfulness arithmetic: label columns, SummaC-ZS and align scores on hand-made probabilities, source blocks."""

from __future__ import annotations

import numpy as np
import pytest

from longsum.errors import LongsumError
from longsum.metrics.faithfulness import document_score, label_columns, pack_sentences, pairing


@pytest.mark.parametrize(
    ("id2label", "columns"),
    [
        ({0: "entailment", 1: "neutral", 2: "contradiction"}, (0, 1, 2)),
        ({0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, (2, 1, 0)),  # roberta-large-mnli's order
        ({"0": "Neutral", "1": "Entailment", "2": "Contradiction"}, (1, 0, 2)),
    ],
)
def test_label_columns_follow_the_config_in_any_order_and_case(id2label, columns):
    assert label_columns(id2label, "m") == columns


@pytest.mark.parametrize(
    "id2label",
    [{0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {0: "entailment", 1: "not_entailment"}, {}],
)
def test_a_classifier_without_nli_labels_is_refused_in_one_line(id2label):
    with pytest.raises(LongsumError, match="not an NLI classifier") as caught:
        label_columns(id2label, "m")
    assert "\n" not in str(caught.value)


# Two source blocks x two summary sentences, columns (entailment, neutral, contradiction).
PROBABILITIES = np.array(
    [
        [[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]],
        [[0.3, 0.3, 0.4], [0.2, 0.7, 0.1]],
    ]
)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        # Sentence 1: max e 0.9, max c 0.4 -> 0.5; sentence 2: max e 0.2, max c 0.7 -> -0.5; mean 0.
        ("summac-zs", 0.0),
        # Sentence 1: max e 0.9; sentence 2: max e 0.2; mean 0.55.
        ("align", 0.55),
    ],
)
def test_document_score_worked_by_hand(method, expected):
    assert document_score(PROBABILITIES, method) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("column", "method", "expected"),
    [(0, "summac-zs", 1.0), (2, "summac-zs", -1.0), (0, "align", 1.0), (2, "align", 0.0), (1, "summac-zs", 0.0)],
)
def test_a_fixed_verdict_gives_the_ends_of_the_scale(column, method, expected):
    probabilities = np.zeros((3, 4, 3))
    probabilities[:, :, column] = 1.0
    assert document_score(probabilities, method) == pytest.approx(expected)


def test_pack_sentences_keeps_blocks_within_the_budget_and_the_order():
    blocks = pack_sentences(["a", "b", "c", "d", "e"], [3, 3, 5, 9, 1], budget=6)
    assert blocks == ["a b", "c", "d", "e"]


def test_pairing_cuts_the_source_by_method():
    source = "First finding here. Second finding there. Third one."
    summary = "A claim. Another claim."
    sentence_level = pairing(source, summary, "summac-zs", lambda s: len(s.split()), budget=100)
    assert sentence_level.blocks == ["First finding here.", "Second finding there.", "Third one."]
    assert sentence_level.sentences == ["A claim.", "Another claim."]
    assert sentence_level.pairs()[1] == ("First finding here.", "Another claim.")
    chunked = pairing(source, summary, "align", lambda s: len(s.split()), budget=6)
    assert chunked.blocks == ["First finding here. Second finding there.", "Third one."]

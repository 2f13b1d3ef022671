"""NLI classifiers: labels read in any order, fixed verdicts at the ends of the scale, refusals in one line."""

from __future__ import annotations

import numpy as np
import pytest
from nli_models import build_nli

from longsum.engine.nli import check_nli, load_nli
from longsum.errors import LongsumError

ORDERS = [
    ["entailment", "neutral", "contradiction"],
    ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"],
    ["Neutral", "Contradiction", "Entailment"],
]


@pytest.mark.parametrize("labels", ORDERS)
@pytest.mark.parametrize("verdict", [0, 2])
def test_a_fixed_verdict_lands_in_its_column_whatever_the_label_order(tmp_path, labels, verdict):
    named = next(label for label in labels if label.lower() == ("entailment", "neutral", "contradiction")[verdict])
    nli = load_nli(str(build_nli(tmp_path / "nli", labels, verdict=named)), "cpu")
    probabilities = nli.probabilities([("The drug lowered blood pressure.", "Blood pressure fell."), ("a " * 400, "b")])
    expected = np.zeros(3)
    expected[verdict] = 1.0
    assert probabilities == pytest.approx(np.array([expected, expected]), abs=1e-9)


def test_probabilities_do_not_depend_on_the_batch_split(tmp_path, monkeypatch):
    nli = load_nli(str(build_nli(tmp_path / "nli", ORDERS[0])), "cpu")
    pairs = [(f"the study of patients number {i} showed results", "patients improved") for i in range(9)]
    together = nli.probabilities(pairs)
    monkeypatch.setattr("longsum.engine.nli.MAX_ROWS", 2)
    assert nli.probabilities(pairs) == pytest.approx(together, abs=1e-5)
    assert np.ptp(together[:, 0]) > 0  # the random classifier reads its input
    assert together.sum(axis=1) == pytest.approx(np.ones(9))


def test_block_budget_leaves_room_for_a_sentence(tmp_path):
    nli = load_nli(str(build_nli(tmp_path / "nli", ORDERS[0], max_positions=128)), "cpu")
    assert nli.max_tokens == 128
    assert 16 <= nli.block_budget() < 128 - 3
    assert nli.label.startswith(str(tmp_path / "nli") + "@sha256:")


def test_a_classifier_without_nli_labels_is_refused_before_loading(tmp_path):
    path = build_nli(tmp_path / "sentiment", ["LABEL_0", "LABEL_1", "LABEL_2"])
    with pytest.raises(LongsumError, match="not an NLI classifier"):
        check_nli(str(path))


def test_a_missing_checkpoint_is_one_line(tmp_path):
    with pytest.raises(LongsumError, match="not found"):
        load_nli(str(tmp_path / "nowhere"), "cpu")

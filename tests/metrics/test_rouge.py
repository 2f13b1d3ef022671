"""ROUGE per document: known answers, parity with rouge-score on sentence-split text, the splitter and stemmer."""

import pytest
from rouge_score import rouge_scorer

from longsum.metrics.rouge import ROUGE_TYPES, RougeScorer, Score

PAIRS = [
    ("the cat sat on the mat.", "the cat sat on the mat. it was happy."),
    (
        "patients improved after treatment. blood pressure fell.",
        "blood pressure fell in treated patients. they improved.",
    ),
    ("", "an empty prediction scores zero."),
    ("genes were expressed in roots and leaves.", "expression of genes in leaves was high. roots showed less."),
    ("mice mice mice mice", "the mice were fed a high fat diet."),
]


@pytest.mark.parametrize(
    "prediction, reference, rouge_type, expected",
    [
        # 3 of 3 predicted unigrams match, 3 of 6 reference unigrams are matched.
        ("the cat sat", "the cat sat on the mat", "rouge1", Score(1.0, 0.5, 2 / 3)),
        # bigrams: "the cat", "cat sat" both in the reference's 5 bigrams.
        ("the cat sat", "the cat sat on the mat", "rouge2", Score(1.0, 0.4, 2 * 0.4 / 1.4)),
        # LCS "a c" of length 2 over 3 and 4 tokens.
        ("a b c", "a c d e", "rougeL", Score(2 / 3, 0.5, 2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))),
        ("x y z", "a b c", "rouge1", Score(0.0, 0.0, 0.0)),
    ],
)
def test_known_answers(prediction, reference, rouge_type, expected):
    score = RougeScorer().score(prediction, reference)[rouge_type]
    assert score.p == pytest.approx(expected.p)
    assert score.r == pytest.approx(expected.r)
    assert score.f == pytest.approx(expected.f)


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_parity_with_rouge_score_on_sentence_split_text(use_stemmer):
    ours = RougeScorer(use_stemmer=use_stemmer, sentence_splitter="punkt")
    theirs = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    for prediction, reference in PAIRS:
        split_pred = "\n".join(s.strip() for s in prediction.replace(". ", ".\n").splitlines())
        split_ref = "\n".join(s.strip() for s in reference.replace(". ", ".\n").splitlines())
        expected = theirs.score(split_ref, split_pred)
        got = ours.score(prediction, reference)
        for t in ROUGE_TYPES:
            assert got[t].f == pytest.approx(expected[t].fmeasure, abs=1e-12)
            assert got[t].p == pytest.approx(expected[t].precision, abs=1e-12)
            assert got[t].r == pytest.approx(expected[t].recall, abs=1e-12)


def test_sentence_splitting_changes_only_rouge_lsum():
    prediction = "blood pressure fell. patients improved."
    reference = "patients improved. blood pressure fell."
    punkt = RougeScorer(sentence_splitter="punkt").score(prediction, reference)
    lines = RougeScorer(sentence_splitter="newline").score(prediction, reference)
    for t in ("rouge1", "rouge2", "rougeL"):
        assert punkt[t] == lines[t]
    assert punkt["rougeLsum"].f == pytest.approx(1.0)
    assert lines["rougeLsum"].f < 1.0


def test_stemmer_matches_inflections():
    assert RougeScorer(use_stemmer=True).score("cells divided", "cell divides")["rouge1"].f == 1.0
    assert RougeScorer(use_stemmer=False).score("cells divided", "cell divides")["rouge1"].f == 0.0

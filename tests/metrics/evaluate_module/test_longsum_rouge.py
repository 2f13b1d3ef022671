"""longsum's ROUGE as an evaluate module: the numbers longsum score gives, and the settings in its signature."""

import evaluate
import pytest

from longsum.config import ScoreSettings
from longsum.metrics.evaluate_metrics import ROUGE_MODULE
from longsum.runs.scoring import score_file


def test_longsum_rouge_module_returns_what_score_returns(tmp_path):
    predictions = ["the cells grew fast. they divided twice.", "mice ate fat. livers grew.", "nothing here"]
    references = ["the cells grew. they divided twice a day.", "the mice ate a fat diet. their livers grew.", "a b c"]
    (tmp_path / "p.txt").write_text("\n".join(predictions) + "\n", encoding="utf-8")
    (tmp_path / "r.txt").write_text("\n".join(references) + "\n", encoding="utf-8")
    scored = score_file(tmp_path / "p.txt", tmp_path / "r.txt", ScoreSettings(bootstrap_samples=200, seed=3))
    results = evaluate.load(ROUGE_MODULE).compute(
        predictions=predictions, references=references, bootstrap_samples=200, seed=3
    )
    for name, s in scored["rouge"].items():
        assert (results[name], results[f"{name}_low"], results[f"{name}_high"]) == (s["f"], s["f_low"], s["f_high"])
        assert (results[f"{name}_precision"], results[f"{name}_recall"]) == (s["p"], s["r"])
    assert results["signature"] == "n:3|stem:no|lsum:punkt-v1|boot:200@0.95|seed:3"


def test_the_stemmer_and_splitter_are_used_and_named_in_the_signature():
    results = evaluate.load(ROUGE_MODULE).compute(
        predictions=["cells divided. twice."],
        references=["cell divides. twice."],
        use_stemmer=True,
        sentence_splitter="newline",
        bootstrap_samples=10,
        confidence=0.9,
    )
    assert results["rouge1"] == results["rouge1_low"] == results["rouge1_high"] == 1.0
    # One line, one "sentence": rougeLsum is rougeL here.
    assert results["rougeLsum"] == pytest.approx(results["rougeL"])
    assert results["signature"] == "n:1|stem:yes|lsum:newline|boot:10@0.9|seed:0"
    assert sorted(results) == sorted(
        ["signature"]
        + [
            f"{t}{suffix}"
            for t in ("rouge1", "rouge2", "rougeL", "rougeLsum")
            for suffix in ("", "_precision", "_recall", "_low", "_high")
        ]
    )

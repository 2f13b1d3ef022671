"""evaluate metric modules: resolving, fingerprinting, loading and computing offline; longsum's own ROUGE module."""

import evaluate
import pytest

from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.metrics.evaluate_metrics import ROUGE_MODULE, compute_metric, load_metric, metric_spec
from longsum.runs.scoring import score_file


def test_a_local_folder_is_named_for_its_script_and_hashed(metric_module):
    spec = metric_spec(str(metric_module))
    assert (spec.name, spec.path) == ("word_overlap", str(metric_module))
    assert len(spec.content_hash) == 12 and spec.signature_id() == f"word_overlap#{spec.content_hash}"
    script = metric_module / "word_overlap.py"
    script.write_text(script.read_text() + "\n# changed\n")
    assert metric_spec(str(metric_module)).content_hash != spec.content_hash


def test_a_hub_id_is_kept_as_given():
    spec = metric_spec("bertscore")
    assert (spec.name, spec.path, spec.content_hash) == ("bertscore", None, None)


@pytest.mark.parametrize(
    "given, message", [("./missing.py", "no such metric module"), ("a/b/c", "no such metric module")]
)
def test_missing_local_modules_are_refused(given, message):
    with pytest.raises(LongsumError, match=message):
        metric_spec(given)


def test_a_folder_without_its_script_is_refused(tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(LongsumError, match=r"a folder holding m.py"):
        metric_spec(str(tmp_path / "m"))


def test_load_and_compute_a_local_module(metric_module):
    module = load_metric(metric_spec(str(metric_module)))
    results = compute_metric(module, ["the cat sat", "a dog"], ["the cat", "a big dog"])
    assert results["overlap"] == pytest.approx((1 + 2 / 3) / 2) and results["per_document"] == [
        1.0,
        pytest.approx(2 / 3),
    ]


def test_a_module_that_does_not_import_is_one_error(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import nowhere_to_be_found\n", encoding="utf-8")
    with pytest.raises(LongsumError, match=r"--metric .*broken.py could not be loaded"):
        load_metric(metric_spec(str(broken)))


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

"""evaluate metric modules: resolving, fingerprinting, loading and computing offline."""

import pytest

from longsum.errors import LongsumError
from longsum.metrics.evaluate_metrics import compute_metric, load_metric, metric_spec


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


def test_builtin_metrics_and_options_are_resolved_and_signed():

    spec = metric_spec("builtin:bertscore?model=/ckpt&num_layers=2")
    assert spec.name == "longsum_bertscore" and spec.path is not None and spec.path.endswith("longsum_bertscore.py")
    assert spec.options == (("model", "/ckpt"), ("num_layers", "2"))
    assert spec.signature_id() == f"longsum_bertscore#{spec.content_hash}?model=%2Fckpt&num_layers=2"
    with pytest.raises(LongsumError, match="no such built-in metric; longsum ships bertscore, rouge"):
        metric_spec("builtin:nope")

"""BERTScore as an evaluate module: bert_score.score's numbers on a tiny encoder, an empty pair at 0, the model named."""

import evaluate
import pytest

from longsum.metrics.evaluate_metrics import SHIPPED

bert_score = pytest.importorskip("bert_score")
MODULE = str(SHIPPED / "longsum_bertscore.py")
PREDICTIONS = ["the cells grew fast and divided twice", "mice ate fat and their livers grew", ""]
REFERENCES = ["the cells grew and divided twice a day", "the mice ate a fat diet", "a reference"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    from nli_models import build_encoder

    return build_encoder(tmp_path_factory.mktemp("encoder") / "bert")


def test_it_equals_bert_score_on_a_tiny_encoder(encoder):
    results = evaluate.load(MODULE).compute(
        predictions=PREDICTIONS, references=REFERENCES, model=str(encoder), num_layers="2"
    )
    precision, recall, f1 = bert_score.score(PREDICTIONS[:2], REFERENCES[:2], model_type=str(encoder), num_layers=2)
    assert results["f1_per_document"][:2] == pytest.approx(f1.tolist(), abs=1e-7)
    assert results["f1_per_document"][2] == 0.0  # an empty summary
    assert results["precision"] == pytest.approx(sum(precision.tolist()) / 3)
    assert results["recall"] == pytest.approx(sum(recall.tolist()) / 3)
    assert results["f1"] == pytest.approx(sum(f1.tolist()) / 3)
    assert results["hashcode"].startswith(f"{encoder}_L2_no-idf_version=")
    assert len(set(results["f1_per_document"][:2])) == 2


def test_the_model_must_be_named():
    with pytest.raises(ValueError, match="name the encoder"):
        evaluate.load(MODULE).compute(predictions=["a"], references=["b"])

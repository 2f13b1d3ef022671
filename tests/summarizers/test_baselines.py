"""Lead-k and the extractive oracle: known answers, the full pipeline, and real PubMed articles."""

import json

import pytest

from longsum.config import DataSettings, EvalConfig, ModelSettings, ScoreSettings
from longsum.engine.batching import Batch, Item
from longsum.errors import LongsumError
from longsum.results.storage import PREDICTIONS, read_predictions
from longsum.runs.evaluation import evaluate
from longsum.sources.documents import Document
from longsum.summarizers.baselines import (
    LeadSummarizer,
    OracleSummarizer,
    is_baseline,
    load_baseline,
)

ARTICLE = (
    "Malaria remains a leading cause of death. We sampled 400 children in two districts. "
    "Bed net use halved the infection rate. Rainfall varied between the districts. "
    "Older children were infected less often."
)


def summarize(summarizer, text, reference=None):
    ids, count = summarizer.encode(text)
    return summarizer.generate(Batch((Item(Document("d", "d", text, reference), ids, count),)))[0].text


@pytest.mark.parametrize(
    "name, expected",
    [
        ("lead-3", True),
        ("lead-12", True),
        ("oracle", True),
        ("lead-", False),
        ("lead-x", False),
        ("builtin:tglobal", False),
        ("google/long-t5-tglobal-base", False),
        ("oracle-2", False),
    ],
)
def test_baseline_names(name, expected):
    assert is_baseline(name) is expected


def test_lead_k_takes_the_first_k_sentences():
    assert summarize(LeadSummarizer(2), ARTICLE).splitlines() == [
        "Malaria remains a leading cause of death.",
        "We sampled 400 children in two districts.",
    ]
    assert len(summarize(LeadSummarizer(50), ARTICLE).splitlines()) == 5


def test_lead_zero_is_refused():
    with pytest.raises(LongsumError, match="lead-0"):
        load_baseline("lead-0")


def test_oracle_picks_the_sentences_the_reference_paraphrases():
    reference = "Bed net use halved infection. Older children were infected less often."
    assert summarize(OracleSummarizer(), ARTICLE, reference).splitlines() == [
        "Bed net use halved the infection rate.",
        "Older children were infected less often.",
    ]


def test_oracle_without_a_reference_selects_nothing():
    assert summarize(OracleSummarizer(), ARTICLE, None) == ""


def test_baselines_run_through_the_whole_pipeline(examples, tmp_path):
    config = EvalConfig(
        model=ModelSettings(model="lead-3"),
        data=DataSettings(dataset=str(examples), limit=4),
        scoring=ScoreSettings(bootstrap_samples=50),
    )
    evaluate(config, output_dir=tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["signature"].startswith("model:lead-3|")
    assert metrics["model"]["input_unit"] == "words"
    assert sum(b["documents"] for b in metrics["by_length"]) == 4
    assert metrics["statistics"]["prediction"]["coverage"]["mean"] == pytest.approx(1.0)
    assert metrics["statistics"]["prediction"]["sentences"]["mean"] == pytest.approx(3.0)
    assert all(p.stats["prediction"]["novel_1"] == 0.0 for p in read_predictions(tmp_path / PREDICTIONS))


@pytest.mark.slow
def test_lead_3_and_the_oracle_on_real_pubmed_articles(pubmed_sample, tmp_path):
    def rouge(model):
        config = EvalConfig(
            model=ModelSettings(model=model),
            data=DataSettings(dataset=str(pubmed_sample), limit=24),
            scoring=ScoreSettings(bootstrap_samples=100),
        )
        return {t: a.f for t, a in evaluate(config).rouge.items()}

    lead, oracle = rouge("lead-3"), rouge("oracle")
    # Published PubMed figures: lead-3 around R1 0.2-0.3 (abstracts are long), oracle far above it.
    assert 0.10 < lead["rouge1"] < 0.40
    assert oracle["rouge1"] > 0.50 and oracle["rouge2"] > 0.20
    assert all(oracle[t] > lead[t] for t in lead)

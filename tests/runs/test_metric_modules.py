"""--metric on eval and score: results in metrics.json, table, report and signature; failures kept apart from ROUGE."""

import json

from typer.testing import CliRunner

from longsum.cli import app
from longsum.metrics.evaluate_metrics import metric_spec

runner = CliRunner()


def test_eval_with_a_local_metric_module(examples, metric_module, tmp_path):
    out = tmp_path / "run"
    args = [
        "eval",
        "--model",
        "lead-3",
        "--dataset",
        str(examples),
        "--bootstrap-samples",
        "50",
        "--metric",
        str(metric_module),
        "--output-dir",
        str(out),
        "--report",
        str(tmp_path / "r.html"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "evaluate metrics" in result.stdout and "word_overlap" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    entry = metrics["evaluate"]["word_overlap"]
    assert entry["module"] == str(metric_module) and entry["documents"] == 8
    assert 0 < entry["results"]["overlap"] < 1 and len(entry["results"]["per_document"]) == 8
    spec = metric_spec(str(metric_module))
    assert metrics["signature"].endswith(f"|metrics:word_overlap#{spec.content_hash}|evaluate:0.4.6")
    assert metrics["config"]["scoring"]["metrics"] == [str(metric_module)]
    html = (tmp_path / "r.html").read_text()
    assert 'id="evaluate-metrics"' in html and "per_document" in html
    # score reads the same predictions and gives the same metric.
    scored = runner.invoke(
        app, ["score", str(out), "--json", "--bootstrap-samples", "50", "--metric", str(metric_module)]
    )
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["evaluate"]["word_overlap"]["results"] == entry["results"]


def test_a_metric_that_fails_to_compute_warns_and_keeps_rouge(examples, failing_metric_module, metric_module, tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "lead-3",
            "--dataset",
            str(examples),
            "--bootstrap-samples",
            "20",
            "--metric",
            str(failing_metric_module),
            "--metric",
            str(metric_module),
            "--output-dir",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "warning: --metric" in result.stderr and "RuntimeError: no GPU for this metric" in result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rouge"]["rouge1"]["f"] > 0 and list(metrics["evaluate"]) == ["word_overlap"]
    assert any("fails_to_compute.py failed to compute" in w for w in metrics["warnings"])
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 8


def test_a_metric_that_cannot_load_stops_before_the_model(examples, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import nowhere_to_be_found\n", encoding="utf-8")
    # The model path does not exist either: the metric's error comes first, so nothing was loaded.
    result = runner.invoke(
        app, ["eval", "--model", str(tmp_path / "no-checkpoint"), "--dataset", str(examples), "--metric", str(broken)]
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: --metric {broken} could not be loaded")


def test_a_hub_metric_offline_is_one_error(tmp_path):
    (tmp_path / "p.txt").write_text("a\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(tmp_path / "p.txt"), str(tmp_path / "p.txt"), "--metric", "bertscore"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot reach the Hugging Face Hub to fetch metric 'bertscore'")


#: A metric module whose features declare sources, as evaluate's SARI does: the share of summary words in the source.
SOURCE_OVERLAP = """\"\"\"Source overlap.\"\"\"
import datasets
import evaluate


class SourceOverlap(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="source overlap", citation="", inputs_description="",
            features=datasets.Features({"sources": datasets.Value("string"), "predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, sources, predictions, references):
        shares = [sum(w in s.split() for w in p.split()) / max(1, len(p.split())) for s, p in zip(sources, predictions)]
        return {"first_source_words": len(sources[0].split()), "shares": shares}
"""


def test_a_module_that_declares_sources_gets_the_documents(tmp_path):
    from longsum.results.storage import PredictionRecord
    from longsum.runs.metric_modules import compute_metric_modules, load_metric_modules, needs_sources
    from longsum.sources.documents import Document

    module = tmp_path / "source_overlap.py"
    module.write_text(SOURCE_OVERLAP, encoding="utf-8")
    loaded = load_metric_modules([str(module)])
    assert needs_sources(loaded[0])
    records = [PredictionRecord("b", "alpha beta", "ref", 2, False), PredictionRecord("a", "gamma", "ref", 1, False)]
    documents = [Document(0, "a", "gamma delta epsilon", None), Document(1, "b", "alpha zeta", None)]
    results, warnings = compute_metric_modules(loaded, records, documents)
    entry = results["source_overlap"]
    assert warnings == [] and entry["sources"] is True and entry["documents"] == 2
    assert entry["results"]["shares"] == [0.5, 1.0]  # each prediction met its own document, in record order
    assert entry["results"]["first_source_words"] == 2
    _, refused = compute_metric_modules(loaded, records, None)
    assert "takes sources" in refused[0]

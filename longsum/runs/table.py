"""The results table for a paper or a PR: stored runs side by side, each tested against the first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from longsum.config import ScoreSettings
from longsum.errors import LongsumError
from longsum.metrics.rouge import ROUGE_TYPES
from longsum.results.faithfulness_log import faithfulness_path, read_scores
from longsum.results.schema import FaithfulnessRecord, MetricsRecord, read_metrics_file
from longsum.results.signature import parse_signature
from longsum.results.storage import METRICS
from longsum.runs.comparison import compare_runs
from longsum.runs.faithfulness import FaithfulnessScores
from longsum.runs.scoring import iter_pairs, predictions_path, score_records

#: The column of ``--faithfulness`` (its mean x100 and CI), beside the ROUGE types.
FAITHFULNESS = "faithfulness"

#: Signature fields that name the system rather than the setting: runs may differ in these and stay comparable.
SYSTEM_FIELDS = frozenset({"model", "predictions"})


def read_run(run: Path) -> MetricsRecord:
    """The metrics.json of an eval run directory.

    Raises:
        LongsumError: ``run`` is not a directory holding a readable metrics.json.
    """
    path = run / METRICS
    if not path.is_file():
        raise LongsumError(
            f"{run}: no {METRICS} here; longsum table reads run directories written by eval --output-dir"
        )
    return read_metrics_file(path)


def signature_differences(baseline: str, other: str) -> list[str]:
    """The signature fields, other than the system's own, in which ``other`` differs from ``baseline``."""
    a, b = parse_signature(baseline), parse_signature(other)
    return sorted(k for k in a.keys() | b.keys() if k not in SYSTEM_FIELDS and a.get(k) != b.get(k))


def _run_scoring(metrics: MetricsRecord, scoring: ScoreSettings) -> ScoreSettings:
    """The run's own ROUGE settings (stemmer, splitter), with the table's resampling settings."""
    stored = metrics.get("config", {}).get("scoring", {})
    return replace(
        scoring,
        use_stemmer=bool(stored.get("use_stemmer", scoring.use_stemmer)),
        sentence_splitter=stored.get("sentence_splitter", scoring.sentence_splitter),
    )


def stored_faithfulness(run: Path, record: FaithfulnessRecord) -> FaithfulnessScores:
    """The per-document faithfulness scores a run's metrics.json was aggregated from, read from its side file."""
    lines = read_scores(faithfulness_path(predictions_path(run)), record["model"], record["method"])
    scores = {doc_id: line["score"] for doc_id, line in lines.items() if line["score"] is not None}
    return FaithfulnessScores(record["model"], record["method"], scores)


def build_table(runs: list[Path], scoring: ScoreSettings, alpha: float = 0.05) -> dict[str, Any]:
    """One row per run: label, model, signature, ROUGE F1 with CIs, documents and docs/s; every row after
    the first is compared with it (paired bootstrap and approximate randomization over shared documents).

    Args:
        runs: eval run directories; the first is the baseline.
        scoring: ``bootstrap_samples`` and ``seed`` of the paired tests.
        alpha: a difference is marked significant when both tests give p below it.

    Raises:
        LongsumError: no run is given, a run is not an eval run directory, or a run shares no scored
            document with the baseline.
    """
    if not runs:
        raise LongsumError("give at least one run directory")
    if not 0 < alpha < 1:
        raise LongsumError("--alpha must lie between 0 and 1")
    rows: list[dict[str, Any]] = []
    baseline_scores = None
    stored = [read_run(run) for run in runs]
    # Faithfulness is a column when every run has it from the same NLI model and method.
    kinds = {
        (f["model"], f["method"]) if (f := m.get("faithfulness")) and f["mean"] is not None else None for m in stored
    }
    faithful = len(kinds) == 1 and None not in kinds
    for run, metrics in zip(runs, stored, strict=True):
        scored = score_records(iter_pairs(run), _run_scoring(metrics, scoring))
        columns: dict[str, dict[str, Any]] = {
            t: {k: metrics["rouge"][t][k] for k in ("f", "f_low", "f_high")} for t in metrics["rouge"]
        }
        if faithful:
            record = metrics["faithfulness"]
            scored.faithfulness = stored_faithfulness(run, record)
            columns[FAITHFULNESS] = {"f": record["mean"], "f_low": record["low"], "f_high": record["high"]}
        row: dict[str, Any] = {
            "label": run.resolve().name,
            "run": str(run),
            "model": metrics.get("model", {}).get("model"),
            "signature": metrics.get("signature", ""),
            "rouge": columns,
            "documents": metrics.get("documents"),
            "docs_per_second": metrics.get("docs_per_second"),
            "differs_from_baseline": [],
            "vs_baseline": None,
        }
        if baseline_scores is None:
            baseline_scores = scored
        else:
            row["differs_from_baseline"] = signature_differences(rows[0]["signature"], row["signature"])
            comparison = compare_runs(baseline_scores, scored, scoring)
            row["vs_baseline"] = {
                "shared_documents": comparison.shared,
                **{
                    t: {
                        **c.to_dict(),
                        "significant": c.p_bootstrap < alpha and c.p_randomization < alpha,
                    }
                    for t, c in comparison.metrics.items()
                },
            }
        rows.append(row)
    return {
        "rows": rows,
        "rouge_types": [*ROUGE_TYPES, *([FAITHFULNESS] if faithful else [])],
        "alpha": alpha,
        "samples": scoring.bootstrap_samples,
        "seed": scoring.seed,
        "confidence": scoring.confidence,
    }

"""The signature string: one line naming everything that changes a longsum score."""

from __future__ import annotations

from typing import Any

from longsum.config import EvalConfig, ScoreSettings
from longsum.metrics.evaluate_metrics import metric_spec
from longsum.metrics.sentences import splitter_id
from longsum.results.provenance import library_versions
from longsum.sources.documents import data_label


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def format_signature(fields: dict[str, Any]) -> str:
    """``key:value`` pairs joined by ``|``, in the order given (as sacrebleu writes its signatures)."""
    return "|".join(f"{key}:{_show(value)}" for key, value in fields.items())


def parse_signature(signature: str) -> dict[str, str]:
    """The ``key:value`` fields of a signature (values may hold colons; only the first one splits)."""
    return dict(field.partition(":")[::2] for field in signature.split("|") if field)


def eval_signature(config: EvalConfig, described: dict[str, Any], versions: dict[str, str]) -> str:
    """The signature of an evaluation run.

    Args:
        config: the run's settings.
        described: the summarizer's ``describe()``: model, revision, dtype and effective generation settings.
        versions: library versions from ``environment.library_versions()``.
    """
    gen = described.get("generation", {})
    data = config.data
    scoring = config.scoring
    return format_signature(
        {
            "model": described.get("model") if described.get("revision") is None else f"{described.get('model')}@{described.get('revision')}",
            "data": data_label(data),
            "n": data.limit if data.limit is not None else "all",
            "in": config.batching.max_input_tokens,
            "pad": config.batching.padding,
            "beams": gen.get("num_beams"),
            "maxlen": gen.get("max_length"),
            "maxnew": gen.get("max_new_tokens"),
            "minlen": gen.get("min_length"),
            "lp": gen.get("length_penalty"),
            "nrng": gen.get("no_repeat_ngram_size"),
            "dtype": described.get("dtype"),
            "remote-code": config.model.trust_remote_code,
            "stem": scoring.use_stemmer,
            "lsum": splitter_id(scoring.sentence_splitter),
            "boot": f"{scoring.bootstrap_samples}@{scoring.confidence}",
            "seed": scoring.seed,
            "longsum": versions.get("longsum"),
            "transformers": versions.get("transformers"),
            "torch": versions.get("torch"),
            "rouge-score": versions.get("rouge-score"),
            **metric_fields(scoring, versions),
        }
    )


def metric_fields(scoring: ScoreSettings, versions: dict[str, str]) -> dict[str, str]:
    """The ``--metric`` modules (with a local module's content hash) and evaluate's version; none without them."""
    if not scoring.metrics:
        return {}
    return {
        "metrics": ",".join(metric_spec(m).signature_id() for m in scoring.metrics),
        "evaluate": versions.get("evaluate", "missing"),
    }


def score_signature(source: str, documents: int, scoring: ScoreSettings, extra: dict[str, Any] | None = None) -> str:
    """The signature of scores computed from stored predictions."""
    versions = library_versions()
    return format_signature(
        {
            "predictions": source,
            "n": documents,
            **(extra or {}),
            "stem": scoring.use_stemmer,
            "lsum": splitter_id(scoring.sentence_splitter),
            "boot": f"{scoring.bootstrap_samples}@{scoring.confidence}",
            "seed": scoring.seed,
            "longsum": versions.get("longsum"),
            "rouge-score": versions.get("rouge-score"),
            **metric_fields(scoring, versions),
        }
    )

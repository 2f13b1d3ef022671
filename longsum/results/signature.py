"""The signature string: one line naming everything that changes a longsum score."""

from __future__ import annotations

import json
from typing import Any

from longsum.config import EvalConfig, ScoreSettings
from longsum.engine.prompting import short_sha256
from longsum.metrics.evaluate_metrics import metric_spec
from longsum.metrics.sentences import splitter_id
from longsum.results.provenance import library_versions
from longsum.sources.documents import data_label
from longsum.summarizers.protocol import SummarizerInfo


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


def model_field(info: SummarizerInfo) -> str:
    """The model as a signature names it: ``model@revision``, or the name alone where there is no revision."""
    return info.model if info.revision is None else f"{info.model}@{info.revision}"


def _generation_fields(info: SummarizerInfo, *keys: tuple[str, str]) -> dict[str, Any]:
    return {field: info.generation.get(key) for field, key in keys}


def _scoring_fields(scoring: ScoreSettings) -> dict[str, Any]:
    return {
        "stem": scoring.use_stemmer,
        "lsum": splitter_id(scoring.sentence_splitter),
        "boot": f"{scoring.bootstrap_samples}@{scoring.confidence}",
        "seed": scoring.seed,
    }


def _version_fields(versions: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: versions.get(name) for name in names}


def eval_signature(config: EvalConfig, info: SummarizerInfo, versions: dict[str, str], nli: str | None = None) -> str:
    """The signature of an evaluation run.

    Args:
        config: the run's settings.
        info: the summarizer's ``describe()``: model, revision, dtype and effective generation settings.
        versions: library versions from ``provenance.library_versions()``.
        nli: the ``--faithfulness`` model as ``name@revision``, once loaded.
    """
    data = config.data
    scoring = config.scoring
    return format_signature(
        {
            "model": model_field(info),
            "data": data_label(data),
            "n": data.limit if data.limit is not None else "all",
            "in": config.batching.max_input_tokens,
            "pad": "same-length" if info.same_length_batches else config.batching.padding,
            **_generation_fields(
                info,
                ("beams", "num_beams"),
                ("maxlen", "max_length"),
                ("maxnew", "max_new_tokens"),
                ("minlen", "min_length"),
                ("lp", "length_penalty"),
                ("nrng", "no_repeat_ngram_size"),
            ),
            **prompt_fields(info),
            **endpoint_fields(info),
            "dtype": info.dtype,
            "remote-code": config.model.trust_remote_code,
            **_scoring_fields(scoring),
            **_version_fields(versions, ("longsum", "transformers", "torch", "rouge-score")),
            **metric_fields(scoring, versions),
            **faithfulness_fields(scoring, nli),
        }
    )


def prompt_fields(info: SummarizerInfo) -> dict[str, Any]:
    """How a causal LM was prompted: the template's and the chat template's short SHA-256 (``off`` when none was
    applied), the system prompt's, the truncation and the stop strings (their count and digest); none for others."""
    prompt = info.prompt
    if prompt is None:
        return {}
    stop = f"{len(prompt.stop)}@{short_sha256(json.dumps(list(prompt.stop)))[:8]}" if prompt.stop else None
    return {
        "kind": info.kind,
        "prompt": prompt.template_sha256,
        **({"system": short_sha256(prompt.system_prompt)} if prompt.system_prompt else {}),
        "chat": prompt.chat_template or "off",
        "trunc": prompt.truncation,
        "stop": stop,
    }


def endpoint_fields(info: SummarizerInfo) -> dict[str, Any]:
    """A served model's endpoint: the base URL's host (never its credentials or query) and the API asked; none for
    other models. Which model the server runs is the ``model`` field, checked against its ``/v1/models``."""
    if info.endpoint is None:
        return {}
    return {"endpoint": info.endpoint.get("host"), "api": info.endpoint.get("api")}


def metric_fields(scoring: ScoreSettings, versions: dict[str, str]) -> dict[str, str]:
    """The ``--metric`` modules (with a local module's content hash) and evaluate's version; none without them."""
    if not scoring.metrics:
        return {}
    return {
        "metrics": ",".join(metric_spec(m).signature_id() for m in scoring.metrics),
        "evaluate": versions.get("evaluate", "missing"),
    }


def faithfulness_fields(scoring: ScoreSettings, nli: str | None) -> dict[str, str]:
    """The ``--faithfulness`` model (``name@revision`` when loaded, else as given) and method; none without it."""
    if scoring.faithfulness is None:
        return {}
    return {"faith": nli or scoring.faithfulness, "faith-method": scoring.faithfulness_method}


def score_signature(
    source: str, documents: int, scoring: ScoreSettings, extra: dict[str, Any] | None = None, nli: str | None = None
) -> str:
    """The signature of scores computed from stored predictions (``nli``: the ``--faithfulness`` model loaded)."""
    versions = library_versions()
    return format_signature(
        {
            "predictions": source,
            "n": documents,
            **(extra or {}),
            **_scoring_fields(scoring),
            **_version_fields(versions, ("longsum", "rouge-score")),
            **metric_fields(scoring, versions),
            **faithfulness_fields(scoring, nli),
        }
    )


def bench_signature(info: SummarizerInfo, source: str, documents: int, repeats: int, recipe_repeats: int | None) -> str:
    """The signature of a benchmark: the model and workload that its timings depend on.

    Args:
        info: the summarizer timed.
        source: the dataset, or ``synthetic:COUNT@SEED``.
        documents: how many documents the workload holds.
        repeats: how many times longsum was timed.
        recipe_repeats: how many times the docs recipe was timed (``None``: it was not).
    """
    return format_signature(
        {
            "model": model_field(info),
            "data": source,
            "n": documents,
            "in": info.max_input_tokens,
            **_generation_fields(info, ("beams", "num_beams"), ("maxlen", "max_length"), ("maxnew", "max_new_tokens")),
            "dtype": info.dtype,
            "repeats": repeats,
            **({"recipe_repeats": recipe_repeats} if recipe_repeats is not None else {}),
        }
    )

"""A run's scores as the Hugging Face ``model-index`` block a model card carries, built with huggingface_hub's types.

``huggingface_hub``'s ``ModelCardData``/``EvalResult`` validate the fields and write the YAML, and reading
the written block back through ``model_index_to_eval_results`` checks it against the hub's format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from longsum.errors import LongsumError
from longsum.results.schema import MetricsRecord, read_run_file
from longsum.results.storage import RUN, write_text_atomic
from longsum.sources.documents import is_local
from longsum.sources.hub_layout import is_dataset_folder
from longsum.sources.presets import DEFAULT_SPLIT, find_preset

#: ``--model-index`` writes the YAML block to a .yaml/.yml file, or into the header of a model card (.md).
SUFFIXES = (".yaml", ".yml", ".md")
ROUGE_NAMES = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rougeLsum": "ROUGE-Lsum"}


def check_model_index_path(path: Path | None) -> None:
    """Refuse a ``--model-index`` path that cannot be written, before any work; ``None`` passes.

    Raises:
        LongsumError: the suffix is not .yaml, .yml or .md, the path is a folder, or its folder is a file.
    """
    if path is None:
        return
    if path.is_dir():
        raise LongsumError(f"--model-index {path} is a directory; give a file such as {path / 'model-index.yaml'}")
    if path.suffix.lower() not in SUFFIXES:
        raise LongsumError(f"--model-index {path}: write a .yaml/.yml file, or a model card README.md to update")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise LongsumError(f"--model-index {path}: {parent} is a file, not a folder")


def dataset_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The ``dataset`` part of an eval result: hub id (type), name, config, split and revision."""
    dataset, split = data["dataset"], data.get("split")
    preset = find_preset(dataset)
    if preset is not None:
        return {
            "dataset_type": preset.hub_id,
            "dataset_name": preset.name,
            "dataset_config": preset.config,
            "dataset_split": split or preset.split,
            "dataset_revision": preset.revision,
        }
    if not is_local(dataset):
        name, _, config = dataset.partition(":")
        return {
            "dataset_type": name,
            "dataset_name": name,
            "dataset_config": config or None,
            "dataset_split": split or DEFAULT_SPLIT,
        }
    # A local file has no hub id: its name stands in, and the path says where it was.
    path = Path(dataset)
    folder_split = (split or DEFAULT_SPLIT) if is_dataset_folder(path.expanduser()) else None
    return {"dataset_type": path.stem or dataset, "dataset_name": dataset, "dataset_split": folder_split}


def eval_results(metrics: MetricsRecord, data: dict[str, Any]) -> list[Any]:
    """One ``EvalResult`` per ROUGE F1 (x100, as model cards show ROUGE), for ``--faithfulness`` (on its method's
    scale) and per numeric ``--metric`` result."""
    from huggingface_hub import EvalResult

    common = {"task_type": "summarization", "task_name": "Summarization", **dataset_fields(data)}
    args = {"signature": metrics["signature"]}
    results = [
        EvalResult(
            **common,
            metric_type="rouge",
            metric_name=ROUGE_NAMES.get(t, t),
            metric_config=t,
            metric_value=round(100 * s["f"], 4),
            metric_args=args,
        )
        for t, s in metrics["rouge"].items()
    ]
    faithfulness = metrics.get("faithfulness")
    if faithfulness and faithfulness["mean"] is not None:
        results.append(
            EvalResult(
                **common,
                metric_type="faithfulness",
                metric_name=f"Faithfulness ({faithfulness['method']})",
                metric_config=faithfulness["method"],
                metric_value=faithfulness["mean"],
                metric_args={**args, "nli_model": faithfulness["model"]},
            )
        )
    for name, entry in metrics.get("evaluate", {}).items():
        for key, value in entry["results"].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                results.append(
                    EvalResult(
                        **common,
                        metric_type=name,
                        metric_name=f"{name} {key}",
                        metric_config=key,
                        metric_value=value,
                        metric_args=args,
                    )
                )
    return results


def model_index(metrics: MetricsRecord, data: dict[str, Any], model_name: str) -> dict[str, Any]:
    """The ``model-index`` metadata of a run, checked by reading it back as the hub would.

    Raises:
        LongsumError: the run holds no ROUGE scores (no document had a reference).
    """
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import model_index_to_eval_results

    if not metrics.get("rouge"):
        raise LongsumError("no ROUGE scores to put in a model index: no document had a reference summary")
    results = eval_results(metrics, data)
    block = ModelCardData(model_name=model_name, eval_results=results).to_dict()
    name, parsed = model_index_to_eval_results(block["model-index"])
    if name != model_name or len(parsed) != len(results):
        raise AssertionError("huggingface_hub does not read back the model-index it wrote")
    return block


def stored_run(run: Path) -> tuple[dict[str, Any], str]:
    """The data settings and model name of an eval run directory, from its run.json.

    Raises:
        LongsumError: ``run`` is not a run directory written by eval.
    """
    stored = run / RUN if run.is_dir() else run.parent / RUN
    if not stored.exists():
        raise LongsumError(f"--model-index needs an eval run directory: {stored} names its model and dataset")
    try:
        config = read_run_file(stored)["config"]
        return config["data"], config["model"]["model"]
    except LongsumError as err:
        if "schema version" in str(err):
            raise
        raise LongsumError(f"{stored} is not a longsum run.json") from None
    except (KeyError, TypeError):
        raise LongsumError(f"{stored} is not a longsum run.json") from None


def write_model_index(path: Path, metrics: MetricsRecord, data: dict[str, Any], model_name: str) -> None:
    """Write the block to a .yaml file, or into a model card's YAML header (keeping its other metadata and text).

    Raises:
        LongsumError: the file cannot be written.
    """
    from huggingface_hub.repocard import metadata_load, metadata_save

    block = model_index(metrics, data, model_name)
    try:
        if path.suffix.lower() == ".md":
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_text(f"# {model_name}\n", encoding="utf-8")
            metadata_save(path, {**(metadata_load(path) or {}), **block})
        else:
            write_text_atomic(path, yaml.safe_dump(block, sort_keys=False, allow_unicode=True))
    except OSError as err:
        raise LongsumError(f"cannot write the model index {path}: {err.strerror or err}") from None

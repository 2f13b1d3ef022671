"""A run directory's lifecycle: what a resumed run must share with the stored one, checking that it does, and
setting a finished run's files aside when one starts over; a run directory only grows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from longsum.config import EvalConfig
from longsum.errors import LongsumError
from longsum.parallel.peers import PeerFailed
from longsum.results.schema import RUN_SCHEMA_VERSION, read_run_file
from longsum.results.storage import METRICS, PARTS, PREDICTIONS, RUN, write_json_atomic
from longsum.sources.fingerprint import dataset_fingerprint
from longsum.summarizers.protocol import SummarizerInfo


def resume_key(config: EvalConfig, info: SummarizerInfo) -> dict[str, Any]:
    """The settings a resumed run must share with the stored one: whatever changes a prediction (for a causal LM,
    its prompt too: the template, system prompt, chat template, truncation and stop strings)."""
    data = config.data
    key = {
        "model": info.model,
        "revision": info.revision,
        "dtype": info.dtype,
        "generation": dict(info.generation),
        "max_input_tokens": config.batching.max_input_tokens,
        "dataset": [data.dataset, data.split, data.text_column, data.summary_column, data.id_column],
    }
    if info.prompt is not None:
        # Only causal LMs: a seq2seq run's key stays as stored runs have it.
        key["prompt"] = info.prompt.to_dict()
    return key


def prediction_files(directory: Path) -> list[Path]:
    """Every file of ``directory`` that may hold predictions: the merged file and the per-process parts."""
    return [directory / PREDICTIONS, *sorted((directory / PARTS).glob("part-*.jsonl"))]


def _stored_run(directory: Path, force: bool) -> dict[str, Any]:
    """The stored run.json; ``{}`` when it is unreadable and ``force`` says to go on without it."""
    try:
        return dict(read_run_file(directory / RUN))
    except LongsumError as err:
        if force:
            return {}
        raise LongsumError(f"cannot resume: {err}; pass --force to resume without it") from None


def _check_resumable(directory: Path, key: dict[str, Any], fingerprint: str | None, force: bool) -> None:
    stored_path = directory / RUN
    if not stored_path.exists():
        if any(p.exists() for p in prediction_files(directory)) and not force:
            raise LongsumError(f"{directory} holds predictions without their {RUN}; pass --force to resume anyway")
        return
    run = _stored_run(directory, force)
    stored = run.get("resume_key", {})
    changed = sorted(k for k in key if json.dumps(stored.get(k), sort_keys=True) != json.dumps(key[k], sort_keys=True))
    if changed and not force:
        raise LongsumError(
            f"cannot resume {directory}: {', '.join(changed)} differ from the stored run "
            "(pass --force to resume anyway)"
        )
    stored_fingerprint = run.get("dataset_fingerprint")
    if stored_fingerprint and fingerprint and stored_fingerprint != fingerprint and not force:
        raise LongsumError(
            f"cannot resume {directory}: the dataset changed since the stored run (ids removed or added, or texts "
            "edited), so its finished predictions may not match the documents; use a new --output-dir, or pass "
            "--force to continue with them"
        )


def set_aside(directory: Path) -> Path:
    """Move a finished or stopped run's files into ``superseded/<UTC time>/``: a run directory only grows."""
    aside = directory / "superseded" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    aside.mkdir(parents=True)
    for path in [*prediction_files(directory), directory / METRICS, directory / RUN]:
        if path.exists():
            path.rename(aside / path.name)
    return aside


def prepare_directory(directory: Path, key: dict[str, Any], config: EvalConfig, resume: bool, force: bool) -> None:
    """Check that ``directory`` may take this run (resumed, or started anew with old files set aside), and
    write its run.json.

    Raises:
        LongsumError: the directory holds predictions and neither ``resume`` nor ``force`` says what to do
            with them, or a resumed run's settings or dataset differ from the stored run's.
    """
    fingerprint = dataset_fingerprint(config.data)
    if resume:
        _check_resumable(directory, key, fingerprint, force)
    elif any(p.exists() for p in prediction_files(directory)):
        if not force:
            raise LongsumError(
                f"{directory} already holds predictions; pass --resume to continue them or --force to start "
                "over (the old files are moved to superseded/)"
            )
        set_aside(directory)
    write_json_atomic(
        directory / RUN,
        {
            "schema_version": RUN_SCHEMA_VERSION,
            "config": config.to_dict(),
            "resume_key": key,
            "dataset_fingerprint": fingerprint,
        },
    )


@contextmanager
def finished_work_kept(output_dir: Path | None) -> Iterator[None]:
    """Say, with any error after generation started, that the finished predictions are kept and how to go on."""
    try:
        yield
    except LongsumError as err:
        if output_dir is None or isinstance(err, PeerFailed):  # the failing process's own line says it already
            raise
        raise LongsumError(
            f"{err}; the finished predictions are kept in {output_dir}: continue with --resume", err.exit_code
        ) from None

"""The source documents of stored predictions, for the scores that read them: from the dataset the run recorded
in its run.json, or from the one the user names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from longsum.config import DataSettings
from longsum.errors import LongsumError
from longsum.results.schema import read_run_file
from longsum.results.storage import RUN
from longsum.sources.documents import Document, iter_documents


def run_data(predictions: Path, dataset: str | None, what: str) -> DataSettings:
    """Where the documents of ``predictions`` (a run directory or a predictions file) are read from.

    Args:
        dataset: ``--dataset``, read with detected columns; ``None``: the data settings of the run's run.json.
        what: the option that needs them, named in the error.

    Raises:
        LongsumError: no dataset is given and the run recorded none.
    """
    if dataset is not None:
        return DataSettings(dataset)
    stored = predictions / RUN if predictions.is_dir() else predictions.parent / RUN
    if not stored.exists():
        raise LongsumError(f"{what} reads the source documents: pass --dataset (no run.json beside {predictions})")
    try:
        data = dict(read_run_file(stored)["config"]["data"])
        return DataSettings(**data)
    except (KeyError, TypeError):
        raise LongsumError(f"{stored} is not a longsum run.json; pass --dataset") from None


def documents_of(data: DataSettings, ids: set[str]) -> Iterator[Document]:
    """The documents of ``data`` whose id is in ``ids``, in dataset order, streamed."""
    for document in iter_documents(data, need_summary=False):
        if document.id in ids:
            yield document

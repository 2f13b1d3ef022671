"""Datasets in the hub's layout, on the hub or in a local folder, streamed through ``datasets.load_dataset``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from longsum.errors import LongsumError

#: Data files ``datasets`` reads without a loading script; a folder holding any of them is a dataset.
DATA_SUFFIXES = (".parquet", ".arrow", ".jsonl", ".json", ".csv")
CARD = "README.md"


def card_has_configs(folder: Path) -> bool:
    """Whether ``folder``'s dataset card (README.md) declares ``configs`` in its YAML header."""
    from huggingface_hub.repocard import metadata_load

    card = folder / CARD
    if not card.is_file():
        return False
    try:
        metadata = metadata_load(card) or {}
    except Exception:  # a README whose header is not YAML is a README, not a dataset card
        return False
    return "configs" in metadata


def is_dataset_folder(folder: Path) -> bool:
    """Whether ``folder`` is a dataset in the hub's layout rather than a folder of .txt documents.

    It is when its dataset card declares ``configs``, or when it holds (at any depth) data files that
    ``datasets`` recognises (parquet, arrow, JSON Lines, JSON, csv).
    """
    if not folder.is_dir():
        return False
    return card_has_configs(folder) or any(p.suffix.lower() in DATA_SUFFIXES and p.is_file() for p in folder.rglob("*"))


def stream_dataset(
    path: str, config: str | None, split: str, revision: str | None, shown: str
) -> Iterator[dict[str, Any]]:
    """The records of one split of a hub dataset or a hub-layout folder, streamed (never all in memory).

    Args:
        path: a hub id or a local folder.
        config: the dataset config (``None``: the default one).
        split: the split to read.
        revision: a branch or commit of a hub repository.
        shown: how the dataset is named in errors.

    Raises:
        LongsumError: the split or config does not exist, or the data cannot be opened.
    """
    import datasets

    try:
        stream = datasets.load_dataset(path, config or None, split=split, revision=revision, streaming=True)
    except ValueError as err:  # an unknown split or config
        raise LongsumError(f"dataset {shown!r}: {str(err).splitlines()[0]}") from None
    except (FileNotFoundError, ConnectionError) as err:
        raise LongsumError(f"dataset {shown!r} could not be opened: {str(err).splitlines()[0]}") from None
    return iter(stream)

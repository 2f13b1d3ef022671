"""Document sources: hub datasets and local files, streamed one record at a time."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from longsum.config import DataSettings
from longsum.errors import LongsumError
from longsum.sources.hub_layout import is_dataset_folder, stream_dataset
from longsum.sources.presets import DEFAULT_SPLIT, DatasetPreset, find_preset

#: Column names tried, in order, when the user names none.
TEXT_COLUMNS = ("article", "document", "text", "body", "source", "input", "content")
SUMMARY_COLUMNS = ("abstract", "summary", "highlights", "target", "reference", "output")
ID_COLUMNS = ("id", "article_id", "doc_id", "paper_id", "uid")
LOCAL_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")
#: In a folder of .txt documents, ``NAME.txt`` has its reference summary in ``NAME.summary.txt``.
SUMMARY_SUFFIX = ".summary.txt"
#: Files are read as UTF-8; a byte-order mark that some editors write at the start is skipped.
ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class Document:
    """One input document: its id, its text and (when the dataset has one) its reference summary."""

    index: int
    id: str
    text: str
    reference: str | None


@dataclass
class ReadStats:
    """What reading a dataset skipped."""

    bad_records: int = 0


@dataclass(frozen=True)
class Columns:
    """The columns a dataset's text, reference summary and id are read from (id may be absent)."""

    text: str
    summary: str | None
    id: str | None


def is_local(dataset: str) -> bool:
    """Whether ``dataset`` names a local file or folder rather than a hub dataset."""
    return os.path.exists(dataset) or dataset.startswith((".", "/", "~")) or dataset.endswith(LOCAL_SUFFIXES)


def detect_columns(available: Iterable[str], settings: DataSettings, *, need_summary: bool = True) -> Columns:
    """Pick the text, summary and id columns: the ones named in ``settings``, else the first known name.

    Raises:
        LongsumError: a named column is missing, or no text (or, when needed, summary) column is found.
    """
    names = list(available)
    shown = ", ".join(names) or "(none)"

    def pick(given: str | None, candidates: tuple[str, ...], what: str, flag: str, required: bool) -> str | None:
        if given is not None:
            if given not in names:
                raise LongsumError(f"{flag} {given!r} is not a column of the dataset; columns: {shown}")
            return given
        lowered = {n.lower(): n for n in names}
        found = next((lowered[c] for c in candidates if c in lowered), None)
        if found is None and required:
            raise LongsumError(f"no {what} column found (pass {flag}); columns: {shown}")
        return found

    text = pick(settings.text_column, TEXT_COLUMNS, "text", "--text-column", True)
    summary = pick(settings.summary_column, SUMMARY_COLUMNS, "summary", "--summary-column", need_summary)
    ident = pick(settings.id_column, ID_COLUMNS, "id", "--id-column", False)
    assert text is not None
    return Columns(text=text, summary=summary, id=ident)


def read_jsonl(path: Path, skip_bad: ReadStats | None) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSON Lines file; a bad line stops with its number, or is counted in ``skip_bad``."""
    # Hand-written rather than datasets' JSON builder so a bad record is reported by line number.
    with path.open(encoding=ENCODING) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                problem = None if isinstance(record, dict) else f"expected a JSON object, got {type(record).__name__}"
            except json.JSONDecodeError as err:
                problem = f"not valid JSON ({err.msg})"
            if problem is None:
                yield record
            elif skip_bad is not None:
                skip_bad.bad_records += 1
            else:
                raise LongsumError(f"{path}:{number}: {problem} (--skip-bad-records skips such lines)")


def _read_json(path: Path, skip_bad: ReadStats | None) -> Iterator[dict[str, Any]]:
    with path.open(encoding=ENCODING) as handle:
        head = handle.read(1)
        while head.isspace():
            head = handle.read(1)
    if head != "[":
        yield from read_jsonl(path, skip_bad)
        return
    # A JSON array cannot be streamed with the standard library; JSON Lines is the streaming form.
    try:
        records = json.loads(path.read_text(encoding=ENCODING))
    except json.JSONDecodeError as err:
        raise LongsumError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    for number, record in enumerate(records):
        if not isinstance(record, dict):
            raise LongsumError(f"{path}: item {number} is not a JSON object")
        yield record


def _read_csv(path: Path, skip_bad: ReadStats | None) -> Iterator[dict[str, Any]]:
    csv.field_size_limit(1 << 30)  # articles are far longer than csv's 128 KiB default field limit
    with path.open(encoding=ENCODING, newline="") as handle:
        yield from csv.DictReader(handle)


def _read_parquet(path: Path, skip_bad: ReadStats | None) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as err:  # pyarrow raises several types for a file that is not parquet
        raise LongsumError(f"{path}: not a readable parquet file ({err})") from None
    for batch in parquet.iter_batches(batch_size=64):
        yield from batch.to_pylist()


def _read_text_folder(path: Path) -> Iterator[dict[str, Any]]:
    files = sorted(p for p in path.glob("*.txt") if not p.name.endswith(SUMMARY_SUFFIX))
    if not files:
        raise LongsumError(f"{path}: the folder holds no .txt documents")
    for file in files:
        summary = file.with_name(file.name[: -len(".txt")] + SUMMARY_SUFFIX)
        yield {
            "id": file.stem,
            "text": file.read_text(encoding=ENCODING),
            "summary": summary.read_text(encoding=ENCODING) if summary.exists() else None,
        }


_READERS = {".jsonl": read_jsonl, ".json": _read_json, ".csv": _read_csv, ".parquet": _read_parquet}


def _local_records(dataset: str, skip_bad: ReadStats | None) -> Iterator[dict[str, Any]]:
    path = Path(dataset).expanduser()
    if not path.exists():
        raise LongsumError(f"dataset not found: {dataset}")
    if path.is_dir():
        return _read_text_folder(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise LongsumError(
            f"{dataset}: unsupported file type; use {', '.join(LOCAL_SUFFIXES)} or a folder of .txt files"
        )
    if not os.access(path, os.R_OK):
        raise LongsumError(f"{dataset}: not readable")
    if path.stat().st_size == 0:
        raise LongsumError(f"{dataset}: the file is empty")
    return reader(path, skip_bad)


def _hub_records(dataset: str, split: str, revision: str | None = None) -> Iterator[dict[str, Any]]:
    from longsum.sources.hub import require_hub

    name, _, config = dataset.partition(":")
    require_hub(f"dataset {name!r}", "pass a local .jsonl/.json/.csv/.parquet file or a folder of .txt files")
    return stream_dataset(name, config or None, split, revision, dataset)


def _open_records(
    settings: DataSettings, preset: DatasetPreset | None, skip_bad: ReadStats | None
) -> Iterator[dict[str, Any]]:
    split = settings.split or DEFAULT_SPLIT
    if preset is None and is_local(settings.dataset):
        folder = Path(settings.dataset).expanduser()
        if is_dataset_folder(folder):
            return stream_dataset(str(folder), None, split, None, settings.dataset)
        return _local_records(settings.dataset, skip_bad)
    return _hub_records(settings.dataset, split, preset.revision if preset else None)


def data_label(settings: DataSettings) -> str:
    """How a signature names the data: a preset's name with its hub dataset, the split of anything
    streamed through ``datasets``, or a local file's path."""
    preset = find_preset(settings.dataset)
    split = settings.split or (preset.split if preset else DEFAULT_SPLIT)
    if preset is not None:
        revision = f"@{preset.revision}" if preset.revision else ""
        return f"{preset.name}={preset.dataset}{revision}/{split}"
    if is_local(settings.dataset) and not is_dataset_folder(Path(settings.dataset).expanduser()):
        return settings.dataset
    return f"{settings.dataset}/{split}"


def _with_decode_errors(records: Iterator[dict[str, Any]], dataset: str) -> Iterator[dict[str, Any]]:
    try:
        yield from records
    except UnicodeDecodeError as err:
        raise LongsumError(f"{dataset}: not UTF-8 text (byte {err.start})") from None


def iter_documents(
    settings: DataSettings, *, need_summary: bool = True, stats: ReadStats | None = None
) -> Iterator[Document]:
    """Stream the documents ``settings`` names, in dataset order, never holding the whole dataset.

    Args:
        settings: dataset, split, columns, limit, and whether to skip malformed records.
        need_summary: require a reference column (``False`` lets ``summarize`` read unlabeled data).
        stats: counts what was skipped, when given.

    Raises:
        LongsumError: the dataset cannot be found or read, or its columns do not fit.
    """
    skip_bad = (stats if stats is not None else ReadStats()) if settings.skip_bad_records else None
    preset = find_preset(settings.dataset)
    if preset is not None:
        settings = preset.apply(settings)
    source = _open_records(settings, preset, skip_bad)
    records = _with_decode_errors(source, settings.dataset)
    if settings.limit is not None:
        records = islice(records, settings.limit)
    columns: Columns | None = None
    seen: set[str] = set()
    for index, record in enumerate(records):
        if columns is None:
            columns = detect_columns(record.keys(), settings, need_summary=need_summary)
        text = record.get(columns.text)
        reference = record.get(columns.summary) if columns.summary else None
        problem = _not_text(text, columns.text) or _not_text(reference, columns.summary)
        if problem is not None:
            if skip_bad is None:
                raise LongsumError(
                    f"{settings.dataset}: record {index}: {problem} (--skip-bad-records skips such records)"
                )
            skip_bad.bad_records += 1
            continue
        ident = record.get(columns.id) if columns.id else None
        doc_id = str(index) if ident is None else str(ident)
        if doc_id in seen:
            raise LongsumError(
                f"duplicate id {doc_id!r} in column {columns.id!r} (record {index}); pick another with --id-column"
            )
        seen.add(doc_id)
        yield Document(
            index=index,
            id=doc_id,
            text="" if text is None else str(text),
            reference=None if reference is None else str(reference),
        )


def _not_text(value: Any, column: str | None) -> str | None:
    """Why ``value`` cannot be a document or a summary (a number, a list, ...); ``None`` when it is text or missing."""
    if value is None or isinstance(value, str):
        return None
    return f"column {column!r} holds {type(value).__name__} {str(value)[:40]!r}, not text"


def count_documents(settings: DataSettings) -> int | None:
    """How many documents ``iter_documents`` will yield, when it is cheap to know (for an ETA); else ``None``."""
    total: int | None = None
    path = Path(settings.dataset).expanduser()
    try:
        if find_preset(settings.dataset) is None and is_local(settings.dataset):
            if is_dataset_folder(path):
                total = None
            elif path.is_dir():
                total = sum(1 for p in path.glob("*.txt") if not p.name.endswith(SUMMARY_SUFFIX))
            elif path.suffix == ".jsonl":
                with path.open("rb") as handle:
                    total = sum(1 for line in handle if line.strip())
            elif path.suffix == ".parquet":
                import pyarrow.parquet as pq

                total = pq.ParquetFile(path).metadata.num_rows
    except Exception:  # only an ETA depends on it; the real read reports the error properly
        total = None
    if settings.limit is not None:
        total = settings.limit if total is None else min(total, settings.limit)
    return total

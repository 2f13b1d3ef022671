"""Result storage: predictions appended durably batch by batch, merged into dataset order at the end; metrics.json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, cast

from longsum.errors import LongsumError
from longsum.results.schema import PREDICTIONS_SCHEMA_VERSION, PredictionLine, check_version

PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"
RUN = "run.json"
#: Where each process of a distributed run appends its predictions before the merge.
PARTS = "parts"


@dataclass(frozen=True)
class PredictionRecord:
    """One line of predictions.jsonl."""

    id: str
    prediction: str
    reference: str | None
    input_tokens: int
    truncated: bool
    #: Length and extractiveness statistics (``analysis.document_stats``); ``None`` in files written elsewhere.
    stats: dict[str, Any] | None = None
    #: Tokens the decoder produced (words for a baseline); ``None`` in files written elsewhere.
    generated_tokens: int | None = None
    #: Whether the summary ended with the end token; ``False``: cut at the length limit; ``None``: no limit applies.
    ended_with_eos: bool | None = None
    #: The generated text before a stop string and a reasoning trace were taken off (causal LMs); only where that
    #: changed it, and only then written.
    raw_prediction: str | None = None
    #: A served model's token counts (``prompt_tokens``, ``completion_tokens``); written only where there are some.
    usage: dict[str, int] | None = None
    #: The server refused the prompt as longer than the model's context (the prediction is empty); written only then.
    too_long: bool = False

    def to_dict(self) -> PredictionLine:
        """The record as plain data, in the file's field order (``raw_prediction``, ``usage`` and ``too_long`` only
        where they hold something)."""
        values = asdict(self)
        for key in ("raw_prediction", "usage", "too_long"):
            if not values[key]:
                del values[key]
        return cast(PredictionLine, {"schema_version": PREDICTIONS_SCHEMA_VERSION, **values})

    @classmethod
    def from_line(cls, line: str, path: Path = Path(PREDICTIONS)) -> PredictionRecord:
        """Parse one line of predictions.jsonl (of ``path``, named when its version is too new).

        Raises:
            ValueError, KeyError: the line is not a record.
            LongsumError: the record is of a newer schema version than this longsum reads.
        """
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        check_version(data, PREDICTIONS_SCHEMA_VERSION, path)
        return cls(
            data["id"],
            data["prediction"],
            data.get("reference"),
            int(data["input_tokens"]),
            bool(data["truncated"]),
            data.get("stats"),
            data.get("generated_tokens"),
            data.get("ended_with_eos"),
            data.get("raw_prediction"),
            data.get("usage"),
            bool(data.get("too_long", False)),
        )


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Turn a failed write to ``path`` (a full disk, a lost mount) into one line instead of a traceback."""
    try:
        yield
    except OSError as err:
        raise LongsumError(f"cannot write {path}: {err.strerror or err}") from None


def _complete_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each newline-terminated line; a final line without its newline is not yielded."""
    offset = 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                return
            yield offset, line
            offset += len(line)


class PredictionLog:
    """One process's predictions file while a run writes it: records appended, fsynced per batch.

    A crash loses at most the batch under way; a torn last line left by one is dropped on reopening.
    """

    def __init__(self, path: Path, resume: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dropped_partial_line = False
        if resume and path.exists():
            end = sum(len(line) for _, line, _ in _records(path))
            if end != path.stat().st_size:
                self.dropped_partial_line = True
                with path.open("r+b") as handle:
                    handle.truncate(end)
        self._handle: IO[bytes] = path.open("ab" if resume else "wb")

    def append(self, records: Iterable[PredictionRecord]) -> None:
        """Append ``records`` and make them durable before returning.

        Raises:
            LongsumError: the write failed; what it tore is dropped when the run resumes.
        """
        with writing(self.path):
            for record in records:
                self._handle.write((json.dumps(record.to_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file (what was appended stays; a write the disk refused was reported by ``append``)."""
        with suppress(OSError):
            self._handle.close()


def _records(path: Path) -> Iterator[tuple[int, bytes, str]]:
    """(offset, line, id) of each complete record; stops at a torn or unparsable line."""
    for offset, line in _complete_lines(path):
        try:
            doc_id = PredictionRecord.from_line(line.decode("utf-8"), path).id
        except (ValueError, KeyError, UnicodeDecodeError):
            return
        yield offset, line, doc_id


def completed_ids(sources: Iterable[Path]) -> set[str]:
    """The ids with a complete record in any of ``sources`` (missing files hold none)."""
    return {doc_id for path in sources if path.exists() for _, _, doc_id in _records(path)}


def merge_predictions(sources: list[Path], order: list[str], target: Path) -> int:
    """Write the records of ``order``'s ids, in that order, then every other record of ``sources``, into ``target``.

    A run directory only grows: records of documents outside ``order`` (say, from an earlier run with a
    larger ``--limit``) are kept after the ordered ones, so the first ``len(order)`` lines are this run's.
    The file is replaced atomically; only ids and file offsets are held in memory.

    Returns:
        How many records outside ``order`` were kept.

    Raises:
        KeyError: an id of ``order`` has no record in any source.
        LongsumError: ``target`` cannot be written (the sources stay as they were).
    """
    where: dict[str, tuple[Path, int, int]] = {}
    for path in sources:
        if path.exists():
            for offset, line, doc_id in _records(path):
                where[doc_id] = (path, offset, len(line))
    wanted = set(order)
    others = [doc_id for doc_id in where if doc_id not in wanted]
    temporary = target.with_name(target.name + ".tmp")
    handles: dict[Path, IO[bytes]] = {}
    try:
        with writing(target), temporary.open("wb") as out:
            for doc_id in [*order, *others]:
                path, offset, length = where[doc_id]
                source = handles.get(path) or handles.setdefault(path, path.open("rb"))
                source.seek(offset)
                out.write(source.read(length))
            out.flush()
            os.fsync(out.fileno())
            os.replace(temporary, target)
    finally:
        for handle in handles.values():
            handle.close()
        temporary.unlink(missing_ok=True)
    return len(others)


def iter_predictions(path: Path) -> Iterator[PredictionRecord]:
    """Stream the records of a predictions.jsonl."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield PredictionRecord.from_line(line, path)


def read_predictions(path: Path) -> list[PredictionRecord]:
    """All records of a predictions.jsonl."""
    return list(iter_predictions(path))


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through a temporary file and a rename, so no reader sees half a file.

    Raises:
        LongsumError: the write failed; ``path`` is as it was.
    """
    temporary = path.with_name(path.name + ".tmp")
    try:
        with writing(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented JSON, atomically (see ``write_text_atomic``)."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

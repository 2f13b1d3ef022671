"""Result storage: predictions.jsonl, appended durably batch by batch and put in dataset order at the end; metrics.json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"
RUN = "run.json"


@dataclass(frozen=True)
class PredictionRecord:
    """One line of predictions.jsonl."""

    id: str
    prediction: str
    reference: str | None
    input_tokens: int
    truncated: bool

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data, in the file's field order."""
        return asdict(self)

    @classmethod
    def from_line(cls, line: str) -> PredictionRecord:
        """Parse one line of predictions.jsonl."""
        data = json.loads(line)
        return cls(data["id"], data["prediction"], data.get("reference"), int(data["input_tokens"]), bool(data["truncated"]))


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
    """predictions.jsonl while a run writes it: records appended in completion order, fsynced per batch.

    A crash loses at most the batch under way. ``finish`` rewrites the file in dataset order.
    Only ids and file offsets are kept in memory, so memory stays flat as the dataset grows.
    """

    def __init__(self, directory: Path, resume: bool = False) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / PREDICTIONS
        #: id -> (offset, length) of its line in the file.
        self.offsets: dict[str, tuple[int, int]] = {}
        self.dropped_partial_line = False
        if resume and self.path.exists():
            self._recover()
        self._handle: IO[bytes] = self.path.open("ab" if resume else "wb")
        self._end = self._handle.seek(0, os.SEEK_END)

    def _recover(self) -> None:
        end = 0
        for offset, line in _complete_lines(self.path):
            try:
                record = PredictionRecord.from_line(line.decode("utf-8"))
            except (ValueError, KeyError, UnicodeDecodeError):
                break  # a torn write: keep what precedes it
            self.offsets[record.id] = (offset, len(line))
            end = offset + len(line)
        if end != self.path.stat().st_size:
            self.dropped_partial_line = True
            with self.path.open("r+b") as handle:
                handle.truncate(end)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def append(self, records: Iterable[PredictionRecord]) -> None:
        """Append ``records`` and make them durable before returning."""
        for record in records:
            line = (json.dumps(record.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
            self._handle.write(line)
            self.offsets[record.id] = (self._end, len(line))
            self._end += len(line)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file (what was appended stays)."""
        self._handle.close()

    def finish(self, order: list[str]) -> None:
        """Rewrite the file with the records of ``order``'s ids, in that order, atomically."""
        self.close()
        temporary = self.path.with_name(self.path.name + ".tmp")
        with self.path.open("rb") as source, temporary.open("wb") as target:
            for doc_id in order:
                offset, length = self.offsets[doc_id]
                source.seek(offset)
                target.write(source.read(length))
            target.flush()
            os.fsync(target.fileno())
        os.replace(temporary, self.path)


def iter_predictions(path: Path) -> Iterator[PredictionRecord]:
    """Stream the records of a predictions.jsonl."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield PredictionRecord.from_line(line)


def read_predictions(path: Path) -> list[PredictionRecord]:
    """All records of a predictions.jsonl."""
    return list(iter_predictions(path))


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON through a temporary file and a rename, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)

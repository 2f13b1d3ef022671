"""Result storage: predictions.jsonl, appended durably batch by batch, and metrics.json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"


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


class PredictionWriter:
    """Appends prediction records to ``predictions.jsonl``, flushed and fsynced per call.

    A crash therefore loses at most the records of the call under way.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / PREDICTIONS
        self._handle: IO[str] = self.path.open("w", encoding="utf-8")

    def write(self, records: Iterable[PredictionRecord]) -> None:
        """Append ``records`` and make them durable before returning."""
        for record in records:
            self._handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def __enter__(self) -> PredictionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def read_predictions(path: Path) -> list[PredictionRecord]:
    """The records of a predictions.jsonl written by longsum."""
    with path.open(encoding="utf-8") as handle:
        return [PredictionRecord(**json.loads(line)) for line in handle if line.strip()]

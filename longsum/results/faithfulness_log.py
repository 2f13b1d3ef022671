"""faithfulness.jsonl: each document's faithfulness score beside the predictions, appended durably, read on resume."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from longsum.config import FaithfulnessMethod
from longsum.results.schema import FAITHFULNESS_SCHEMA_VERSION, FaithfulnessLine, check_version
from longsum.results.storage import PREDICTIONS, writing

FAITHFULNESS = "faithfulness.jsonl"


def faithfulness_path(predictions: Path) -> Path:
    """Where the scores of ``predictions`` go: faithfulness.jsonl in a run directory, else NAME.faithfulness.jsonl
    beside the file."""
    if predictions.name == PREDICTIONS:
        return predictions.with_name(FAITHFULNESS)
    return predictions.with_name(f"{predictions.stem}.{FAITHFULNESS}")


def _complete(path: Path) -> tuple[list[FaithfulnessLine], int]:
    """The lines up to the first torn or unreadable one, and the byte length they take."""
    lines: list[FaithfulnessLine] = []
    end = 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                data = json.loads(raw) if raw.endswith(b"\n") else None
            except ValueError:
                data = None
            if not isinstance(data, dict):
                break
            check_version(data, FAITHFULNESS_SCHEMA_VERSION, path)
            lines.append(data)  # type: ignore[arg-type]
            end += len(raw)
    return lines, end


def read_scores(path: Path, model: str, method: str) -> dict[str, FaithfulnessLine]:
    """The finished lines of ``model`` and ``method`` by document id, the last one of an id (a missing file holds
    none).

    Raises:
        LongsumError: the file is of a newer schema version.
    """
    if not path.exists():
        return {}
    lines, _ = _complete(path)
    return {line["id"]: line for line in lines if line["model"] == model and line["method"] == method}


class FaithfulnessLog:
    """The side file while a scoring pass appends to it: a torn last line (from a kill) is cut off on opening,
    and every document's line is made durable before the next one is scored."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with writing(path):
            if path.exists():
                _, end = _complete(path)
                if end != path.stat().st_size:
                    with path.open("r+b") as handle:
                        handle.truncate(end)
            self._handle: IO[bytes] = path.open("ab")

    def append(self, line: FaithfulnessLine) -> None:
        """Append one document's line and fsync it."""
        with writing(self.path):
            self._handle.write((json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def faithfulness_line(
    doc_id: str,
    model: str,
    method: FaithfulnessMethod,
    texts: str,
    score: float | None,
    sentences: int,
    blocks: int,
) -> FaithfulnessLine:
    """One document's line, with the schema version."""
    return FaithfulnessLine(
        schema_version=FAITHFULNESS_SCHEMA_VERSION,
        id=doc_id,
        model=model,
        method=method,
        texts=texts,
        score=score,
        sentences=sentences,
        blocks=blocks,
    )

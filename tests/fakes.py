"""Test doubles: a Summarizer that echoes its input, and a kept bench report."""

from __future__ import annotations

import json
from pathlib import Path

from longsum.engine.batching import Batch
from longsum.summarizers.protocol import Output, SummarizerInfo


class EchoSummarizer:
    """Summarizes by echoing the first words; one token per character of input, capped at ``limit``.

    A summary "ends" (as at an end token) when it holds the whole document, and is cut otherwise.
    """

    def __init__(self, limit: int = 1000, words: int = 6) -> None:
        self.limit = limit
        self.words = words
        self.batches: list[Batch] = []
        self.warnings: list[str] = []
        self.batch_multiple = 1

    def encode(self, text: str) -> tuple[list[int], int]:
        ids = [ord(c) % 97 + 3 for c in text] + [1]
        return ids[: self.limit], len(ids)

    def generate(self, batch: Batch) -> list[Output]:
        self.batches.append(batch)
        return [
            Output(
                text=" ".join(words[: self.words]), tokens=min(len(words), self.words), ended=len(words) <= self.words
            )
            for words in (item.doc.text.split() for item in batch.items)
        ]

    def describe(self) -> SummarizerInfo:
        return SummarizerInfo(model="echo", revision="0", dtype="fp32", device="cpu", generation={"num_beams": 1})

    def encoding_seconds(self) -> float:
        return 0.0

    def batch_tokens_hint(self) -> int | None:
        return None


def write_baseline(path: Path, docs_per_second: float) -> Path:
    """A kept bench report holding only longsum's docs/s, as ``--baseline`` reads it."""
    path.write_text(json.dumps({"longsum": {"docs_per_second": docs_per_second}}), encoding="utf-8")
    return path

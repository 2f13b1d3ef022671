"""Test doubles: a Summarizer that echoes its input, a tokenizer that only has ids, a linear that rounds by row
count, and a kept bench report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

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
        self.same_length_batches = False

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


class IdsOnlyTokenizer:
    """What a family's tiny builder reads of a tokenizer: the vocabulary size and the special ids."""

    pad_token_id = 0
    eos_token_id = 1

    def __len__(self) -> int:
        return 100


class RowCountedLinear(torch.nn.Linear):
    """A linear whose rows shift by a hair when the product has more than ``rows`` rows, as a BLAS kernel may."""

    def __init__(self, rows: int) -> None:
        super().__init__(8, 4, bias=False)
        self.rows = rows

    def forward(self, inputs):
        out = super().forward(inputs)
        return out + 1e-6 if inputs.shape[0] > self.rows else out


def write_baseline(path: Path, docs_per_second: float) -> Path:
    """A kept bench report holding only longsum's docs/s, as ``--baseline`` reads it."""
    path.write_text(json.dumps({"longsum": {"docs_per_second": docs_per_second}}), encoding="utf-8")
    return path


def attention_off_by(amount: float) -> Any:
    """An attention forward that gives the stock outputs plus ``amount``: a fast path the self-check must refuse."""

    def forward(attention: Any, hidden_states: Any, *args: Any, **kwargs: Any) -> Any:
        out = type(attention).forward(attention, hidden_states, *args, **kwargs)
        return (out[0] + amount, *out[1:])

    return forward

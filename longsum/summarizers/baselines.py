"""Summarizers without a model, in the model's slot: lead-k and a greedy extractive oracle.

They run through the same pipeline as a checkpoint (``--model lead-3``, ``--model oracle``), so
their predictions, scores, length buckets and statistics land in the same files and tables.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from typing import Any

from longsum.engine.batching import Batch
from longsum.errors import LongsumError
from longsum.metrics.extractiveness import ngrams, words
from longsum.metrics.sentences import SPLITTERS
from longsum.summarizers.protocol import Output, SummarizerInfo

LEAD = re.compile(r"lead-(\d+)")
ORACLE = "oracle"


def is_baseline(name: str) -> bool:
    """Whether ``name`` names a baseline (``lead-K`` or ``oracle``) rather than a checkpoint."""
    return name == ORACLE or LEAD.fullmatch(name) is not None


class _SentenceSummarizer(ABC):
    """What both baselines share: the input is the whole document, measured in words, split into sentences."""

    def __init__(self, name: str, splitter: str) -> None:
        self.name = name
        self.splitter = splitter
        self.warnings: list[str] = []
        self.batch_multiple = 1
        self.same_length_batches = False

    def encode(self, text: str) -> tuple[list[int], int]:
        """One placeholder id per word, so batching and the length buckets count words; never truncated."""
        count = len(text.split())
        return [0] * count, count

    def describe(self) -> SummarizerInfo:
        """The baseline's name and its settings (no checkpoint, dtype or generation settings)."""
        return SummarizerInfo(model=self.name, sentence_splitter=self.splitter, input_unit="words")

    def encoding_seconds(self) -> float:
        """No encoder: all of a baseline's time is its selection."""
        return 0.0

    def batch_tokens_hint(self) -> int | None:
        """No device memory to fit."""
        return None

    def generate(self, batch: Batch) -> list[Output]:
        """One summary per document of ``batch``, its sentences on their own lines."""
        outputs = []
        for item in batch.items:
            text = "\n".join(self.select(SPLITTERS[self.splitter](item.doc.text), item.doc.reference))
            outputs.append(Output(text=text, tokens=len(text.split())))
        return outputs

    @abstractmethod
    def select(self, sentences: list[str], reference: str | None) -> list[str]:
        """The chosen sentences, in document order."""


class LeadSummarizer(_SentenceSummarizer):
    """The first ``k`` sentences of the document."""

    def __init__(self, k: int, splitter: str = "punkt") -> None:
        super().__init__(f"lead-{k}", splitter)
        self.k = k

    def select(self, sentences: list[str], reference: str | None) -> list[str]:
        """The first ``k`` sentences."""
        return sentences[: self.k]


class OracleSummarizer(_SentenceSummarizer):
    """Greedy extractive oracle: add the sentence that most raises ROUGE against the reference, until none does.

    The objective is the mean of ROUGE-1 and ROUGE-2 F1 (as in Nallapati et al. 2017 and Kedzie et
    al. 2018), computed from per-sentence n-gram counts (so bigrams across a sentence boundary do
    not count while selecting); the chosen summary is then scored like any prediction. It reads
    the reference, so it is an upper bound for extractive systems, not a system.
    """

    def __init__(self, splitter: str = "punkt") -> None:
        super().__init__(ORACLE, splitter)

    def select(self, sentences: list[str], reference: str | None) -> list[str]:
        """The greedily chosen sentences, in document order; none without a reference."""
        if not reference or not sentences:
            return []
        objective = _Objective([Counter(ngrams(words(reference), n)) for n in (1, 2)])
        counts = [[Counter(ngrams(words(s), n)) for n in (1, 2)] for s in sentences]
        chosen: list[int] = []
        best = 0.0
        while len(chosen) < len(sentences):
            score, pick = max(
                ((objective.with_added(counts[i]), -i) for i in range(len(sentences)) if i not in chosen),
                default=(0.0, 0),
            )
            if score <= best:
                break
            best = score
            chosen.append(-pick)
            objective.add(counts[-pick])
        return [sentences[i] for i in sorted(chosen)]


class _Objective:
    """Mean ROUGE-1/2 F1 of a growing selection, each candidate scored from its own n-grams only.

    Hand-written because rouge-score rescoring the whole selection for every candidate made the
    oracle quadratic in summary length; adding a sentence changes the clipped overlap only at
    that sentence's n-grams.
    """

    def __init__(self, target: list[Counter[Any]]) -> None:
        self.target = target
        self.current: list[Counter[Any]] = [Counter() for _ in target]
        self.overlap = [0] * len(target)
        self.size = [0] * len(target)

    def _gain(self, n: int, added: Counter[Any]) -> int:
        current, target = self.current[n], self.target[n]
        return sum(min(current[g] + k, target[g]) - min(current[g], target[g]) for g, k in added.items())

    def with_added(self, added: list[Counter[Any]]) -> float:
        """The objective if ``added`` (n-gram counts per order) joined the selection."""
        scores = []
        for n, target in enumerate(self.target):
            overlap = self.overlap[n] + self._gain(n, added[n])
            size = self.size[n] + sum(added[n].values())
            scores.append(0.0 if not overlap else 2 * overlap / (size + sum(target.values())))
        return sum(scores) / len(scores)

    def add(self, added: list[Counter[Any]]) -> None:
        """Make ``added`` part of the selection."""
        for n in range(len(self.target)):
            self.overlap[n] += self._gain(n, added[n])
            self.size[n] += sum(added[n].values())
            self.current[n].update(added[n])


def load_baseline(name: str, splitter: str = "punkt") -> _SentenceSummarizer:
    """The baseline ``name`` names.

    Raises:
        LongsumError: ``lead-0``.
    """
    if name == ORACLE:
        return OracleSummarizer(splitter)
    k = int(LEAD.fullmatch(name).group(1))  # type: ignore[union-attr]
    if k < 1:
        raise LongsumError(f"--model {name}: lead-K needs K of at least 1")
    return LeadSummarizer(k, splitter)

"""Faithfulness from NLI verdicts: the source cut into blocks, and a summary's score from its sentence-by-block
probabilities (SummaC-ZS, Laban et al. 2022; AlignScore-style chunks, Zha et al. 2023).

Pure arithmetic on text and probabilities: the NLI model that gives the probabilities lives in ``engine.nli``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from longsum.config import FaithfulnessMethod as Method
from longsum.errors import LongsumError
from longsum.metrics.sentences import split_punkt

#: The NLI labels, in the column order of every probability array here.
NLI_LABELS = ("entailment", "neutral", "contradiction")
#: Each method's scale: (bottom, top).
SCALES: dict[str, tuple[float, float]] = {"summac-zs": (-1.0, 1.0), "align": (0.0, 1.0)}


def label_columns(id2label: Mapping[int, str] | Mapping[str, str], model: str) -> tuple[int, int, int]:
    """The logit columns of entailment, neutral and contradiction in a classifier's ``id2label``.

    The names are matched in any case and order (``ENTAILMENT``, ``Neutral``...).

    Raises:
        LongsumError: the labels are not exactly these three.
    """
    names = {str(label).strip().lower(): int(index) for index, label in id2label.items()}
    if len(id2label) != 3 or set(names) != set(NLI_LABELS):
        shown = ", ".join(str(label) for label in id2label.values())
        raise LongsumError(
            f"--faithfulness {model}: not an NLI classifier (its labels are {shown or 'none'}; "
            "one needs entailment, neutral and contradiction)"
        )
    entailment, neutral, contradiction = (names[label] for label in NLI_LABELS)
    return entailment, neutral, contradiction


@dataclass(frozen=True)
class Pairing:
    """The NLI pairs of one document: every source block against every summary sentence.

    Attributes:
        blocks: the source's blocks (premises).
        sentences: the summary's sentences (hypotheses).
    """

    blocks: list[str]
    sentences: list[str]

    def pairs(self) -> list[tuple[str, str]]:
        """(premise, hypothesis) pairs, block-major: pair ``b * len(sentences) + s``."""
        return [(block, sentence) for block in self.blocks for sentence in self.sentences]


def pack_sentences(sentences: list[str], lengths: list[int], budget: int) -> list[str]:
    """Consecutive sentences joined into blocks of at most ``budget`` tokens (AlignScore's chunks); a sentence
    longer than the budget is a block of its own (the NLI tokenizer cuts it)."""
    blocks: list[str] = []
    current: list[str] = []
    used = 0
    for sentence, length in zip(sentences, lengths, strict=True):
        if current and used + length > budget:
            blocks.append(" ".join(current))
            current, used = [], 0
        current.append(sentence)
        used += length
    if current:
        blocks.append(" ".join(current))
    return blocks


def pairing(source: str, summary: str, method: Method, count_tokens: Callable[[str], int], budget: int) -> Pairing:
    """The blocks and sentences one document is scored on.

    ``summac-zs`` takes each source sentence as a block, as SummaC's sentence granularity does (the whole source:
    no cap on its sentences); ``align`` packs consecutive source sentences into chunks of ``budget`` tokens.

    Args:
        count_tokens: the NLI tokenizer's length of a text (without special tokens).
        budget: tokens a block may take so that it and a summary sentence fit the NLI model.
    """
    sentences = split_punkt(summary)
    source_sentences = split_punkt(source)
    if method == "summac-zs":
        return Pairing(source_sentences, sentences)
    return Pairing(pack_sentences(source_sentences, [count_tokens(s) for s in source_sentences], budget), sentences)


def document_score(probabilities: np.ndarray, method: Method) -> float:
    """One document's score from its NLI probabilities, shaped (blocks, sentences, 3) in ``NLI_LABELS`` order.

    ``summac-zs``: per summary sentence, the highest entailment over blocks minus the highest contradiction
    over blocks (SummaC-ZS's ``op1=max``, as its reference code takes them), in [-1, 1]; the mean over
    sentences. ``align``: per sentence, the highest entailment over blocks, in [0, 1]; the mean over sentences.
    """
    entailment = probabilities[:, :, 0].max(axis=0)
    per_sentence = entailment - probabilities[:, :, 2].max(axis=0) if method == "summac-zs" else entailment
    return float(per_sentence.mean())

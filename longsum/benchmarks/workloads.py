"""The synthetic benchmark workload: seeded documents with PubMed-like lengths, drawn from the shipped corpus."""

from __future__ import annotations

import numpy as np

from longsum.sources.documents import Document
from longsum.summarizers.builtin import corpus_path

#: Words per synthetic document: log-normal around PubMed's (median ~3,800 words, 800 to 16,000).
SYNTHETIC_MEDIAN_WORDS = 3800
SYNTHETIC_SIGMA = 0.5
SYNTHETIC_BOUNDS = (800, 16000)


def synthetic_documents(count: int, seed: int, words: list[str]) -> list[Document]:
    """``count`` documents with PubMed-like lengths, drawn from ``words`` with a seeded generator."""
    rng = np.random.default_rng(seed)
    low, high = SYNTHETIC_BOUNDS
    lengths = np.clip(rng.lognormal(np.log(SYNTHETIC_MEDIAN_WORDS), SYNTHETIC_SIGMA, count), low, high).astype(int)
    vocabulary = np.array(words)
    docs = []
    for index, length in enumerate(lengths):
        body = vocabulary[rng.integers(0, len(vocabulary), size=int(length))]
        # Sentences of 20 words, so rougeLsum has sentences to split.
        sentences = [" ".join(body[i : i + 20]) + "." for i in range(0, len(body), 20)]
        reference = " ".join(sentences[:8])
        docs.append(Document(index=index, id=f"synthetic-{index}", text=" ".join(sentences), reference=reference))
    return docs


def corpus_words() -> list[str]:
    """The words of the shipped corpus, the vocabulary of synthetic documents."""
    return corpus_path().read_text(encoding="utf-8").split()

"""Sentence splitting for rougeLsum, an explicit and recorded choice.

rougeLsum scores the union of sentence-level LCS matches, so it depends on where sentences
break; rouge_score itself only splits on newlines. The splitters here run offline: ``punkt``
is NLTK's Punkt algorithm with fixed parameters (no ``nltk.download``), and ``newline`` keeps
the text's own lines, as ``evaluate``'s rouge does when given unsplit text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

#: Abbreviations Punkt must not end a sentence on (lower case, without the final period).
#: Part of the splitter's identity: changing the list changes rougeLsum, so bump PUNKT_VERSION.
SCIENTIFIC_ABBREVIATIONS = frozenset(
    [
        "al",
        "approx",
        "ca",
        "cf",
        "dr",
        "e.g",
        "eq",
        "eqs",
        "etc",
        "fig",
        "figs",
        "i.e",
        "inc",
        "jr",
        "ltd",
        "min",
        "mr",
        "mrs",
        "ms",
        "no",
        "nos",
        "prof",
        "ref",
        "refs",
        "resp",
        "sp",
        "spp",
        "st",
        "suppl",
        "vol",
        "vs",
    ]
)
PUNKT_VERSION = 1


@functools.lru_cache(maxsize=1)
def _punkt():  # type: ignore[no-untyped-def]
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(SCIENTIFIC_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def split_punkt(text: str) -> list[str]:
    """Split at line breaks, then at sentence ends found by Punkt."""
    tokenizer = _punkt()
    return [s for line in text.splitlines() for s in tokenizer.tokenize(line) if s.strip()]


def split_newline(text: str) -> list[str]:
    """The text's own non-blank lines."""
    return [line for line in text.splitlines() if line.strip()]


SPLITTERS: dict[str, Callable[[str], list[str]]] = {"punkt": split_punkt, "newline": split_newline}


def splitter_id(name: str) -> str:
    """The name recorded in a signature, versioned where the splitter has parameters of ours."""
    return f"punkt-v{PUNKT_VERSION}" if name == "punkt" else name


def one_sentence_per_line(text: str, splitter: str) -> str:
    """``text`` with one sentence per line, the form rougeLsum expects."""
    return "\n".join(SPLITTERS[splitter](text))

"""The demonstration model's figures from a run directory: the share of its summary sentences copied verbatim.

Run ``python tools/demo_figures.py RUN_DIR --sample PATH`` on the run directory of
``longsum eval --model builtin --dataset PATH --output-dir RUN_DIR``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path

from longsum.metrics.sentences import split_punkt


def verbatim_sentences(summary: str, article: str, min_words: int = 4) -> tuple[int, int]:
    """How many of ``summary``'s sentences of ``min_words`` words or more appear verbatim in ``article``, of how many.

    Sentences are split as rougeLsum splits them (Punkt) and compared with runs of whitespace made single
    spaces, so a line break or a double space in the article does not count as a difference.
    """
    text = " ".join(article.split())
    sentences = [" ".join(s.split()) for s in split_punkt(summary)]
    counted = [s for s in sentences if len(s.split()) >= min_words]
    return sum(s in text for s in counted), len(counted)


def verbatim_share(pairs: Iterable[tuple[str, str]], min_words: int = 4) -> float:
    """The share of the summaries' sentences (``min_words`` words or more) found verbatim in their articles.

    Args:
        pairs: (summary, article) pairs.
        min_words: shorter sentences are not counted.

    Returns:
        The share over all counted sentences, 0.0 when there are none.
    """
    found = counted = 0
    for summary, article in pairs:
        verbatim, total = verbatim_sentences(summary, article, min_words)
        found, counted = found + verbatim, counted + total
    return found / counted if counted else 0.0


def run_figures(run_dir: Path, sample: Path) -> dict[str, float]:
    """The verbatim share and the share of summaries that ended before the length limit, for a run on ``sample``."""
    articles = {}
    for line in sample.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            articles[record["id"]] = record["article"]
    predictions = [json.loads(line) for line in (run_dir / "predictions.jsonl").read_text().splitlines() if line]
    ended = [p["ended_with_eos"] for p in predictions if p.get("ended_with_eos") is not None]
    return {
        "documents": len(predictions),
        "verbatim_share": verbatim_share((p["prediction"], articles[p["id"]]) for p in predictions),
        "ended_share": sum(ended) / len(ended) if ended else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python tools/demo_figures.py RUN_DIR --sample PATH``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--sample", type=Path, default=Path("../shared/data/pubmed-sample.jsonl"))
    args = parser.parse_args(argv)
    print(json.dumps(run_figures(args.run_dir, args.sample), indent=2))


if __name__ == "__main__":
    main()

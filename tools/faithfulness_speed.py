"""Time ``--faithfulness`` on stored predictions against its limit: each document's whole scoring, then the NLI
model's forward alone over the very batches that scoring ran (pre-tokenized and padded), one after the other so
that a busy machine's drift hits both alike. The figures of docs/faithfulness.md come from it:

    python tools/faithfulness_speed.py RUN_DIR ../shared/data/pubmed-sample.jsonl NLI_MODEL --limit 64 --method align
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from longsum.config import DataSettings, FaithfulnessMethod
from longsum.engine.nli import load_nli
from longsum.results.storage import PREDICTIONS, read_predictions
from longsum.runs.faithfulness import score_document
from longsum.runs.run_documents import documents_of


def measure(run: Path, dataset: str, model: str, limit: int, method: FaithfulnessMethod) -> dict[str, float]:
    """Documents/s and NLI pairs/s of the scoring, pairs/s of the model's forward alone, and peak RSS (MiB)."""
    import torch

    records = {r.id: r for r in read_predictions(run / PREDICTIONS)}
    nli = load_nli(model, "cpu")
    batches: list[Any] = []
    pad = nli.tokenizer.pad

    def recording_pad(rows: list[dict[str, Any]], **kwargs: Any) -> Any:
        batches.append(pad(rows, **kwargs))
        return batches[-1]

    nli.tokenizer.pad = recording_pad
    scoring = forward = 0.0
    pairs = documents = 0
    for document in documents_of(DataSettings(dataset, limit=limit), set(records)):
        batches.clear()
        start = time.perf_counter()
        _, sentences, blocks = score_document(nli, document.text, records[document.id].prediction, method)
        scoring += time.perf_counter() - start
        pairs += sentences * blocks
        documents += 1
        start = time.perf_counter()
        with torch.inference_mode():
            for batch in batches:
                nli.model(**batch)
        forward += time.perf_counter() - start
    return {
        "documents": documents,
        "pairs": pairs,
        "documents_per_second": documents / scoring,
        "pairs_per_second": pairs / scoring,
        "limit_pairs_per_second": pairs / forward,
        "share_of_limit": forward / scoring,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Parse the arguments, measure, print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="an eval run directory (its predictions.jsonl)")
    parser.add_argument("dataset", help="the dataset its documents come from")
    parser.add_argument("model", help="the NLI checkpoint")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--method", choices=["summac-zs", "align"], default="summac-zs")
    args = parser.parse_args()
    for name, value in measure(args.run, args.dataset, args.model, args.limit, args.method).items():
        print(f"{name}: {value:.3f}")


if __name__ == "__main__":
    main()

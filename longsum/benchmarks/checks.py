"""What a CI job asks of a bench report: no fall in docs/s below a kept baseline, a speed-up over the docs recipe
with the recipe's predictions, and a digest to compare predictions across reports."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from longsum.errors import LongsumError
from longsum.results.schema import BenchRecord, read_bench_file


def predictions_digest(predictions: list[str]) -> str:
    """A digest of the predictions in order: two runs (or two commits) agree on every summary iff theirs match."""
    return hashlib.sha256(json.dumps(predictions, ensure_ascii=False).encode("utf-8")).hexdigest()


def check_regression(report: BenchRecord, baseline_path: Path, max_regression: float) -> str | None:
    """A one-line failure when docs/s fell more than ``max_regression`` below the baseline's; else ``None``.

    Raises:
        LongsumError: the baseline file is missing or is not a bench report.
    """
    if not baseline_path.exists():
        raise LongsumError(f"baseline not found: {baseline_path}")
    try:
        reference = float(read_bench_file(baseline_path)["longsum"]["docs_per_second"])
    except (LongsumError, ValueError, KeyError, TypeError) as err:
        detail = f" ({err})" if isinstance(err, LongsumError) and "schema version" in str(err) else ""
        raise LongsumError(f"{baseline_path} is not a longsum bench report{detail}") from None
    current = report["longsum"]["docs_per_second"]
    floor = reference * (1 - max_regression)
    if current < floor:
        return (
            f"regression: {current:.3f} docs/s is {100 * (1 - current / reference):.1f}% below the baseline's "
            f"{reference:.3f} (allowed {100 * max_regression:.0f}%)"
        )
    return None


def check_speedup(report: BenchRecord, min_speedup: float) -> str | None:
    """A one-line failure when longsum's speed-up over the docs recipe, timed in the same process, is below
    ``min_speedup``, or when the two gave different predictions; else ``None``.

    A ratio of two timings taken on one machine in one run means the same on every runner, where absolute
    docs/s (``check_regression``) does not.
    """
    speedup = report.get("speedup")
    if speedup is None:
        return "no speed-up measured: the docs recipe was not timed (or took no time)"
    if not report.get("identical_predictions", False):
        return "the docs recipe and longsum gave different predictions; a speed-up over it means nothing"
    if speedup < min_speedup:
        return f"speed-up {speedup:.2f}x over the docs recipe is below --min-speedup {min_speedup:.2f}x"
    return None

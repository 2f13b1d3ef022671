"""The terminal table of ``--faithfulness``: the mean with its CI, overall and per input-length bucket."""

from __future__ import annotations

from rich.table import Table

from longsum.results.schema import FaithfulnessRecord


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def faithfulness_table(record: FaithfulnessRecord, confidence: float = 0.95) -> Table:
    """Faithfulness (on the method's own scale) over all scored documents, then per input-length bucket."""
    low, high = record["scale"]
    title = f"faithfulness ({record['method']}, {low:g} to {high:g}; NLI model {record['model']})"
    table = Table(title=title, title_justify="left")
    for name in ("documents", "count", "mean", f"{100 * confidence:g}% CI"):
        table.add_column(name, justify="left" if name == "documents" else "right")
    rows = [("all scored", record["documents"], record["mean"], record["low"], record["high"])]
    rows += [(b["bucket"], b["documents"], b["mean"], b["low"], b["high"]) for b in record["by_length"]]
    for label, count, mean, ci_low, ci_high in rows:
        table.add_row(label, str(count), _shown(mean), f"{_shown(ci_low)} to {_shown(ci_high)}")
    if record["unscored"]:
        table.caption = f"{record['unscored']} document(s) not scored (empty summary or source, or no document)"
    return table

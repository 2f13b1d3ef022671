"""The runs table in every output form: terminal (rich), Markdown, LaTeX (booktabs), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.table import Table

from longsum.results.terminal import stdout

FORMATS = ("terminal", "markdown", "latex", "csv", "json")
HEADERS = {"rouge1": "R-1", "rouge2": "R-2", "rougeL": "R-L", "rougeLsum": "R-Lsum", "faithfulness": "Faith"}
SIGNIFICANT = "*"
NOT_COMPARABLE = "†"


def _significant(row: dict[str, Any], rouge_type: str) -> bool:
    versus = row["vs_baseline"]
    return bool(versus and versus[rouge_type]["significant"])


def _cells(
    row: dict[str, Any],
    rouge_types: list[str],
    interval: str,
    marks: tuple[str, str] = (SIGNIFICANT, NOT_COMPARABLE),
    escape: Any = str,
) -> list[str]:
    """Label, model, one F1 (x100) cell per ROUGE type with its CI, documents, docs/s.

    Args:
        interval: the format of a score cell, with fields f, low, high and mark.
        marks: how the output form writes "significant" and "not comparable".
        escape: applied to the texts taken from the run (label and model).
    """
    significant, not_comparable = marks
    scores = []
    for t in rouge_types:
        s = row["rouge"][t]
        mark = significant if _significant(row, t) else ""
        scores.append(interval.format(f=100 * s["f"], low=100 * s["f_low"], high=100 * s["f_high"], mark=mark))
    speed = row["docs_per_second"]
    label = escape(row["label"]) + (not_comparable if row["differs_from_baseline"] else "")
    return [label, escape(str(row["model"])), *scores, str(row["documents"]), "-" if speed is None else f"{speed:.2f}"]


def footnotes(table: dict[str, Any]) -> list[str]:
    """What the marks mean, and which runs are not comparable with the baseline and why."""
    rows = table["rows"]
    notes = [
        f"ROUGE F1 x100 with {100 * table['confidence']:g}% bootstrap CIs"
        + (" (Faith: --faithfulness x100, on its method's scale)" if "faithfulness" in table["rouge_types"] else "")
        + f". {SIGNIFICANT} differs from the baseline "
        f"({rows[0]['label']}) with p < {table['alpha']:g} in both the paired bootstrap and approximate "
        f"randomization ({table['samples']} resamples, seed {table['seed']}, shared documents)."
    ]
    for row in rows[1:]:
        if row["differs_from_baseline"]:
            notes.append(
                f"{NOT_COMPARABLE} {row['label']}: its signature differs from the baseline's in "
                f"{', '.join(row['differs_from_baseline'])}; its numbers are not comparable."
            )
    return notes


def terminal_table(table: dict[str, Any]) -> Table:
    """The rich table; signatures and notes are printed beneath it."""
    types = table["rouge_types"]
    out = Table(title="runs (first = baseline)", title_justify="left")
    for name in ("run", "model", *(HEADERS[t] for t in types), "docs", "docs/s"):
        out.add_column(name, justify="left" if name in ("run", "model") else "right", overflow="fold")
    for row in table["rows"]:
        out.add_row(*_cells(row, types, "{f:.2f}{mark}\n{low:.2f}-{high:.2f}"))
    return out


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(table: dict[str, Any]) -> str:
    """A GitHub-flavoured Markdown table with the signature of each run, and the notes beneath."""
    types = table["rouge_types"]
    header = ["Run", "Model", *(HEADERS[t] for t in types), "Docs", "Docs/s", "Signature"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 3) + ["---"]) + "|",
    ]
    for row in table["rows"]:
        cells = [*_cells(row, types, "{f:.2f} [{low:.2f}, {high:.2f}]{mark}"), f"`{row['signature']}`"]
        lines.append("| " + " | ".join(_markdown_escape(c) for c in cells) + " |")
    return "\n".join(lines) + "\n\n" + "\n".join(footnotes(table)) + "\n"


LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


LATEX_MARKS = (r"$^{*}$", r"$^{\dagger}$")


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in text)


def to_latex(table: dict[str, Any]) -> str:
    """A booktabs table (``\\usepackage{booktabs}``); each run's signature is kept as a comment beneath it."""
    types = table["rouge_types"]
    header = ["Run", "Model", *(HEADERS[t] for t in types), "Docs", "Docs/s"]
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\begin{tabular}{ll" + "r" * (len(header) - 2) + "}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    interval = r"{f:.2f}\,{{\scriptsize[{low:.2f}, {high:.2f}]}}{mark}"
    for row in table["rows"]:
        lines.append(" & ".join(_cells(row, types, interval, LATEX_MARKS, latex_escape)) + r" \\")
    notes = " ".join(latex_escape(n) for n in footnotes(table))
    for plain, latex in zip((SIGNIFICANT, NOT_COMPARABLE), LATEX_MARKS, strict=True):
        notes = notes.replace(f"{plain} ", f"{latex} ")
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + notes + "}", r"\end{table}"]
    lines += [f"% {row['label']}: {row['signature']}" for row in table["rows"]]
    return "\n".join(lines) + "\n"


def to_csv(table: dict[str, Any]) -> str:
    """One line per run: every figure in its own column (fractions in [0, 1]), p-values, the signature."""
    types = table["rouge_types"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    per_type = ("f", "f_low", "f_high", "p_bootstrap", "p_randomization", "significant")
    writer.writerow(
        [
            "label",
            "model",
            *(f"{t}_{k}" for t in types for k in per_type),
            "documents",
            "docs_per_second",
            "comparable",
            "differs_from_baseline",
            "signature",
        ]
    )
    for row in table["rows"]:
        versus = row["vs_baseline"] or {}
        values = []
        for t in types:
            test = versus.get(t, {})
            values += [
                row["rouge"][t]["f"],
                row["rouge"][t]["f_low"],
                row["rouge"][t]["f_high"],
                test.get("p_bootstrap", ""),
                test.get("p_randomization", ""),
                test.get("significant", ""),
            ]
        writer.writerow(
            [
                row["label"],
                row["model"],
                *values,
                row["documents"],
                row["docs_per_second"],
                not row["differs_from_baseline"],
                " ".join(row["differs_from_baseline"]),
                row["signature"],
            ]
        )
    return buffer.getvalue()


def format_table(table: dict[str, Any], form: str) -> str:
    """The table as text in ``form`` (any of ``FORMATS`` but terminal)."""
    writers = {
        "markdown": to_markdown,
        "latex": to_latex,
        "csv": to_csv,
        "json": lambda t: json.dumps(t, indent=2) + "\n",
    }
    return writers[form](table)


def render_table(table: dict[str, Any], form: str = "terminal") -> None:
    """Print the table to stdout in ``form``: the rich table with signatures and notes, or text."""
    if form != "terminal":
        stdout.out(format_table(table, form), end="", highlight=False)
        return
    stdout.print(terminal_table(table))
    for note in footnotes(table):
        stdout.print(note, markup=False, highlight=False, soft_wrap=True)
    for row in table["rows"]:
        stdout.print(f"{row['label']}: {row['signature']}", markup=False, highlight=False, soft_wrap=True)

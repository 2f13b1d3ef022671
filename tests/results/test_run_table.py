"""Rendering of the runs table: marks, escaping and notes, on a table built by hand."""

from longsum.results.run_table import format_table, latex_escape

ROUGE = {t: {"f": 0.4, "f_low": 0.39, "f_high": 0.41} for t in ("rouge1", "rouge2", "rougeL", "rougeLsum")}


def row(label, model, versus=None, differs=()):
    return {
        "label": label,
        "model": model,
        "signature": f"model:{model}|data:d",
        "rouge": ROUGE,
        "documents": 3,
        "docs_per_second": None,
        "differs_from_baseline": list(differs),
        "vs_baseline": versus,
    }


def make_table():
    versus = {t: {"p_bootstrap": 0.01, "p_randomization": 0.02, "significant": t == "rouge2"} for t in ROUGE}
    rows = [row("base_run", "a&b"), row("new", "c", versus, ["data"])]
    return {"rows": rows, "rouge_types": list(ROUGE), "alpha": 0.05, "samples": 10, "seed": 0, "confidence": 0.9}


def test_latex_escapes_and_marks():
    latex = format_table(make_table(), "latex")
    assert r"base\_run & a\&b & 40.00\,{\scriptsize[39.00, 41.00]} &" in latex
    body = next(line for line in latex.splitlines() if line.startswith("new"))
    assert body.startswith(
        r"new$^{\dagger}$ & c & 40.00\,{\scriptsize[39.00, 41.00]} & 40.00\,{\scriptsize[39.00, 41.00]}$^{*}$"
    )
    assert r"90\% bootstrap" in latex and r"$^{\dagger}$ new: its signature differs" in latex
    assert latex_escape("50% of {x}_1 ~ $") == r"50\% of \{x\}\_1 \textasciitilde{} \$"


def test_markdown_marks_only_the_significant_metric_and_shows_missing_speed():
    lines = format_table(make_table(), "markdown").splitlines()
    assert lines[3] == (
        "| new† | c | 40.00 [39.00, 41.00] | 40.00 [39.00, 41.00]* | 40.00 [39.00, 41.00] | "
        "40.00 [39.00, 41.00] | 3 | - | `model:c\\|data:d` |"
    )

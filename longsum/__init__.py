"""longsum: evaluate long-document summarization models with ROUGE."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The API is imported on first use, so ``import longsum`` (and ``longsum --help``) stays instant.
_LAZY = {
    "evaluate": "longsum.runs.evaluation",
    "EvalResult": "longsum.runs.eval_result",
    "load_summarizer": "longsum.summarizers.resolver",
    "summarize_files": "longsum.runs.summarize",
    "score_file": "longsum.runs.scoring",
    "compare_files": "longsum.runs.comparison",
    "bench": "longsum.runs.bench",
    "BenchConfig": "longsum.runs.bench",
    "EvalConfig": "longsum.config",
    "ModelSettings": "longsum.config",
    "DataSettings": "longsum.config",
    "GenerationSettings": "longsum.config",
    "BatchSettings": "longsum.config",
    "ScoreSettings": "longsum.config",
    "PromptSettings": "longsum.config",
    "LongsumError": "longsum.errors",
    "LeadSummarizer": "longsum.summarizers.baselines",
    "OracleSummarizer": "longsum.summarizers.baselines",
    "CausalSummarizer": "longsum.summarizers.causal",
    "document_stats": "longsum.metrics.summary_stats",
    "write_report": "longsum.results.html_report",
    "ROUGE_MODULE": "longsum.metrics.evaluate_metrics",
    "build_table": "longsum.runs.table",
    "write_model_index": "longsum.results.model_card",
    "PRESETS": "longsum.sources.presets",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'longsum' has no attribute {name!r}")

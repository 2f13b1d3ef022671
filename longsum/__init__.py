"""longsum: evaluate long-document summarization models with ROUGE."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# The API is imported on first use, so ``import longsum`` (and ``longsum --help``) stays instant.
_LAZY = {
    "evaluate": "longsum.evaluation",
    "EvalResult": "longsum.evaluation",
    "load_summarizer": "longsum.evaluation",
    "summarize_files": "longsum.summarize",
    "score_file": "longsum.rescoring",
    "compare_files": "longsum.rescoring",
    "bench": "longsum.bench",
    "BenchConfig": "longsum.bench",
    "EvalConfig": "longsum.config",
    "ModelSettings": "longsum.config",
    "DataSettings": "longsum.config",
    "GenerationSettings": "longsum.config",
    "BatchSettings": "longsum.config",
    "ScoreSettings": "longsum.config",
    "LongsumError": "longsum.errors",
    "LeadSummarizer": "longsum.baselines",
    "OracleSummarizer": "longsum.baselines",
    "document_stats": "longsum.analysis",
    "write_report": "longsum.report",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'longsum' has no attribute {name!r}")

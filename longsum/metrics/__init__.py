"""Scores from text alone: ROUGE, sentence splitting, aggregation and bootstrap, significance tests,
extractiveness, summary statistics and length buckets. Imports only ``longsum.config`` and ``longsum.errors``,
and never torch or transformers."""

"""Scores from text alone: ROUGE, sentence splitting, aggregation and bootstrap, significance tests,
extractiveness, summary statistics, length buckets, and ``evaluate`` metric modules (longsum's ROUGE ships as
one). Imports only ``longsum.config`` and ``longsum.errors``, and never torch or transformers."""

"""The commands' library functions: evaluate a dataset, score and compare stored runs, benchmark, summarize
files. May import every layer below; only the CLI imports them."""

"""Results out: the run directory's files, the signature, provenance, terminal tables, the HTML report, the runs
table's formats and the model-index block.
May import ``metrics`` and ``sources`` (and ``engine``), never ``runs`` or the CLI."""

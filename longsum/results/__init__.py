"""Results out: the run directory's files, the signature, provenance, terminal tables and the HTML report.
May import ``metrics`` and ``sources`` (and ``engine``), never ``runs`` or the CLI."""

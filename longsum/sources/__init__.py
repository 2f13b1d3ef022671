"""Documents in: local files (JSON Lines, JSON, CSV, Parquet, text folders), hub datasets, hub-layout folders
and the named benchmark presets, streamed record by record with their columns detected. Imports only
``longsum.config`` and ``longsum.errors``."""

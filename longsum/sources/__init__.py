"""Documents in: local files (JSON Lines, JSON, CSV, Parquet, text folders) and hub datasets, streamed
record by record with their columns detected. Imports only ``longsum.config`` and ``longsum.errors``."""

"""Summarizers: the interface the pipeline drives, the one resolver from a ``--model`` string to a summarizer,
the seq2seq summarizer over the engine, the built-in and benchmark-shape checkpoints, the model-free baselines, and
the batch runner. May import ``engine`` and every layer below it, never ``results``, ``runs`` or the CLI."""

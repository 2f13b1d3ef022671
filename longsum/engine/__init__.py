"""The model engine: loading checkpoints, the built-in models, batching, generation, fast paths, device memory,
data-parallel sharding and the model-free baselines. May import ``sources`` and ``metrics`` (the baselines split
sentences and count n-grams), never ``results``, ``runs`` or the CLI."""

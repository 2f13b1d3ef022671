"""Model execution: loading a checkpoint onto a device and dtype, tokenizing, batching, the generation settings
in force, encoder-decoder decoding, the fast paths and their load-time checks, device memory, timing, and the
model families. May import ``metrics``, ``sources`` and below; never ``summarizers`` or anything above them."""

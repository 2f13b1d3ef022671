"""Fast paths, family-agnostic: the beam-shared cross-attention cache and engaging a family's paths on a model.

The paths themselves live in the family modules (``engine/families``), each declaring the model classes it serves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from longsum.engine.families.base import FastPath
from longsum.engine.self_attention_cache import preallocated_cache


@functools.cache
def _beam_shared_cross_cache_class() -> type:
    # Built on first use so importing longsum does not import transformers.
    from transformers.cache_utils import EncoderDecoderCache

    class BeamSharedCrossCache(EncoderDecoderCache):
        """An ``EncoderDecoderCache`` holding one cross-attention key/value row per input, not per beam."""

        def __init__(self, beams: int, self_attention: Any) -> None:
            from transformers.cache_utils import DynamicCache

            super().__init__(self_attention, DynamicCache())
            self.beams = beams

        def reorder_cache(self, beam_idx: Any) -> None:
            self.self_attention_cache.reorder_cache(beam_idx)

    return BeamSharedCrossCache


def beam_shared_cross_cache(beams: int, self_attention: Any = None) -> Any:
    """A fresh encoder-decoder cache for beam search that keeps each input's cross keys/values once, and its
    self-attention keys and values in ``self_attention`` (a fresh ``DynamicCache`` by default).

    All beams of one input attend to the same encoder outputs, so their cross-attention keys and
    values are identical, and beam search only reorders beams within one input. transformers
    nevertheless stores them once per beam and ``index_select``s them at every step: for
    LongT5-large, 2 documents x 2 beams x 16,384 tokens, about 6 GB moved per step. This cache
    leaves the cross half alone when reordering, and, with ``fast_paths`` engaged, the decoder's
    cross-attention stores one row per input and reads it for all its beams at once.
    """
    if self_attention is None:
        from transformers.cache_utils import DynamicCache

        self_attention = DynamicCache()
    return _beam_shared_cross_cache_class()(beams, self_attention)


def decoding_cache(paths: Iterable[FastPath], beams: int, capacity: int) -> Any:
    """The cache ``generate`` is handed with ``paths`` engaged: beam-shared cross keys and values if a path needs
    them, a self-attention cache preallocated for ``capacity`` positions if one is engaged; ``None`` (transformers
    builds its own) if neither."""
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    paths = list(paths)
    self_attention = preallocated_cache(capacity) if any(p.self_cache for p in paths) else DynamicCache()
    if any(p.beam_cache for p in paths):
        return beam_shared_cross_cache(beams, self_attention)
    if any(p.self_cache for p in paths):
        return EncoderDecoderCache(self_attention, DynamicCache())
    return None


@contextmanager
def fast_paths(model: Any, paths: Iterable[FastPath]) -> Iterator[list[str]]:
    """Engage ``paths`` on ``model`` for the ``with`` block; the sorted names of those that patched a module or
    are a cache (which takes effect through the cache handed to ``generate``, see ``decoding_cache``).

    Patches are set on module instances and removed on exit, so the stock model (and the docs
    recipe run with it) is left as transformers made it.
    """
    targets = [(module, path.name, forward) for path in paths for module, forward in path.targets(model)]
    for module, _, forward in targets:
        # An instance attribute shadows the class's forward for this module only.
        module.forward = functools.partial(forward, module)
    try:
        yield sorted({name for _, name, _ in targets} | {path.name for path in paths if path.self_cache})
    finally:
        for module, _, _ in targets:
            del module.forward

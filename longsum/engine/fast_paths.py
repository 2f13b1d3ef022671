"""Fast paths, family-agnostic: the beam-shared cross-attention cache and engaging a family's paths on a model.

The paths themselves live in the family modules (``engine/families``), each declaring the model classes it serves.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from longsum.engine.families.base import FastPath


@functools.cache
def _beam_shared_cross_cache_class() -> type:
    # Built on first use so importing longsum does not import transformers.
    from transformers.cache_utils import EncoderDecoderCache

    class BeamSharedCrossCache(EncoderDecoderCache):
        """An ``EncoderDecoderCache`` holding one cross-attention key/value row per input, not per beam."""

        def __init__(self, beams: int) -> None:
            from transformers.cache_utils import DynamicCache

            super().__init__(DynamicCache(), DynamicCache())
            self.beams = beams

        def reorder_cache(self, beam_idx: Any) -> None:
            self.self_attention_cache.reorder_cache(beam_idx)

    return BeamSharedCrossCache


def beam_shared_cross_cache(beams: int) -> Any:
    """A fresh encoder-decoder cache for beam search that keeps each input's cross keys/values once.

    All beams of one input attend to the same encoder outputs, so their cross-attention keys and
    values are identical, and beam search only reorders beams within one input. transformers
    nevertheless stores them once per beam and ``index_select``s them at every step: for
    LongT5-large, 2 documents x 2 beams x 16,384 tokens, about 6 GB moved per step. This cache
    leaves the cross half alone when reordering, and, with ``fast_paths`` engaged, the decoder's
    cross-attention stores one row per input and reads it for all its beams at once.
    """
    return _beam_shared_cross_cache_class()(beams)


@contextmanager
def fast_paths(model: Any, paths: Iterable[FastPath]) -> Iterator[list[str]]:
    """Engage ``paths`` on ``model`` for the ``with`` block; the sorted names of those that patched a module.

    Patches are set on module instances and removed on exit, so the stock model (and the docs
    recipe run with it) is left as transformers made it.
    """
    targets = [(module, path.name, forward) for path in paths for module, forward in path.targets(model)]
    for module, _, forward in targets:
        # An instance attribute shadows the class's forward for this module only.
        module.forward = functools.partial(forward, module)
    try:
        yield sorted({name for _, name, _ in targets})
    finally:
        for module, _, _ in targets:
            del module.forward

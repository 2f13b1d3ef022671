"""The decoder's self-attention cache, preallocated: keys and values written in place, beams reordered in place.

transformers' ``DynamicCache`` grows each layer's keys and values by concatenation, copying the whole cache at
every step, and reorders it for beam search with an ``index_select`` into fresh tensors: at LongT5-base widths and
256 new tokens, about a tenth of a decoding step, and a stream of freshly faulted pages. This cache allocates each
layer's room once, appends in place, and on a reorder copies only the rows whose beam changed. The attention reads
a prefix view of that room, whose matrices have the rows of the stock cache's (checked at load time against stock
transformers, like every fast path).
"""

from __future__ import annotations

import functools
from typing import Any, cast


@functools.cache
def _preallocated_cache_class() -> type:
    # Built on first use so importing longsum does not import transformers.
    from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

    class PreallocatedLayer(DynamicLayer):
        """A ``DynamicLayer`` whose keys and values are prefix views of room allocated once, grown by doubling."""

        def __init__(self, capacity: int) -> None:
            super().__init__()
            self.capacity = capacity
            self.room: tuple[Any, Any] | None = None

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            """Append ``key_states``/``value_states`` along the sequence in place; the keys and values so far."""
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            length = self.get_seq_length()
            end = length + key_states.shape[-2]
            if self.room is None or not self._owns_views() or end > self.room[0].shape[-2]:
                capacity = self.capacity if end <= self.capacity else 2 * end
                self.room = (
                    _room(self.keys, key_states, length, capacity),
                    _room(self.values, value_states, length, capacity),
                )
            for store, new in zip(self.room, (key_states, value_states), strict=True):
                store[:, :, length:end].copy_(new)
            self.keys, self.values = (store[:, :, :end] for store in self.room)
            return self.keys, self.values

        def _owns_views(self) -> bool:
            # transformers' batch selection and repetition replace the views with fresh tensors.
            assert self.room is not None
            store = self.room[0]
            keys: Any = self.keys
            return keys.shape[0] == store.shape[0] and keys.data_ptr() == store.data_ptr()

        def reorder_moved(self, moved: Any, sources: Any) -> None:
            """Rows ``moved`` take the keys and values of rows ``sources``, in place."""
            if self.get_seq_length() > 0 and len(moved):
                for views in (self.keys, self.values):
                    # Gathered before written, so a row that is both a source and moved is read first.
                    cast(Any, views)[moved] = cast(Any, views)[sources]

    class PreallocatedCache(DynamicCache):
        """A ``DynamicCache`` of ``PreallocatedLayer``s, each with room for ``capacity`` positions to begin with."""

        def __init__(self, capacity: int) -> None:
            # A partial stands in for the layer class: transformers only calls it.
            Cache.__init__(self, layer_class_to_replicate=cast(Any, functools.partial(PreallocatedLayer, capacity)))

        def reorder_cache(self, beam_idx: Any) -> None:
            """Beam search's reorder: each row takes row ``beam_idx[row]``; only the rows that change are copied."""
            import torch

            rows = torch.arange(len(beam_idx), device=beam_idx.device)
            moved = torch.nonzero(beam_idx != rows).squeeze(1)
            sources = beam_idx[moved]
            for layer in self.layers:
                cast(Any, layer).reorder_moved(moved, sources)

    return PreallocatedCache


def _room(current: Any, new: Any, length: int, capacity: int) -> Any:
    """Room for ``capacity`` positions of rows shaped like ``new``, holding the first ``length`` of ``current``."""
    import torch

    shape = (new.shape[0], new.shape[1], capacity, new.shape[-1])
    store = torch.empty(shape, dtype=new.dtype, device=new.device)
    if length:
        store[:, :, :length].copy_(current[:, :, :length])
    return store


def preallocated_cache(capacity: int) -> Any:
    """A fresh self-attention cache with room for ``capacity`` positions per layer (more is allocated if needed)."""
    return _preallocated_cache_class()(capacity)

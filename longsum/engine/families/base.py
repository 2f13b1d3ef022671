"""What a model family is: its recipe quirks, input-position limit, fast paths and tiny test checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from longsum.errors import LongsumError

#: The longest input longsum feeds any model unless told otherwise (the LongT5 PubMed recipe's limit).
DEFAULT_INPUT_LIMIT = 16384


@dataclass(frozen=True)
class FastPath:
    """A cheaper form of some transformers modules, declared for the model classes it was written and tested for.

    Attributes:
        name: recorded in metrics.json and the bench JSON when engaged.
        model_classes: the ``type(model).__name__`` values it serves; any other class runs stock transformers.
        targets: ``(module, replacement forward)`` pairs to patch on a loaded model (the forward takes the
            module first).
        applies: whether it serves this model instance (e.g. only in fp16).
        beam_cache: whether it needs longsum's beam-shared cross-attention cache to take effect.
    """

    name: str
    model_classes: tuple[str, ...]
    targets: Callable[[Any], list[tuple[Any, Callable[..., Any]]]]
    applies: Callable[[Any], bool] = lambda model: True
    beam_cache: bool = False

    def serves(self, model: Any) -> bool:
        """Whether this path was written for ``model``'s class and applies to it."""
        return type(model).__name__ in self.model_classes and self.applies(model)


class Family:
    """A model family's defaults; each family module subclasses it and overrides what differs.

    Attributes:
        name: the family's registry key, recorded with every result.
        model_types: the ``config.model_type`` values it serves.
        limit_keys: config attributes naming the encoder's position limit, first found wins.
        padding_sensitive: whether the family's outputs change when an input is padded (so its fidelity
            reference is each document alone, unpadded).
        builtin: the ``builtin:`` name of its tiny random checkpoint, if it has one.
    """

    name = "generic"
    model_types: tuple[str, ...] = ()
    limit_keys: tuple[str, ...] = ("max_position_embeddings",)
    padding_sensitive = False
    builtin: str | None = None

    def position_limit(self, config: Any) -> int | None:
        """The most input positions the encoder supports, as its config states it; ``None`` when unbounded."""
        for key in self.limit_keys:
            value = getattr(config, key, None)
            if isinstance(value, int) and value > 0:
                return value
        return None

    def encoder_inputs(self, input_ids: Any, attention_mask: Any) -> dict[str, Any]:
        """Extra encoder arguments the family's model card passes beside ids and mask (none by default)."""
        return {}

    def fast_paths(self) -> tuple[FastPath, ...]:
        """The fast paths written for this family's models."""
        return ()

    def build_tiny(self, tokenizer: Any) -> Any:
        """A tiny random model of this family for ``tokenizer``'s vocabulary (only families with a ``builtin``)."""
        raise NotImplementedError(f"no tiny {self.name} model")


FAMILIES: dict[str, Family] = {}


def register(family: type[Family]) -> type[Family]:
    """Class decorator: add one instance of ``family`` to the registry under its name."""
    FAMILIES[family.name] = family()
    return family


def family_for(config: Any) -> Family:
    """The family serving ``config.model_type``; the generic family (stock transformers) for any other."""
    for family in FAMILIES.values():
        if config.model_type in family.model_types:
            return family
    return FAMILIES["generic"]


#: Random BART-style weights at the default ``init_std`` (0.02) give the same summary for every input; at
#: this scale the summaries depend on the input, which the fidelity tests need to mean anything.
TINY_INIT_STD = 0.5


def tiny_config(tokenizer: Any) -> dict[str, Any]:
    """Config arguments every tiny BART-style model shares: 2+2 layers 64 wide, ``tokenizer``'s ids, ``TINY_INIT_STD``."""
    return {
        "vocab_size": len(tokenizer), "d_model": 64, "encoder_layers": 2, "decoder_layers": 2,
        "encoder_attention_heads": 2, "decoder_attention_heads": 2, "encoder_ffn_dim": 128, "decoder_ffn_dim": 128,
        **special_ids(tokenizer), "init_std": TINY_INIT_STD,
    }


def special_ids(tokenizer: Any) -> dict[str, Any]:
    """Config special-token ids for a tiny model on longsum's T5-style tokenizer: no <s>, decoding starts at <pad>."""
    return {
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": None,
        "decoder_start_token_id": tokenizer.pad_token_id,
        "forced_eos_token_id": None,
    }


def input_limit(family: Family, config: Any, requested: int | None) -> int:
    """The input limit in force: ``requested``, else the smaller of 16,384 and the model's own position limit.

    Raises:
        LongsumError: ``requested`` exceeds the model's position limit (it would fail deep in the model).
    """
    own = family.position_limit(config)
    if requested is None:
        return min(DEFAULT_INPUT_LIMIT, own) if own else DEFAULT_INPUT_LIMIT
    if own is not None and requested > own:
        raise LongsumError(
            f"--max-input-tokens {requested} is more than this {family.name} model's {own} input positions; "
            f"use at most {own}, or leave it out to use the model's limit"
        )
    return requested


def shared_cross_keys_values(cache: Any, layer: int, key_value_states: Any, beams: int, projections: tuple[Any, Any], heads: int) -> tuple[Any, Any]:
    """Cross-attention keys and values of decoder layer ``layer``, (inputs, heads, keys, dim), one row per input.

    Read from the beam-shared cache after the first step; on the first, the key and value ``projections`` of each
    input's encoder outputs, split into ``heads``, are stored there.
    """
    stored = cache.cross_attention_cache
    if cache.is_updated.get(layer):
        return stored.layers[layer].keys, stored.layers[layer].values
    # transformers repeats each input's encoder outputs once per beam; every beams-th row is the input.
    shared = key_value_states[::beams]
    keys, values = (proj(shared).view(shared.shape[0], shared.shape[1], heads, -1).transpose(1, 2) for proj in projections)
    keys, values = stored.update(keys, values, layer)
    cache.is_updated[layer] = True
    return keys, values


#: Bytes of cross keys (or values) one group of heads spans: small enough to stay in a CPU's last-level cache
#: while every beam reads them (measured best of 2-16 MB on a 32 MB cache).
KEY_GROUP_BYTES = 8 << 20


def attend_per_beam(query: Any, keys: Any, values: Any, mask: Any, scaling: float = 1.0) -> Any:
    """Each beam's attention to its input's shared keys and values: (inputs, beams, heads, steps, dim).

    ``query`` is (inputs, beams, heads, steps, dim); ``keys``/``values`` (inputs, heads, keys, dim); ``mask``, one
    row per input, is added to the scores. Both products are one per beam, each of the stock path's shape, so
    they round as stock's do (a single product over all beams' queries rounds differently: it flipped a beam of
    the trained LongT5 demonstration model). They run a group of heads at a time, every beam in turn, so after
    the first beam the others read the group's keys and values from the cache instead of memory.
    """
    import torch

    inputs, beams, heads, steps, dim = query.shape
    length, pairs = keys.shape[2], inputs * heads
    # A group is (input, head) pairs: on a CPU at least one per thread (fewer leaves a thread idle); a GPU gains
    # nothing from the groups.
    group = max(torch.get_num_threads(), KEY_GROUP_BYTES // (length * dim * keys.element_size()))
    if keys.device.type != "cpu":
        group = pairs
    groups = [slice(start, start + group) for start in range(0, pairs, group)]
    beam_query = query.transpose(0, 1).reshape(beams, pairs, steps, dim)
    scores = _products_by_group(beam_query, keys.reshape(pairs, length, dim).transpose(1, 2), groups, length)
    scores = scores.view(beams, inputs, heads, steps, length) * scaling
    if mask is not None:
        scores = scores + mask[None]
    probs = torch.nn.functional.softmax(scores, dim=-1).view(beams, pairs, steps, length)
    out = _products_by_group(probs, values.reshape(pairs, length, dim), groups, dim)
    return out.view(beams, inputs, heads, steps, dim).transpose(0, 1)


def _products_by_group(left: Any, right: Any, groups: list[slice], width: int) -> Any:
    """``left[beam] @ right`` for every beam, as (beams, pairs, steps, ``width``), one group of pairs at a time."""
    import torch

    out = torch.empty(*left.shape[:-1], width, dtype=left.dtype, device=left.device)
    for part in groups:
        for beam in range(left.shape[0]):
            torch.matmul(left[beam, part], right[part], out=out[beam, part])
    return out

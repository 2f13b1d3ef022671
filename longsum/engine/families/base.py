"""What a model family is: its recipe quirks, input-position limit, fast paths and tiny test checkpoint."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
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
        self_cache: whether it is longsum's preallocated self-attention cache, which patches no module: ``generate``
            is handed the cache.
        check: a load-time check of its own beside the decoding comparison, for what that comparison's one
            batch shape cannot show (e.g. every row count the path serves); it passes by default.
    """

    name: str
    model_classes: tuple[str, ...]
    targets: Callable[[Any], list[tuple[Any, Callable[..., Any]]]]
    applies: Callable[[Any], bool] = lambda model: True
    beam_cache: bool = False
    self_cache: bool = False
    check: Callable[[Any], bool] = lambda model: True

    def serves(self, model: Any) -> bool:
        """Whether this path was written for ``model``'s class and applies to it."""
        return type(model).__name__ in self.model_classes and self.applies(model)

    def engages(self, model: Any) -> bool:
        """Whether it serves ``model`` and has something to engage on it: modules to patch, or its cache."""
        return self.serves(model) and (self.self_cache or bool(self.targets(model)))


def preallocated_self_attention_cache(model_classes: tuple[str, ...]) -> FastPath:
    """The preallocated self-attention cache (``engine/self_attention_cache.py``) for the decoders of
    ``model_classes``, whose self-attention reads and appends its cache through ``Cache.update``."""
    return FastPath("preallocated-self-attention-cache", model_classes, lambda model: [], self_cache=True)


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

    def padded_like(self, length: int) -> contextlib.AbstractContextManager[None]:
        """Within the block, the fast paths round an unpadded input as an input padded to ``length`` rounds.

        Nothing by default: a family whose recipe pads, and whose kernels round by the padded length, says how.
        """
        return contextlib.nullcontext()

    def unpadded_warning(self, model: Any, engaged: Sequence[str]) -> str | None:
        """A warning when ``model``, with the fast paths named ``engaged``, rounds an unpadded input otherwise than
        the recipe's padded one (``padded_like`` cannot serve); ``None`` by default."""
        return None

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

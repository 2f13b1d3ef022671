"""Benchmark checkpoints: random LongT5s, and a random decoder-only model, with the widths of real ones, whose
decoding runs every step asked for.

A random model at a real width and default init emits the end (or pad) token at once, or one
token over and over, so a benchmark on it never times the decoder, which dominates real PubMed
runs. These checkpoints keep the decoder going with varied tokens: weights at 10x the init scale
make each step's choice depend on the input and on the tokens so far (measured: 24-25 distinct
tokens in 24 steps, against 1 at the default scale), and every id the tokenizer cannot turn
back into text (end, pad, special ids, the unused rows of the 32k vocabulary) has a zero
embedding, hence a zero logit, far below the top real tokens' logits. Decoding therefore runs to
``--max-new-tokens`` (the reports count the tokens). Their summaries are nonsense; their matrix
shapes, and so their cost, are those of LongT5-base or -large. The decoder-only shape keeps its real model's whole
vocabulary and zeroes the output rows of every id that is not text, so its decoding runs every step too.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from longsum.errors import LongsumError
from longsum.summarizers import builtin
from longsum.summarizers.causal_builtin import CausalSpec, build_tiny_causal

PREFIX = "shape:"
#: Bump when the recipe below changes, so stale caches are rebuilt rather than reused.
RECIPE_VERSION = 1
ATTENTIONS = {"transient-global": "", "local": "-local"}


@dataclass(frozen=True)
class Shape:
    """The matrix shapes of a real LongT5 size; ``num_layers`` of its ``real_layers`` are built."""

    d_model: int
    d_kv: int
    d_ff: int
    num_heads: int
    real_layers: int
    num_layers: int = 4
    vocab_size: int = 32128
    initializer_factor: float = 10.0
    seed: int = 0


#: The widths of google/long-t5-tglobal-base and -large (their configs), with 4 + 4 layers.
SHAPES = {
    "base": Shape(d_model=768, d_kv=64, d_ff=2048, num_heads=12, real_layers=12),
    "large": Shape(d_model=1024, d_kv=64, d_ff=2816, num_heads=16, real_layers=24),
}


@dataclass(frozen=True)
class CausalShape:
    """The matrix shapes of a real decoder-only model; ``spec.num_layers`` of its ``real_layers`` are built, with
    its whole vocabulary (the output layer is most of a small model's decoding cost)."""

    spec: CausalSpec
    real_layers: int


#: The widths of Qwen/Qwen2.5-0.5B-Instruct (its config: 896 wide, 14 query and 2 key/value heads of 64, a 4,864-wide
#: MLP, 151,936 tokens, tied embeddings), with 4 of its 24 layers; at the family's init scale, as the real model.
CAUSAL_SHAPES = {
    "qwen2.5-0.5b": CausalShape(
        CausalSpec(
            "qwen2",
            hidden_size=896,
            intermediate_size=4864,
            num_layers=4,
            num_heads=14,
            num_kv_heads=2,
            head_dim=64,
            context=32768,
            initializer_range=0.02,
            model_vocab=151936,
        ),
        real_layers=24,
    ),
}


def shape_model_name(shape: str, attention: str) -> str:
    """The model of ``shape`` with ``attention``: ``shape:base`` (transient-global), ``shape:base-local``, ...

    ``tiny`` names the built-in tiny models, kept as they are.

    Raises:
        LongsumError: an unknown shape or attention type.
    """
    if attention not in ATTENTIONS:
        raise LongsumError(f"unknown --attention {attention!r}; choose {' or '.join(ATTENTIONS)}")
    if shape == "tiny":
        return "builtin:tglobal" if attention == "transient-global" else "builtin:local"
    if shape in CAUSAL_SHAPES:
        if attention != "transient-global":
            raise LongsumError(f"--attention is LongT5's encoder attention; --shape {shape} has no encoder")
        return f"{PREFIX}{shape}"
    if shape not in SHAPES:
        raise LongsumError(f"unknown --shape {shape!r}; choose tiny, {', '.join([*SHAPES, *CAUSAL_SHAPES])}")
    return f"{PREFIX}{shape}{ATTENTIONS[attention]}"


def shape_names() -> list[str]:
    """Every benchmark checkpoint's name."""
    longt5 = [f"{PREFIX}{shape}{suffix}" for shape in SHAPES for suffix in ATTENTIONS.values()]
    return [*longt5, *(f"{PREFIX}{shape}" for shape in CAUSAL_SHAPES)]


def is_shape_model(name: str) -> bool:
    """Whether ``name`` names a benchmark checkpoint."""
    return name.startswith(PREFIX)


def parse_shape_model(name: str) -> tuple[str, Shape, str]:
    """The shape name, its spec and the attention type of model ``name``.

    Raises:
        LongsumError: ``name`` is not a known benchmark checkpoint.
    """
    for shape, spec in SHAPES.items():
        for attention, suffix in ATTENTIONS.items():
            if name == f"{PREFIX}{shape}{suffix}":
                return shape, spec, attention
    raise LongsumError(f"unknown benchmark model {name!r}; choose one of {', '.join(shape_names())}")


def describe_shape(name: str) -> dict[str, Any]:
    """What a benchmark checkpoint is, for reports: its spec and how many of the real layers it has."""
    causal = CAUSAL_SHAPES.get(name.removeprefix(PREFIX))
    if causal is not None:
        return {"shape": name.removeprefix(PREFIX), **asdict(causal.spec), "real_layers": causal.real_layers}
    shape, spec, attention = parse_shape_model(name)
    return {"shape": shape, "attention": attention, **asdict(spec)}


def _silence_unprintable(model: Any, tokenizer: Any) -> None:
    """Zero the embedding of every id that decodes to no text, so that no step picks one."""
    import torch

    printable = torch.zeros(model.config.vocab_size, dtype=torch.bool)
    printable[: len(tokenizer)] = True
    printable[tokenizer.all_special_ids] = False
    with torch.no_grad():
        # The embedding is tied to the output layer (LongT5 always ties them), so a zero row is a zero logit.
        model.shared.weight[~printable] = 0.0


def _silence_unprintable_output(model: Any, tokenizer: Any) -> None:
    """Zero the output row of every id that decodes to no text (end and special ids, the vocabulary past the
    tokenizer's), so that decoding runs to ``--max-new-tokens`` on a random model."""
    import torch

    printable = torch.zeros(model.config.vocab_size, dtype=torch.bool)
    printable[: len(tokenizer)] = True
    printable[tokenizer.all_special_ids] = False
    with torch.no_grad():
        model.get_output_embeddings().weight[~printable] = 0.0


def build_shape_causal(dest: Path, shape: CausalShape) -> Path:
    """Write a random decoder-only model of ``shape``'s widths with its family's built-in tokenizer to ``dest``."""
    return build_tiny_causal(dest, shape.spec, builtin.corpus_path(), adjust=_silence_unprintable_output)


def build_shape_longt5(dest: Path, spec: Shape, attention: str) -> Path:
    """Write a random LongT5 of ``spec``'s widths with the built-in tokenizer to ``dest`` via ``save_pretrained``."""
    return builtin.save_random_longt5(
        dest,
        spec,
        adjust=_silence_unprintable,
        vocab_size=spec.vocab_size,
        encoder_attention_type=attention,
        feed_forward_proj="gated-gelu",
        # As in the real v1.1-style checkpoints: no d_model ** -0.5 before the output layer.
        tie_word_embeddings=False,
    )


def shape_checkpoint(name: str) -> Path:
    """The local directory of benchmark checkpoint ``name``, built on first use and cached.

    Raises:
        LongsumError: ``name`` is not a known benchmark checkpoint.
    """
    causal = CAUSAL_SHAPES.get(name.removeprefix(PREFIX))
    if causal is not None:
        digest = hashlib.sha256(repr(causal).encode() + builtin.corpus_path().read_bytes()).hexdigest()[:12]
        target = builtin.cache_root() / f"shape-{name.removeprefix(PREFIX)}-v{RECIPE_VERSION}-{digest}"
        return builtin.build_once(target, lambda staging: build_shape_causal(staging, causal))
    shape, spec, attention = parse_shape_model(name)
    digest = hashlib.sha256(repr((spec, attention)).encode() + builtin.corpus_path().read_bytes()).hexdigest()[:12]
    target = builtin.cache_root() / f"shape-{shape}-{attention}-v{RECIPE_VERSION}-{digest}"
    return builtin.build_once(target, lambda staging: build_shape_longt5(staging, spec, attention))

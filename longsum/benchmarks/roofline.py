"""The roofline of a run: the encoder's FLOPs and decoding's minimum bytes, counted from a LongT5 config.

Counts are the work the model must do for the real input lengths, whatever a run pads: an
encoder at the FLOP/s ceiling, or decoding at the memory-bandwidth ceiling, would take
``flops / peak`` or ``bytes / bandwidth`` seconds, and a run's fraction of the ceiling is that
over its measured seconds. A multiply-add is 2 FLOPs; layer norms, softmax and activations are
left out (a few percent at real widths).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dims:
    """What the counts need from a LongT5 config (``inner`` is heads x d_kv)."""

    d_model: int
    inner: int
    d_ff: int
    gated: bool
    encoder_layers: int
    decoder_layers: int
    vocab: int
    attention: str
    block_len: int
    global_block_size: int
    itemsize: int

    @classmethod
    def of(cls, config: Any, itemsize: int) -> Dims:
        """The dims of a transformers ``LongT5Config`` with weights of ``itemsize`` bytes."""
        return cls(
            d_model=config.d_model,
            inner=config.num_heads * config.d_kv,
            d_ff=config.d_ff,
            gated=bool(getattr(config, "is_gated_act", False)),
            encoder_layers=config.num_layers,
            decoder_layers=config.num_decoder_layers,
            vocab=config.vocab_size,
            attention=config.encoder_attention_type,
            block_len=config.local_radius + 1,
            global_block_size=config.global_block_size,
            itemsize=itemsize,
        )

    @property
    def ffn_weights(self) -> int:
        """Weights of one feed-forward layer: two input matrices when gated, one otherwise, and the output."""
        return (3 if self.gated else 2) * self.d_model * self.d_ff


def encoder_flops(dims: Dims, length: int) -> float:
    """FLOPs of the encoder on one input of ``length`` tokens.

    Per token and layer: the q, k, v, o projections and the feed-forward, and attention over
    3 blocks of local keys (as LongT5 computes it, block by block), plus for transient-global
    the ``ceil(length / global_block_size)`` global keys and their k, v projections.
    """
    keys = 3 * dims.block_len
    side = 0
    if dims.attention == "transient-global":
        side = math.ceil(length / dims.global_block_size)
        keys += side
    per_token = 2 * (4 * dims.d_model * dims.inner + dims.ffn_weights) + 2 * 2 * dims.inner * keys
    per_layer = length * per_token + side * 2 * 2 * dims.d_model * dims.inner
    return float(dims.encoder_layers * per_layer)


def cross_projection_flops(dims: Dims, length: int) -> float:
    """FLOPs of projecting one input's encoder outputs to every decoder layer's cross keys and values.

    Done once per document at decoding's first step, and bound by FLOP/s, not bandwidth.
    """
    return float(dims.decoder_layers * 2 * 2 * dims.d_model * dims.inner * length)


def decoding_bytes(dims: Dims, batches: Sequence[Sequence[tuple[int, int]]], beams: int) -> float:
    """The least memory traffic of decoding ``batches`` of (input tokens, generated tokens) pairs.

    At each step of a batch (as many as its longest output) every weight used per step is read
    once: each decoder layer's self-attention (q, k, v, o), cross-attention q and o (its k and v
    project the encoder outputs once, not per step) and feed-forward, and the output layer. Each
    document adds, at each of its own steps, one copy of its cross keys/values, which its beams
    share, and its beams' self-attention keys/values so far.
    """
    layer_weights = 6 * dims.d_model * dims.inner + dims.ffn_weights
    weights = dims.decoder_layers * layer_weights + dims.vocab * dims.d_model
    kv_row = 2 * dims.decoder_layers * dims.inner  # keys and values, every layer, one position
    total = 0
    for batch in batches:
        steps = max((generated for _, generated in batch), default=0)
        total += steps * weights
        for length, generated in batch:
            total += generated * length * kv_row
            # Step t reads the t positions cached before it, for each beam.
            total += beams * kv_row * generated * (generated - 1) // 2
    return float(total * dims.itemsize)


def against_ceiling(
    phase: str, unit: str, amount: float, seconds: float, ceiling_name: str, ceiling: float
) -> dict[str, float | None]:
    """``amount`` of ``unit`` (FLOPs or bytes) done by ``phase`` in ``seconds``: the amount, the seconds, the achieved
    rate, and its fraction of ``ceiling`` (``None`` where a rate cannot be had)."""
    achieved = amount / seconds if seconds > 0 else None
    return {
        f"{phase}_{unit}": amount,
        f"{phase}_seconds": seconds,
        f"{phase}_{unit}_per_second": achieved,
        f"{phase}_fraction_of_{ceiling_name}": achieved / ceiling if achieved and ceiling else None,
    }


def roofline(
    dims: Dims,
    batches: Sequence[Sequence[tuple[int, int]]],
    beams: int,
    encode_seconds: float,
    decode_seconds: float,
    peak_flops: float,
    bandwidth: float,
) -> dict[str, float | None]:
    """The encoder's FLOPs and achieved FLOP/s, decoding's bytes and achieved bandwidth, and each as a fraction
    of the ceiling.

    Decoding also projects each input's cross keys and values once, a FLOP-bound matmul:
    ``decoding_fraction_of_roofline`` sets its seconds against bytes / bandwidth plus those FLOPs / peak.
    """
    lengths = [length for batch in batches for length, _ in batch]
    flops = sum(encoder_flops(dims, length) for length in lengths)
    cross = sum(cross_projection_flops(dims, length) for length in lengths)
    moved = decoding_bytes(dims, batches, beams)
    # Decoding at the limit: its bytes at full bandwidth plus the cross projections at full FLOP/s.
    least_decoding = moved / bandwidth + cross / peak_flops if bandwidth and peak_flops else 0.0
    return {
        **against_ceiling("encoder", "flops", flops, encode_seconds, "peak_flops", peak_flops),
        **against_ceiling("decoding", "bytes", moved, decode_seconds, "bandwidth", bandwidth),
        "cross_projection_flops": cross,
        "decoding_fraction_of_roofline": least_decoding / decode_seconds
        if decode_seconds > 0 and least_decoding
        else None,
    }


@dataclass(frozen=True)
class CausalDims:
    """What the counts need from a decoder-only config (Llama, Qwen2, Mistral: gated MLP, grouped key/value heads)."""

    hidden: int
    #: Query heads x head dim, and key/value heads x head dim.
    inner: int
    kv_inner: int
    intermediate: int
    layers: int
    vocab: int
    itemsize: int

    @classmethod
    def of(cls, config: Any, itemsize: int) -> CausalDims:
        """The dims of a transformers Llama-style config with weights of ``itemsize`` bytes."""
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
        return cls(
            hidden=config.hidden_size,
            inner=config.num_attention_heads * head_dim,
            kv_inner=kv_heads * head_dim,
            intermediate=config.intermediate_size,
            layers=config.num_hidden_layers,
            vocab=config.vocab_size,
            itemsize=itemsize,
        )

    @property
    def layer_weights(self) -> int:
        """Weights of one layer: q and o, k and v (grouped), and the gated MLP's three matrices."""
        return 2 * self.hidden * self.inner + 2 * self.hidden * self.kv_inner + 3 * self.hidden * self.intermediate


def prefill_flops(dims: CausalDims, length: int) -> float:
    """FLOPs of one prompt's prefill of ``length`` tokens: every layer's projections and MLP for each token,
    causal attention (each token attends to itself and those before it), and the output layer for the last
    token only (the one whose logits pick the first summary token)."""
    per_layer = 2 * length * dims.layer_weights + 2 * 2 * dims.inner * length * (length + 1) // 2
    return float(dims.layers * per_layer + 2 * dims.hidden * dims.vocab)


def causal_decoding_bytes(dims: CausalDims, batches: Sequence[Sequence[tuple[int, int]]], beams: int) -> float:
    """The least memory traffic of decoding each prompt of ``batches`` of (prompt tokens, generated tokens) pairs.

    The prefill yields each summary's first token; every later step reads every weight once (the layers and the
    output layer) and, for each beam, the keys and values cached so far.
    """
    weights = dims.layers * dims.layer_weights + dims.vocab * dims.hidden
    kv_row = 2 * dims.layers * dims.kv_inner  # keys and values, every layer, one position
    total = 0
    for batch in batches:
        for length, generated in batch:
            steps = max(0, generated - 1)
            total += steps * weights
            # Step t (from 1) reads the prompt and the t tokens before it.
            total += beams * kv_row * (steps * length + steps * (steps + 1) // 2)
    return float(total * dims.itemsize)


def causal_roofline(
    dims: CausalDims,
    batches: Sequence[Sequence[tuple[int, int]]],
    beams: int,
    prefill_seconds: float,
    decode_seconds: float,
    peak_flops: float,
    bandwidth: float,
) -> dict[str, float | None]:
    """The prefill's FLOPs and achieved FLOP/s, decoding's bytes and achieved bandwidth, and each as a fraction of
    the ceiling, for a decoder-only model."""
    flops = sum(prefill_flops(dims, length) for batch in batches for length, _ in batch)
    moved = causal_decoding_bytes(dims, batches, beams)
    return {
        **against_ceiling("prefill", "flops", flops, prefill_seconds, "peak_flops", peak_flops),
        **against_ceiling("decoding", "bytes", moved, decode_seconds, "bandwidth", bandwidth),
    }

"""Whether padding a batch's cross-attention keys changes a model's summaries, and the batching that avoids it.

longsum encodes each document alone, so the only padding in a dynamic batch is in the decoder's cross-attention
keys: the encoder outputs padded to the batch's longest input. torch's ``scaled_dot_product_attention`` (SDPA) on
the CPU rounds a query's output by the padded length of its keys (measured with torch 2.13 in bf16: 23 of 39
shapes gave other bits with the keys padded by 37 masked positions), though not by the batch size nor by an
all-true mask (0 of 39). In bf16 those last bits decide beams, so there dynamic batches hold documents of one
input length only: each document is then decoded with the bits it gets alone. fp32 batches are not changed:
there the same rounding rarely decides a beam (docs/bf16-on-cpu.md).
"""

from __future__ import annotations

from typing import Any

from longsum.config import BatchSettings
from longsum.engine.loading import LoadedModel

#: The attention implementations (``config._attn_implementation``) whose CPU kernel rounds by the padded key length.
PADDING_ROUNDED_ATTENTION = ("sdpa",)
#: The (device, dtype) in which that rounding is known to change summaries.
PADDING_ROUNDED_RUNS = (("cpu", "bf16"),)


def cross_attention_implementation(model: Any) -> str | None:
    """The attention implementation of ``model``'s decoder (whose cross-attention sees the padding), as its config
    names it."""
    decoder = model.get_decoder() if hasattr(model, "get_decoder") else model
    config = getattr(decoder, "config", None) or model.config
    return getattr(config, "_attn_implementation", None)


def rounds_by_key_padding(loaded: LoadedModel) -> bool:
    """Whether padding the cross-attention keys changes ``loaded``'s summaries: SDPA attention, bf16 on the CPU."""
    return (loaded.device, loaded.dtype) in PADDING_ROUNDED_RUNS and cross_attention_implementation(
        loaded.model
    ) in PADDING_ROUNDED_ATTENTION


def same_length_batches(loaded: LoadedModel, batching: BatchSettings) -> bool:
    """Whether dynamic batches of ``loaded`` must hold documents of one input length only: its summaries change
    with the key padding, and ``batching`` would batch documents of several lengths (dynamic, not one at a time)."""
    return batching.padding == "dynamic" and batching.batch_size != 1 and rounds_by_key_padding(loaded)


def same_length_warning(loaded: LoadedModel) -> str:
    """The one line saying what longsum does with the batches of such a model, and why."""
    return (
        f"{loaded.dtype} on {loaded.device}: {type(loaded.model).__name__}'s SDPA attention rounds by the padded "
        "key length, so dynamic batches hold documents of one input length only and each summary is the "
        "document's alone (--padding max-length --batch-size 2 runs the padded recipe)"
    )

"""The shared config of the tiny random checkpoints: widths, special ids and the init scale of every tiny
BART-style model."""

from __future__ import annotations

from typing import Any

#: Random BART-style weights at the default ``init_std`` (0.02) give the same summary for every input; at
#: this scale the summaries depend on the input, which the fidelity tests need to mean anything.
TINY_INIT_STD = 0.5


def tiny_config(tokenizer: Any) -> dict[str, Any]:
    """Config arguments every tiny BART-style model shares: 2+2 layers 64 wide, ``tokenizer``'s ids and
    ``TINY_INIT_STD``."""
    return {
        "vocab_size": len(tokenizer),
        "d_model": 64,
        "encoder_layers": 2,
        "decoder_layers": 2,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "encoder_ffn_dim": 128,
        "decoder_ffn_dim": 128,
        **special_ids(tokenizer),
        "init_std": TINY_INIT_STD,
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

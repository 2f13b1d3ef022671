"""The tiny BART-style models' shared config: widths, longsum's tokenizer's ids, and an init scale that reaches the
weights."""

import pytest
import torch
from fakes import IdsOnlyTokenizer

from longsum.engine.families.tiny import TINY_INIT_STD, special_ids, tiny_config


def test_every_tiny_model_is_2_plus_2_layers_64_wide_on_the_tokenizer_s_ids():
    assert tiny_config(IdsOnlyTokenizer()) == {
        "vocab_size": 100,
        "d_model": 64,
        "encoder_layers": 2,
        "decoder_layers": 2,
        "encoder_attention_heads": 2,
        "decoder_attention_heads": 2,
        "encoder_ffn_dim": 128,
        "decoder_ffn_dim": 128,
        "pad_token_id": 0,
        "eos_token_id": 1,
        "bos_token_id": None,
        "decoder_start_token_id": 0,
        "forced_eos_token_id": None,
        "init_std": 0.5,
    }


def test_decoding_starts_at_pad_as_on_longsum_s_t5_style_tokenizer():
    class OtherIds(IdsOnlyTokenizer):
        pad_token_id, eos_token_id = 7, 3

    ids = special_ids(OtherIds())
    assert (ids["pad_token_id"], ids["decoder_start_token_id"], ids["eos_token_id"]) == (7, 7, 3)
    assert ids["bos_token_id"] is None and ids["forced_eos_token_id"] is None


def test_the_init_scale_reaches_the_weights():
    from transformers import BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    model = BartForConditionalGeneration(BartConfig(**tiny_config(IdsOnlyTokenizer())))
    assert TINY_INIT_STD == 0.5
    # 64 x 128 weights drawn with std 0.5 (transformers' default 0.02 would give summaries that ignore the input).
    assert model.model.encoder.layers[0].fc1.weight.std().item() == pytest.approx(0.5, abs=0.03)

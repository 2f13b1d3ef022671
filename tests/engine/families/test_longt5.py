"""LongT5: its input limit, its fast paths and whom they serve, the sync-free fp16 clamp, and chunked block
attention that keeps every value of the stock encoder."""

from types import SimpleNamespace

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.config import ModelSettings
from longsum.engine.families import FAMILIES, family_for, longt5
from longsum.engine.families.longt5 import clamp_inf_sync_free
from longsum.engine.fast_paths import fast_paths
from longsum.engine.loading import load_model

LONGT5_PATHS = FAMILIES["longt5"].fast_paths()


def test_longt5_has_no_position_table_so_the_docs_recipe_s_limit_applies():
    family = family_for(SimpleNamespace(model_type="longt5", max_position_embeddings=512))
    assert family is FAMILIES["longt5"] and family.position_limit(SimpleNamespace()) == 16384
    assert family.position_limit(SimpleNamespace(max_position_embeddings=512)) == 16384


def test_the_fp16_clamp_serves_only_half_precision_longt5():
    names = [p.name for p in LONGT5_PATHS]
    assert names == [
        "beam-shared-cross-attention",
        "chunked-local-attention",
        "chunked-transient-global-attention",
        "sync-free-fp16-clamp",
        "preallocated-self-attention-cache",
    ]
    clamp = LONGT5_PATHS[names.index("sync-free-fp16-clamp")]

    def model(class_name, dtype):
        return type(class_name, (), {"dtype": dtype})()

    assert clamp.serves(model("LongT5ForConditionalGeneration", torch.float16))
    assert not clamp.serves(model("LongT5ForConditionalGeneration", torch.bfloat16))
    assert not clamp.serves(model("T5ForConditionalGeneration", torch.float16))
    assert all(p.serves(model("LongT5ForConditionalGeneration", torch.float32)) for p in LONGT5_PATHS if p != clamp)


@pytest.mark.parametrize(
    "values",
    [[1.0, -2.0, 3.0], [float("inf"), 1.0, -float("inf")], [65000.0, 1.0, 2.0], [65000.0, float("inf"), -65000.0]],
)
def test_sync_free_clamp_equals_the_stock_check(values):
    hidden = torch.tensor(values, dtype=torch.float16)
    expected = hidden
    if torch.isinf(hidden).any():
        limit = torch.finfo(hidden.dtype).max - 1000
        expected = torch.clamp(hidden, min=-limit, max=limit)
    assert torch.equal(clamp_inf_sync_free(hidden), expected)


def padded_batch(model, lengths):
    generator = torch.Generator().manual_seed(0)
    longest = max(lengths)
    ids = torch.randint(3, model.config.vocab_size, (len(lengths), longest), generator=generator)
    mask = torch.zeros(len(lengths), longest, dtype=torch.long)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    return ids * mask, mask


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("lengths", [[5000], [700, 1300], [2048, 17, 600], [15, 300]])
def test_chunked_encoder_attention_keeps_every_value(tiny_model, lengths, dtype, monkeypatch):
    from transformers.models.longt5.modeling_longt5 import _get_local_attention_mask

    # Small chunks, so that even the short cases are cut into several.
    monkeypatch.setitem(longt5.SCORE_CHUNK_BYTES, "cpu", 1 << 20)
    model = load_model(ModelSettings(model=str(tiny_model))).model.to(dtype)
    encoder = model.get_encoder()
    attention = next(encoder.block[0].layer[0].children())
    ids, mask = padded_batch(model, lengths)
    layer_input = encoder.embed_tokens(ids)
    # The stack hands local attention a blocked mask, transient-global the plain one.
    layer_mask = (
        mask if model.config.encoder_attention_type != "local" else _get_local_attention_mask(mask, 128, ids.device)
    )
    with torch.inference_mode():
        stock_out, stock_bias = type(attention).forward(attention, layer_input, layer_mask)[:2]
        with fast_paths(model, LONGT5_PATHS):
            fast_out, fast_bias = attention(layer_input, mask=layer_mask)[:2]
            # Later layers take the bias the first one built.
            again, _ = attention(layer_input, mask=layer_mask, position_bias=fast_bias)
        stock_states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        with fast_paths(model, LONGT5_PATHS):
            fast_states = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.equal(fast_bias, stock_bias)
    assert torch.equal(fast_out, stock_out)
    assert torch.equal(again, fast_out)
    assert torch.equal(fast_states, stock_states)


@pytest.mark.parametrize("dtype", [torch.float32, pytest.param(torch.bfloat16, marks=NATIVE_BF16)])
def test_an_unpadded_input_rounds_as_the_recipe_s_padded_one(dtype):
    from transformers import LongT5Config, LongT5EncoderModel

    # LongT5-base's block and head sizes; 9,900 tokens have 618 global blocks, the recipe's 16,384 have 1,024.
    config = LongT5Config(
        vocab_size=512,
        d_model=64,
        d_kv=64,
        num_heads=1,
        d_ff=64,
        num_layers=1,
        encoder_attention_type="transient-global",
    )
    torch.manual_seed(0)
    encoder = LongT5EncoderModel(config).to(dtype).eval()
    length, limit = 9900, 16384
    ids = torch.randint(3, 512, (1, limit))
    mask = torch.zeros(1, limit, dtype=torch.long)
    mask[0, :length] = 1
    ids = ids * mask
    paths = [p for p in LONGT5_PATHS if p.name == "chunked-transient-global-attention"]
    family = FAMILIES["longt5"]
    with torch.inference_mode():
        recipe = encoder(input_ids=ids, attention_mask=mask).last_hidden_state[:, :length]
        alone = encoder(input_ids=ids[:, :length]).last_hidden_state
        with fast_paths(encoder, paths):
            fast = encoder(input_ids=ids[:, :length]).last_hidden_state
            with family.padded_like(limit):
                padded_like = encoder(input_ids=ids[:, :length]).last_hidden_state
    assert torch.equal(fast, alone)
    assert torch.equal(padded_like, recipe)
    # bf16 products round by how many keys they sum: alone, the input is not the recipe's to the bit.
    assert torch.equal(alone, recipe) == (dtype == torch.float32)

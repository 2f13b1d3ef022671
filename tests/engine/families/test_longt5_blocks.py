"""LongT5's encoder attention a few blocks at a time: every value of the stock layer, at tiny and base widths, no
key tiled across blocks, and an unpadded input rounding as the recipe's padded one."""

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.config import ModelSettings
from longsum.engine.families import FAMILIES, longt5_blocks
from longsum.engine.fast_paths import fast_paths
from longsum.engine.loading import load_model

LONGT5_PATHS = FAMILIES["longt5"].fast_paths()


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
    monkeypatch.setitem(longt5_blocks.SCORE_CHUNK_BYTES, "cpu", 1 << 20)
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
    widths = {"d_model": 64, "d_kv": 64, "num_heads": 1, "d_ff": 64}
    config = LongT5Config(vocab_size=512, num_layers=1, encoder_attention_type="transient-global", **widths)
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


DTYPES = [torch.float32, pytest.param(torch.bfloat16, marks=NATIVE_BF16)]


def base_width_layer(attention_type, dtype):
    """A stock encoder attention layer of LongT5-base's widths (12 heads of 64), random weights."""
    from transformers import LongT5Config
    from transformers.models.longt5.modeling_longt5 import LongT5LocalAttention, LongT5TransientGlobalAttention

    torch.manual_seed(0)
    config = LongT5Config(d_model=768, d_kv=64, num_heads=12, encoder_attention_type=attention_type)
    layer_class = LongT5LocalAttention if attention_type == "local" else LongT5TransientGlobalAttention
    return layer_class(config, has_relative_attention_bias=True).eval().to(dtype)


def layer_inputs(lengths, dtype):
    """Random hidden states of a batch padded to its longest length, the padding zeroed, and the stack's mask."""
    generator = torch.Generator().manual_seed(sum(lengths))
    mask = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1
    hidden = torch.randn(len(lengths), max(lengths), 768, generator=generator) * mask[..., None]
    return hidden.to(dtype), mask


def assert_fast_layer_is_stock(attention_type, lengths, dtype):
    from transformers.models.longt5.modeling_longt5 import _get_local_attention_mask

    layer = base_width_layer(attention_type, dtype)
    hidden, mask = layer_inputs(lengths, dtype)
    forward = longt5_blocks.transient_global_forward
    if attention_type == "local":
        forward, mask = longt5_blocks.local_forward, _get_local_attention_mask(mask, layer.block_len, mask.device)
    with torch.inference_mode():
        stock_out, stock_bias = type(layer).forward(layer, hidden, mask)[:2]
        fast_out, fast_bias = forward(layer, hidden, mask)
        # Later layers take the first one's bias.
        again = forward(layer, hidden, mask, position_bias=fast_bias)[0]
    assert torch.equal(fast_bias, stock_bias)
    assert torch.equal(fast_out, stock_out) and torch.equal(again, stock_out)
    # The layer attends: each row of the long input differs from its neighbour's.
    assert not torch.equal(stock_out[0, 1:], stock_out[0, :-1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths", [[1100], [700, 1300]])
@pytest.mark.parametrize("attention_type", ["transient-global", "local"])
def test_base_width_block_attention_keeps_every_value(attention_type, lengths, dtype):
    assert_fast_layer_is_stock(attention_type, lengths, dtype)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths", [[16384], [9000, 4100]])
def test_base_width_transient_global_attention_keeps_every_value_up_to_16k(lengths, dtype):
    assert_fast_layer_is_stock("transient-global", lengths, dtype)


def test_no_keys_are_tiled_across_blocks(monkeypatch):
    # The stock layer concatenates (batch, blocks, 3 x block_len + globals, heads, dim) keys and values: here
    # 5x the input's keys. The fast one's largest tensor is the keys padded by a block at either end.
    monkeypatch.setitem(longt5_blocks.SCORE_CHUNK_BYTES, "cpu", 1 << 20)
    layer = base_width_layer("transient-global", torch.float32)
    hidden, mask = layer_inputs([4000, 2500], torch.float32)
    padded_keys_bytes = 2 * (-(-4000 // layer.block_len) + 2) * layer.block_len * 768 * 4
    bias = longt5_blocks.transient_global_forward(layer, hidden, mask)[1]
    with torch.inference_mode(), torch.profiler.profile(profile_memory=True) as profile:
        longt5_blocks.transient_global_forward(layer, hidden, mask, position_bias=bias)
    assert max(event.cpu_memory_usage for event in profile.events()) == padded_keys_bytes


@NATIVE_BF16
@pytest.mark.parametrize("width", [384, 1408, 1002, 999])
def test_the_half_precision_softmax_gives_the_stock_bits(width):
    torch.manual_seed(0)
    scores = (torch.randn(2, 12, 128, width) * torch.rand(2, 12, 128, 1) * 8).bfloat16()
    scores[..., width // 2 :: 3] = torch.finfo(torch.bfloat16).min
    stock = torch.nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
    assert torch.equal(longt5_blocks.half_precision_softmax(scores), stock)
    # The direct bf16 softmax is taken only at widths where it is the stock one.
    direct = torch.nn.functional.softmax(scores, dim=-1)
    assert torch.equal(direct, stock) or width % longt5_blocks.SOFTMAX_VECTOR


def test_a_cpu_whose_bf16_softmax_rounds_otherwise_keeps_the_stock_form(monkeypatch):
    stock_softmax = torch.nn.functional.softmax

    def off_in_bf16(scores, dim=None, **kwargs):
        out = stock_softmax(scores, dim=dim, **kwargs)
        return out * 0.5 if scores.dtype == torch.bfloat16 else out

    longt5_blocks.direct_softmax_agrees.cache_clear()
    monkeypatch.setattr(torch.nn.functional, "softmax", off_in_bf16)
    try:
        assert not longt5_blocks.direct_softmax_agrees()
        scores = torch.randn(4, 384).bfloat16()
        assert torch.equal(longt5_blocks.half_precision_softmax(scores), stock_softmax(scores.float(), -1).bfloat16())
    finally:
        longt5_blocks.direct_softmax_agrees.cache_clear()

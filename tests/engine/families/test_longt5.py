"""LongT5: its input limit, its fast paths and whom they serve, the sync-free fp16 clamp, and chunked block
attention that keeps every value of the stock encoder."""

from types import SimpleNamespace

import pytest
import torch

from longsum.config import ModelSettings
from longsum.engine.families import FAMILIES, family_for, longt5
from longsum.engine.families.longt5 import clamp_inf_sync_free
from longsum.engine.fast_paths import fast_paths
from longsum.engine.loading import cpu_has_native_bf16, load_model

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


NATIVE_BF16 = pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16 (AVX512-BF16/AMX)")
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
    forward = longt5._transient_global_forward
    if attention_type == "local":
        forward, mask = longt5._local_forward, _get_local_attention_mask(mask, layer.block_len, mask.device)
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
    monkeypatch.setitem(longt5.SCORE_CHUNK_BYTES, "cpu", 1 << 20)
    layer = base_width_layer("transient-global", torch.float32)
    hidden, mask = layer_inputs([4000, 2500], torch.float32)
    padded_keys_bytes = 2 * (-(-4000 // layer.block_len) + 2) * layer.block_len * 768 * 4
    bias = longt5._transient_global_forward(layer, hidden, mask)[1]
    with torch.inference_mode(), torch.profiler.profile(profile_memory=True) as profile:
        longt5._transient_global_forward(layer, hidden, mask, position_bias=bias)
    assert max(event.cpu_memory_usage for event in profile.events()) == padded_keys_bytes

"""LongT5's norms and gated activation a slab of rows at a time: every value the stock modules give."""

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.engine.families import FAMILIES, longt5_slabs
from longsum.engine.fast_paths import fast_paths

SLAB_PATHS = [p for p in FAMILIES["longt5"].fast_paths() if p.name.startswith("row-slab-")]


def test_slabs_cover_every_row_once():
    parts = longt5_slabs.slabs(1000, 2048, 2)
    assert [p.stop - p.start for p in parts[:-1]] == [256] * 3
    assert sorted(row for p in parts for row in range(1000)[p]) == list(range(1000))
    assert longt5_slabs.slabs(3, 1 << 21, 4) == [slice(0, 1), slice(1, 2), slice(2, 3)]
    assert longt5_slabs.slabs(0, 768, 4) == []


def test_no_rows_at_all_give_the_stock_empty_output():
    from transformers.models.longt5.modeling_longt5 import LongT5LayerNorm

    norm = LongT5LayerNorm(8)
    empty = torch.zeros(1, 0, 8)
    assert longt5_slabs.layer_norm_forward(norm, empty).shape == (1, 0, 8)


@pytest.mark.parametrize("dtype", [torch.float32, pytest.param(torch.bfloat16, marks=NATIVE_BF16)])
def test_a_gated_encoder_gives_the_stock_values(dtype, monkeypatch):
    from transformers import LongT5Config, LongT5EncoderModel

    # Slabs of 3 to 16 rows over 997 tokens: many slabs, the last one short.
    monkeypatch.setattr(longt5_slabs, "SLAB_BYTES", 8 << 10)
    config = LongT5Config(
        vocab_size=512,
        d_model=128,
        d_kv=32,
        num_heads=4,
        d_ff=512,
        num_layers=2,
        feed_forward_proj="gated-gelu",
        encoder_attention_type="transient-global",
        initializer_factor=4.0,
    )
    torch.manual_seed(0)
    encoder = LongT5EncoderModel(config).to(dtype).eval()
    ids = torch.randint(3, 512, (2, 997))
    mask = torch.ones_like(ids)
    mask[1, 600:] = 0
    with torch.inference_mode():
        stock = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        with fast_paths(encoder, [_for_any_class(p) for p in SLAB_PATHS]) as names:
            slabbed = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    assert names == ["row-slab-gated-activation", "row-slab-layer-norm"]
    assert stock.std() > 0.1
    assert torch.equal(slabbed, stock)


def _for_any_class(path):
    """``path`` serving the encoder-only class this test builds."""
    from dataclasses import replace

    return replace(path, model_classes=("LongT5EncoderModel",))


def test_a_gate_and_linear_of_two_dtypes_give_the_stock_promoted_product():
    from transformers import LongT5Config
    from transformers.models.longt5.modeling_longt5 import LongT5DenseGatedActDense

    torch.manual_seed(0)
    dense = LongT5DenseGatedActDense(LongT5Config(d_model=16, d_ff=32, feed_forward_proj="gated-gelu")).eval()
    dense.wi_1.register_forward_hook(lambda module, inputs, out: out.bfloat16())
    states = torch.randn(3, 5, 16)
    with torch.no_grad():
        assert torch.equal(longt5_slabs.gated_act_forward(dense, states), type(dense).forward(dense, states))

import pytest

from longsum.benchmarks.roofline import Dims, cross_projection_flops, decoding_bytes, encoder_flops, roofline

# LongT5-base widths with 4 + 4 layers, fp32: the calibration shape.
BASE = Dims(
    d_model=768,
    inner=768,
    d_ff=2048,
    gated=True,
    encoder_layers=4,
    decoder_layers=4,
    vocab=32128,
    attention="transient-global",
    block_len=128,
    global_block_size=16,
    itemsize=4,
)


def test_one_decoding_step_of_one_document_by_hand():
    # Weights per step: 4 layers x (6 x 768^2 attention + 3 x 768 x 2048 gated feed-forward) + 32128 x 768 output
    # = 57,704,448 values; cross keys/values of 8,192 positions: 2 x 4 x 768 x 8192 = 50,331,648; no cache yet.
    assert decoding_bytes(BASE, [[(8192, 1)]], beams=2) == pytest.approx(4 * (57_704_448 + 50_331_648))


def test_decoding_counts_weights_once_per_batch_step_and_the_self_cache_per_beam():
    one = decoding_bytes(BASE, [[(100, 3)]], beams=1)
    # Steps 0, 1, 2 read 0 + 1 + 2 cached positions of 2 x 4 x 768 values each.
    weights, cross, cache = 3 * 57_704_448, 3 * 100 * 6144, 3 * 6144
    assert one == 4 * (weights + cross + cache)
    assert decoding_bytes(BASE, [[(100, 3)]], beams=2) == 4 * (weights + cross + 2 * cache)
    together = decoding_bytes(BASE, [[(100, 3), (100, 3)]], beams=1)
    apart = decoding_bytes(BASE, [[(100, 3)], [(100, 3)]], beams=1)
    assert apart - together == 4 * weights


@pytest.mark.parametrize(
    "attention, length, expected",
    [
        # Per token and layer: 2 x (4 x 768^2 + 3 x 768 x 2048) = 14,155,776, plus 4 x 768 x 384 local keys.
        ("local", 1000, 4 * 1000 * (14_155_776 + 4 * 768 * 384)),
        # Transient-global adds ceil(1000 / 16) = 63 global keys per token and their k, v projections.
        ("transient-global", 1000, 4 * (1000 * (14_155_776 + 4 * 768 * (384 + 63)) + 63 * 4 * 768 * 768)),
    ],
)
def test_encoder_flops_by_hand(attention, length, expected):
    dims = Dims(**{**BASE.__dict__, "attention": attention})
    assert encoder_flops(dims, length) == expected


def test_dims_of_a_longt5_config():
    from transformers import LongT5Config

    config = LongT5Config(
        d_model=768,
        d_kv=64,
        num_heads=12,
        d_ff=2048,
        num_layers=4,
        feed_forward_proj="gated-gelu",
        vocab_size=32128,
        encoder_attention_type="transient-global",
    )
    assert Dims.of(config, 4) == BASE


def test_fractions_of_the_ceilings():
    figures = roofline(BASE, [[(1000, 2)]], 2, encode_seconds=2.0, decode_seconds=0.5, peak_flops=1e11, bandwidth=1e10)
    assert figures["encoder_flops_per_second"] == figures["encoder_flops"] / 2
    assert figures["encoder_fraction_of_peak_flops"] == pytest.approx(figures["encoder_flops"] / 2 / 1e11)
    assert figures["decoding_fraction_of_bandwidth"] == pytest.approx(figures["decoding_bytes"] / 0.5 / 1e10)
    assert roofline(BASE, [], 2, 0.0, 0.0, 1e11, 1e10)["encoder_fraction_of_peak_flops"] is None


def test_cross_projections_count_in_decodings_roofline():
    # 4 layers x (keys + values) x 2 FLOPs x 768 x 768 per position.
    assert cross_projection_flops(BASE, 2048) == 4 * 2 * 2 * 768 * 768 * 2048
    figures = roofline(BASE, [[(2048, 4)]], 2, encode_seconds=1.0, decode_seconds=2.0, peak_flops=1e11, bandwidth=1e10)
    least = figures["decoding_bytes"] / 1e10 + figures["cross_projection_flops"] / 1e11
    assert figures["decoding_fraction_of_roofline"] == pytest.approx(least / 2.0)


def test_a_decoder_only_models_counts_by_hand():
    from longsum.benchmarks.roofline import CausalDims, causal_decoding_bytes, causal_roofline, prefill_flops

    dims = CausalDims(hidden=4, inner=4, kv_inner=2, intermediate=8, layers=2, vocab=10, itemsize=4)
    assert dims.layer_weights == 2 * 4 * 4 + 2 * 4 * 2 + 3 * 4 * 8  # 144
    # 3 tokens: 2 layers x (2 x 3 x 144 + 2 x 2 x 4 x 6), then the last token's logits (2 x 4 x 10).
    assert prefill_flops(dims, 3) == 2 * (864 + 96) + 80
    # 4 generated: 3 steps after the prefill, each reading every weight (2 x 144 + 40) and the cache so far.
    kv_row = 2 * 2 * 2
    steps = 3
    expected = steps * (2 * 144 + 40) + kv_row * (steps * 5 + steps * (steps + 1) // 2)
    assert causal_decoding_bytes(dims, [[(5, 4)]], beams=1) == expected * 4
    assert causal_decoding_bytes(dims, [[(5, 1)]], beams=1) == 0.0  # one token: the prefill gave it
    figures = causal_roofline(
        dims, [[(3, 1)]], 1, prefill_seconds=2.0, decode_seconds=0.0, peak_flops=1000.0, bandwidth=1.0
    )
    assert figures["prefill_flops_per_second"] == (2 * 960 + 80) / 2
    assert figures["prefill_fraction_of_peak_flops"] == figures["prefill_flops_per_second"] / 1000
    assert figures["decoding_bytes_per_second"] is None

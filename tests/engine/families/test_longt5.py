"""LongT5: its input limit, its fast paths and whom they serve, and the sync-free fp16 clamp."""

from types import SimpleNamespace

import pytest
import torch

from longsum.engine.families import FAMILIES, family_for
from longsum.engine.families.longt5 import clamp_inf_sync_free

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
        "row-slab-gated-activation",
        "row-slab-layer-norm",
        "vocab-sliced-output-layer",
    ]
    clamp = LONGT5_PATHS[names.index("sync-free-fp16-clamp")]
    # The sliced output layer serves by its weights' dtype and device (see test_vocab_slices).
    sliced = LONGT5_PATHS[names.index("vocab-sliced-output-layer")]

    def model(class_name, dtype):
        return type(class_name, (), {"dtype": dtype, "device": torch.device("cpu")})()

    assert clamp.serves(model("LongT5ForConditionalGeneration", torch.float16))
    assert not clamp.serves(model("LongT5ForConditionalGeneration", torch.bfloat16))
    assert not clamp.serves(model("T5ForConditionalGeneration", torch.float16))
    assert all(
        p.serves(model("LongT5ForConditionalGeneration", torch.float32))
        for p in LONGT5_PATHS
        if p not in (clamp, sliced)
    )


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


def test_the_row_slabs_serve_only_a_cpu_model():
    slabbed = [p for p in LONGT5_PATHS if p.name.startswith("row-slab-")]

    def model(device):
        return type("LongT5ForConditionalGeneration", (), {"dtype": torch.bfloat16, "device": torch.device(device)})()

    assert len(slabbed) == 2
    assert all(p.serves(model("cpu")) and not p.serves(model("cuda")) for p in slabbed)


@pytest.mark.parametrize(
    ("attention", "dtype", "engaged", "warns"),
    [
        ("transient-global", torch.bfloat16, [], True),
        ("transient-global", torch.float16, ["beam-shared-cross-attention"], True),
        ("transient-global", torch.bfloat16, ["chunked-transient-global-attention"], False),
        ("transient-global", torch.float32, [], False),
        ("local", torch.bfloat16, [], False),
    ],
)
def test_half_precision_transient_global_without_its_fast_path_warns(attention, dtype, engaged, warns):
    model = SimpleNamespace(config=SimpleNamespace(encoder_attention_type=attention), dtype=dtype)
    warning = FAMILIES["longt5"].unpadded_warning(model, engaged)
    assert (warning is not None) == warns
    assert warning is None or "--padding max-length" in warning

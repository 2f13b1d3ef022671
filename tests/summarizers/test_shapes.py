import pytest

from longsum.errors import LongsumError
from longsum.summarizers.causal_builtin import CausalSpec
from longsum.summarizers.shapes import (
    CAUSAL_SHAPES,
    SHAPES,
    CausalShape,
    Shape,
    build_shape_causal,
    build_shape_longt5,
    describe_shape,
    parse_shape_model,
    shape_model_name,
    shape_names,
)


@pytest.mark.parametrize(
    "shape, attention, name",
    [
        ("tiny", "transient-global", "builtin:tglobal"),
        ("tiny", "local", "builtin:local"),
        ("base", "transient-global", "shape:base"),
        ("large", "local", "shape:large-local"),
    ],
)
def test_shape_names(shape, attention, name):
    assert shape_model_name(shape, attention) == name


def test_unknown_shapes_and_attention_are_user_errors():
    with pytest.raises(LongsumError, match="unknown --shape"):
        shape_model_name("huge", "local")
    with pytest.raises(LongsumError, match="unknown --attention"):
        shape_model_name("base", "global")
    with pytest.raises(LongsumError, match="unknown benchmark model"):
        parse_shape_model("shape:xl")


def test_shapes_have_longt5_widths_and_say_how_many_layers():
    assert (SHAPES["base"].d_model, SHAPES["base"].num_heads, SHAPES["base"].d_ff) == (768, 12, 2048)
    assert (SHAPES["large"].d_model, SHAPES["large"].num_heads, SHAPES["large"].d_ff) == (1024, 16, 2816)
    described = describe_shape("shape:large-local")
    assert described["attention"] == "local" and described["num_layers"] == 4 and described["real_layers"] == 24


@pytest.mark.parametrize("attention", ["transient-global", "local"])
def test_built_checkpoint_decodes_every_step_with_varied_printable_tokens(tmp_path, attention):
    import json

    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    # The real recipe at a small width, so the test stays fast: 32k vocabulary, zeroed unprintable rows.
    spec = Shape(d_model=64, d_kv=16, d_ff=128, num_heads=4, real_layers=12, num_layers=2)
    path = build_shape_longt5(tmp_path / "m", spec, attention)
    assert json.loads((path / "config.json").read_text())["vocab_size"] == 32128
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    outputs = []
    for text in ["the patients were treated with a new drug.", "cells divide and grow in culture media."]:
        ids = tokenizer(text, return_tensors="pt").input_ids
        with torch.inference_mode():
            out = model.generate(input_ids=ids, num_beams=2, max_new_tokens=24)[0, 1:].tolist()
        assert len(out) == 24 and len(set(out)) > 8
        assert not set(out) & set(tokenizer.all_special_ids) and max(out) < len(tokenizer)
        outputs.append(out)
    assert outputs[0] != outputs[1]


def test_the_decoder_only_shape_has_qwen25_05b_widths_and_its_whole_vocabulary():
    assert shape_model_name("qwen2.5-0.5b", "transient-global") == "shape:qwen2.5-0.5b"
    with pytest.raises(LongsumError, match=r"--shape qwen2\.5-0\.5b has no encoder"):
        shape_model_name("qwen2.5-0.5b", "local")
    spec = CAUSAL_SHAPES["qwen2.5-0.5b"].spec
    assert (spec.hidden_size, spec.num_heads, spec.num_kv_heads, spec.head_dim) == (896, 14, 2, 64)
    assert (spec.intermediate_size, spec.model_vocab, spec.num_layers) == (4864, 151936, 4)
    described = describe_shape("shape:qwen2.5-0.5b")
    assert described["shape"] == "qwen2.5-0.5b" and described["real_layers"] == 24 and "attention" not in described
    assert "shape:qwen2.5-0.5b" in shape_names()


def test_a_decoder_only_shape_decodes_every_step_asked_for(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # The real shape's recipe at a small width: the whole (padded) vocabulary, end and special ids silenced.
    small = CausalShape(
        CausalSpec(
            "qwen2",
            hidden_size=64,
            intermediate_size=128,
            num_layers=2,
            num_heads=2,
            num_kv_heads=2,
            head_dim=32,
            initializer_range=0.02,
            model_vocab=8192,
        ),
        real_layers=24,
    )
    path = build_shape_causal(tmp_path / "shape", small)
    model, tokenizer = AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)
    assert model.config.vocab_size == 8192 > len(tokenizer)
    silent = model.get_output_embeddings().weight[len(tokenizer) :]
    assert torch.count_nonzero(silent) == 0
    assert torch.count_nonzero(model.get_output_embeddings().weight[tokenizer.all_special_ids]) == 0
    ids = tokenizer("the patients were treated", return_tensors="pt").input_ids
    out = model.generate(ids, max_new_tokens=12, do_sample=False)
    assert out.shape[1] - ids.shape[1] == 12  # no end token: every step ran
    assert not set(out[0, ids.shape[1] :].tolist()) & set(tokenizer.all_special_ids)

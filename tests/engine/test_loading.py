import json
import time

import pytest

from longsum.config import ModelSettings
from longsum.engine.loading import (
    Checkpoint,
    checkpoint_location,
    choose_dtype,
    cpu_has_native_bf16,
    load_model,
    resolve_device,
)
from longsum.errors import LongsumError


@pytest.mark.parametrize(
    "requested, device, bf16, expected",
    [
        ("auto", "cpu", False, "fp32"),
        ("auto", "cuda", True, "bf16"),
        ("auto", "cuda:1", False, "fp16"),
        ("fp32", "cuda", True, "fp32"),
        ("fp16", "cuda", True, "fp16"),
        ("bf16", "cuda", True, "bf16"),
        ("fp32", "cpu", False, "fp32"),
        ("bf16", "cpu", True, "bf16"),  # a CPU with native bf16
        ("auto", "cpu", True, "fp32"),  # opt-in there: bf16 changes summaries
    ],
)
def test_dtype_choice(requested, device, bf16, expected):
    assert choose_dtype(requested, device, bf16) == expected


@pytest.mark.parametrize(
    "requested, device, bf16, message",
    [
        ("fp16", "cpu", False, "needs a CUDA device"),
        ("fp16", "cpu", True, "needs a CUDA device"),
        ("bf16", "cpu", False, r"needs a CUDA device or a CPU with native bf16 \(AVX512-BF16 or AMX\)"),
        ("bf16", "cuda", False, "does not support bfloat16"),
    ],
)
def test_dtype_refusals(requested, device, bf16, message):
    with pytest.raises(LongsumError, match=message):
        choose_dtype(requested, device, bf16)


FLAGS = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f {extra}\nbugs\t\t: spectre_v1\n"


@pytest.mark.parametrize(
    "extra, native",
    [("avx512_bf16", True), ("amx_bf16 amx_tile", True), ("avx512_vnni", False), ("", False)],
)
def test_native_bf16_is_read_from_the_cpu_flags(extra, native):
    assert cpu_has_native_bf16(FLAGS.format(extra=extra)) is native
    # A flag's name elsewhere (here a bug list) does not count.
    assert not cpu_has_native_bf16(FLAGS.format(extra="") + "bugs\t\t: avx512_bf16\n")


@pytest.mark.parametrize(
    "requested, available, count, expected",
    [("auto", False, 0, "cpu"), ("auto", True, 1, "cuda"), ("cpu", True, 1, "cpu"), ("cuda:1", True, 2, "cuda:1")],
)
def test_device_choice(requested, available, count, expected):
    assert resolve_device(requested, available, count) == expected


@pytest.mark.parametrize(
    "requested, available, count, message",
    [("cuda", False, 0, "no CUDA device"), ("cuda:2", True, 2, "only 2 CUDA")],
)
def test_device_refusals(requested, available, count, message):
    with pytest.raises(LongsumError, match=message):
        resolve_device(requested, available, count)


def test_missing_model_directory(tmp_path):
    with pytest.raises(LongsumError, match="model directory not found"):
        checkpoint_location(str(tmp_path / "nope"))


def test_directory_without_a_checkpoint(tmp_path):
    with pytest.raises(LongsumError, match="not a checkpoint directory"):
        checkpoint_location(str(tmp_path))


@pytest.mark.parametrize(
    "config",
    [
        # An encoder: AutoModelForCausalLM maps BERT too, but a masked-LM checkpoint generates no text.
        {"model_type": "bert", "num_hidden_layers": 1, "architectures": ["BertForMaskedLM"]},
        # A config that names no causal-LM architecture.
        {"model_type": "gpt2", "n_layer": 1},
    ],
)
def test_a_checkpoint_neither_seq2seq_nor_a_causal_lm_is_refused(tmp_path, config):
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(LongsumError, match="not an encoder-decoder \\(seq2seq\\) or causal LM checkpoint"):
        load_model(ModelSettings(model=str(tmp_path)))


def test_a_causal_lm_loads_as_one_and_a_seq2seq_model_as_the_other(tiny_tglobal):
    from longsum.summarizers.builtin import builtin_checkpoint

    causal = load_model(
        ModelSettings(model="builtin:qwen2"), Checkpoint(str(builtin_checkpoint("builtin:qwen2")), True)
    )
    assert causal.kind == "causal" and type(causal.model).__name__ == "Qwen2ForCausalLM" and not causal.model.training
    assert causal.revision.startswith("sha256:")
    assert load_model(ModelSettings(model=str(tiny_tglobal))).kind == "seq2seq"


def test_a_causal_lm_without_its_weights_is_refused_not_filled_at_random(tmp_path):
    from transformers import AutoTokenizer, Qwen2Model

    from longsum.summarizers.builtin import builtin_checkpoint

    source = builtin_checkpoint("builtin:qwen2")
    model = Qwen2Model.from_pretrained(source)
    model.config.tie_word_embeddings = False
    model.save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(source).save_pretrained(tmp_path)
    with pytest.raises(LongsumError, match="is a qwen2 model, not an encoder-decoder"):
        load_model(ModelSettings(model=str(tmp_path)))  # saved as a Qwen2Model: no LM head
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    (tmp_path / "config.json").write_text(json.dumps({**config, "architectures": ["Qwen2ForCausalLM"]}))
    with pytest.raises(LongsumError, match=r"lacks weights a causal LM needs \(lm_head\.weight\)"):
        load_model(ModelSettings(model=str(tmp_path)))


def test_offline_hub_model_fails_fast_and_names_the_builtin():
    start = time.perf_counter()
    with pytest.raises(LongsumError, match="--model builtin for the built-in demonstration model"):
        load_model(ModelSettings(model="google/long-t5-tglobal-base"))
    assert time.perf_counter() - start < 10


def test_local_checkpoint_loads_in_fp32_on_cpu_with_a_stable_fingerprint(tiny_model):
    first = load_model(ModelSettings(model=str(tiny_model)))
    second = load_model(ModelSettings(model=str(tiny_model)))
    assert first.device == "cpu" and first.dtype == "fp32"
    assert str(first.model.dtype) == "torch.float32"
    assert first.revision.startswith("sha256:") and first.revision == second.revision
    assert not first.model.training


def test_a_checkpoint_without_the_decoder_or_head_is_refused_not_filled_at_random(tiny_tglobal, tmp_path):
    from transformers import AutoTokenizer, LongT5EncoderModel

    LongT5EncoderModel.from_pretrained(tiny_tglobal).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(tiny_tglobal).save_pretrained(tmp_path)
    with pytest.raises(LongsumError, match=r"lacks weights a seq2seq LM needs \(decoder\.block\.0\..* and \d+ more\)"):
        load_model(ModelSettings(model=str(tmp_path)))


def test_shipped_modeling_code_runs_only_when_trusted(tmp_path):
    from longsum.summarizers.builtin import build_tiny_family

    folder = build_tiny_family(tmp_path / "lsg", "bart")
    config = json.loads((folder / "config.json").read_text())
    config.update(
        model_type="lsg_bart",
        auto_map={"AutoConfig": "modeling_lsg.LSGConfig", "AutoModelForSeq2SeqLM": "modeling_lsg.LSGModel"},
    )
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_lsg.py").write_text(
        "from transformers import BartConfig, BartForConditionalGeneration\n\n\n"
        "class LSGConfig(BartConfig):\n    model_type = 'lsg_bart'\n\n\n"
        "class LSGModel(BartForConditionalGeneration):\n    config_class = LSGConfig\n"
    )
    with pytest.raises(LongsumError, match="pass --trust-remote-code"):
        load_model(ModelSettings(model=str(folder)))
    loaded = load_model(ModelSettings(model=str(folder), trust_remote_code=True))
    assert type(loaded.model).__name__ == "LSGModel"


def test_a_served_models_tokenizer_loads_alone_and_a_missing_one_is_one_line(tmp_path):
    from longsum.engine.loading import load_tokenizer
    from longsum.summarizers.builtin import builtin_checkpoint

    tokenizer = load_tokenizer(str(builtin_checkpoint("builtin:llama")))
    assert tokenizer("alpha beta").input_ids
    with pytest.raises(LongsumError, match="model directory not found"):
        load_tokenizer(str(tmp_path / "nothing"))

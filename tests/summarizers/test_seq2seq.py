"""The seq2seq summarizer: unpadded encoding that keeps half precision finite, and non-finite activations
detected and reported with a way out."""

import torch

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.engine.loading import LoadedModel, load_model
from longsum.runs.evaluation import evaluate
from longsum.sources.documents import Document, iter_documents
from longsum.summarizers.protocol import Output
from longsum.summarizers.seq2seq import load_seq2seq


def summarizer_for(model_dir, half=False):
    loaded = load_model(ModelSettings(model=str(model_dir)))
    if half:
        loaded = LoadedModel(loaded.model.half(), loaded.tokenizer, "cpu", "fp16", "tiny", "x")
    return load_seq2seq(loaded, GenerationSettings(max_length=8), BatchSettings())


def test_half_precision_encoding_stays_finite_where_padding_would_not(tiny_local, examples):
    """fp16 on the CPU: the padded docs-recipe encoder yields NaN, longsum's unpadded encoder does not."""
    loaded = load_model(ModelSettings(model=str(tiny_local)))
    model = loaded.model.half()
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=2))]
    ids = [loaded.tokenizer(t, truncation=True, max_length=512).input_ids[: 300 + 100 * i] for i, t in enumerate(texts)]
    encoder = model.get_encoder()
    with torch.inference_mode():
        for row in ids:
            assert torch.isfinite(encoder(input_ids=torch.tensor([row])).last_hidden_state).all()
        padded = torch.zeros(2, 512, dtype=torch.long)
        mask = torch.zeros(2, 512, dtype=torch.long)
        for i, row in enumerate(ids):
            padded[i, : len(row)] = torch.tensor(row)
            mask[i, : len(row)] = 1
        hidden = encoder(input_ids=padded, attention_mask=mask).last_hidden_state
    assert not torch.isfinite(hidden[0, : len(ids[0])]).all(), "the hazard this design avoids"
    summarizer = load_seq2seq(
        LoadedModel(model, loaded.tokenizer, "cpu", "fp16", "tiny", "x"),
        GenerationSettings(max_length=8),
        BatchSettings(),
    )
    batch = Batch(tuple(Item(Document(i, str(i), "", None), row, len(row)) for i, row in enumerate(ids)))
    outputs = summarizer.generate(batch)
    assert all(o.text.strip() and o.tokens > 0 for o in outputs)


def test_non_finite_encoder_outputs_are_reported_once_checked(tiny_local):
    summarizer = summarizer_for(tiny_local)
    states = torch.zeros(1, 4, 64)
    mask = torch.ones(1, 4, dtype=torch.long)
    summarizer._check_numerics(states, mask, [Output("fine", 1)])
    assert summarizer.warnings == []
    states[0, 2, 5] = float("nan")
    summarizer._check_numerics(states, mask, [Output("fine", 1)])
    assert summarizer.warnings == []  # later batches with real summaries are not checked: each check syncs
    summarizer._check_numerics(states, mask, [Output(" ", 0)])
    assert summarizer.warnings == [
        "non-finite encoder outputs in fp32: summaries may be empty or garbage; try --dtype bf16 or --dtype fp32"
    ]


def test_an_overflowing_fp16_model_yields_a_warning_in_the_results(tiny_tglobal, examples):
    summarizer = summarizer_for(tiny_tglobal, half=True)
    with torch.no_grad():
        summarizer.loaded.model.encoder.final_layer_norm.weight.fill_(float("inf"))
    config = EvalConfig(
        data=DataSettings(dataset=str(examples), limit=2),
        batching=BatchSettings(max_input_tokens=300),
        scoring=ScoreSettings(bootstrap_samples=10),
    )
    result = evaluate(config, summarizer=summarizer)
    assert any("non-finite encoder outputs in fp16" in w and "--dtype bf16" in w for w in result.warnings)
    assert result.to_dict()["warnings"] == result.warnings


def test_a_healthy_model_raises_no_warning(tiny_tglobal):
    summarizer = summarizer_for(tiny_tglobal)
    item = Item(Document(0, "0", "x", None), list(range(5, 60)), 55)
    summarizer.generate(Batch((item,)))
    assert summarizer.warnings == []


def test_half_precision_transient_global_warns_when_its_fast_path_is_disengaged(tiny_tglobal, monkeypatch):
    from longsum.engine.families import longt5

    def off_by_a_little(attention, hidden_states, *args, **kwargs):
        out = type(attention).forward(attention, hidden_states, *args, **kwargs)
        return (out[0] + 1e-2, *out[1:])

    monkeypatch.setattr(longt5, "transient_global_forward", off_by_a_little)
    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    half = LoadedModel(loaded.model.half(), loaded.tokenizer, "cpu", "fp16", "tiny", "x")
    dynamic = load_seq2seq(half, GenerationSettings(max_length=8), BatchSettings())
    assert "chunked-transient-global-attention" not in [p.name for p in dynamic.fast_paths]
    assert [w for w in dynamic.warnings if "fewer global keys" in w]
    padded = load_seq2seq(half, GenerationSettings(max_length=8), BatchSettings(padding="max-length", batch_size=2))
    assert not [w for w in padded.warnings if "fewer global keys" in w]

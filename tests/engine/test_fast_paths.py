"""Fast paths change speed, never outputs: each is compared with the stock transformers path."""

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.config import (
    BatchSettings,
    DataSettings,
    GenerationSettings,
    ModelSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.engine.families import FAMILIES
from longsum.engine.fast_paths import beam_shared_cross_cache, fast_paths
from longsum.engine.loading import load_model, torch_dtype
from longsum.sources.documents import Document, iter_documents
from longsum.summarizers.seq2seq import load_seq2seq

LONGT5_PATHS = FAMILIES["longt5"].fast_paths()


def encoded(loaded, examples, count=4, limit=700):
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=count))]
    rows = [loaded.tokenizer(t, truncation=True, max_length=limit).input_ids for t in texts]
    return [torch.tensor(r)[None] for r in rows], rows


@pytest.mark.parametrize("beams", [2, 3])
def test_beam_search_with_one_cross_row_per_input_gives_identical_outputs(tiny_model, examples, beams):
    from transformers.modeling_outputs import BaseModelOutput

    loaded = load_model(ModelSettings(model=str(tiny_model)))
    model = loaded.model
    inputs, rows = encoded(loaded, examples)
    with torch.inference_mode():
        states = [model.get_encoder()(input_ids=x).last_hidden_state[0] for x in inputs]
        longest = max(s.shape[0] for s in states)
        hidden = torch.zeros(len(states), longest, states[0].shape[-1])
        mask = torch.zeros(len(states), longest, dtype=torch.long)
        for i, s in enumerate(states):
            hidden[i, : s.shape[0]] = s
            mask[i, : s.shape[0]] = 1
        common = dict(attention_mask=mask, max_length=40, num_beams=beams)
        stock = model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), **common)
        cache = beam_shared_cross_cache(beams)
        with fast_paths(model, LONGT5_PATHS):
            fast = model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), cache=cache, **common)
    assert torch.equal(stock, fast)
    # One stored cross key row per input, not per beam.
    assert cache.cross_attention_cache.layers[0].keys.shape[0] == len(rows)
    assert len({tuple(r) for r in stock.tolist()}) == len(rows)


@pytest.mark.parametrize("dtype", ["fp32", "fp16", pytest.param("bf16", marks=NATIVE_BF16)])
def test_all_fast_paths_together_give_identical_outputs(tiny_model, examples, dtype, monkeypatch):
    loaded = load_model(ModelSettings(model=str(tiny_model)))
    loaded.model.to(torch_dtype(dtype))
    _, rows = encoded(loaded, examples, count=3, limit=600)
    batch = Batch(tuple(Item(Document(i, str(i), "x", None), r, len(r)) for i, r in enumerate(rows)))
    summarizer = load_seq2seq(loaded, GenerationSettings(max_length=16), BatchSettings())
    fast = summarizer.generate(batch)
    assert summarizer.fast_paths, "the self-check must keep LongT5's paths"
    summarizer.fast_paths = []
    assert summarizer.generate(batch) == fast


def test_fast_paths_engage_by_model_and_dtype_and_leave_no_trace(tiny_tglobal, tiny_local):
    tglobal = load_model(ModelSettings(model=str(tiny_tglobal))).model
    with fast_paths(tglobal, [p for p in LONGT5_PATHS if p.serves(tglobal)]) as names:
        assert names == [
            "beam-shared-cross-attention",
            "chunked-transient-global-attention",
            "preallocated-self-attention-cache",
            "row-slab-layer-norm",
            "vocab-sliced-output-layer",
        ]
        # 2 encoder attentions, 2 decoder cross-attentions, the output layer; 14 layer norms: 2 encoder layers x 2,
        # the global inputs' 2, 2 decoder layers x 3, one after each stack (the tiny models' ReLU feed-forward is not
        # gated)
        assert sum("forward" in vars(m) for m in tglobal.modules()) == 19
    assert not any("forward" in vars(m) for m in tglobal.modules())
    local = load_model(ModelSettings(model=str(tiny_local))).model.half()
    with fast_paths(local, [p for p in LONGT5_PATHS if p.serves(local)]) as names:
        assert names == [
            "beam-shared-cross-attention",
            "chunked-local-attention",
            "preallocated-self-attention-cache",
            "row-slab-layer-norm",
            "sync-free-fp16-clamp",
        ]
        # 4 blocks, 2 local, 2 cross-attentions, 12 layer norms
        assert sum("forward" in vars(m) for m in local.modules()) == 20
    assert not any("forward" in vars(m) for m in local.modules())


def test_fast_paths_serve_only_the_classes_they_were_written_for(tiny_tglobal):
    from transformers import LongT5ForConditionalGeneration

    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    loaded.model.__class__ = type("PatchedLongT5", (LongT5ForConditionalGeneration,), {})
    summarizer = load_seq2seq(loaded, GenerationSettings(), BatchSettings())
    assert summarizer.fast_paths == [] and summarizer.describe().fast_paths == ()


def test_metrics_list_the_fast_paths_engaged(tiny_local, examples):
    from longsum.config import EvalConfig, ScoreSettings
    from longsum.runs.evaluation import evaluate

    def engaged(padding):
        config = EvalConfig(
            model=ModelSettings(model=str(tiny_local)),
            data=DataSettings(dataset=str(examples), limit=2),
            generation=GenerationSettings(max_length=8),
            batching=BatchSettings(max_input_tokens=512, padding=padding),
            scoring=ScoreSettings(bootstrap_samples=10),
        )
        return evaluate(config).to_dict()["fast_paths"]

    assert engaged("dynamic") == [
        "beam-shared-cross-attention",
        "chunked-local-attention",
        "preallocated-self-attention-cache",
        "row-slab-layer-norm",
        "vocab-sliced-output-layer",
    ]
    assert engaged("max-length") == []

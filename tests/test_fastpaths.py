"""Fast paths change speed, never outputs: each is compared with the stock transformers path."""

import contextlib

import pytest
import torch

from longsum.batching import Batch, Item
from longsum.config import BatchSettings, DataSettings, GenerationSettings, ModelSettings
from longsum.data import Document, iter_documents
from longsum.fastpaths import beam_shared_cross_cache, clamp_inf_sync_free, fast_paths, side_bias_per_block
from longsum.generation import Seq2SeqSummarizer
from longsum.loading import load_model


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


def encoded(loaded, examples, count=4, limit=700):
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=count))]
    rows = [loaded.tokenizer(t, truncation=True, max_length=limit).input_ids for t in texts]
    return [torch.tensor(r)[None] for r in rows], rows


def test_beam_search_without_the_cross_cache_copy_gives_identical_outputs(tiny_model, examples):
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
        common = dict(attention_mask=mask, max_length=40, num_beams=3)
        stock = model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), **common)
        fast = model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), cache=beam_shared_cross_cache(), **common)
    assert torch.equal(stock, fast)
    assert len({tuple(r) for r in stock.tolist()}) == len(rows)


@pytest.mark.parametrize("half", [False, True], ids=["fp32", "fp16"])
def test_all_fast_paths_together_give_identical_outputs(tiny_model, examples, half, monkeypatch):
    loaded = load_model(ModelSettings(model=str(tiny_model)))
    if half:
        loaded.model.half()
    _, rows = encoded(loaded, examples, count=3, limit=600)
    batch = Batch(tuple(Item(Document(i, str(i), "x", None), r, len(r)) for i, r in enumerate(rows)))
    summarizer = Seq2SeqSummarizer(loaded, GenerationSettings(max_length=16), BatchSettings())
    fast = summarizer.generate(batch)
    from longsum import generation

    monkeypatch.setattr(generation, "fast_paths", lambda model: contextlib.nullcontext([]))
    monkeypatch.setattr(generation, "beam_shared_cross_cache", lambda: None)
    assert summarizer.generate(batch) == fast


def test_fast_paths_engage_by_model_and_dtype_and_leave_no_trace(tiny_tglobal, tiny_local):
    tglobal = load_model(ModelSettings(model=str(tiny_tglobal))).model
    with fast_paths(tglobal) as names:
        assert names == ["side-bias-per-block"]
    assert not any("compute_side_bias" in vars(m) or "forward" in vars(m) for m in tglobal.modules())
    local = load_model(ModelSettings(model=str(tiny_local))).model.half()
    with fast_paths(local) as names:
        assert names == ["sync-free-fp16-clamp"]
        assert sum("forward" in vars(m) for m in local.modules()) == 4  # 2 encoder + 2 decoder blocks
    assert not any("forward" in vars(m) for m in local.modules())


@pytest.mark.parametrize("lengths", [[5000], [700, 1300], [2048, 17, 600], [15, 300]])
def test_side_bias_per_block_equals_the_stock_computation(tiny_tglobal, lengths):
    model = load_model(ModelSettings(model=str(tiny_tglobal))).model
    attention = next(m for m in model.modules() if type(m).__name__ == "LongT5TransientGlobalAttention")
    from transformers.models.longt5.modeling_longt5 import _make_global_fixed_block_ids

    longest = max(lengths)
    mask = torch.zeros(len(lengths), longest)
    for i, n in enumerate(lengths):
        mask[i, :n] = 1
    _, segments = _make_global_fixed_block_ids(mask, attention.global_block_size)
    with torch.inference_mode():
        assert torch.equal(side_bias_per_block(attention, mask, segments), attention.compute_side_bias(mask, segments))

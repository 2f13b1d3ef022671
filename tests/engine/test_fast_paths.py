"""Fast paths change speed, never outputs: each is compared with the stock transformers path."""

import pytest
import torch

from longsum.config import (
    BatchSettings,
    DataSettings,
    GenerationSettings,
    ModelSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.engine.families import FAMILIES
from longsum.engine.families.longt5 import clamp_inf_sync_free
from longsum.engine.fast_paths import beam_shared_cross_cache, fast_paths
from longsum.engine.loading import load_model
from longsum.sources.documents import Document, iter_documents
from longsum.summarizers.seq2seq import load_seq2seq


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


@pytest.mark.parametrize("half", [False, True], ids=["fp32", "fp16"])
def test_all_fast_paths_together_give_identical_outputs(tiny_model, examples, half, monkeypatch):
    loaded = load_model(ModelSettings(model=str(tiny_model)))
    if half:
        loaded.model.half()
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
        assert names == ["beam-shared-cross-attention", "chunked-transient-global-attention"]
        assert sum("forward" in vars(m) for m in tglobal.modules()) == 4  # 2 encoder + 2 decoder cross layers
    assert not any("forward" in vars(m) for m in tglobal.modules())
    local = load_model(ModelSettings(model=str(tiny_local))).model.half()
    with fast_paths(local, [p for p in LONGT5_PATHS if p.serves(local)]) as names:
        assert names == ["beam-shared-cross-attention", "chunked-local-attention", "sync-free-fp16-clamp"]
        assert sum("forward" in vars(m) for m in local.modules()) == 8  # 4 blocks, 2 local, 2 cross-attentions
    assert not any("forward" in vars(m) for m in local.modules())


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

    from longsum.engine.families import longt5

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


def test_a_fast_path_that_changes_outputs_is_disengaged_with_one_warning(tiny_tglobal, monkeypatch):
    from longsum.engine.families import FastPath, longt5

    def off_by_a_little(attention, hidden_states, *args, **kwargs):
        out = type(attention).forward(attention, hidden_states, *args, **kwargs)
        return (out[0] + 1e-3, *out[1:])

    broken = FastPath(
        "broken", longt5.MODEL_CLASSES, longt5._instances("LongT5TransientGlobalAttention", off_by_a_little)
    )
    monkeypatch.setattr(longt5.LongT5, "fast_paths", lambda self: (*LONGT5_PATHS, broken))
    summarizer = load_seq2seq(load_model(ModelSettings(model=str(tiny_tglobal))), GenerationSettings(), BatchSettings())
    assert [p.name for p in summarizer.fast_paths] == [
        "beam-shared-cross-attention",
        "chunked-transient-global-attention",
    ]
    assert summarizer.warnings == [
        "fast path broken disengaged: on LongT5ForConditionalGeneration it did not reproduce stock transformers"
    ]


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

    assert engaged("dynamic") == ["beam-shared-cross-attention", "chunked-local-attention"]
    assert engaged("max-length") == []

"""The preallocated self-attention cache holds what transformers' DynamicCache holds, step by step and through beam
reorders, without reallocating; engaged alone it gives the recipe's summaries, and a broken one is disengaged."""

import pytest
import torch
from recipes import recipe_predictions

from longsum.config import BatchSettings, DataSettings, EvalConfig, GenerationSettings, ModelSettings, ScoreSettings
from longsum.engine import fast_paths as fast_paths_module
from longsum.engine.loading import load_model
from longsum.engine.self_attention_cache import preallocated_cache
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import iter_documents
from longsum.summarizers.builtin import builtin_checkpoint
from longsum.summarizers.seq2seq import load_seq2seq

PATH = "preallocated-self-attention-cache"


def steps(generator, rows, count, layers=2):
    """Per step, each layer's new keys and values (rows, heads, 1, dim) and a beam reorder of the rows."""
    for _ in range(count):
        states = [(torch.randn(rows, 3, 1, 4, generator=generator),) * 2 for _ in range(layers)]
        yield states, torch.randint(rows, (rows,), generator=generator)


@pytest.mark.parametrize("capacity", [3, 12, 40], ids=["grows", "exact", "roomy"])
def test_it_holds_what_the_dynamic_cache_holds_through_appends_and_reorders(capacity):
    from transformers.cache_utils import DynamicCache

    stock, fast = DynamicCache(), preallocated_cache(capacity)
    rooms = set()
    for states, beam_idx in steps(torch.Generator().manual_seed(0), rows=6, count=12):
        for layer, (keys, values) in enumerate(states):
            expected = stock.update(keys, values * 2, layer)
            got = fast.update(keys, values * 2, layer)
            assert all(torch.equal(e, g) for e, g in zip(expected, got, strict=True))
        stock.reorder_cache(beam_idx)
        fast.reorder_cache(beam_idx)
        rooms.add(fast.layers[0].keys.data_ptr())
        assert fast.get_seq_length() == stock.get_seq_length()
    assert all(
        torch.equal(s.keys, f.keys) and torch.equal(s.values, f.values)
        for s, f in zip(stock.layers, fast.layers, strict=True)
    )
    # Room is allocated once, then grown by doubling only when the generation outruns it.
    assert len(rooms) == (1 if capacity >= 12 else 3)


def test_a_batch_selection_leaves_the_room_and_appends_still_land():
    fast = preallocated_cache(8)
    keys = torch.arange(24.0).view(3, 2, 1, 4)
    fast.update(keys, keys, 0)
    fast.batch_select_indices(torch.tensor([2, 0]))
    fast.update(keys[:2] + 100, keys[:2] + 100, 0)
    assert torch.equal(fast.layers[0].keys, torch.cat([keys[[2, 0]], keys[:2] + 100], dim=2))


def engaged_alone(model_dir, generation, max_input):
    """A summarizer of ``model_dir`` with only the preallocated cache engaged (it must pass the load-time check)."""
    summarizer = load_seq2seq(
        load_model(ModelSettings(model=str(model_dir))), generation, BatchSettings(max_input_tokens=max_input)
    )
    assert PATH in [p.name for p in summarizer.fast_paths]
    summarizer.fast_paths = [p for p in summarizer.fast_paths if p.name == PATH]
    return summarizer


def predictions(summarizer, data, generation, max_input):
    config = EvalConfig(
        model=ModelSettings(model="unused"),
        data=data,
        generation=generation,
        batching=BatchSettings(max_input_tokens=max_input),
        scoring=ScoreSettings(bootstrap_samples=10),
    )
    return [p.prediction for p in evaluate_in_memory(config, summarizer=summarizer)[1]]


def test_engaged_alone_it_gives_the_docs_recipe_on_both_longt5_attention_types(tiny_model, examples):
    generation = GenerationSettings(max_length=24, num_beams=2)
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]
    expected = recipe_predictions(tiny_model, texts, max_input=2048, max_length=24)
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    summarizer = engaged_alone(tiny_model, generation, 2048)
    assert predictions(summarizer, DataSettings(dataset=str(examples)), generation, 2048) == expected


def test_engaged_alone_it_gives_each_family_s_model_card_recipe(tiny_family, examples):
    _, model_dir = tiny_family
    generation = GenerationSettings(max_length=24, num_beams=3)
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]
    expected = recipe_predictions(
        model_dir, texts, max_input=1024, max_length=24, padding="longest", batch_size=1, num_beams=3
    )
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    summarizer = engaged_alone(model_dir, generation, 1024)
    assert predictions(summarizer, DataSettings(dataset=str(examples)), generation, 1024) == expected


def test_engaged_alone_it_gives_the_trained_model_s_recipe_where_beams_finish_at_different_steps(examples):
    demo = builtin_checkpoint("builtin")
    settings = {"length_penalty": 0.6, "no_repeat_ngram_size": 4}
    generation = GenerationSettings(max_length=112, num_beams=4, **settings)
    data = DataSettings(dataset=str(examples), limit=4)
    expected = recipe_predictions(
        demo, [d.text for d in iter_documents(data)], max_input=1024, max_length=112, num_beams=4, **settings
    )
    summarizer = engaged_alone(demo, generation, 1024)
    got = predictions(summarizer, data, generation, 1024)
    assert got == expected
    assert len(set(got)) == 4 and len({len(p.split()) for p in got}) > 1


def test_a_cache_that_does_not_reorder_is_disengaged_with_one_warning(tiny_tglobal, monkeypatch):
    def unordered(capacity):
        cache = preallocated_cache(capacity)
        cache.reorder_cache = lambda beam_idx: None
        return cache

    monkeypatch.setattr(fast_paths_module, "preallocated_cache", unordered)
    summarizer = load_seq2seq(load_model(ModelSettings(model=str(tiny_tglobal))), GenerationSettings(), BatchSettings())
    assert PATH not in [p.name for p in summarizer.fast_paths]
    assert summarizer.warnings == [
        f"fast path {PATH} disengaged: on LongT5ForConditionalGeneration it did not reproduce stock transformers"
    ]

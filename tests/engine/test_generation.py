"""The engine against the transformers docs recipe, on tiny fp32 checkpoints of both attention types."""

import json

import pytest
from conftest import EXAMPLES

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.engine.generation_config import effective_generation_config
from longsum.engine.loading import LoadedModel, load_model
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import Document, iter_documents
from longsum.summarizers.builtin import builtin_checkpoint
from longsum.summarizers.seq2seq import load_seq2seq

MAX_INPUT = 2048
MAX_LENGTH = 24


def docs_recipe(model_dir, texts, max_input, max_length, num_beams=2, batch_size=2, **generation):
    """The LongT5 evaluation recipe of the transformers docs, with its sizes scaled down (and ``generation``
    passed to ``generate``)."""
    import torch
    from transformers import AutoTokenizer, LongT5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = LongT5ForConditionalGeneration.from_pretrained(model_dir).eval()
    predictions = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(
            texts[start : start + batch_size],
            max_length=max_input,
            padding="max_length",
            truncation=True,
            return_tensors="pt",
        )
        with torch.no_grad():
            out = model.generate(
                inputs.input_ids,
                attention_mask=inputs.attention_mask,
                max_length=max_length,
                num_beams=num_beams,
                **generation,
            )
        predictions += tokenizer.batch_decode(out, skip_special_tokens=True)
    return predictions


def eval_config(model_dir, dataset, **batching):
    return EvalConfig(
        model=ModelSettings(model=str(model_dir)),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=MAX_LENGTH, num_beams=2),
        batching=BatchSettings(max_input_tokens=MAX_INPUT, **batching),
        scoring=ScoreSettings(bootstrap_samples=10),
    )


def test_both_attention_types_load_and_generate(tiny_model, examples):
    result, result_predictions = evaluate_in_memory(eval_config(tiny_model, examples))
    assert result.counts.documents == 8
    assert all(p.prediction.strip() for p in result_predictions)
    assert result.stats.runner.generated_tokens > 8
    assert result.counts.truncated >= 1  # the longest examples exceed 2048 tokens


def test_dynamic_batching_reproduces_the_docs_recipe_token_for_token(tiny_model, examples):
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]
    expected = docs_recipe(tiny_model, texts, MAX_INPUT, MAX_LENGTH)
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    dynamic, dynamic_predictions = evaluate_in_memory(eval_config(tiny_model, examples))
    recipe_mode, recipe_mode_predictions = evaluate_in_memory(
        eval_config(tiny_model, examples, padding="max-length", batch_size=2)
    )
    assert [p.prediction for p in dynamic_predictions] == expected
    assert [p.prediction for p in recipe_mode_predictions] == expected
    assert dynamic.stats.runner.padding_efficiency == 1.0 < 1 / recipe_mode.stats.runner.padding_efficiency


def test_checkpoint_generation_config_is_the_base_and_flags_override(tiny_tglobal):
    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    loaded.model.generation_config.no_repeat_ngram_size = 3
    loaded.model.generation_config.length_penalty = 2.0
    loaded.model.generation_config.do_sample = True
    config = effective_generation_config(loaded.model.generation_config, GenerationSettings(length_penalty=0.5))
    assert config.no_repeat_ngram_size == 3  # kept from the checkpoint
    assert config.length_penalty == 0.5 and config.num_beams == 2 and config.max_length == 512
    assert config.do_sample is False
    new_tokens = effective_generation_config(loaded.model.generation_config, GenerationSettings(max_new_tokens=40))
    assert new_tokens.max_new_tokens == 40
    summarizer = load_seq2seq(loaded, GenerationSettings(length_penalty=0.5), BatchSettings())
    recorded = summarizer.describe().generation
    assert recorded["no_repeat_ngram_size"] == 3 and recorded["min_length"] == 0 and recorded["early_stopping"] is False


def test_half_precision_encoding_stays_finite_where_padding_would_not(tiny_local, examples):
    """fp16 on the CPU: the padded docs-recipe encoder yields NaN, longsum's unpadded encoder does not."""
    import torch

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


@pytest.mark.slow
def test_recipe_identity_on_real_pubmed_articles(tiny_model, pubmed_sample, tmp_path):
    rows = [json.loads(line) for line in pubmed_sample.open(encoding="utf-8")][:6]
    subset = tmp_path / "six.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    expected = docs_recipe(tiny_model, [r["article"] for r in rows], 4096, 32)
    config = eval_config(tiny_model, subset)
    config = EvalConfig(
        config.model,
        config.data,
        GenerationSettings(max_length=32),
        BatchSettings(max_input_tokens=4096),
        config.scoring,
    )
    _result, result_predictions = evaluate_in_memory(config)
    assert [p.prediction for p in result_predictions] == expected


#: Settings the trained model's fidelity tests run with: both change which beam wins and when beams finish.
DEMO_GENERATION = {"length_penalty": 0.6, "no_repeat_ngram_size": 4}
DEMO_INPUT, DEMO_LENGTH = 1024, 112


@pytest.fixture(scope="module")
def staggered(tmp_path_factory):
    """The shipped examples cut to their heading and 1, 2, 3, 5, 8 and 13 sentences: inputs of different
    lengths in one batch, whose lead summaries finish at different steps (the shortest are copied whole)."""
    from longsum.metrics.sentences import split_punkt

    docs = list(iter_documents(DataSettings(dataset=str(EXAMPLES), limit=6)))
    rows = [
        {"id": d.id, "article": " ".join(split_punkt(d.text)[: 1 + k]), "abstract": d.reference}
        for d, k in zip(docs, (1, 2, 3, 5, 8, 13), strict=False)
    ]
    path = tmp_path_factory.mktemp("staggered") / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def demo_config(model_dir, dataset, num_beams, **batching):
    return EvalConfig(
        model=ModelSettings(model=str(model_dir)),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=DEMO_LENGTH, num_beams=num_beams, **DEMO_GENERATION),
        batching=BatchSettings(max_input_tokens=DEMO_INPUT, **batching),
        scoring=ScoreSettings(bootstrap_samples=10),
    )


BEAMS = [pytest.param(1, marks=pytest.mark.slow), 2, *(pytest.param(n, marks=pytest.mark.slow) for n in (3, 4))]


@pytest.mark.parametrize("num_beams", BEAMS)
def test_trained_model_finishing_at_different_steps_gives_the_docs_recipe_predictions(num_beams, staggered):
    """Beams and documents of one batch that end at different steps: where batched beam search goes wrong."""
    demo = builtin_checkpoint("builtin")
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(staggered)))]
    expected = docs_recipe(demo, texts, DEMO_INPUT, DEMO_LENGTH, num_beams, **DEMO_GENERATION)
    _one_by_one, one_by_one_predictions = evaluate_in_memory(demo_config(demo, staggered, num_beams, batch_size=1))
    _recipe_mode, recipe_mode_predictions = evaluate_in_memory(
        demo_config(demo, staggered, num_beams, padding="max-length", batch_size=2)
    )
    assert [p.prediction for p in one_by_one_predictions] == expected
    assert [p.prediction for p in recipe_mode_predictions] == expected
    _dynamic, dynamic_predictions = evaluate_in_memory(demo_config(demo, staggered, num_beams))
    assert [p.prediction for p in dynamic_predictions] == expected
    assert len(set(expected)) == len(texts), "summaries must differ across documents"
    # The batch really finishes at different steps: summaries end with the end token at different lengths
    # (greedy search, with no beam to fall back on, runs more of them to the limit).
    ended = [p.generated_tokens for p in dynamic_predictions if p.ended_with_eos]
    finishing = 3 if num_beams > 1 else 2
    assert len(ended) >= finishing and len(set(ended)) >= finishing
    assert len(dynamic_predictions[0].prediction.split()) > 5, "the one-sentence document is copied, not dropped"


@pytest.mark.slow
def test_trained_model_honours_min_length_from_its_generation_config(staggered, tmp_path):
    import shutil

    from transformers import GenerationConfig

    checkpoint = tmp_path / "demo-min-length"
    shutil.copytree(builtin_checkpoint("builtin"), checkpoint)
    _free, free_predictions = evaluate_in_memory(demo_config(checkpoint, staggered, 2))
    shortest = min(p.generated_tokens for p in free_predictions)
    generation = GenerationConfig.from_pretrained(checkpoint)
    generation.min_length = shortest + 10
    generation.save_pretrained(checkpoint)
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(staggered)))]
    bound, bound_predictions = evaluate_in_memory(demo_config(checkpoint, staggered, 2, batch_size=1))
    assert bound.summarizer["generation"]["min_length"] == shortest + 10
    # min_length counts the decoder start token; generated tokens count the end token.
    assert min(p.generated_tokens for p in bound_predictions) >= shortest + 9
    assert [p.prediction for p in bound_predictions] == docs_recipe(
        checkpoint, texts, DEMO_INPUT, DEMO_LENGTH, 2, **DEMO_GENERATION
    )


def test_generated_lengths_stop_at_the_first_end_token_whatever_fills_the_row():
    import torch

    from longsum.engine.generation_config import generated_lengths

    rows = torch.tensor([[5, 6, 1, 0, 0], [5, 1, 1, 1, 1], [5, 6, 7, 8, 9], [5, 6, 0, 0, 0]])
    assert generated_lengths(rows, 1, 0) == [(3, True), (2, True), (5, False), (2, False)]
    assert generated_lengths(rows, [1, 9], None) == [(3, True), (2, True), (5, True), (5, False)]

"""The engine against the transformers docs recipe, on tiny fp32 checkpoints of both attention types."""

import json

import pytest

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.engine.batching import Batch, Item
from longsum.engine.generation import Seq2SeqSummarizer, effective_generation_config
from longsum.engine.loading import LoadedModel, load_model
from longsum.runs.evaluation import evaluate
from longsum.sources.documents import Document, iter_documents

MAX_INPUT = 2048
MAX_LENGTH = 24


def docs_recipe(model_dir, texts, max_input, max_length, num_beams=2, batch_size=2):
    """The LongT5 evaluation recipe of the transformers docs, with its sizes scaled down."""
    import torch
    from transformers import AutoTokenizer, LongT5ForConditionalGeneration

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = LongT5ForConditionalGeneration.from_pretrained(model_dir).eval()
    predictions = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(
            texts[start : start + batch_size], max_length=max_input, padding="max_length", truncation=True, return_tensors="pt"
        )
        with torch.no_grad():
            out = model.generate(inputs.input_ids, attention_mask=inputs.attention_mask, max_length=max_length, num_beams=num_beams)
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
    result = evaluate(eval_config(tiny_model, examples), keep_predictions=True)
    assert result.counts.documents == 8
    assert all(p.prediction.strip() for p in result.predictions)
    assert result.stats.runner.generated_tokens > 8
    assert result.counts.truncated >= 1  # the longest examples exceed 2048 tokens


def test_dynamic_batching_reproduces_the_docs_recipe_token_for_token(tiny_model, examples):
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]
    expected = docs_recipe(tiny_model, texts, MAX_INPUT, MAX_LENGTH)
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    dynamic = evaluate(eval_config(tiny_model, examples), keep_predictions=True)
    recipe_mode = evaluate(eval_config(tiny_model, examples, padding="max-length", batch_size=2), keep_predictions=True)
    assert [p.prediction for p in dynamic.predictions] == expected
    assert [p.prediction for p in recipe_mode.predictions] == expected
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
    summarizer = Seq2SeqSummarizer(loaded, GenerationSettings(length_penalty=0.5), BatchSettings())
    recorded = summarizer.describe()["generation"]
    assert recorded["no_repeat_ngram_size"] == 3 and recorded["min_length"] == 0 and recorded["early_stopping"] is False


def test_half_precision_encoding_stays_finite_where_padding_would_not(tiny_local, examples):
    """fp16 on the CPU: the padded docs-recipe encoder yields NaN, longsum's unpadded encoder does not."""
    import torch

    loaded = load_model(ModelSettings(model=str(tiny_local)))
    model = loaded.model.half()
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=2))]
    ids = [loaded.tokenizer(t, truncation=True, max_length=512).input_ids[:300 + 100 * i] for i, t in enumerate(texts)]
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
    summarizer = Seq2SeqSummarizer(
        LoadedModel(model, loaded.tokenizer, "cpu", "fp16", "tiny", "x"), GenerationSettings(max_length=8), BatchSettings()
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
    config = EvalConfig(config.model, config.data, GenerationSettings(max_length=32), BatchSettings(max_input_tokens=4096), config.scoring)
    result = evaluate(config, keep_predictions=True)
    assert [p.prediction for p in result.predictions] == expected

"""End to end in bf16 on a CPU that computes it natively: eval gives the recipes' predictions run in bf16 (the same
checkpoint loaded with ``dtype=torch.bfloat16``) with every fast path kept by the load-time self-check, for LongT5
(both attention types, and the trained demonstration model) and each other family."""

from dataclasses import replace

import pytest
from conftest import NATIVE_BF16
from recipes import recipe_predictions
from test_recipe_fidelity import (
    DEMO_GENERATION,
    DEMO_INPUT,
    DEMO_LENGTH,
    FAMILY_INPUT,
    MAX_INPUT,
    MAX_LENGTH,
    demo_config,
    eval_config,
    staggered,  # noqa: F401  (a fixture this module's tests use)
)

from longsum.config import DataSettings, EvalConfig
from longsum.engine.families import FAMILIES
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import iter_documents
from longsum.summarizers.builtin import builtin_checkpoint

pytestmark = NATIVE_BF16


def in_bf16(config: EvalConfig) -> EvalConfig:
    return replace(config, model=replace(config.model, dtype="bf16"))


def texts_of(dataset) -> list[str]:
    return [d.text for d in iter_documents(DataSettings(dataset=str(dataset)))]


def test_longt5_in_bf16_gives_the_docs_recipe_in_bf16_token_for_token(tiny_model, examples):
    texts = texts_of(examples)
    expected = recipe_predictions(tiny_model, texts, max_input=MAX_INPUT, max_length=MAX_LENGTH, dtype="bfloat16")
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    in_fp32 = recipe_predictions(tiny_model, texts, max_input=MAX_INPUT, max_length=MAX_LENGTH)
    assert expected != in_fp32, "bf16 must change some summary, or this test does not tell the dtypes apart"
    dynamic, dynamic_predictions = evaluate_in_memory(in_bf16(eval_config(tiny_model, examples)))
    _, recipe_mode_predictions = evaluate_in_memory(
        in_bf16(eval_config(tiny_model, examples, padding="max-length", batch_size=2))
    )
    assert [p.prediction for p in dynamic_predictions] == expected
    assert [p.prediction for p in recipe_mode_predictions] == expected
    assert dynamic.summarizer.dtype == "bf16" and not dynamic.warnings
    # Every LongT5 path that serves bf16 passed the load-time self-check and ran.
    assert len(dynamic.fast_paths) == 2 and "beam-shared-cross-attention" in dynamic.fast_paths


def test_trained_model_in_bf16_gives_the_docs_recipe_in_bf16(staggered):  # noqa: F811
    demo = builtin_checkpoint("builtin")
    texts = texts_of(staggered)
    expected = recipe_predictions(
        demo, texts, max_input=DEMO_INPUT, max_length=DEMO_LENGTH, num_beams=2, dtype="bfloat16", **DEMO_GENERATION
    )
    assert len(set(expected)) == len(texts), "summaries must differ across documents"
    for batching in ({}, {"batch_size": 1}):
        result, predictions = evaluate_in_memory(in_bf16(demo_config(demo, staggered, 2, **batching)))
        assert [p.prediction for p in predictions] == expected
        assert result.summarizer.dtype == "bf16" and not result.warnings


@pytest.mark.slow
def test_each_family_in_bf16_keeps_its_fast_paths_and_gives_the_bf16_model_card_recipe(tiny_family, examples):
    """Alone and padded to the limit, which fix every product's shape; in bf16 the families on SDPA attention
    round by the padded length, so dynamic batches are held to neither (see docs/bf16-on-cpu.md)."""
    name, model_dir = tiny_family
    texts = texts_of(examples)

    def model_card(padding, batch_size):
        return recipe_predictions(
            model_dir,
            texts,
            max_input=FAMILY_INPUT,
            max_length=MAX_LENGTH,
            padding=padding,
            batch_size=batch_size,
            dtype="bfloat16",
        )

    def run(**batching):
        return evaluate_in_memory(in_bf16(eval_config(model_dir, examples, max_input=FAMILY_INPUT, **batching)))

    alone = model_card("longest", 1)
    assert len(set(alone)) > 4, "outputs must vary with the input for this test to mean anything"
    one_by_one, one_by_one_predictions = run(batch_size=1)
    assert [p.prediction for p in one_by_one_predictions] == alone
    assert one_by_one.fast_paths == [p.name for p in FAMILIES[name].fast_paths()] and not one_by_one.warnings
    _, max_length_predictions = run(padding="max-length", batch_size=2)
    assert [p.prediction for p in max_length_predictions] == model_card("max_length", 2)

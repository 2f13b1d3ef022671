"""End to end on tiny fp32 checkpoints: eval gives the transformers docs recipe's predictions (LongT5, both
attention types, and the trained demonstration model) and each family's model-card recipe's, token for token."""

import json

import pytest
from conftest import EXAMPLES
from recipes import recipe_predictions

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.engine.families import FAMILIES
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import iter_documents
from longsum.summarizers.builtin import builtin_checkpoint

MAX_INPUT = 2048
MAX_LENGTH = 24
#: The input limit of the other families' fidelity test: BART's and PEGASUS's 1,024 positions.
FAMILY_INPUT = 1024


def eval_config(model_dir, dataset, max_input=MAX_INPUT, **batching):
    return EvalConfig(
        model=ModelSettings(model=str(model_dir)),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=MAX_LENGTH, num_beams=2),
        batching=BatchSettings(max_input_tokens=max_input, **batching),
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
    expected = recipe_predictions(tiny_model, texts, max_input=MAX_INPUT, max_length=MAX_LENGTH)
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    dynamic, dynamic_predictions = evaluate_in_memory(eval_config(tiny_model, examples))
    recipe_mode, recipe_mode_predictions = evaluate_in_memory(
        eval_config(tiny_model, examples, padding="max-length", batch_size=2)
    )
    assert [p.prediction for p in dynamic_predictions] == expected
    assert [p.prediction for p in recipe_mode_predictions] == expected
    assert dynamic.stats.runner.padding_efficiency == 1.0 < 1 / recipe_mode.stats.runner.padding_efficiency


@pytest.mark.slow
def test_recipe_identity_on_real_pubmed_articles(tiny_model, pubmed_sample, tmp_path):
    rows = [json.loads(line) for line in pubmed_sample.open(encoding="utf-8")][:6]
    subset = tmp_path / "six.jsonl"
    subset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    expected = recipe_predictions(tiny_model, [r["article"] for r in rows], max_input=4096, max_length=32)
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


def test_each_family_reproduces_its_model_card_recipe_in_both_paddings(tiny_family, examples):
    name, model_dir = tiny_family
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]

    def model_card(padding, batch_size=2):
        return recipe_predictions(
            model_dir, texts, max_input=FAMILY_INPUT, max_length=MAX_LENGTH, padding=padding, batch_size=batch_size
        )

    def run(**batching):
        return evaluate_in_memory(eval_config(model_dir, examples, max_input=FAMILY_INPUT, **batching))

    padded_recipe = model_card("longest")
    alone = model_card("longest", batch_size=1)
    assert len(set(alone)) > 4, "outputs must vary with the input for this test to mean anything"
    family = FAMILIES[name]
    # Whether padding changes a family's outputs is observed here, and declared in its module.
    assert (padded_recipe != alone) == family.padding_sensitive
    dynamic, dynamic_predictions = run()
    assert [p.prediction for p in dynamic_predictions] == alone
    _, max_length_predictions = run(padding="max-length", batch_size=2)
    assert [p.prediction for p in max_length_predictions] == model_card("max_length")
    assert dynamic.summarizer.family == name and dynamic.config.batching.max_input_tokens == FAMILY_INPUT
    assert dynamic.fast_paths == [p.name for p in family.fast_paths()]


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
    expected = recipe_predictions(
        demo, texts, max_input=DEMO_INPUT, max_length=DEMO_LENGTH, num_beams=num_beams, **DEMO_GENERATION
    )
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
    assert bound.summarizer.generation["min_length"] == shortest + 10
    # min_length counts the decoder start token; generated tokens count the end token.
    assert min(p.generated_tokens for p in bound_predictions) >= shortest + 9
    assert [p.prediction for p in bound_predictions] == recipe_predictions(
        checkpoint, texts, max_input=DEMO_INPUT, max_length=DEMO_LENGTH, num_beams=2, **DEMO_GENERATION
    )

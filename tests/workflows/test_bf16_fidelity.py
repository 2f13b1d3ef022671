"""End to end in bf16 on a CPU that computes it natively: eval gives the recipes' predictions run in bf16 (the same
checkpoint loaded with ``dtype=torch.bfloat16``) with every fast path kept by the load-time self-check, for LongT5
(both attention types, and the trained demonstration model) and each other family, whose dynamic batches give each
document alone (in batches of one input length, with one warning, on SDPA attention)."""

import json

import pytest
from conftest import NATIVE_BF16, staggered_dataset, staggered_texts
from recipes import recipe_predictions
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import BatchSettings, DataSettings, EvalConfig, GenerationSettings, ModelSettings, ScoreSettings
from longsum.engine.families import FAMILIES
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import iter_documents
from longsum.summarizers.builtin import builtin_checkpoint

pytestmark = NATIVE_BF16

#: The fp32 fidelity tests' settings (tests/workflows/test_recipe_fidelity.py), run in bf16.
MAX_INPUT, MAX_LENGTH, FAMILY_INPUT = 2048, 24, 1024
DEMO_GENERATION = {"length_penalty": 0.6, "no_repeat_ngram_size": 4}
DEMO_INPUT, DEMO_LENGTH = 1024, 112


def bf16_config(model_dir, dataset, max_input, max_length, generation=None, **batching):
    return EvalConfig(
        model=ModelSettings(model=str(model_dir), dtype="bf16"),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=max_length, num_beams=2, **(generation or {})),
        batching=BatchSettings(max_input_tokens=max_input, **batching),
        scoring=ScoreSettings(bootstrap_samples=10),
    )


def texts_of(dataset) -> list[str]:
    return [d.text for d in iter_documents(DataSettings(dataset=str(dataset)))]


@pytest.fixture(scope="module")
def staggered(tmp_path_factory):
    """Inputs of 1 to 13 sentences, whose summaries finish at different steps."""
    return staggered_dataset(tmp_path_factory.mktemp("bf16-staggered"))


#: The families that load with SDPA attention (transformers' default for them); the others compute it eagerly.
SDPA_FAMILIES = ["bart", "pegasus"]
#: The input limit of the mixed-length runs: the 8 shipped examples are longer, so they share this length.
MIXED_INPUT = 512


@pytest.fixture(scope="module")
def mixed_lengths(tmp_path_factory):
    """The shipped examples (each cut to ``MIXED_INPUT`` tokens: one length) and the staggered inputs (6 others)."""
    from conftest import EXAMPLES

    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]
    rows += [{"id": f"short-{i}", "article": t, "abstract": "a summary."} for i, t in enumerate(staggered_texts())]
    path = tmp_path_factory.mktemp("bf16-mixed") / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_longt5_in_bf16_gives_the_docs_recipe_in_bf16_token_for_token(tiny_model, examples):
    texts = texts_of(examples)
    expected = recipe_predictions(tiny_model, texts, max_input=MAX_INPUT, max_length=MAX_LENGTH, dtype="bfloat16")
    assert len(set(expected)) > 4, "outputs must vary with the input for this test to mean anything"
    in_fp32 = recipe_predictions(tiny_model, texts, max_input=MAX_INPUT, max_length=MAX_LENGTH)
    assert expected != in_fp32, "bf16 must change some summary, or this test does not tell the dtypes apart"
    dynamic, dynamic_predictions = evaluate_in_memory(bf16_config(tiny_model, examples, MAX_INPUT, MAX_LENGTH))
    _, recipe_mode_predictions = evaluate_in_memory(
        bf16_config(tiny_model, examples, MAX_INPUT, MAX_LENGTH, padding="max-length", batch_size=2)
    )
    assert [p.prediction for p in dynamic_predictions] == expected
    assert [p.prediction for p in recipe_mode_predictions] == expected
    assert dynamic.summarizer.dtype == "bf16" and not dynamic.warnings
    # Every LongT5 path that serves bf16 passed the load-time self-check and ran.
    assert "beam-shared-cross-attention" in dynamic.fast_paths
    assert "preallocated-self-attention-cache" in dynamic.fast_paths and "row-slab-layer-norm" in dynamic.fast_paths
    assert len(dynamic.fast_paths) == 4


def test_trained_model_in_bf16_gives_the_docs_recipe_in_bf16(staggered):
    demo = builtin_checkpoint("builtin")
    texts = texts_of(staggered)
    expected = recipe_predictions(
        demo, texts, max_input=DEMO_INPUT, max_length=DEMO_LENGTH, num_beams=2, dtype="bfloat16", **DEMO_GENERATION
    )
    assert len(set(expected)) == len(texts), "summaries must differ across documents"
    for batching in ({}, {"batch_size": 1}):
        config = bf16_config(demo, staggered, DEMO_INPUT, DEMO_LENGTH, DEMO_GENERATION, **batching)
        result, predictions = evaluate_in_memory(config)
        assert [p.prediction for p in predictions] == expected
        assert result.summarizer.dtype == "bf16" and not result.warnings


@pytest.mark.slow
def test_each_family_in_bf16_keeps_its_fast_paths_and_gives_the_bf16_model_card_recipe(tiny_family, examples):
    """Alone and padded to the limit, which fix every product's shape (dynamic batches: the next test)."""
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
        return evaluate_in_memory(bf16_config(model_dir, examples, FAMILY_INPUT, MAX_LENGTH, **batching))

    alone = model_card("longest", 1)
    assert len(set(alone)) > 4, "outputs must vary with the input for this test to mean anything"
    one_by_one, one_by_one_predictions = run(batch_size=1)
    assert [p.prediction for p in one_by_one_predictions] == alone
    # Every path but the sliced output layer, which serves fp32 only.
    in_bf16 = [p.name for p in FAMILIES[name].fast_paths() if p.name != "vocab-sliced-output-layer"]
    assert one_by_one.fast_paths == in_bf16 and not one_by_one.warnings
    _, max_length_predictions = run(padding="max-length", batch_size=2)
    assert [p.prediction for p in max_length_predictions] == model_card("max_length", 2)


@pytest.mark.slow
@pytest.mark.parametrize("tiny_family", SDPA_FAMILIES, indirect=True)
def test_sdpa_families_in_bf16_give_each_document_alone_in_dynamic_batches_of_mixed_lengths(
    tiny_family, mixed_lengths, tmp_path
):
    """BART and PEGASUS, whose SDPA attention rounds by the padded key length on the CPU: their dynamic batches hold
    one input length each (several documents where lengths repeat), said in one warning line."""
    _, model_dir = tiny_family
    texts = texts_of(mixed_lengths)
    alone = recipe_predictions(
        model_dir,
        texts,
        max_input=MIXED_INPUT,
        max_length=MAX_LENGTH,
        padding="longest",
        batch_size=1,
        dtype="bfloat16",
    )
    assert len(set(alone)) >= len(texts) - 1, "summaries must differ across documents"
    result, predictions = evaluate_in_memory(bf16_config(model_dir, mixed_lengths, MIXED_INPUT, MAX_LENGTH))
    assert [p.prediction for p in predictions] == alone
    lengths = [[tokens for tokens, _ in batch] for batch in result.stats.runner.batches]
    assert max(map(len, lengths)) >= 2 and len({n for batch in lengths for n in batch}) > 2
    assert all(len(set(batch)) == 1 for batch in lengths)
    assert result.summarizer.same_length_batches and "|pad:same-length|" in result.signature

    out = tmp_path / "run"
    cli = CliRunner().invoke(
        app,
        [
            *("eval", "--model", str(model_dir), "--dataset", str(mixed_lengths), "--dtype", "bf16"),
            *("--num-beams", "2", "--max-input-tokens", str(MIXED_INPUT), "--max-length", str(MAX_LENGTH)),
            *("--output-dir", str(out)),
        ],
    )
    assert cli.exit_code == 0, cli.output
    # The terminal wraps long lines: count in the output with its line breaks taken out.
    assert " ".join(cli.output.split()).count("SDPA attention rounds by the padded key length") == 1
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert len(metrics["warnings"]) == 1 and metrics["model"]["same_length_batches"] is True
    assert [json.loads(line)["prediction"] for line in (out / "predictions.jsonl").read_text().splitlines()] == alone

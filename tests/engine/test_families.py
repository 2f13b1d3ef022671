"""Every family against its model card's recipe, token for token, on tiny fp32 checkpoints; limits and registry."""

import pytest
import torch

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.engine.families import FAMILIES, family_for, input_limit
from longsum.engine.loading import load_model
from longsum.errors import LongsumError
from longsum.runs.evaluation import evaluate_in_memory
from longsum.sources.documents import iter_documents
from longsum.summarizers.seq2seq import load_seq2seq

MAX_INPUT = 1024
MAX_LENGTH = 24


def model_card_recipe(model_dir, texts, padding, max_input=MAX_INPUT, batch_size=2):
    """A model card's evaluation loop: ``batch_size`` documents padded as asked, LED with its global first token."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()
    predictions = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(
            texts[start : start + batch_size],
            max_length=max_input,
            padding=padding,
            truncation=True,
            return_tensors="pt",
        )
        extra = {}
        if model.config.model_type == "led":
            extra["global_attention_mask"] = torch.zeros_like(inputs.input_ids)
            extra["global_attention_mask"][:, 0] = 1
        with torch.no_grad():
            out = model.generate(
                inputs.input_ids, attention_mask=inputs.attention_mask, max_length=MAX_LENGTH, num_beams=2, **extra
            )
        predictions += tokenizer.batch_decode(out, skip_special_tokens=True)
    return predictions


def run(model_dir, dataset, **batching):
    config = EvalConfig(
        model=ModelSettings(model=str(model_dir)),
        data=DataSettings(dataset=str(dataset)),
        generation=GenerationSettings(max_length=MAX_LENGTH, num_beams=2),
        batching=BatchSettings(max_input_tokens=MAX_INPUT, **batching),
        scoring=ScoreSettings(bootstrap_samples=10),
    )
    return evaluate_in_memory(config)


def test_each_family_reproduces_its_model_card_recipe_in_both_paddings(tiny_family, examples):
    name, model_dir = tiny_family
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples)))]
    padded_recipe = model_card_recipe(model_dir, texts, "longest")
    alone = model_card_recipe(model_dir, texts, "longest", batch_size=1)
    assert len(set(alone)) > 4, "outputs must vary with the input for this test to mean anything"
    family = FAMILIES[name]
    # Whether padding changes a family's outputs is observed here, and declared in its module.
    assert (padded_recipe != alone) == family.padding_sensitive
    dynamic, dynamic_predictions = run(model_dir, examples)
    assert [p.prediction for p in dynamic_predictions] == alone
    _, max_length_predictions = run(model_dir, examples, padding="max-length", batch_size=2)
    assert [p.prediction for p in max_length_predictions] == model_card_recipe(model_dir, texts, "max_length")
    assert dynamic.summarizer.family == name and dynamic.config.batching.max_input_tokens == MAX_INPUT
    assert dynamic.fast_paths == [p.name for p in family.fast_paths()]


def test_the_input_limit_is_the_model_own_unless_given(tiny_family):
    name, model_dir = tiny_family
    loaded = load_model(ModelSettings(model=str(model_dir)))
    family = family_for(loaded.model.config)
    assert family.name == name
    own = {"led": 16384, "bart": 1024, "pegasus": 1024, "pegasus-x": 16384, "bigbird-pegasus": 4096}[name]
    assert family.position_limit(loaded.model.config) == own
    summarizer = load_seq2seq(loaded, GenerationSettings(), BatchSettings())
    assert summarizer.max_input_tokens == min(own, 16384) == summarizer.describe().max_input_tokens
    ids, source = summarizer.encode("word " * 20000)
    assert len(ids) == summarizer.max_input_tokens < source
    with pytest.raises(LongsumError, match=f"--max-input-tokens {own + 1} is more than this {name} model's {own}"):
        load_seq2seq(loaded, GenerationSettings(), BatchSettings(max_input_tokens=own + 1))


def test_unknown_model_types_run_as_the_generic_family():
    class Config:
        model_type = "t5"
        max_position_embeddings = 512

    family = family_for(Config())
    assert family.name == "generic" and not family.fast_paths()
    assert input_limit(family, Config(), None) == 512
    Config.max_position_embeddings = None
    assert input_limit(family, Config(), None) == 16384 == input_limit(FAMILIES["longt5"], Config(), None)


def test_led_puts_global_attention_on_the_first_token_only():
    ids = torch.ones(2, 5, dtype=torch.long)
    mask = FAMILIES["led"].encoder_inputs(ids, None)["global_attention_mask"]
    assert mask.tolist() == [[1, 0, 0, 0, 0]] * 2


@pytest.mark.parametrize("beams", [2, 3])
def test_beam_shared_cross_attention_gives_the_stock_beams_with_one_cross_row_per_input(tiny_family, examples, beams):
    from transformers.modeling_outputs import BaseModelOutput

    from longsum.engine.fast_paths import beam_shared_cross_cache, fast_paths
    from longsum.engine.seq2seq_decoding import encode_alone_decode_padded

    name, model_dir = tiny_family
    paths = [p for p in FAMILIES[name].fast_paths() if p.beam_cache]
    if not paths:
        pytest.skip(f"no beam-shared cross-attention for {name} yet")
    loaded = load_model(ModelSettings(model=str(model_dir)))
    summarizer = load_seq2seq(
        loaded, GenerationSettings(max_length=20, num_beams=beams), BatchSettings(max_input_tokens=600)
    )
    texts = [d.text for d in iter_documents(DataSettings(dataset=str(examples), limit=4))]
    rows = [torch.tensor(summarizer.encode(t)[0][: 200 + 100 * i]) for i, t in enumerate(texts)]
    with torch.inference_mode():
        states, mask, stock = encode_alone_decode_padded(
            loaded.model, summarizer.family, rows, [], summarizer.generation_config
        )
        cache = beam_shared_cross_cache(beams)
        with fast_paths(loaded.model, paths):
            fast = loaded.model.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=states),
                attention_mask=mask,
                generation_config=summarizer.generation_config,
                cache=cache,
            )
    assert torch.equal(stock, fast)
    assert len({tuple(r) for r in stock.tolist()}) == len(rows)
    assert cache.cross_attention_cache.layers[0].keys.shape[0] == len(rows)


@pytest.mark.parametrize(
    ("inputs", "beams", "heads", "dim", "length", "steps"),
    [
        (2, 2, 2, 32, 700, 1),
        (3, 3, 12, 64, 1100, 1),
        (2, 2, 4, 64, 16384, 1),
        (2, 2, 2, 32, 300, 3),
        (1, 8, 4, 64, 2000, 1),
    ],
)
def test_shared_key_attention_rounds_as_one_stock_product_per_beam(inputs, beams, heads, dim, length, steps):
    from longsum.engine.families.kernels import attend_per_beam

    generator = torch.Generator().manual_seed(length)
    query = torch.randn(inputs, beams, heads, steps, dim, generator=generator)
    keys, values = (torch.randn(inputs, heads, length, dim, generator=generator) for _ in range(2))
    mask = torch.zeros(inputs, 1, steps, length)
    mask[0, ..., length // 3 :] = torch.finfo(torch.float32).min
    # The stock path: each beam's rows hold their own copy of the keys and values.
    stock = torch.stack(
        [
            torch.softmax(torch.matmul(query[:, b], keys.transpose(2, 3)) * 0.5 + mask, dim=-1) @ values
            for b in range(beams)
        ],
        1,
    )
    assert torch.equal(attend_per_beam(query, keys, values, mask, scaling=0.5), stock)

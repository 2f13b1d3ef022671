"""The generation settings in force: the checkpoint's generation_config under the user's overrides, what is
recorded of it, and how long each generated row is."""

import torch
from transformers import GenerationConfig

from longsum.config import BatchSettings, GenerationSettings, ModelSettings
from longsum.engine.generation_config import (
    RECORDED_KEYS,
    effective_generation_config,
    generated_lengths,
    recorded_settings,
)
from longsum.engine.loading import load_model
from longsum.summarizers.seq2seq import load_seq2seq


def test_checkpoint_generation_config_is_the_base_and_flags_override(tiny_tglobal):
    loaded = load_model(ModelSettings(model=str(tiny_tglobal)))
    loaded.model.generation_config.no_repeat_ngram_size = 3
    loaded.model.generation_config.length_penalty = 2.0
    loaded.model.generation_config.do_sample = True
    config = effective_generation_config(
        loaded.model.generation_config, GenerationSettings(length_penalty=0.5, num_beams=2)
    )
    assert config.no_repeat_ngram_size == 3  # kept from the checkpoint
    assert config.length_penalty == 0.5 and config.num_beams == 2 and config.max_length == 512
    assert config.do_sample is False
    new_tokens = effective_generation_config(loaded.model.generation_config, GenerationSettings(max_new_tokens=40))
    assert new_tokens.max_new_tokens == 40
    summarizer = load_seq2seq(loaded, GenerationSettings(length_penalty=0.5), BatchSettings())
    recorded = summarizer.describe().generation
    assert recorded["no_repeat_ngram_size"] == 3 and recorded["min_length"] == 0 and recorded["early_stopping"] is False
    # No beam width given: a seq2seq model gets the docs recipe's 2, whatever its checkpoint says.
    assert recorded["num_beams"] == 2


def test_unset_fields_are_resolved_to_the_library_defaults_and_the_base_is_left_alone():
    base = GenerationConfig(num_beams=4, repetition_penalty=1.3, do_sample=True, max_length=300)
    config = effective_generation_config(base, GenerationSettings(max_new_tokens=40, num_beams=None))
    # The checkpoint's values stay unless overridden; max_new_tokens replaces max_length, which stays unset.
    assert (config.num_beams, config.repetition_penalty, config.max_new_tokens) == (4, 1.3, 40)
    assert config.max_length is None and config.do_sample is False
    # transformers leaves these None and applies its defaults inside generate(): longsum records those values.
    assert (config.min_length, config.length_penalty, config.no_repeat_ngram_size, config.early_stopping) == (
        0,
        1.0,
        0,
        False,
    )
    assert (base.do_sample, base.max_length, base.max_new_tokens) == (True, 300, None)


def test_recorded_settings_are_the_keys_that_change_a_summary_in_order():
    config = effective_generation_config(GenerationConfig(), GenerationSettings(max_length=64, num_beams=3))
    recorded = recorded_settings(config)
    assert list(recorded) == list(RECORDED_KEYS)
    assert recorded == {
        "max_length": 64,
        "max_new_tokens": None,
        "min_length": 0,
        "min_new_tokens": None,
        "num_beams": 3,
        "length_penalty": 1.0,
        "no_repeat_ngram_size": 0,
        "repetition_penalty": 1.0,
        "early_stopping": False,
        "do_sample": False,
    }


def test_generated_lengths_stop_at_the_first_end_token_whatever_fills_the_row():
    rows = torch.tensor([[5, 6, 1, 0, 0], [5, 1, 1, 1, 1], [5, 6, 7, 8, 9], [5, 6, 0, 0, 0]])
    assert generated_lengths(rows, 1, 0) == [(3, True), (2, True), (5, False), (2, False)]
    assert generated_lengths(rows, [1, 9], None) == [(3, True), (2, True), (5, True), (5, False)]


def test_without_an_end_token_no_row_ends_and_padding_is_not_counted():
    rows = torch.tensor([[5, 0, 0], [5, 6, 7], [0, 0, 0]])
    assert generated_lengths(rows, None, 0) == [(1, False), (3, False), (0, False)]
    assert generated_lengths(rows, [], None) == [(3, False)] * 3

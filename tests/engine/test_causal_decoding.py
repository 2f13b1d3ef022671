"""A causal LM's generation settings, input limit and output: end ids, stop strings, reasoning traces."""

import pytest

from longsum.config import GenerationSettings
from longsum.engine.causal_decoding import (
    causal_generation_config,
    context_limit,
    cut_at_stop,
    decode_output,
    end_ids,
    strip_reasoning,
)


@pytest.mark.parametrize(
    "text, prediction",
    [
        ("<think>the report is on iron.</think>\n\nIron uptake is regulated.", "Iron uptake is regulated."),
        # The chat template opened the trace: only its end is in the output.
        ("the report is on iron.</think> Iron uptake is regulated.", "Iron uptake is regulated."),
        # Out of tokens while thinking: no summary was reached.
        ("<think>the report is on iron, and", ""),
        ("<think>a</think> <think>b", ""),
        ("Iron uptake is regulated.", "Iron uptake is regulated."),
        (" Iron uptake is regulated.", " Iron uptake is regulated."),
        ("Iron <think>why?</think> uptake.", "Iron  uptake."),
    ],
)
def test_a_reasoning_trace_is_taken_off(text, prediction):
    assert strip_reasoning(text) == prediction


def test_the_text_is_cut_before_the_first_stop_string_to_appear():
    assert cut_at_stop("a b\n\nc END d", ("END", "\n\n")) == ("a b", True)
    assert cut_at_stop("a b", ("END",)) == ("a b", False)
    assert cut_at_stop("a b", ()) == ("a b", False)


def test_the_input_limit_is_the_context_length_at_most_the_one_asked_for():
    class Config:
        max_position_embeddings = 4096

    class Gpt2Like:
        n_positions = 1024

    assert context_limit(Config(), None) == 4096 and context_limit(Config(), 1000) == 1000
    assert context_limit(Config(), 100_000) == 4096 and context_limit(Gpt2Like(), None) == 1024
    assert context_limit(object(), None) == 16384 and context_limit(object(), 300) == 300


def test_every_end_id_stays_in_force_and_max_length_gives_way_to_max_new_tokens():
    from transformers import GenerationConfig

    base = GenerationConfig(eos_token_id=[1, 4], do_sample=True, temperature=0.6, num_beams=3, max_length=4096)
    config = causal_generation_config(base, GenerationSettings(num_beams=None), 200, ("\n\n",))
    assert end_ids(config) == [1, 4] and config.pad_token_id == 1
    assert config.max_new_tokens == 200 and config.max_length is None and config.do_sample is False
    assert config.num_beams == 3 and config.stop_strings == ["\n\n"]
    assert causal_generation_config(base, GenerationSettings(num_beams=1), 8, ()).num_beams == 1
    assert causal_generation_config(base, GenerationSettings(), 8, ()).stop_strings is None
    assert end_ids(GenerationConfig()) == [] and end_ids(GenerationConfig(eos_token_id=2)) == [2]


def test_an_output_counts_its_tokens_to_the_first_end_id_and_says_how_it_ended():
    import torch
    from transformers import AutoTokenizer, GenerationConfig

    from longsum.summarizers.builtin import builtin_checkpoint

    tokenizer = AutoTokenizer.from_pretrained(builtin_checkpoint("builtin:qwen2"))
    config = GenerationConfig(eos_token_id=tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"]))
    config.pad_token_id = tokenizer.pad_token_id
    text = tokenizer("iron uptake is regulated. END more", add_special_tokens=False).input_ids
    ended = torch.tensor([*text, *tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])])
    decoded = decode_output(ended, tokenizer, config, ())
    assert decoded.tokens == len(text) + 1 and decoded.ended and decoded.prediction == decoded.raw
    cut = decode_output(torch.tensor(text), tokenizer, config, ())
    assert cut.tokens == len(text) and not cut.ended
    stopped = decode_output(torch.tensor(text), tokenizer, config, (" END",))
    assert stopped.prediction == "iron uptake is regulated." and stopped.ended
    assert stopped.raw == "iron uptake is regulated. END more"

"""The built-in tiny causal LMs: built once, loaded as causal LMs with their families' tokenizers and chat
templates, and random at a scale where what they write depends on what they read."""

import pytest

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    ScoreSettings,
)
from longsum.runs.evaluation import evaluate_in_memory
from longsum.summarizers.builtin import builtin_checkpoint
from longsum.summarizers.causal_builtin import CAUSAL_BUILTINS
from longsum.summarizers.resolver import load_checkpoint

NAMES = list(CAUSAL_BUILTINS)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", NAMES)
def test_each_loads_as_a_causal_lm_with_a_chat_template_and_heads_of_32(name):
    loaded = load_checkpoint(ModelSettings(model=name))
    config = loaded.model.config
    assert loaded.kind == "causal" and config.model_type == CAUSAL_BUILTINS[name].family
    assert config.head_dim >= 32 and loaded.model.config._attn_implementation == "sdpa"
    tokenizer = loaded.tokenizer
    assert tokenizer.is_fast and tokenizer.chat_template
    text = "the patients were treated with a new drug."
    assert tokenizer.decode(tokenizer(text).input_ids, skip_special_tokens=True) == text
    assert builtin_checkpoint(name) == builtin_checkpoint(name)
    # Each ships sampling settings, as chat checkpoints do; evaluation turns them off.
    assert loaded.model.generation_config.do_sample


def test_llama_ends_a_turn_with_eot_beside_its_tokenizers_eos():
    loaded = load_checkpoint(ModelSettings(model="builtin:llama"))
    tokenizer = loaded.tokenizer
    end, eot = tokenizer.convert_tokens_to_ids(["<|end_of_text|>", "<|eot_id|>"])
    assert tokenizer.eos_token_id == end and loaded.model.generation_config.eos_token_id == [end, eot]
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True)
    assert ids["input_ids"].count(tokenizer.bos_token_id) == 1, "the BOS comes from the template alone"


@pytest.mark.parametrize("name", NAMES)
def test_summaries_differ_across_documents(name, examples):
    config = EvalConfig(
        model=ModelSettings(model=name),
        data=DataSettings(dataset=str(examples), limit=4),
        generation=GenerationSettings(max_length=None, max_new_tokens=6, num_beams=None),
        batching=BatchSettings(max_input_tokens=700),
        scoring=ScoreSettings(bootstrap_samples=10),
    )
    _result, records = evaluate_in_memory(config)
    assert len({r.prediction for r in records}) == len(records) == 4

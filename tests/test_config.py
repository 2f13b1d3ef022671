import dataclasses
import typing

import pytest

from longsum.config import (
    DTYPES,
    PADDINGS,
    SPLITTERS,
    BatchSettings,
    DataSettings,
    Dtype,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    Padding,
    PromptSettings,
    ScoreSettings,
    SentenceSplitter,
    ServedSettings,
)
from longsum.errors import LongsumError


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: GenerationSettings(num_beams=0), "--num-beams"),
        (lambda: GenerationSettings(max_length=0), "--max-length"),
        (lambda: GenerationSettings(max_new_tokens=0), "--max-new-tokens"),
        (lambda: GenerationSettings(no_repeat_ngram_size=-1), "--no-repeat-ngram-size"),
        (lambda: DataSettings(limit=-1), "--limit"),
        (lambda: ModelSettings(dtype="fp8"), "--dtype"),
        (lambda: ModelSettings(device="tpu"), "--device"),
        (lambda: ModelSettings(device="cuda:x"), "--device"),
        (lambda: ModelSettings(model=" "), "--model"),
        (lambda: BatchSettings(padding="longest"), "--padding"),
        (lambda: BatchSettings(batch_size=0), "--batch-size"),
        (lambda: BatchSettings(max_batch_tokens=0), "--max-batch-tokens"),
        (lambda: BatchSettings(max_input_tokens=1), "--max-input-tokens"),
        (lambda: ScoreSettings(sentence_splitter="spacy"), "splitter"),
        (lambda: ScoreSettings(confidence=1.0), "the confidence level must lie between 0 and 1"),
        (lambda: PromptSettings(prompt="Summarize the article."), "no {document} placeholder"),
        (lambda: PromptSettings(prompt="{document} and again {document}"), "has 2 {document} placeholders"),
        (lambda: PromptSettings(chat_template="yes"), "--chat-template"),
        (lambda: PromptSettings(truncation="start"), "--truncation"),
        (lambda: PromptSettings(stop=("",)), "stop string must not be empty"),
        (lambda: ServedSettings("127.0.0.1:8000/v1"), "not an http"),
        (lambda: ServedSettings(api="responses"), "--api"),
        (lambda: ServedSettings(on_too_long="cut"), "--on-too-long"),
        (lambda: ServedSettings(concurrency=0), "--concurrency"),
        (lambda: ServedSettings(max_retries=-1), "--max-retries"),
        (lambda: ServedSettings(request_timeout=0), "--request-timeout"),
        (lambda: ServedSettings(price_out=-1), "prices"),
    ],
)
def test_bad_settings_raise_one_clear_error(build, message):
    with pytest.raises(LongsumError, match=message):
        build()


def test_valid_devices_are_accepted():
    for device in ("auto", "cpu", "cuda", "cuda:3"):
        assert ModelSettings(device=device).device == device


def test_overrides_keep_only_given_settings():
    assert GenerationSettings(max_length=64, num_beams=None).overrides() == {"max_length": 64}


def test_max_new_tokens_replaces_max_length():
    overrides = GenerationSettings(max_length=512, max_new_tokens=100, num_beams=2).overrides()
    assert overrides == {"max_new_tokens": 100, "num_beams": 2}
    # Unset, the beam width is the model kind's (summarizers/seq2seq.py, summarizers/causal.py): no override.
    assert "num_beams" not in GenerationSettings().overrides()


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        ModelSettings().model = "x"  # type: ignore[misc]


def test_the_split_defaults_to_none_a_benchmarks_own_else_validation():
    # The library reads what `longsum eval --dataset NAME` reads (tests/cli/test_eval_command.py checks both).
    assert DataSettings().split is None and DataSettings(dataset="pubmed").split is None


def test_one_seed_lives_in_the_scoring_settings():
    assert "seed" not in {f.name for f in dataclasses.fields(EvalConfig)}
    config = EvalConfig(scoring=ScoreSettings(seed=4))
    assert config.to_dict()["scoring"]["seed"] == 4 and "seed" not in config.to_dict()


def test_each_closed_set_is_one_literal_that_the_settings_are_typed_with():
    hints = {cls: typing.get_type_hints(cls) for cls in (ModelSettings, BatchSettings, ScoreSettings)}
    assert hints[ModelSettings]["dtype"] == Dtype and typing.get_args(Dtype) == DTYPES
    assert hints[BatchSettings]["padding"] == Padding and PADDINGS == ("dynamic", "max-length")
    assert hints[ScoreSettings]["sentence_splitter"] == SentenceSplitter and SPLITTERS == ("punkt", "newline")


def test_the_prompt_settings_are_part_of_the_config_and_its_record():
    config = EvalConfig(prompting=PromptSettings(prompt="Summarize.\n\n{document}", stop=("\n\n",)))
    record = config.to_dict()["prompting"]
    assert record == {
        "prompt": "Summarize.\n\n{document}",
        "system_prompt": None,
        "chat_template": "auto",
        "truncation": "end",
        "stop": ("\n\n",),
    }
    assert EvalConfig().prompting == PromptSettings()


def test_the_served_settings_record_the_keys_variable_not_a_key():
    record = EvalConfig(serving=ServedSettings("http://127.0.0.1:8000/v1", api_key_env="MY_KEY")).to_dict()["serving"]
    assert record["api_key_env"] == "MY_KEY" and record["base_url"] == "http://127.0.0.1:8000/v1"

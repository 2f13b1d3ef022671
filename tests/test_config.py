import pytest

from longsum.config import (
    BatchSettings,
    DataSettings,
    EvalConfig,
    GenerationSettings,
    ModelSettings,
    PromptSettings,
    ScoreSettings,
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
        (lambda: ScoreSettings(confidence=1.0), "--confidence"),
        (lambda: PromptSettings(prompt="Summarize the article."), "no {document} placeholder"),
        (lambda: PromptSettings(prompt="{document} and again {document}"), "has 2 {document} placeholders"),
        (lambda: PromptSettings(chat_template="yes"), "--chat-template"),
        (lambda: PromptSettings(truncation="start"), "--truncation"),
        (lambda: PromptSettings(stop=("",)), "stop string must not be empty"),
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
    overrides = GenerationSettings(max_length=512, max_new_tokens=100).overrides()
    assert overrides == {"max_new_tokens": 100, "num_beams": 2}


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        ModelSettings().model = "x"  # type: ignore[misc]


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

"""Prompt ids: the template around the document, the chat template, and a truncation that cuts only the document."""

import json

import pytest
from conftest import EXAMPLES

import longsum.engine.tokenizing as tokenizing
from longsum.engine.prompting import Prompt, PromptBuilder, chat_template_of, short_sha256, uses_chat_template
from longsum.errors import LongsumError

TEMPLATE = "Read the report.\n\n{document}\n\nNow summarize the report."


@pytest.fixture(scope="module", params=["builtin:llama", "builtin:mistral"])
def tokenizer(request):
    """A byte-level BPE tokenizer (Llama 3's kind) and a SentencePiece one (Mistral's), with chat templates."""
    from transformers import AutoTokenizer

    from longsum.summarizers.builtin import builtin_checkpoint

    return AutoTokenizer.from_pretrained(builtin_checkpoint(request.param))


@pytest.fixture(scope="module")
def articles():
    return [json.loads(line)["article"] for line in EXAMPLES.read_text(encoding="utf-8").splitlines()]


def words(text):
    return " ".join(text.split())


class SlowTokenizer:
    """A tokenizer that gives no character offsets (as slow ones do), delegating all else."""

    is_fast = False

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text, **kwargs):
        assert not kwargs.get("return_offsets_mapping")
        return self.tokenizer(text, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


def test_a_short_document_is_the_whole_prompt_as_the_chat_template_makes_it(tokenizer):
    builder = PromptBuilder(tokenizer, Prompt(TEMPLATE, "Be brief.", True, "end"), 4096, 512)
    ids, length = builder.build("iron is essential.")
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": TEMPLATE.replace("{document}", "iron is essential.")},
    ]
    assert ids == tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert length == len(ids)
    plain = PromptBuilder(tokenizer, Prompt(TEMPLATE, None, False, "end"), 4096, 512)
    assert plain.build("iron.")[0] == tokenizer(TEMPLATE.replace("{document}", "iron.")).input_ids


@pytest.mark.parametrize("mode", ["end", "middle"])
@pytest.mark.parametrize("slow", [False, True], ids=["offsets", "decoded"])
def test_only_the_document_is_cut_and_the_room_is_used(tokenizer, articles, mode, slow):
    source = SlowTokenizer(tokenizer) if slow else tokenizer
    builder = PromptBuilder(source, Prompt(TEMPLATE, None, True, mode), 700, 100)
    for text in articles:
        ids, length = builder.build(text)
        prompt = words(tokenizer.decode(ids, skip_special_tokens=True))
        assert 600 - 6 <= len(ids) <= 600 < length
        first, last = " ".join(words(text).split(" ")[:8]), " ".join(words(text).split(" ")[-8:])
        assert prompt.count("Read the report.") == prompt.count("Now summarize the report.") == 1
        assert prompt.index("Read the report.") < prompt.index(first) < prompt.index("Now summarize the report.")
        assert (last in prompt) == (mode == "middle")
        # The text kept is what a served model is sent: it gives the very same ids.
        kept, cut_ids, _ = builder.cut(text)
        assert cut_ids == ids and builder.ids_for(kept) == ids and len(kept) < len(text)


def test_more_room_keeps_more_of_the_document(tokenizer, articles):
    kept = [
        len(PromptBuilder(tokenizer, Prompt(TEMPLATE, None, True, "end"), limit, 10).build(articles[-1])[0])
        for limit in (200, 400, 800)
    ]
    assert kept[0] < kept[1] < kept[2] <= 790


class Recording(SlowTokenizer):
    """A tokenizer that remembers the size of every text it is given."""

    def __init__(self, tokenizer):
        super().__init__(tokenizer)
        self.is_fast, self.sizes = tokenizer.is_fast, []

    def __call__(self, text, **kwargs):
        self.sizes.append(len(text))
        return self.tokenizer(text, **kwargs)


def test_a_document_far_over_the_limit_is_counted_without_tokenizing_it_whole(tokenizer, articles, monkeypatch):
    monkeypatch.setattr(tokenizing, "COUNT_CHUNK_CHARS", 20_000)
    huge = " ".join(articles * 4)
    recording = Recording(tokenizer)
    builder = PromptBuilder(recording, Prompt(TEMPLATE, None, True, "middle"), 500, 100)
    recording.sizes.clear()
    ids, length = builder.build(huge)
    assert len(ids) <= 400 and length > 20_000
    # Counting reads the document in chunks; only windows at its two ends are tokenized with offsets.
    assert max(recording.sizes) <= 20_000 < len(huge)
    assert words(huge).split(" ")[-1] in words(tokenizer.decode(ids))


def test_a_template_longer_than_the_limit_or_no_room_at_all_is_one_line(tokenizer):
    with pytest.raises(LongsumError, match=r"the prompt is \d+ tokens without its document, more than the 20") as err:
        PromptBuilder(tokenizer, Prompt("Summarize. " * 30 + "{document}", None, True, "end"), 120, 100)
    assert "\n" not in str(err.value)
    with pytest.raises(LongsumError, match="--max-new-tokens 512 leaves no room for the prompt in the 512-token"):
        PromptBuilder(tokenizer, Prompt(TEMPLATE, None, True, "end"), 512, 512)


def test_a_chat_template_that_refuses_the_prompt_is_one_line(tokenizer):
    import copy

    refusing = copy.deepcopy(tokenizer)
    refusing.chat_template = (
        "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
        "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    with pytest.raises(LongsumError, match=r"^the chat template refused the prompt: System role not supported$"):
        PromptBuilder(refusing, Prompt(TEMPLATE, "Be brief.", True, "end"), 4096, 512)


def test_chat_template_modes(tokenizer):
    import copy

    assert uses_chat_template(tokenizer, "auto", "m") and uses_chat_template(tokenizer, "on", "m")
    assert not uses_chat_template(tokenizer, "off", "m")
    assert short_sha256(chat_template_of(tokenizer)) == short_sha256(tokenizer.chat_template)
    bare = copy.deepcopy(tokenizer)
    bare.chat_template = None
    assert chat_template_of(bare) is None and not uses_chat_template(bare, "auto", "m")
    with pytest.raises(LongsumError, match="the tokenizer of 'm' has no chat template; use auto or off"):
        uses_chat_template(bare, "on", "m")
    assert len(short_sha256("x")) == 12


def test_the_chat_turns_and_the_plain_prompt_put_the_system_prompt_before_the_document():
    from longsum.engine.prompting import Prompt, chat_messages, plain_prompt

    prompt = Prompt("Summarize:\n{document}\nSummary:", "Be brief.", True, "end")
    assert chat_messages(prompt, "text") == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Summarize:\ntext\nSummary:"},
    ]
    assert plain_prompt(prompt, "text") == "Be brief.\n\nSummarize:\ntext\nSummary:"
    assert plain_prompt(Prompt("{document}!", None, False, "end"), "text") == "text!"

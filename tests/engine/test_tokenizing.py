"""Long documents: only the prefix the input limit needs is tokenized, and the full length is counted in chunks."""

import json

import pytest

import longsum.engine.tokenizing as tokenizing
from longsum.engine.tokenizing import count_tokens, encode_bounded


@pytest.fixture(scope="module")
def tokenizer(tiny_tglobal):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_tglobal)


def test_bounded_encoding_equals_the_tokenizers_truncation_and_full_count(tokenizer, examples, monkeypatch):
    monkeypatch.setattr(tokenizing, "COUNT_CHUNK_CHARS", 3000)  # many chunk boundaries in each document
    texts = [json.loads(line)["article"] for line in examples.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        for limit in (16, 300, 100_000):
            ids, length = encode_bounded(tokenizer, text, limit)
            assert ids == tokenizer(text, truncation=True, max_length=limit).input_ids
            assert length == len(tokenizer(text).input_ids) == count_tokens(tokenizer, text)


class Recording:
    """Wraps a tokenizer, remembering the size of every text it is given."""

    def __init__(self, tokenizer):
        self.tokenizer, self.sizes = tokenizer, []

    def __call__(self, text, **kwargs):
        self.sizes.append(len(text))
        return self.tokenizer(text, **kwargs)

    def num_special_tokens_to_add(self, pair=False):
        return self.tokenizer.num_special_tokens_to_add(pair=pair)


def test_a_huge_document_is_never_tokenized_whole(tokenizer, examples):
    text = json.loads(examples.read_text(encoding="utf-8").splitlines()[0])["article"]
    huge = " ".join([text] * (3 * tokenizing.COUNT_CHUNK_CHARS // len(text) + 1))
    recording = Recording(tokenizer)
    ids, length = encode_bounded(recording, huge, 512)
    assert len(ids) == 512 and length > 3 * 512
    assert max(recording.sizes) <= tokenizing.COUNT_CHUNK_CHARS < len(huge)
    assert sum(recording.sizes) < len(huge) + 4 * (512 + tokenizing.MARGIN_TOKENS) * tokenizing.CHARS_PER_TOKEN

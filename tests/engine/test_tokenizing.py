"""Long documents: only the prefix the input limit needs is tokenized, and the full length is counted in chunks."""

import json
import subprocess
import sys

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


HUGE_RECORD = """
import json, resource, sys, time
from longsum.config import BatchSettings, GenerationSettings, ModelSettings
from longsum.summarizers.seq2seq import load_seq2seq
from longsum.engine.loading import load_model

article = json.loads(open(sys.argv[1], encoding="utf-8").readline())["article"]
text = ((article + "\\n") * (50_000_000 // len(article) + 1))[:50_000_000]
summarizer = load_seq2seq(load_model(ModelSettings(model=sys.argv[2])), GenerationSettings(), BatchSettings(max_input_tokens=1024))
before, start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
ids, length = summarizer.encode(text)
seconds = time.perf_counter() - start
prefix = summarizer.loaded.tokenizer(text[:20_000], truncation=True, max_length=1024).input_ids
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
print(json.dumps({"ids_match": ids == prefix, "length": length, "seconds": seconds, "grown_mb": grown}))
"""


@pytest.mark.slow
def test_a_50_mb_record_is_tokenized_in_bounded_memory(examples, tiny_tglobal):
    measured = subprocess.run(
        [sys.executable, "-c", HUGE_RECORD, str(examples), str(tiny_tglobal)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert measured.returncode == 0, measured.stderr[-3000:]
    figures = json.loads(measured.stdout.strip().splitlines()[-1])
    assert figures["ids_match"] and figures["length"] > 5_000_000
    # Tokenizing the whole record twice, as before, grew the process by about 6 GB; chunks keep it near 0.2 GB.
    assert figures["grown_mb"] < 1000, figures

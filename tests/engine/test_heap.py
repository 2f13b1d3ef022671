"""Keeping freed memory in the process takes on glibc, is engaged by loading a model on the CPU, and changes no
summary (in a process of its own, since malloc's settings are the whole process's)."""

import json
import subprocess
import sys

import pytest

from longsum.config import ModelSettings
from longsum.engine import loading

SCRIPT = """
import json, sys
import torch
from longsum.config import BatchSettings, GenerationSettings, ModelSettings
from longsum.engine import loading
from longsum.engine.heap import keep_freed_memory
from longsum.engine.batching import Batch, Item
from longsum.sources.documents import Document
from longsum.summarizers.seq2seq import load_seq2seq

loading.keep_freed_memory = lambda: False
loaded = loading.load_model(ModelSettings(model=sys.argv[1]))
summarizer = load_seq2seq(loaded, GenerationSettings(max_length=24), BatchSettings(max_input_tokens=2048))
generator = torch.Generator().manual_seed(0)
rows = [torch.randint(3, 1000, (n,), generator=generator).tolist() for n in (1800, 900, 1500, 400)]
batch = Batch(tuple(Item(Document(i, str(i), "x", None), r, len(r)) for i, r in enumerate(rows)))
stock = [o.text for o in summarizer.generate(batch)]
kept = keep_freed_memory()
print(json.dumps({"kept": kept, "stock": stock, "after": [o.text for o in summarizer.generate(batch)]}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_kept_memory_changes_no_summary(tiny_tglobal):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tiny_tglobal)], capture_output=True, text=True, check=True, timeout=600
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["kept"]
    assert out["after"] == out["stock"] and len(set(out["stock"])) > 1


def test_loading_a_model_on_the_cpu_keeps_freed_memory(tiny_tglobal, monkeypatch):
    calls = []
    monkeypatch.setattr(loading, "keep_freed_memory", lambda: calls.append(True) or True)
    loading.load_model(ModelSettings(model=str(tiny_tglobal), device="cpu"))
    assert calls == [True]

"""Hub-layout dataset folders: told apart from .txt folders, streamed through datasets with flat memory."""

import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import DataSettings
from longsum.sources.documents import count_documents, data_label, iter_documents
from longsum.sources.hub_layout import is_dataset_folder

CARD = """---
configs:
- config_name: default
  data_files:
  - split: test
    path: data/test-*
  - split: validation
    path: data/validation-*
---
# a benchmark in the hub's layout
"""


def write_hub_folder(root, shards, rows, card=CARD, words_per_document=400):
    """Parquet shards of ``rows`` records each under data/, with a dataset card declaring two splits."""
    (root / "data").mkdir(parents=True)
    words = ["the", "mice", "were", "fed", "a", "diet", "rich", "in", "fat", "and", "their", "livers", "grew"]
    for split in ("test", "validation"):
        for shard in range(shards):
            ids = [f"{split}-{shard}-{i}" for i in range(rows)]
            articles = [
                " ".join(words[(i + k) % len(words)] for k in range(words_per_document)) + "." for i in range(rows)
            ]
            table = pa.table({"paper_id": ids, "article": articles, "abstract": [f"summary {i}." for i in ids]})
            pq.write_table(table, root / "data" / f"{split}-{shard:05d}-of-{shards:05d}.parquet")
    if card is not None:
        (root / "README.md").write_text(card, encoding="utf-8")
    return root


def test_folders_are_told_apart(tmp_path):
    txt = tmp_path / "txt"
    txt.mkdir()
    (txt / "a.txt").write_text("a document.", encoding="utf-8")
    (txt / "README.md").write_text("# notes, no dataset card\n", encoding="utf-8")
    assert not is_dataset_folder(txt)
    assert is_dataset_folder(write_hub_folder(tmp_path / "card", 1, 2))
    # Without a card, data files datasets recognises make it a dataset too.
    assert is_dataset_folder(write_hub_folder(tmp_path / "bare", 1, 2, card=None))


def test_a_hub_folder_streams_through_datasets_with_the_split(tmp_path, monkeypatch):
    import datasets

    folder = write_hub_folder(tmp_path / "bench", 2, 3)
    calls = []
    real = datasets.load_dataset
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: calls.append(k) or real(*a, **k))
    docs = list(iter_documents(DataSettings(dataset=str(folder), split="test")))
    assert [d.id for d in docs] == [f"test-{s}-{i}" for s in range(2) for i in range(3)]
    assert docs[0].reference == "summary test-0-0." and docs[0].text.startswith("the mice")
    assert calls and calls[0]["streaming"] is True and calls[0]["split"] == "test"
    assert count_documents(DataSettings(dataset=str(folder))) is None  # no .txt count for a dataset folder
    assert data_label(DataSettings(dataset=str(folder), split="test")) == f"{folder}/test"


def test_an_unknown_split_is_one_line(tmp_path):
    folder = write_hub_folder(tmp_path / "bench", 1, 2)
    with pytest.raises(Exception, match="Bad split: train"):
        list(iter_documents(DataSettings(dataset=str(folder), split="train")))


#: Streams each folder given on the command line twice (the first warms imports and each folder's one-off
#: data-file resolution) and prints the document count and the peak of traced Python memory of the second.
PEAK_SCRIPT = """
import json, sys, tracemalloc
from longsum.config import DataSettings
from longsum.sources.documents import iter_documents
def peak(folder):
    tracemalloc.start()
    count = sum(1 for _ in iter_documents(DataSettings(dataset=folder, split="test")))
    result = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return count, result
for folder in sys.argv[1:]:
    peak(folder)
print(json.dumps([peak(folder) for folder in sys.argv[1:]]))
"""


def test_memory_stays_flat_as_the_dataset_grows(tmp_path):
    # Documents of ~20 kB: 800 more of them are ~16 MB of text that must not accumulate.
    small = write_hub_folder(tmp_path / "small", 1, 100, words_per_document=4000)
    large = write_hub_folder(tmp_path / "large", 9, 100, words_per_document=4000)
    # Measured in a fresh interpreter: inside the suite, what earlier tests left in memory made the peak
    # of the larger folder swing by megabytes from one ordering of the tests to another.
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(small), str(large)], capture_output=True, text=True, check=True
    )
    (small_count, small_peak), (large_count, large_peak) = json.loads(done.stdout.splitlines()[-1])
    assert (small_count, large_count) == (100, 900)
    # Only the ids seen (kept to refuse duplicates) grow with the dataset: well under 1 MB here.
    assert large_peak - small_peak < 1_000_000, (small_peak, large_peak)


def test_eval_reads_a_hub_folder_with_split(tmp_path):
    folder = write_hub_folder(tmp_path / "bench", 2, 3)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--model",
            "lead-1",
            "--dataset",
            str(folder),
            "--split",
            "validation",
            "--bootstrap-samples",
            "20",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["documents"] == 6 and metrics["config"]["data"]["split"] == "validation"
    assert f"|data:{folder}/validation|" in metrics["signature"]

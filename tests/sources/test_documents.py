import csv
import json

import pytest

from longsum.config import DataSettings
from longsum.errors import LongsumError
from longsum.sources.documents import count_documents, detect_columns, iter_documents

ROWS = [
    {"id": "a", "article": "first article text.", "abstract": "first summary."},
    {"id": "b", "article": "second article text.", "abstract": "second summary."},
    {"id": "c", "article": "third article text.", "abstract": "third summary."},
]


def read(path, **kwargs):
    return list(iter_documents(DataSettings(dataset=str(path), **kwargs)))


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def jsonl(tmp_path):
    return write_jsonl(tmp_path / "d.jsonl", ROWS)


def test_jsonl_in_order_with_ids_text_and_references(jsonl):
    docs = read(jsonl)
    assert [(d.index, d.id, d.text, d.reference) for d in docs] == [
        (i, r["id"], r["article"], r["abstract"]) for i, r in enumerate(ROWS)
    ]


def test_json_array(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(ROWS), encoding="utf-8")
    assert [d.id for d in read(path)] == ["a", "b", "c"]


def test_csv(tmp_path):
    path = tmp_path / "d.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "article", "abstract"])
        writer.writeheader()
        writer.writerows(ROWS)
    assert [d.reference for d in read(path)] == [r["abstract"] for r in ROWS]


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    assert [d.text for d in read(path)] == [r["article"] for r in ROWS]
    assert count_documents(DataSettings(dataset=str(path))) == 3


def test_folder_of_text_files_with_optional_summaries(tmp_path):
    (tmp_path / "one.txt").write_text("doc one.", encoding="utf-8")
    (tmp_path / "one.summary.txt").write_text("sum one.", encoding="utf-8")
    (tmp_path / "two.txt").write_text("doc two.", encoding="utf-8")
    docs = read(tmp_path)
    assert [(d.id, d.text, d.reference) for d in docs] == [("one", "doc one.", "sum one."), ("two", "doc two.", None)]
    assert count_documents(DataSettings(dataset=str(tmp_path))) == 2


@pytest.mark.parametrize(
    "text, summary",
    [
        ("article", "abstract"),
        ("document", "summary"),
        ("text", "summary"),
        ("body", "summary"),
        ("Article", "Highlights"),
    ],
)
def test_columns_are_detected(text, summary):
    columns = detect_columns([summary, text, "other"], DataSettings())
    assert (columns.text, columns.summary, columns.id) == (text, summary, None)


def test_explicit_columns_win(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"key": "k1", "a": "text", "b": "ref", "article": "no"}])
    docs = read(path, text_column="a", summary_column="b", id_column="key")
    assert (docs[0].id, docs[0].text, docs[0].reference) == ("k1", "text", "ref")


def test_missing_named_column_lists_what_exists(jsonl):
    with pytest.raises(LongsumError, match=r"--summary-column 'summary' is not a column.*id, article, abstract"):
        read(jsonl, summary_column="summary")


def test_no_detectable_text_column(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"foo": "x", "summary": "y"}])
    with pytest.raises(LongsumError, match=r"no text column found.*foo, summary"):
        read(path)


def test_id_falls_back_to_row_index(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "x", "summary": "y"}] * 2)
    assert [d.id for d in read(path)] == ["0", "1"]


def test_limit_reads_lazily(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + "{broken\n", encoding="utf-8")
    assert [d.id for d in read(path, limit=1)] == ["a"]
    assert count_documents(DataSettings(dataset=str(path), limit=1)) == 1


def test_malformed_line_is_reported_by_number(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n\n" + "{broken\n", encoding="utf-8")
    with pytest.raises(LongsumError, match=r"d.jsonl:3: not valid JSON"):
        read(path)


def test_duplicate_ids_are_refused(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [ROWS[0], ROWS[0]])
    with pytest.raises(LongsumError, match=r"duplicate id 'a'.*--id-column"):
        read(path)


def file_with(name, content):
    def make(folder):
        path = folder / name
        path.write_bytes(content)
        return path

    return make


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda folder: folder / "missing.jsonl", "dataset not found"),
        (file_with("empty.jsonl", b""), "the file is empty"),
        (file_with("latin.jsonl", b'{"text": "caf\xe9"}\n'), "not UTF-8"),
        (file_with("d.xml", b"<x/>"), "unsupported file type"),
        (file_with("list.jsonl", b"[1, 2]\n"), "expected a JSON object"),
        (lambda folder: folder, "no .txt documents"),
    ],
)
def test_unreadable_datasets_give_one_clear_error(tmp_path, make, message):
    with pytest.raises(LongsumError, match=message):
        read(make(tmp_path))


def test_offline_hub_dataset_fails_fast(monkeypatch):
    import time

    start = time.perf_counter()
    with pytest.raises(LongsumError, match="cannot reach the Hugging Face Hub"):
        read("ccdv/pubmed-summarization:document")
    assert time.perf_counter() - start < 10

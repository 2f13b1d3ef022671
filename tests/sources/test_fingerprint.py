"""Dataset fingerprints: the SHA-256 of a local file's bytes, of a folder's .txt names and contents; none for a hub
dataset."""

import hashlib

from longsum.config import DataSettings
from longsum.sources.fingerprint import dataset_fingerprint


def fingerprint(path, **settings):
    return dataset_fingerprint(DataSettings(dataset=str(path), **settings))


def test_a_file_s_fingerprint_is_the_sha256_of_all_its_bytes_whatever_the_limit(tmp_path):
    path = tmp_path / "docs.jsonl"
    path.write_bytes(b'{"id": "a"}\n' * 100_000)  # over a megabyte: hashed in chunks
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert fingerprint(path) == expected == fingerprint(path, limit=1)
    path.write_bytes(path.read_bytes() + b'{"id": "b"}\n')
    assert fingerprint(path) != expected


def test_a_folder_s_fingerprint_covers_the_names_and_texts_of_its_txt_files_in_order(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"second")
    (tmp_path / "a.txt").write_bytes(b"first")
    (tmp_path / "notes.md").write_bytes(b"not a document")
    expected = hashlib.sha256(b"a.txt\0first" + b"b.txt\0second").hexdigest()
    assert fingerprint(tmp_path) == expected
    (tmp_path / "notes.md").write_bytes(b"edited")
    assert fingerprint(tmp_path) == expected
    (tmp_path / "b.txt").rename(tmp_path / "c.txt")  # a renamed document is another id
    assert fingerprint(tmp_path) != expected


def test_a_hub_dataset_or_a_missing_path_has_none(tmp_path):
    assert dataset_fingerprint(DataSettings(dataset="ccdv/pubmed-summarization")) is None
    assert fingerprint(tmp_path / "missing.jsonl") is None

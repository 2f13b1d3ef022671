"""The documents of stored predictions: from --dataset, or the dataset in the run's run.json."""

from __future__ import annotations

import json

import pytest

from longsum.errors import LongsumError
from longsum.runs.run_documents import documents_of, run_data


def test_the_recorded_dataset_is_used_unless_one_is_given(tmp_path, examples):
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(
        json.dumps({"schema_version": 1, "config": {"data": {"dataset": str(examples), "limit": 3}}}), encoding="utf-8"
    )
    data = run_data(run, None, "--faithfulness")
    assert data.dataset == str(examples) and data.limit == 3
    assert run_data(run / "predictions.jsonl", "other.jsonl", "--faithfulness").dataset == "other.jsonl"
    ids = [d.id for d in documents_of(data, {"example-3", "example-1", "absent"})]
    assert ids == ["example-1", "example-3"]


def test_without_a_run_json_or_dataset_it_says_what_to_pass(tmp_path):
    with pytest.raises(LongsumError, match="pass --dataset"):
        run_data(tmp_path / "predictions.jsonl", None, "--faithfulness")

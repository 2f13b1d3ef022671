"""Result storage: prediction records and their schema version, the log appended batch by batch (a torn last line
dropped on resume), the merge into dataset order, and atomic writes that leave the old file on failure."""

import errno
import json
import os

import pytest

import longsum.results.storage as storage
from longsum.errors import LongsumError
from longsum.results.storage import (
    PREDICTIONS,
    PredictionLog,
    PredictionRecord,
    completed_ids,
    merge_predictions,
    read_predictions,
    write_json_atomic,
    write_text_atomic,
)


def record(i):
    return PredictionRecord(f"d{i}", f"prediction {i}", f"reference {i}", 10 + i, False)


def test_log_drops_a_torn_last_line_and_keeps_the_rest(tmp_path):
    path = tmp_path / PREDICTIONS
    log = PredictionLog(path)
    log.append([record(0), record(1)])
    log.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "d2", "predic')
    assert completed_ids([path]) == {"d0", "d1"}
    resumed = PredictionLog(path, resume=True)
    assert resumed.dropped_partial_line
    resumed.append([record(2)])
    resumed.close()
    merge_predictions([path], ["d2", "d0", "d1"], path)
    assert [r.id for r in read_predictions(path)] == ["d2", "d0", "d1"]


def test_merge_puts_the_ordered_ids_first_and_keeps_every_other_record(tmp_path):
    first, second = PredictionLog(tmp_path / "a.jsonl"), PredictionLog(tmp_path / "b.jsonl")
    first.append([record(3), record(1)])
    second.append([record(2), record(4)])
    first.close()
    second.close()
    kept = merge_predictions(
        [tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "missing.jsonl"],
        ["d1", "d2", "d3"],
        tmp_path / "out.jsonl",
    )
    assert read_predictions(tmp_path / "out.jsonl") == [record(1), record(2), record(3), record(4)]
    assert kept == 1 and not (tmp_path / "out.jsonl.tmp").exists()


def test_a_record_round_trips_through_its_line_with_its_schema_version():
    full = PredictionRecord("d1", "a summary", "a reference", 812, True, {"source_words": 700}, 34, False)
    line = json.dumps(full.to_dict())
    assert list(json.loads(line)) == [
        "schema_version",
        "id",
        "prediction",
        "reference",
        "input_tokens",
        "truncated",
        "stats",
        "generated_tokens",
        "ended_with_eos",
    ]
    assert json.loads(line)["schema_version"] == 1
    assert PredictionRecord.from_line(line) == full


def test_a_line_without_a_version_or_the_newer_fields_reads_as_version_1():
    line = json.dumps({"id": "x", "prediction": "p", "input_tokens": "7", "truncated": 0})
    assert PredictionRecord.from_line(line) == PredictionRecord("x", "p", None, 7, False)


def test_a_line_of_a_newer_version_is_refused_naming_the_file_and_version(tmp_path):
    line = json.dumps({**record(0).to_dict(), "schema_version": 2})
    with pytest.raises(LongsumError) as refused:
        PredictionRecord.from_line(line, tmp_path / "p.jsonl")
    assert str(refused.value) == (
        f"{tmp_path / 'p.jsonl'}: schema version 2 is newer than this longsum reads (up to 1); upgrade longsum"
    )
    (tmp_path / PREDICTIONS).write_text(json.dumps(record(1).to_dict()) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LongsumError, match="schema version 2 is newer"):
        PredictionLog(tmp_path / PREDICTIONS, resume=True)  # resuming would mix two layouts
    with pytest.raises(LongsumError, match="schema version 2 is newer"):
        read_predictions(tmp_path / PREDICTIONS)


@pytest.mark.parametrize("line", ["[1, 2]", '{"prediction": "no id"}', "not json"])
def test_a_line_that_is_not_a_record_is_a_value_or_key_error(line):
    with pytest.raises((ValueError, KeyError)):
        PredictionRecord.from_line(line)


def test_completed_ids_stop_at_the_first_line_that_is_not_a_record(tmp_path):
    path = tmp_path / PREDICTIONS
    lines = [json.dumps(record(0).to_dict()), "{garbage", json.dumps(record(2).to_dict())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert completed_ids([path, tmp_path / "missing.jsonl"]) == {"d0"}


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "sub" / "metrics.json"
    write_json_atomic(path, {"rouge": {"rouge1": 0.5}, "name": "résumé"})
    assert path.read_text(encoding="utf-8") == '{\n  "rouge": {\n    "rouge1": 0.5\n  },\n  "name": "résumé"\n}\n'
    write_text_atomic(path, "second\n")
    assert path.read_text(encoding="utf-8") == "second\n" and os.listdir(path.parent) == ["metrics.json"]


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    path.write_text("old\n", encoding="utf-8")

    def disk_full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storage.os, "replace", disk_full)
    with pytest.raises(LongsumError) as failed:
        write_text_atomic(path, "new\n")
    assert str(failed.value) == f"cannot write {path}: No space left on device"
    assert path.read_text(encoding="utf-8") == "old\n" and os.listdir(tmp_path) == ["metrics.json"]


def test_a_failed_append_is_one_line_and_what_it_tore_is_dropped_on_resume(tmp_path):
    path = tmp_path / PREDICTIONS
    log = PredictionLog(path)
    log.append([record(0)])

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name):
            return getattr(self.handle, name)

    log._handle = FullDisk(log._handle)
    with pytest.raises(LongsumError, match=f"^cannot write {path}: No space left on device$"):
        log.append([record(1)])
    log.close()
    resumed = PredictionLog(path, resume=True)
    resumed.close()
    assert resumed.dropped_partial_line and read_predictions(path) == [record(0)]


def test_a_served_records_usage_and_refusal_round_trip_and_are_left_out_when_absent():
    served = PredictionRecord("d", "", "r", -1, True, usage={"prompt_tokens": 5, "completion_tokens": 0}, too_long=True)
    line = served.to_dict()
    assert line["usage"] == {"prompt_tokens": 5, "completion_tokens": 0} and line["too_long"] is True
    assert PredictionRecord.from_line(json.dumps(line)) == served
    assert not {"usage", "too_long"} & set(record(1).to_dict())

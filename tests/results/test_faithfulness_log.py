"""faithfulness.jsonl: where it goes, what it keeps per model and method, and a torn last line cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from longsum.errors import LongsumError
from longsum.results.faithfulness_log import FaithfulnessLog, faithfulness_line, faithfulness_path, read_scores


def test_the_side_file_sits_beside_the_predictions():
    assert faithfulness_path(Path("run/predictions.jsonl")) == Path("run/faithfulness.jsonl")
    assert faithfulness_path(Path("out/system.jsonl")) == Path("out/system.faithfulness.jsonl")


def test_lines_are_read_back_per_model_and_method_and_a_torn_line_is_cut(tmp_path):
    path = tmp_path / "faithfulness.jsonl"
    log = FaithfulnessLog(path)
    log.append(faithfulness_line("a", "m@1", "summac-zs", "abc", 0.5, 2, 3))
    log.append(faithfulness_line("b", "m@1", "align", "abc", 0.25, 2, 1))
    log.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "c", "sco')
    assert set(read_scores(path, "m@1", "summac-zs")) == {"a"}
    assert read_scores(path, "m@2", "summac-zs") == {}
    FaithfulnessLog(path).close()
    assert path.read_text(encoding="utf-8").count("\n") == 2 and path.read_text(encoding="utf-8").endswith("\n")


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "faithfulness.jsonl"
    path.write_text('{"schema_version": 99, "id": "a"}\n', encoding="utf-8")
    with pytest.raises(LongsumError, match="schema version 99"):
        read_scores(path, "m", "summac-zs")

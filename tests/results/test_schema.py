"""The files users and CI jobs parse: read back with their schema version checked; a file without a version reads,
a newer one is refused in one line naming the version, a corrupt one is named as such."""

import json
import re

import pytest

from longsum.errors import LongsumError
from longsum.results.schema import (
    BENCH_SCHEMA_VERSION,
    METRICS_SCHEMA_VERSION,
    RUN_SCHEMA_VERSION,
    check_version,
    read_bench_file,
    read_metrics_file,
    read_run_file,
)

READERS = [read_metrics_file, read_run_file, read_bench_file]
#: The version each reader reads up to.
VERSIONS = {
    read_metrics_file: METRICS_SCHEMA_VERSION,
    read_run_file: RUN_SCHEMA_VERSION,
    read_bench_file: BENCH_SCHEMA_VERSION,
}


def write(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_each_file_is_at_its_layouts_version():
    assert METRICS_SCHEMA_VERSION == RUN_SCHEMA_VERSION == 1
    assert BENCH_SCHEMA_VERSION == 2  # the probe's bandwidth fields replaced copy_bytes


@pytest.mark.parametrize("read", READERS)
def test_a_file_of_a_newer_version_is_refused_in_one_line_naming_it(read, tmp_path):
    newer, current = VERSIONS[read] + 1, VERSIONS[read]
    path = write(tmp_path / "file.json", {"schema_version": newer, "rouge": {}})
    with pytest.raises(LongsumError) as refused:
        read(path)
    message = str(refused.value)
    assert (
        message == f"{path}: schema version {newer} is newer than this longsum reads (up to {current}); upgrade longsum"
    )
    assert "\n" not in message and refused.value.exit_code == 2


@pytest.mark.parametrize("read", READERS)
def test_a_file_without_a_version_was_written_before_versions_and_reads(read, tmp_path):
    data = {"config": {"x": 1}, "resume_key": {}, "signature": "s"}
    assert read(write(tmp_path / "old.json", data)) == data
    assert read(write(tmp_path / "now.json", {**data, "schema_version": 1}))["schema_version"] == 1


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{"rouge": {"rouge1"', "Expecting"),
        ("", "Expecting value"),
        (b"\xff\xfe{}", "codec can't decode"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_a_corrupt_file_is_named_as_corrupt_or_truncated(read, tmp_path, content, why):
    path = tmp_path / "file.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LongsumError, match=rf"^{re.escape(str(path))} is corrupt or truncated \(.*{why}"):
        read(path)


@pytest.mark.parametrize("version", ["2", 1.5, None])
def test_a_version_that_is_not_an_integer_is_refused(version, tmp_path):
    with pytest.raises(LongsumError, match=f"schema version {version} is newer"):
        check_version({"schema_version": version}, 1, tmp_path / "f.json")
    check_version({"schema_version": 1}, 1, tmp_path / "f.json")
    check_version({"schema_version": 0}, 1, tmp_path / "f.json")

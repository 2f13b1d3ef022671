"""Provenance recorded beside every number: library versions, the git revision of the source, device and date."""

import datetime
import re
import subprocess
from pathlib import Path

import longsum.results.provenance as provenance
from longsum.results.provenance import LIBRARIES, device_name, environment, git_revision, library_versions


def test_every_library_that_can_change_a_result_has_a_version_or_is_missing(monkeypatch):
    versions = library_versions()
    assert list(versions) == list(LIBRARIES)
    assert all(v != "missing" for v in versions.values())  # the test environment installs them all
    monkeypatch.setattr(provenance, "LIBRARIES", ("torch", "no-such-library-longsum-test"))
    assert library_versions() == {"torch": versions["torch"], "no-such-library-longsum-test": "missing"}


def test_the_git_revision_is_the_checkout_s_head_marked_when_modified():
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=Path(provenance.__file__).parent, capture_output=True, text=True
    )
    revision = git_revision()
    if head.returncode != 0:
        assert revision is None
    else:
        assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", revision) and revision[:40] == head.stdout.strip()


def test_without_git_there_is_no_revision(monkeypatch):
    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    assert git_revision() is None


def test_the_environment_names_device_software_and_utc_date(monkeypatch):
    monkeypatch.setattr(provenance.platform, "processor", lambda: "")
    monkeypatch.setattr(provenance.platform, "machine", lambda: "x86_64")
    assert device_name("cpu") == "x86_64"  # no processor name: the machine type
    env = environment("cpu")
    assert set(env) == {"versions", "python", "platform", "device", "device_name", "git", "date"}
    assert env["device"] == "cpu" and env["device_name"] == "x86_64" and env["versions"] == library_versions()
    date = datetime.datetime.fromisoformat(env["date"])
    assert date.utcoffset() == datetime.timedelta(0) and date.microsecond == 0
    assert abs((datetime.datetime.now(datetime.timezone.utc) - date).total_seconds()) < 60

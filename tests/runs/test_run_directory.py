"""A run directory's lifecycle: the settings a resume must share, refusals that name what differs, finished files
set aside rather than overwritten, and the line that says the finished work is kept."""

import hashlib
import json

import pytest

from longsum.config import BatchSettings, DataSettings, EvalConfig, GenerationSettings
from longsum.errors import LongsumError
from longsum.parallel.peers import PeerFailed
from longsum.results.storage import METRICS, PARTS, PREDICTIONS, RUN
from longsum.runs.run_directory import (
    finished_work_kept,
    prediction_files,
    prepare_directory,
    resume_key,
    set_aside,
)
from longsum.summarizers.protocol import SummarizerInfo

INFO = SummarizerInfo(model="m", revision="r1", dtype="fp32", generation={"num_beams": 2}, family="longt5")


@pytest.fixture
def config(tmp_path):
    dataset = tmp_path / "docs.jsonl"
    dataset.write_text('{"id": "a", "article": "x", "abstract": "y"}\n', encoding="utf-8")
    return EvalConfig(data=DataSettings(dataset=str(dataset), text_column="article"))


def test_the_resume_key_is_whatever_changes_a_prediction(config):
    key = resume_key(config, INFO)
    assert key == {
        "model": "m",
        "revision": "r1",
        "dtype": "fp32",
        "generation": {"num_beams": 2},
        "max_input_tokens": None,
        "dataset": [config.data.dataset, None, "article", None, None],
    }
    # Batching that only changes speed is not part of it; the input limit is.
    faster = EvalConfig(data=config.data, batching=BatchSettings(batch_size=8, max_batch_tokens=1000))
    assert resume_key(faster, INFO) == key
    assert resume_key(EvalConfig(data=config.data, batching=BatchSettings(max_input_tokens=512)), INFO) != key
    assert resume_key(EvalConfig(data=config.data, generation=GenerationSettings(num_beams=4)), INFO) == key


def test_a_fresh_directory_gets_its_run_json(tmp_path, config):
    out = tmp_path / "run"
    prepare_directory(out, {"model": "m"}, config, resume=False, force=False)
    run = json.loads((out / RUN).read_text(encoding="utf-8"))
    assert run["schema_version"] == 1 and run["resume_key"] == {"model": "m"}
    assert run["config"] == json.loads(json.dumps(config.to_dict()))
    digest = hashlib.sha256((tmp_path / "docs.jsonl").read_bytes()).hexdigest()
    assert run["dataset_fingerprint"] == digest


def test_predictions_are_never_overwritten_without_resume_or_force(tmp_path, config):
    out = tmp_path / "run"
    out.mkdir()
    (out / PREDICTIONS).write_text("kept\n", encoding="utf-8")
    with pytest.raises(LongsumError) as refused:
        prepare_directory(out, {}, config, resume=False, force=False)
    assert str(refused.value) == (
        f"{out} already holds predictions; pass --resume to continue them or --force to start over (the old files "
        "are moved to superseded/)"
    )
    assert (out / PREDICTIONS).read_text(encoding="utf-8") == "kept\n" and not (out / RUN).exists()
    prepare_directory(out, {}, config, resume=False, force=True)
    (aside,) = (out / "superseded").iterdir()
    assert (aside / PREDICTIONS).read_text(encoding="utf-8") == "kept\n" and not (out / PREDICTIONS).exists()


def test_set_aside_moves_every_result_file_and_leaves_the_rest(tmp_path):
    out = tmp_path / "run"
    (out / PARTS).mkdir(parents=True)
    for name in (PREDICTIONS, METRICS, RUN, f"{PARTS}/part-1.jsonl", f"{PARTS}/part-0.jsonl", "report.html"):
        (out / name).write_text(name, encoding="utf-8")
    assert prediction_files(out) == [out / PREDICTIONS, out / PARTS / "part-0.jsonl", out / PARTS / "part-1.jsonl"]
    aside = set_aside(out)
    assert aside.parent == out / "superseded"
    assert sorted(p.name for p in aside.iterdir()) == sorted(
        [PREDICTIONS, METRICS, RUN, "part-0.jsonl", "part-1.jsonl"]
    )
    assert (aside / "part-1.jsonl").read_text(encoding="utf-8") == f"{PARTS}/part-1.jsonl"
    assert (out / "report.html").exists() and not list((out / PARTS).iterdir())
    assert set_aside(out) != aside  # a second set-aside gets its own folder


def test_a_resume_with_other_settings_is_refused_naming_them_unless_forced(tmp_path, config):
    out = tmp_path / "run"
    stored = {"model": "m", "dtype": "fp32", "generation": {"num_beams": 2}}
    prepare_directory(out, stored, config, resume=False, force=False)
    prepare_directory(out, stored, config, resume=True, force=False)  # the same settings resume
    changed = {**stored, "dtype": "bf16", "generation": {"num_beams": 4}}
    with pytest.raises(LongsumError) as refused:
        prepare_directory(out, changed, config, resume=True, force=False)
    assert str(refused.value) == (
        f"cannot resume {out}: dtype, generation differ from the stored run (pass --force to resume anyway)"
    )
    prepare_directory(out, changed, config, resume=True, force=True)
    assert json.loads((out / RUN).read_text(encoding="utf-8"))["resume_key"] == changed


def test_a_resume_of_an_edited_dataset_is_refused_unless_forced(tmp_path, config):
    out = tmp_path / "run"
    prepare_directory(out, {}, config, resume=False, force=False)
    (tmp_path / "docs.jsonl").write_text('{"id": "a", "article": "edited", "abstract": "y"}\n', encoding="utf-8")
    with pytest.raises(LongsumError, match=r"the dataset changed since the stored run"):
        prepare_directory(out, {}, config, resume=True, force=False)
    prepare_directory(out, {}, config, resume=True, force=True)


def test_predictions_without_their_run_json_resume_only_when_forced(tmp_path, config):
    out = tmp_path / "run"
    (out / PARTS).mkdir(parents=True)
    (out / PARTS / "part-0.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(LongsumError, match=rf"holds predictions without their {RUN}; pass --force"):
        prepare_directory(out, {}, config, resume=True, force=False)
    prepare_directory(out, {}, config, resume=True, force=True)
    prepare_directory(tmp_path / "empty", {}, config, resume=True, force=False)  # nothing to resume: a fresh start


def test_an_unreadable_run_json_is_refused_unless_forced(tmp_path, config):
    out = tmp_path / "run"
    out.mkdir()
    (out / RUN).write_text('{"resume_key": ', encoding="utf-8")
    with pytest.raises(LongsumError, match=r"^cannot resume: .*run.json is corrupt or truncated .*; pass --force"):
        prepare_directory(out, {}, config, resume=True, force=False)
    prepare_directory(out, {}, config, resume=True, force=True)


def test_an_error_after_generation_started_says_the_work_is_kept():
    with pytest.raises(LongsumError) as kept, finished_work_kept("out/run"):
        raise LongsumError("generation failed on 1 document(s) (d3): RuntimeError: boom", 1)
    assert str(kept.value) == (
        "generation failed on 1 document(s) (d3): RuntimeError: boom; the finished predictions are kept in out/run: "
        "continue with --resume"
    )
    assert kept.value.exit_code == 1
    # Without a directory nothing is kept; another process's failure was reported by that process.
    for directory, error in ((None, LongsumError("plain")), ("out/run", PeerFailed("rank 1 failed"))):
        with pytest.raises(LongsumError) as unchanged, finished_work_kept(directory):
            raise error
        assert unchanged.value is error

"""Faithfulness of stored predictions: known answers from fixed-verdict NLI models, and a resumed pass that keeps
what a killed one finished."""

from __future__ import annotations

import json

import pytest
from nli_models import build_nli

from longsum.config import ScoreSettings
from longsum.results.faithfulness_log import read_scores
from longsum.results.storage import PredictionRecord
from longsum.runs.faithfulness import score_faithfulness
from longsum.sources.documents import Document

SOURCE = "The trial enrolled 300 adults. Aspirin lowered the risk of stroke. Bleeding was rare."
DOCUMENTS = [Document(i, f"d{i}", SOURCE + f" Site {i} took part.", None) for i in range(4)]
CLAIMS = ["Aspirin lowered stroke risk.", "Bleeding was common.", "The trial enrolled children.", "Site 2 took part."]
RECORDS = [PredictionRecord(f"d{i}", f"{CLAIMS[i]} Bleeding was rare.", None, 20, False) for i in range(4)]


@pytest.mark.parametrize(
    ("labels", "verdict", "method", "expected"),
    [
        (["entailment", "neutral", "contradiction"], "entailment", "summac-zs", 1.0),
        (["CONTRADICTION", "NEUTRAL", "ENTAILMENT"], "ENTAILMENT", "summac-zs", 1.0),
        (["Neutral", "Contradiction", "Entailment"], "Contradiction", "summac-zs", -1.0),
        (["CONTRADICTION", "NEUTRAL", "ENTAILMENT"], "CONTRADICTION", "summac-zs", -1.0),
        (["entailment", "neutral", "contradiction"], "neutral", "summac-zs", 0.0),
        (["CONTRADICTION", "NEUTRAL", "ENTAILMENT"], "ENTAILMENT", "align", 1.0),
        (["Neutral", "Contradiction", "Entailment"], "Contradiction", "align", 0.0),
    ],
)
def test_fixed_verdicts_give_the_ends_of_the_scale(tmp_path, labels, verdict, method, expected):
    model = build_nli(tmp_path / "nli", labels, verdict=verdict)
    scoring = ScoreSettings(faithfulness=str(model), faithfulness_method=method, bootstrap_samples=50)
    result = score_faithfulness(RECORDS, DOCUMENTS, scoring, tmp_path / "faithfulness.jsonl", "cpu")
    assert result.scores == pytest.approx(dict.fromkeys(result.scores, expected), abs=1e-9)
    assert len(result.scores) == 4 and result.unscored == 0
    record = result.to_record({r.id: (r.input_tokens, False) for r in RECORDS}, scoring)
    assert record["mean"] == pytest.approx(expected, abs=1e-9)
    assert record["scale"] == ([-1.0, 1.0] if method == "summac-zs" else [0.0, 1.0])
    assert record["by_length"][0]["bucket"] == "<=2k" and record["by_length"][0]["documents"] == 4


def test_empty_summaries_and_missing_documents_are_unscored(tmp_path):
    model = build_nli(tmp_path / "nli", ["entailment", "neutral", "contradiction"], verdict="entailment")
    records = [RECORDS[0], PredictionRecord("d1", "  ", None, 1, False), PredictionRecord("gone", "x.", None, 1, False)]
    scoring = ScoreSettings(faithfulness=str(model))
    result = score_faithfulness(records, DOCUMENTS, scoring, tmp_path / "f.jsonl", "cpu")
    assert list(result.scores) == ["d0"] and result.unscored == 2


def test_a_killed_pass_resumes_and_finishes_identically(tmp_path):
    model = build_nli(tmp_path / "nli", ["entailment", "neutral", "contradiction"])
    scoring = ScoreSettings(faithfulness=str(model))
    whole = score_faithfulness(RECORDS, DOCUMENTS, scoring, tmp_path / "whole.jsonl", "cpu")
    assert len(set(whole.scores.values())) > 1  # the random classifier reads its input

    side = tmp_path / "killed.jsonl"
    score_faithfulness(RECORDS[:2], DOCUMENTS, scoring, side, "cpu")
    with side.open("a", encoding="utf-8") as handle:
        handle.write('{"schema_version": 1, "id": "d2", "mod')  # the line a kill tore
    resumed = score_faithfulness(RECORDS, DOCUMENTS, scoring, side, "cpu")
    assert resumed.scores == whole.scores
    assert resumed.pairs == 2 * whole.pairs // 4  # only the two unfinished documents ran
    lines = [json.loads(line) for line in side.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["d0", "d1", "d2", "d3"]
    assert read_scores(side, whole.model, "align") == {}  # another method does not reuse these


#: Runs the summac package's SummaCZS on a job read from stdin: its sentence granularity on our tiny checkpoint,
#: registered in its model map; sentences are split by longsum's splitter (SummaC's needs nltk data downloaded).
RUN_SUMMAC = """
import json, sys
import summac.model_summac as ms
from longsum.metrics.sentences import split_punkt
job = json.load(sys.stdin)
ms.model_map["tiny"] = {"model_card": job["model"], "entailment_idx": job["entailment"],
                        "contradiction_idx": job["contradiction"]}
model = ms.SummaCZS(model_name="tiny", granularity="sentence", device="cpu", imager_load_cache=False)
model.imager.split_sentences = split_punkt
print(json.dumps(model.score(job["sources"], job["summaries"])["scores"]))
"""
#: summac 0.0.4 pins huggingface-hub<=0.17, which transformers 5 cannot run with: it gets its own environment with
#: the last transformers of that hub, over this environment's torch and numpy.
SUMMAC_STACK = ["summac==0.0.4", "transformers==4.34.1", "huggingface-hub==0.17.0", "tokenizers>=0.14,<0.15"]


@pytest.fixture(scope="session")
def summac_python(tmp_path_factory):
    """A Python with the summac package beside this environment's torch; skips when it cannot be installed."""
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    venv = tmp_path_factory.mktemp("summac") / "venv"
    python = venv / "bin" / "python"
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(python), "-m", "pip", "install", "-q", "--no-deps", *SUMMAC_STACK, "safetensors", "packaging"],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as err:
            pytest.skip(f"the summac package cannot be installed here: {err}")
        if done.returncode != 0:
            pytest.skip(f"the summac package cannot be installed here: {done.stderr.strip().splitlines()[-1:]}")
    site = next(Path(venv / "lib").glob("python3*/site-packages"))
    # After the venv's own packages, so its transformers and hub win over this environment's.
    (site / "zz-longsum-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python


@pytest.mark.slow
def test_the_summac_package_gives_the_same_summac_zs_scores(tmp_path, summac_python):
    import os
    import subprocess
    from pathlib import Path

    from longsum.engine.nli import load_nli
    from longsum.runs.faithfulness import score_document

    model = build_nli(tmp_path / "nli", ["CONTRADICTION", "NEUTRAL", "ENTAILMENT"])
    sources = [
        "The trial enrolled three hundred adults. Aspirin lowered the risk of stroke. Bleeding was rare in both groups.",
        "Mice lacking the gene grew normally. Their kidneys failed at twelve weeks of age.",
    ]
    summaries = ["Aspirin lowered the stroke risk. Bleeding was common in the trial.", "The mice had kidney failure."]
    job = {"model": str(model), "entailment": 2, "contradiction": 0, "sources": sources, "summaries": summaries}
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [str(summac_python), "-c", RUN_SUMMAC],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": root, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    nli = load_nli(str(model), "cpu")
    ours = [score_document(nli, s, t, "summac-zs")[0] for s, t in zip(sources, summaries, strict=True)]
    assert ours == pytest.approx(theirs, abs=1e-5)
    assert abs(ours[0] - ours[1]) > 1e-3  # the random classifier reads its input


def test_a_changed_summary_is_scored_again(tmp_path):
    model = build_nli(tmp_path / "nli", ["entailment", "neutral", "contradiction"])
    scoring = ScoreSettings(faithfulness=str(model))
    side = tmp_path / "faithfulness.jsonl"
    first = score_faithfulness(RECORDS, DOCUMENTS, scoring, side, "cpu")
    changed = [*RECORDS[:3], PredictionRecord("d3", "Nothing in the source says this at all.", None, 20, False)]
    second = score_faithfulness(changed, DOCUMENTS, scoring, side, "cpu")
    assert second.pairs == len(DOCUMENTS[3].text.split(". ")) * 1  # one summary sentence against each source one
    assert {k: v for k, v in second.scores.items() if k != "d3"} == {k: v for k, v in first.scores.items() if k != "d3"}
    assert second.scores["d3"] != first.scores["d3"]
    assert read_scores(side, first.model, "summac-zs")["d3"]["score"] == second.scores["d3"]

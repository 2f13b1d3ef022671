"""--model-index: the model-index block in the hub's format, from eval and from score of a stored run."""

import json

import pytest
import yaml
from huggingface_hub import ModelCard
from huggingface_hub.repocard_data import model_index_to_eval_results
from typer.testing import CliRunner

from longsum.cli import app
from longsum.errors import LongsumError
from longsum.results.model_card import check_model_index_path, dataset_fields, model_index

runner = CliRunner()
METRICS = {
    "rouge": {
        t: {"f": 0.41234, "p": 0.4, "r": 0.4, "f_low": 0.4, "f_high": 0.42}
        for t in ("rouge1", "rouge2", "rougeL", "rougeLsum")
    },
    "signature": "model:m|data:pubmed",
    "evaluate": {"word_overlap": {"results": {"overlap": 0.5, "per_document": [0.5, 0.5]}}},
}


def test_the_block_reads_back_as_the_hub_reads_it():
    block = model_index(METRICS, {"dataset": "pubmed", "split": None}, "org/my-model")
    name, results = model_index_to_eval_results(block["model-index"])
    assert name == "org/my-model" and len(results) == 5  # four ROUGE F1 and the one numeric metric result
    first = results[0]
    assert (first.task_type, first.dataset_type, first.dataset_name) == (
        "summarization",
        "ccdv/pubmed-summarization",
        "pubmed",
    )
    assert (first.dataset_config, first.dataset_split, first.metric_type) == ("document", "test", "rouge")
    assert (first.metric_name, first.metric_value, first.metric_config) == ("ROUGE-1", 41.234, "rouge1")
    assert first.metric_args == {"signature": "model:m|data:pubmed"}
    assert (results[4].metric_type, results[4].metric_value) == ("word_overlap", 0.5)


@pytest.mark.parametrize(
    "data, expected",
    [
        (
            {"dataset": "multinews", "split": "validation"},
            {
                "dataset_type": "alexfabbri/multi_news",
                "dataset_split": "validation",
                "dataset_revision": "refs/convert/parquet",
            },
        ),
        (
            {"dataset": "ccdv/arxiv-summarization:section", "split": None},
            {"dataset_type": "ccdv/arxiv-summarization", "dataset_config": "section", "dataset_split": "validation"},
        ),
        (
            {"dataset": "../data/pubmed-sample.jsonl", "split": "validation"},
            {"dataset_type": "pubmed-sample", "dataset_name": "../data/pubmed-sample.jsonl", "dataset_split": None},
        ),
    ],
)
def test_dataset_fields(data, expected):
    fields = dataset_fields(data)
    assert {k: fields.get(k) for k in expected} == expected


def test_bad_paths_are_refused(tmp_path):
    with pytest.raises(LongsumError, match=r"write a .yaml/.yml file"):
        check_model_index_path(tmp_path / "index.txt")
    with pytest.raises(LongsumError, match="is a directory"):
        check_model_index_path(tmp_path)


def test_eval_writes_yaml_and_score_updates_a_model_card(examples, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "eval",
            "--model",
            "lead-3",
            "--dataset",
            str(examples),
            "--bootstrap-samples",
            "20",
            "--output-dir",
            str(run),
            "--model-index",
            str(tmp_path / "index.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    block = yaml.safe_load((tmp_path / "index.yaml").read_text())
    stored = json.loads((run / "metrics.json").read_text())
    metrics = block["model-index"][0]["results"][0]["metrics"]
    assert block["model-index"][0]["name"] == "lead-3"
    assert metrics[3] == {
        "type": "rouge",
        "value": round(100 * stored["rouge"]["rougeLsum"]["f"], 4),
        "name": "ROUGE-Lsum",
        "config": "rougeLsum",
        "args": {"signature": stored["signature"]},
    }
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n# My model\n\nIt summarizes.\n", encoding="utf-8")
    scored = runner.invoke(app, ["score", str(run), "--bootstrap-samples", "20", "--model-index", str(card)])
    assert scored.exit_code == 0, scored.output
    loaded = ModelCard.load(card)
    assert loaded.data.license == "mit" and "It summarizes." in loaded.text
    assert loaded.data.eval_results[0].metric_value == metrics[0]["value"]


def test_score_of_a_bare_predictions_file_cannot_name_the_dataset(tmp_path):
    (tmp_path / "p.jsonl").write_text(json.dumps({"prediction": "a", "reference": "a"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(tmp_path / "p.jsonl"), "--model-index", str(tmp_path / "i.yaml")])
    assert result.exit_code == 2 and "--model-index needs an eval run directory" in result.stderr

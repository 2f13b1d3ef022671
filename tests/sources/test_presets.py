"""Named benchmarks: the registry, how a preset fills the data settings, the signature and `longsum datasets`."""

import json

from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import DataSettings
from longsum.sources import documents
from longsum.sources.documents import data_label, iter_documents
from longsum.sources.presets import DEFAULT_PROMPT, PRESETS, find_preset, prompt_for

FIELD_NAMES = ["pubmed", "arxiv", "govreport", "booksum", "bigpatent", "multinews"]


def test_the_field_s_benchmarks_are_registered():
    assert set(FIELD_NAMES) <= set(PRESETS)
    for name, preset in PRESETS.items():
        assert preset.name == name and preset.split and preset.text_column != preset.summary_column
    assert find_preset("ccdv/pubmed-summarization") is None and find_preset("x.jsonl") is None


def test_a_preset_fills_dataset_split_and_columns_but_the_user_wins():
    preset = PRESETS["govreport"]
    filled = preset.apply(DataSettings(dataset="govreport", split=None))
    assert (filled.dataset, filled.split) == ("ccdv/govreport-summarization:document", "test")
    assert (filled.text_column, filled.summary_column) == ("report", "summary")
    mine = preset.apply(DataSettings(dataset="govreport", split="validation", text_column="mine"))
    assert (mine.split, mine.text_column) == ("validation", "mine")


def test_the_signature_names_the_preset():
    assert data_label(DataSettings(dataset="multinews", split=None)) == (
        "multinews=alexfabbri/multi_news:default@refs/convert/parquet/test"
    )
    assert data_label(DataSettings(dataset="arxiv", split="validation")).endswith("/validation")
    assert data_label(DataSettings(dataset="some/hub-set", split=None)) == "some/hub-set/validation"


def test_a_preset_streams_its_hub_dataset_with_its_revision(monkeypatch):
    seen = {}

    def fake_stream(path, config, split, revision, shown):
        seen.update(path=path, config=config, split=split, revision=revision)
        return iter([{"document": "news text.", "summary": "news.", "id": "n1"}])

    monkeypatch.setattr(documents, "stream_dataset", fake_stream)
    monkeypatch.setattr("longsum.sources.hub.require_hub", lambda *a: None)
    docs = list(iter_documents(DataSettings(dataset="multinews", split=None)))
    assert seen == {
        "path": "alexfabbri/multi_news",
        "config": "default",
        "split": "test",
        "revision": "refs/convert/parquet",
    }
    assert (docs[0].text, docs[0].reference) == ("news text.", "news.")


def test_datasets_command_lists_them():
    result = CliRunner().invoke(app, ["datasets", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert set(FIELD_NAMES) <= set(listed) and listed["arxiv"]["hub_id"] == "ccdv/arxiv-summarization"
    table = CliRunner().invoke(app, ["datasets"])
    assert table.exit_code == 0 and "govreport" in table.stdout and "kmfoda/booksum" in table.stdout


def test_a_preset_offline_is_one_line():
    result = CliRunner().invoke(app, ["eval", "--model", "lead-3", "--dataset", "pubmed"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: cannot reach the Hugging Face Hub to fetch dataset 'ccdv/pubmed-summarization'"
    )


#: LongBench's config/dataset2prompt.json entries for the presets it covers ({context} is the document).
LONGBENCH = {
    "govreport": "You are given a report by a government agency. Write a one-page summary of the report.\n\n"
    "Report:\n{context}\n\nNow, write a one-page summary of the report.\n\nSummary:",
    "multinews": "You are given several news passages. Write a one-page summary of all news. \n\n"
    "News:\n{context}\n\nNow, write a one-page summary of all the news.\n\nSummary:",
}


def test_every_preset_names_a_causal_prompt_and_where_it_comes_from():
    for name, preset in PRESETS.items():
        prompt = preset.prompt
        assert prompt.template.count("{document}") == 1 and prompt.max_new_tokens > 0 and prompt.source
        assert prompt_for(name) is prompt
        # The instruction before the document and again after it: a middle truncation keeps both.
        before, after = prompt.template.split("{document}")
        assert before.strip() and after.strip() != ""
    for name, template in LONGBENCH.items():
        prompt = PRESETS[name].prompt
        assert prompt.template == template.replace("{context}", "{document}")
        assert prompt.source.startswith("LongBench") and prompt.max_new_tokens == 512
    assert prompt_for("my/docs.jsonl") is DEFAULT_PROMPT and "{document}" in DEFAULT_PROMPT.template

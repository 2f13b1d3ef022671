"""``longsum datasets``: the presets as a table or JSON, each with the split a run reads by default."""

import json

from typer.testing import CliRunner

from longsum.cli import app
from longsum.config import DataSettings
from longsum.sources.documents import data_label
from longsum.sources.presets import PRESETS

runner = CliRunner()


def test_json_lists_every_preset_with_the_split_read_when_none_is_given():
    result = runner.invoke(app, ["datasets", "--json"])
    assert result.exit_code == 0, result.output
    listed = {preset["name"]: preset for preset in json.loads(result.stdout)}
    assert set(listed) == set(PRESETS)
    for name, preset in listed.items():
        assert data_label(DataSettings(dataset=name)).endswith(f"/{preset['split']}")


def test_help_puts_json_under_output():
    assert "─ Output " in runner.invoke(app, ["datasets", "--help"]).output


def test_json_lists_each_presets_decoder_only_prompt_and_its_source():
    listed = {preset["name"]: preset for preset in json.loads(runner.invoke(app, ["datasets", "--json"]).stdout)}
    govreport = listed["govreport"]["prompt"]
    assert govreport["source"].startswith("LongBench") and govreport["max_new_tokens"] == 512
    assert "{document}" in govreport["template"] and listed["pubmed"]["prompt"]["source"] == "longsum"

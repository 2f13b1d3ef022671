"""The one resolver from a --model string: each kind of value reaches its own loader."""

from __future__ import annotations

import pytest

from longsum.config import ModelSettings
from longsum.errors import LongsumError
from longsum.summarizers.resolver import kind_of, load_checkpoint, model_help


def test_unknown_builtin_name():
    with pytest.raises(LongsumError, match="unknown built-in model"):
        load_checkpoint(ModelSettings(model="builtin:huge"))


@pytest.mark.parametrize(
    "name, kind",
    [
        ("lead-3", "baseline"),
        ("oracle", "baseline"),
        ("builtin", "built-in model"),
        ("builtin:led", "built-in model"),
        ("shape:base-local", "benchmark shape"),
        ("google/long-t5-tglobal-base", "checkpoint"),
        ("./runs/my-checkpoint", "checkpoint"),
        ("openai:meta-llama/Llama-3.1-70B-Instruct", "served model"),
    ],
)
def test_every_model_string_has_one_kind(name, kind):
    assert kind_of(name).name == kind


def test_a_baseline_is_not_a_checkpoint():
    with pytest.raises(LongsumError, match="'lead-3' is a baseline, not a checkpoint"):
        load_checkpoint(ModelSettings(model="lead-3"))


def test_the_help_lists_every_kind_with_its_names():
    text = model_help()
    for form in (
        "lead-K",
        "oracle",
        "builtin,",
        "builtin:tglobal",
        "builtin:pegasus-x",
        "shape:base",
        "shape:large-local",
        "hub id",
    ):
        assert form in text

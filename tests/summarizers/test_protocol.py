"""What identifies a summarizer's outputs: SummarizerInfo's JSON form for a model and for a baseline, and its beam
width."""

import json
from dataclasses import replace

import pytest

from longsum.summarizers.baselines import LeadSummarizer
from longsum.summarizers.protocol import Output, SummarizerInfo

SEQ2SEQ = SummarizerInfo(
    model="google/long-t5-tglobal-base",
    revision="abc123",
    dtype="bf16",
    device="cuda:0",
    generation={"num_beams": 4, "max_length": 512},
    family="longt5",
    max_input_tokens=16384,
    fast_paths=("beam-shared-cross-attention", "chunked-transient-global-attention"),
)


def test_a_model_s_info_names_its_family_limit_and_fast_paths():
    assert SEQ2SEQ.to_dict() == {
        "model": "google/long-t5-tglobal-base",
        "revision": "abc123",
        "dtype": "bf16",
        "device": "cuda:0",
        "generation": {"num_beams": 4, "max_length": 512},
        "family": "longt5",
        "max_input_tokens": 16384,
        "fast_paths": ["beam-shared-cross-attention", "chunked-transient-global-attention"],
    }
    assert json.loads(json.dumps(SEQ2SEQ.to_dict())) == SEQ2SEQ.to_dict()


def test_a_model_s_info_says_where_its_batches_hold_one_input_length():
    same_length = replace(SEQ2SEQ, family="bart", same_length_batches=True).to_dict()
    assert same_length.pop("same_length_batches") is True
    assert same_length == {**SEQ2SEQ.to_dict(), "family": "bart"}


def test_a_baseline_s_info_names_its_splitter_and_counts_words():
    info = SummarizerInfo(model="lead-3", sentence_splitter="punkt", input_unit="words")
    assert info.to_dict() == {
        "model": "lead-3",
        "revision": None,
        "dtype": None,
        "device": "cpu",
        "generation": {},
        "sentence_splitter": "punkt",
        "input_unit": "words",
    }


def test_the_shipped_baseline_describes_itself_as_a_baseline():
    described = LeadSummarizer(3).describe().to_dict()
    assert described["model"] == "lead-3" and described["input_unit"] == "words"
    assert "family" not in described and "fast_paths" not in described and described["generation"] == {}


@pytest.mark.parametrize(("generation", "beams"), [({"num_beams": 4}, 4), ({}, 1), ({"num_beams": None}, 1)])
def test_num_beams_is_the_setting_in_force_or_greedy(generation, beams):
    assert SummarizerInfo(model="m", generation=generation).num_beams == beams


def test_an_output_without_a_limit_says_so():
    assert Output("text", 3).ended is None
    assert Output("text", 3, ended=False) != Output("text", 3, ended=True)

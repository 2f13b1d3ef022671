import pytest

from longsum.metrics.sentences import (
    one_sentence_per_line,
    split_newline,
    split_punkt,
    splitter_id,
)


def test_punkt_splits_sentences_and_lines():
    text = "BACKGROUND\ncells grew fast. they divided twice. then stopped."
    assert split_punkt(text) == ["BACKGROUND", "cells grew fast.", "they divided twice.", "then stopped."]


@pytest.mark.parametrize("abbreviation", ["et al.", "e.g.", "i.e.", "fig.", "vs."])
def test_punkt_keeps_scientific_abbreviations_inside_a_sentence(abbreviation):
    text = f"as shown by smith {abbreviation} in the mouse the cells grew. next one."
    assert len(split_punkt(text)) == 2


def test_newline_splitter_keeps_lines_and_drops_blank_ones():
    assert split_newline("a b. c d.\n\nsecond line") == ["a b. c d.", "second line"]


def test_one_sentence_per_line():
    assert one_sentence_per_line("one. two.", "punkt") == "one.\ntwo."
    assert one_sentence_per_line("one. two.", "newline") == "one. two."


def test_splitter_ids_are_versioned():
    assert splitter_id("punkt") == "punkt-v1"
    assert splitter_id("newline") == "newline"

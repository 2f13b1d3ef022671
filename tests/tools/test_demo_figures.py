"""The demonstration model's figures: the verbatim-sentence share, by hand and from a run directory."""

import json

from demo_figures import run_figures, verbatim_sentences, verbatim_share

ARTICLE = "BACKGROUND\nthe cells grew fast in the dark.  they died at  <dig> degrees.\n\nwe asked why the cells grew."


def test_a_sentence_counts_when_it_appears_verbatim_whatever_the_spacing():
    assert verbatim_sentences("the cells grew fast in the dark. they died at <dig> degrees.", ARTICLE) == (2, 2)
    assert verbatim_sentences("the cells grew fast at <dig> degrees. we asked why the cells grew.", ARTICLE) == (1, 2)


def test_sentences_under_the_minimum_length_are_not_counted():
    assert verbatim_sentences("cells died. the cells grew fast in the dark.", ARTICLE) == (1, 1)
    assert verbatim_sentences("cells died.", ARTICLE, min_words=1) == (0, 1)


def test_the_share_is_over_all_sentences_of_all_summaries():
    pairs = [
        ("the cells grew fast in the dark.", ARTICLE),
        ("the dark cells died fast. they died at <dig> degrees.", ARTICLE),
    ]
    assert verbatim_share(pairs) == 2 / 3
    assert verbatim_share([]) == 0.0


def test_run_figures_reads_a_run_directory(tmp_path):
    sample = tmp_path / "sample.jsonl"
    sample.write_text(json.dumps({"id": "a", "article": ARTICLE, "abstract": "x"}) + "\n")
    run = tmp_path / "run"
    run.mkdir()
    records = [
        {
            "id": "a",
            "prediction": "the cells grew fast in the dark. they died at <dig> kelvin",
            "ended_with_eos": False,
        },
        {"id": "a", "prediction": "we asked why the cells grew.", "ended_with_eos": True},
    ]
    (run / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run_figures(run, sample) == {"documents": 2, "verbatim_share": 2 / 3, "ended_share": 0.5}

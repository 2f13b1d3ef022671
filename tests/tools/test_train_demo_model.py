"""The demonstration model's training data and loss: what a window and its lead target hold; a deterministic recipe."""

import random
from dataclasses import replace

import pytest
from train_demo_model import Article, DemoRecipe, is_heading, lead_target, make_window, masked_loss, window_limit

EOS = 1
# A heading, then sentences of 10, 50, 20 and 30 tokens, each made of its own token id.
ARTICLE = Article([[5] * 3, [6] * 10, [7] * 50, [8] * 20, [9] * 30], [True, False, False, False, False])


def test_lead_target_skips_headings_and_ends_at_the_first_sentence_end_past_the_least_length():
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 60) == [6] * 10 + [7] * 50
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 61) == [6] * 10 + [7] * 50 + [8] * 20
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 5) == [6] * 10
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 500) == [6] * 10 + [7] * 50 + [8] * 20 + [9] * 30
    assert is_heading("BACKGROUND") and not is_heading("the cells grew.")


def test_windows_open_the_article_and_their_target_is_its_lead_ended_as_generate_would_end_it():
    rng = random.Random(0)
    recipe = DemoRecipe(min_length=65, max_target=70)
    seen = set()
    for longest in (16, 64, 128):
        for _ in range(50):
            inputs, target = make_window(ARTICLE, rng, longest, recipe, EOS)
            assert inputs[-1] == EOS and len(inputs) <= longest and inputs[:3] == [5, 5, 5]
            body = inputs[3:-1]
            if target[-1] == EOS:
                assert body[: len(target) - 1] == target[:-1]
                assert len(target) - 1 >= 64 or len(target) - 1 == len(body), "ends past min_length or with the input"
            else:
                assert target == body[:70], "a lead longer than max_target is cut there, without an end token"
            seen.add((len(target), target[-1] == EOS))
    assert (70, False) in seen and any(ended and length - 1 >= 64 for length, ended in seen)


def test_the_loss_never_blames_the_end_token_where_min_length_rules_it_out():
    import torch

    logits = torch.zeros(1, 4, 3)
    logits[0, :, EOS] = 10.0  # the model wants to end at every step
    labels = torch.tensor([[2, 2, 2, EOS]])
    early = masked_loss(logits[:, :3], labels[:, :3], min_length=4, eos=EOS)
    assert early.item() == pytest.approx(torch.log(torch.tensor(2.0)).item(), abs=1e-4)
    assert masked_loss(logits, labels, min_length=1, eos=EOS).item() > 5.0


def test_the_curriculum_grows_the_windows():
    recipe = DemoRecipe(steps=100)
    assert [window_limit(recipe, s) for s in (0, 29, 30, 69, 70, 99)] == [128, 128, 256, 256, 512, 512]


@pytest.mark.slow
def test_training_is_deterministic(pubmed_sample, tmp_path):
    from train_demo_model import train

    recipe = replace(DemoRecipe(), steps=2, batch_size=2, window_stages=(64,), stage_shares=(1.0,), threads=1)
    records = [train(pubmed_sample, tmp_path / name, recipe, log=lambda _: None) for name in ("a", "b")]
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in ("a", "b")]
    assert weights[0] == weights[1] and records[0]["data"] == records[1]["data"]
    assert (tmp_path / "a" / "training.json").exists()

"""The demonstration model's training data: what a window and its lead target hold."""

import random

from train_demo_model import Article, DemoRecipe, is_heading, lead_target, make_window, shuffled_copy, window_limit

EOS = 1
# A heading, then sentences of 10, 50, 20 and 30 tokens, each made of its own token id.
ARTICLE = Article([[5] * 3, [6] * 10, [7] * 50, [8] * 20, [9] * 30], [True, False, False, False, False])


def test_lead_target_skips_headings_and_stops_at_the_last_sentence_that_fits():
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 70) == [6] * 10 + [7] * 50
    assert lead_target(ARTICLE.sentences, ARTICLE.headings, 59) == [6] * 10
    # A first sentence longer than the budget is cut at the budget.
    assert lead_target(ARTICLE.sentences[2:], ARTICLE.headings[2:], 30) == [7] * 30
    assert is_heading("BACKGROUND") and not is_heading("the cells grew.")


def test_windows_hold_their_target_as_a_prefix_of_the_text_after_headings():
    rng = random.Random(0)
    for longest in (16, 64, 128):
        for _ in range(50):
            inputs, target = make_window(ARTICLE, rng, longest, 40, EOS)
            assert inputs[-1] == EOS and target[-1] == EOS and len(inputs) <= longest
            body = [t for t in inputs[:-1] if t != 5]
            assert body[: len(target) - 1] == target[:-1] and len(target) - 1 <= 40
            assert len(target) > 1, "a window never starts with nothing to copy"


def test_shuffled_copies_are_their_own_target_and_the_curriculum_grows():
    inputs, target = shuffled_copy(ARTICLE, random.Random(1), 64, EOS)
    assert inputs == target and inputs[-1] == EOS
    recipe = DemoRecipe(steps=100)
    assert [window_limit(recipe, s) for s in (0, 24, 25, 49, 50, 79, 80, 99)] == [64, 64, 128, 128, 256, 256, 512, 512]

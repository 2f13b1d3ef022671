import pytest

from longsum.config import BatchSettings
from longsum.engine.batching import (
    DEFAULT_MAX_BATCH_DOCS,
    DEFAULT_MAX_BATCH_TOKENS,
    Batch,
    Item,
    Limits,
    plan_batches,
    windows,
)
from longsum.sources.documents import Document


def items(lengths):
    return [Item(Document(i, str(i), "x", None), [5] * n, n) for i, n in enumerate(lengths)]


def test_dynamic_batches_respect_budget_and_cover_every_item_once():
    window = items([100, 900, 300, 850, 120, 400, 60])
    batches = plan_batches(window, Limits.initial(BatchSettings(max_batch_tokens=1800)))
    seen = [it.doc.index for b in batches for it in b.items]
    assert sorted(seen) == list(range(len(window)))
    for batch in batches:
        assert len(batch.items) * batch.longest <= 1800
        assert batch.pad_to is None


def test_dynamic_batches_are_sorted_longest_first():
    batches = plan_batches(items([10, 30, 20, 40]), Limits(tokens=80, documents=10))
    assert [[it.length for it in b.items] for b in batches] == [[40, 30], [20, 10]]


def test_an_input_over_budget_goes_alone():
    batches = plan_batches(items([500, 10]), Limits(tokens=100, documents=10))
    assert [len(b.items) for b in batches] == [1, 1]


def test_batch_size_caps_documents():
    batches = plan_batches(items([5] * 7), Limits.initial(BatchSettings(batch_size=3)))
    assert [len(b.items) for b in batches] == [3, 3, 1]


def test_default_cap_applies_without_batch_size():
    batches = plan_batches(items([1] * (DEFAULT_MAX_BATCH_DOCS + 1)), Limits.initial(BatchSettings()))
    assert len(batches[0].items) == DEFAULT_MAX_BATCH_DOCS


def test_max_length_padding_keeps_dataset_order_and_pads_to_the_limit():
    window = items([30, 10, 20, 5, 7])
    limits = Limits.initial(BatchSettings(padding="max-length", batch_size=2, max_input_tokens=64))
    batches = plan_batches(window, limits, pad_to=64)
    assert [[it.doc.index for it in b.items] for b in batches] == [[0, 1], [2, 3], [4]]
    assert all(b.pad_to == 64 for b in batches)
    assert batches[0].encoder_tokens == 128 and batches[0].real_tokens == 40


@pytest.mark.parametrize("size, expected", [(2, [[0, 1], [2, 3], [4]]), (5, [[0, 1, 2, 3, 4]]), (9, [[0, 1, 2, 3, 4]])])
def test_windows(size, expected):
    assert list(windows(range(5), size)) == expected


def test_truncation_flag():
    item = Item(Document(0, "a", "t", None), [1, 2, 3], 10)
    assert item.truncated and item.length == 3
    assert Batch((item,)).encoder_tokens == 3


@pytest.mark.parametrize(
    "settings, hint, expected",
    [
        (BatchSettings(), None, Limits(DEFAULT_MAX_BATCH_TOKENS, DEFAULT_MAX_BATCH_DOCS)),
        (BatchSettings(), 5000, Limits(5000, DEFAULT_MAX_BATCH_DOCS)),
        (BatchSettings(max_batch_tokens=300, batch_size=4), 5000, Limits(300, 4)),
        (BatchSettings(padding="max-length", max_input_tokens=100, max_batch_tokens=450), None, Limits(450, 4)),
        (
            BatchSettings(padding="max-length", max_input_tokens=16384, batch_size=2),
            None,
            Limits(DEFAULT_MAX_BATCH_TOKENS, 2),
        ),
    ],
)
def test_initial_limits(settings, hint, expected):
    assert Limits.initial(settings, hint) == expected


def test_limits_below_a_batch_halve_it():
    batch = Batch(tuple(items([40, 30, 30, 20, 10])))
    assert Limits(1000, 8).below(batch) == Limits(80, 2)
    assert Limits(1000, 8).below(Batch(tuple(items([40])))) == Limits(40, 1)
    assert Limits(1000, 8, multiple=2).below(batch).multiple == 2


def test_the_recipe_batch_multiple_applies_to_dynamic_batches_only():
    assert Limits.initial(BatchSettings(), None, 2) == Limits(DEFAULT_MAX_BATCH_TOKENS, DEFAULT_MAX_BATCH_DOCS, 2)
    assert Limits.initial(BatchSettings(padding="max-length", batch_size=2), None, 2).multiple == 1


@pytest.mark.parametrize(
    "lengths, limits, expected",
    [
        # The shared sample's first 8 articles at the 2k-piece tokenizer: 5 fit 65,536 tokens, then 3.
        ([9896, 12762, 9748, 11588, 6741, 10338, 9419, 9606], Limits(65536, 64, 2), [4, 4]),
        ([9896, 12762, 9748, 11588, 6741, 10338, 9419, 9606], Limits(65536, 64), [5, 3]),
        ([10] * 7, Limits(1000, 64, 2), [6, 1]),  # one batch a window off the multiple, of one document
        ([10] * 7, Limits(1000, 3, 2), [2, 2, 2, 1]),  # a cap off the multiple is rounded down to it
        ([500, 10, 10], Limits(100, 64, 2), [1, 2]),  # an input over the budget still goes alone
        ([10] * 6, Limits(1000, 64, 4), [4, 2]),
    ],
)
def test_dynamic_batches_hold_a_multiple_of_the_recipe_batch(lengths, limits, expected):
    batches = plan_batches(items(lengths), limits)
    assert [len(b.items) for b in batches] == expected
    assert sorted(it.doc.index for b in batches for it in b.items) == list(range(len(lengths)))
    assert all(len(b.items) * b.longest <= limits.tokens or len(b.items) == 1 for b in batches)


def test_prefetch_yields_everything_in_order():
    from longsum.engine.batching import prefetch

    assert list(prefetch(iter(range(100)), depth=2)) == list(range(100))


def test_prefetch_raises_the_producers_error_at_its_position():
    from longsum.engine.batching import prefetch

    def produce():
        yield 1
        yield 2
        raise ValueError("bad record")

    seen = []
    with pytest.raises(ValueError, match="bad record"):
        for value in prefetch(produce()):
            seen.append(value)
    assert seen == [1, 2]


def test_prefetch_stops_its_thread_when_the_consumer_stops_early():
    import threading

    from longsum.engine.batching import prefetch

    stream = prefetch(iter(range(10_000)))
    assert next(stream) == 0
    stream.close()
    assert not any(t.name == "longsum-prefetch" for t in threading.enumerate())


@pytest.mark.parametrize(
    "lengths, limits, expected",
    [
        ([30, 20, 30, 10, 20, 30], Limits(1000, 64, same_length=True), [[30, 30, 30], [20, 20], [10]]),
        # A batch of one length off the multiple leaves its rest alone, never beside the next length.
        ([30, 20, 30, 20, 30], Limits(1000, 64, 2, same_length=True), [[30, 30], [30], [20, 20]]),
        ([10] * 5, Limits(25, 64, 2, same_length=True), [[10, 10], [10, 10], [10]]),  # the budget still bounds it
        ([30, 20, 30, 10], Limits(1000, 64, 2), [[30, 30, 20, 10]]),  # without: padded to the longest
    ],
)
def test_same_length_batches_hold_one_input_length_only(lengths, limits, expected):
    batches = plan_batches(items(lengths), limits)
    assert [[it.length for it in b.items] for b in batches] == expected


def test_same_length_applies_to_dynamic_batches_only_and_survives_a_back_off():
    limits = Limits.initial(BatchSettings(), None, 2, same_length=True)
    assert limits.same_length and limits.below(Batch(tuple(items([40, 40])))).same_length
    assert not Limits.initial(BatchSettings(padding="max-length", batch_size=2), None, 2, same_length=True).same_length

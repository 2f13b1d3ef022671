"""Load-time checks: outputs compared bit for bit (NaN equal to NaN), a fast path that changes them left off with
one warning, and the decoder's row rounding checked against the recipe's batch."""

from types import SimpleNamespace

import pytest
import torch
from fakes import RowCountedLinear, attention_off_by

from longsum.config import BatchSettings, GenerationSettings, ModelSettings
from longsum.engine.families import FAMILIES
from longsum.engine.loading import load_model
from longsum.engine.verification import identical, row_rounding_warning, verified_fast_paths
from longsum.summarizers.seq2seq import load_seq2seq

LONGT5_PATHS = FAMILIES["longt5"].fast_paths()
NAN = float("nan")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ([1.0, NAN, 3.0], [1.0, NAN, 3.0], True),  # overflowed alike in both paths
        ([1.0, NAN, 3.0], [1.0, 2.0, 3.0], False),
        ([1.0, 2.0, 3.0], [1.0, 2.0, NAN], False),
        ([NAN, 2.0], [2.0, NAN], False),  # NaN in different places
        ([0.0, 1.0], [-0.0, 1.0], True),
        ([1.0, 2.0], [1.0, 2.0 + 2**-20], False),  # any bit of difference
        ([1.0, 2.0], [1.0, 2.0, 3.0], False),
    ],
)
def test_identical_is_torch_equal_with_nan_equal_to_nan(a, b, same):
    assert identical(torch.tensor(a), torch.tensor(b)) is same


def test_identical_compares_token_ids_exactly():
    assert identical(torch.tensor([[0, 5, 1]]), torch.tensor([[0, 5, 1]]))
    assert not identical(torch.tensor([[0, 5, 1]]), torch.tensor([[0, 5, 2]]))
    assert not identical(torch.tensor([[0, 5, 1]]), torch.tensor([[0, 5]]))


def test_a_family_without_fast_paths_has_nothing_to_check():
    assert verified_fast_paths(SimpleNamespace(model=object()), FAMILIES["generic"], 1024, None) == ([], [])


def test_a_fast_path_that_changes_outputs_is_disengaged_with_one_warning(tiny_tglobal, monkeypatch):
    from longsum.engine.families import FastPath, longt5

    off_by_a_little = attention_off_by(1e-3)
    broken = FastPath(
        "broken", longt5.MODEL_CLASSES, longt5._instances("LongT5TransientGlobalAttention", off_by_a_little)
    )
    monkeypatch.setattr(longt5.LongT5, "fast_paths", lambda self: (*LONGT5_PATHS, broken))
    summarizer = load_seq2seq(load_model(ModelSettings(model=str(tiny_tglobal))), GenerationSettings(), BatchSettings())
    assert [p.name for p in summarizer.fast_paths] == [
        "beam-shared-cross-attention",
        "chunked-transient-global-attention",
        "preallocated-self-attention-cache",
        "row-slab-layer-norm",
        "vocab-sliced-output-layer",
    ]
    assert summarizer.warnings == [
        "fast path broken disengaged: on LongT5ForConditionalGeneration it did not reproduce stock transformers"
    ]


class Decoder(torch.nn.Module):
    """The parts of a seq2seq model the row-rounding check reads: a decoder and an output layer."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.decoder = torch.nn.Sequential(linear)
        self.head = torch.nn.Linear(4, 3, bias=False)

    def get_decoder(self):
        return self.decoder

    def get_output_embeddings(self):
        return self.head


def test_a_decoder_that_rounds_rows_by_batch_size_is_warned_about():
    exact = SimpleNamespace(model=Decoder(RowCountedLinear(rows=10**9)), device="cpu")
    assert row_rounding_warning(exact, beams=2) is None
    # The recipe decodes 2 documents x 2 beams = 4 rows; a product of 16 rows or more rounds otherwise here.
    drifting = SimpleNamespace(model=Decoder(RowCountedLinear(rows=15)), device="cpu")
    assert row_rounding_warning(drifting, beams=2) == (
        "on cpu the decoder rounds a row differently in batches of more than 2 documents: a near-tie may end "
        "differently from the docs recipe (--batch-size 2 decodes as it does)"
    )
    # With 4 beams the recipe's product is 8 rows, and the check looks from 16 rows up: caught too.
    assert row_rounding_warning(drifting, beams=4) is not None

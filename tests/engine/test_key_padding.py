"""Which runs need batches of one input length: SDPA attention in bf16 on the CPU, whose kernel rounds a query by
the padded key length (measured here) but not by the batch size; and the one warning line saying so."""

from types import SimpleNamespace

import pytest
import torch
from conftest import NATIVE_BF16

from longsum.config import BatchSettings
from longsum.engine.key_padding import (
    cross_attention_implementation,
    rounds_by_key_padding,
    same_length_batches,
    same_length_warning,
)
from longsum.engine.loading import LoadedModel


class Decoder:
    def __init__(self, attention: str) -> None:
        self.config = SimpleNamespace(_attn_implementation=attention)


class Model:
    """A model whose decoder computes attention with ``attention``."""

    def __init__(self, attention: str) -> None:
        self.config = SimpleNamespace(_attn_implementation="eager")
        self.decoder = Decoder(attention)

    def get_decoder(self) -> Decoder:
        return self.decoder


def loaded(attention: str = "sdpa", dtype: str = "bf16", device: str = "cpu") -> LoadedModel:
    return LoadedModel(Model(attention), None, device, dtype, "m", "r")


def test_the_decoder_s_attention_is_the_one_that_counts():
    assert cross_attention_implementation(Model("sdpa")) == "sdpa"
    assert cross_attention_implementation(SimpleNamespace(config=SimpleNamespace(_attn_implementation="eager"))) == (
        "eager"
    )


@pytest.mark.parametrize(
    "run, rounds",
    [
        (loaded(), True),
        (loaded(attention="eager"), False),  # LongT5, LED, Pegasus-X, BigBird-Pegasus
        (loaded(dtype="fp32"), False),  # fp32 batches stay as they are
        (loaded(device="cuda:0"), False),  # not measured there
    ],
)
def test_only_sdpa_attention_in_bf16_on_the_cpu_rounds_by_key_padding(run, rounds):
    assert rounds_by_key_padding(run) is rounds


@pytest.mark.parametrize(
    "batching, same_length",
    [
        (BatchSettings(), True),
        (BatchSettings(batch_size=4), True),
        (BatchSettings(batch_size=1), False),  # each document alone already
        (BatchSettings(padding="max-length", batch_size=2), False),  # the padded recipe, on purpose
    ],
)
def test_same_length_batches_replace_dynamic_batches_of_several_documents(batching, same_length):
    assert same_length_batches(loaded(), batching) is same_length
    assert not same_length_batches(loaded(dtype="fp32"), batching)


def test_the_warning_is_one_line_naming_the_model_class_and_the_cause():
    warning = same_length_warning(loaded())
    assert "\n" not in warning and warning.startswith("bf16 on cpu: Model's SDPA attention")
    assert "one input length only" in warning


def attention(query, keys, values, length=None):
    """SDPA of ``query`` on the first ``length`` keys, the rest masked (all keys when ``length`` is ``None``)."""
    if length is None:
        return torch.nn.functional.scaled_dot_product_attention(query, keys, values)
    mask = torch.zeros(query.shape[0], 1, query.shape[2], keys.shape[2], dtype=torch.bool)
    mask[..., :length] = True
    return torch.nn.functional.scaled_dot_product_attention(query, keys, values, attn_mask=mask)


@NATIVE_BF16
def test_sdpa_in_bf16_rounds_a_query_by_the_padded_key_length_but_not_by_the_batch_size():
    """Why the rule exists (padding changes bits) and why batches of one length are exact (more inputs do not)."""
    generator = torch.Generator().manual_seed(0)
    padded_differ = batched_differ = 0
    for length in (31, 255, 513, 943):
        query, keys, values = (
            torch.randn(16, 16, rows, 64, generator=generator).bfloat16() for rows in (2, length + 37, length + 37)
        )
        alone = attention(query[:1], keys[:1, :, :length], values[:1, :, :length])
        padded_differ += not torch.equal(alone, attention(query[:1], keys[:1], values[:1], length))
        batched = attention(query, keys[:, :, :length], values[:, :, :length])
        batched_differ += not torch.equal(alone, batched[:1])
        batched_differ += not torch.equal(
            alone, attention(query, keys[:, :, :length], values[:, :, :length], length)[:1]
        )
    assert padded_differ > 0
    assert batched_differ == 0

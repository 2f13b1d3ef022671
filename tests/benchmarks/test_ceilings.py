"""A run's place under the machine's ceilings: measured only for LongT5 (whose FLOPs and bytes the roofline
counts), and the run's batches turned into fractions of them."""

import pytest
from conftest import NATIVE_BF16
from fakes import EchoSummarizer

from longsum.benchmarks.ceilings import Ceilings
from longsum.benchmarks.roofline import Dims, roofline
from longsum.config import BatchSettings, EvalConfig, GenerationSettings, ModelSettings
from longsum.summarizers.resolver import load_summarizer
from longsum.summarizers.runner import RunnerStats


def test_a_summarizer_that_is_not_a_longt5_has_no_ceilings():
    assert Ceilings.measure(EchoSummarizer()) is None


def test_the_builtin_longt5_is_measured_with_its_dims_and_beams():
    config = EvalConfig(
        model=ModelSettings(model="builtin:tglobal"),
        generation=GenerationSettings(max_length=8, num_beams=3),
        batching=BatchSettings(max_input_tokens=256),
    )
    summarizer = load_summarizer(config)
    ceilings = Ceilings.measure(summarizer)
    assert ceilings is not None
    model = summarizer.loaded.model
    assert ceilings.dims == Dims.of(model.config, 4) and ceilings.beams == 3
    assert ceilings.dims.attention == "transient-global" and ceilings.dims.d_model == 64
    assert ceilings.machine["dtype"] == "float32"
    assert ceilings.machine["peak_flops_per_second"] > 0 and ceilings.machine["bandwidth_bytes_per_second"] > 0
    runner = RunnerStats(encode_seconds=0.5, decode_seconds=2.0, batches=[[(200, 8), (120, 5)], [(60, 8)]])
    fractions = ceilings.fractions(runner)
    assert fractions == roofline(
        ceilings.dims,
        runner.batches,
        3,
        0.5,
        2.0,
        ceilings.machine["peak_flops_per_second"],
        ceilings.machine["bandwidth_bytes_per_second"],
    )
    assert fractions["encoder_seconds"] == 0.5 and fractions["encoder_flops"] > 0
    assert fractions["encoder_flops_per_second"] == pytest.approx(fractions["encoder_flops"] / 0.5)


@NATIVE_BF16
def test_a_bf16_model_is_measured_at_the_bf16_matmul_rate_with_2_byte_weights():
    config = EvalConfig(
        model=ModelSettings(model="builtin:tglobal", dtype="bf16"),
        generation=GenerationSettings(max_length=8),
        batching=BatchSettings(max_input_tokens=256),
    )
    summarizer = load_summarizer(config)
    ceilings = Ceilings.measure(summarizer)
    assert ceilings is not None
    assert ceilings.dims == Dims.of(summarizer.loaded.model.config, 2) and ceilings.machine["dtype"] == "bfloat16"


def test_a_decoder_only_model_is_measured_with_its_own_counts():
    from longsum.benchmarks.roofline import CausalDims
    from longsum.config import EvalConfig, ModelSettings
    from longsum.summarizers.resolver import load_summarizer

    summarizer = load_summarizer(EvalConfig(model=ModelSettings(model="builtin:llama")))
    ceilings = Ceilings.measure(summarizer)
    assert ceilings is not None and isinstance(ceilings.dims, CausalDims)
    config = summarizer.loaded.model.config
    assert (ceilings.dims.hidden, ceilings.dims.layers, ceilings.dims.vocab) == (
        config.hidden_size,
        config.num_hidden_layers,
        config.vocab_size,
    )
    assert ceilings.beams == 1  # greedy: the checkpoint's own generation config

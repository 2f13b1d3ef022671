"""A run's place under the machine's ceilings: the probe's measured rates and the model dims that turn a run's
batches into FLOPs and bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from longsum.benchmarks.machine_probe import probe_machine
from longsum.benchmarks.roofline import CausalDims, Dims, causal_roofline, roofline
from longsum.engine.loading import torch_dtype
from longsum.summarizers.causal import CausalSummarizer
from longsum.summarizers.protocol import Summarizer
from longsum.summarizers.runner import RunnerStats
from longsum.summarizers.seq2seq import Seq2SeqSummarizer


@dataclass(frozen=True)
class Ceilings:
    """The machine's measured ceilings and the model dims that turn a run into FLOPs and bytes."""

    machine: dict[str, Any]
    dims: Dims | CausalDims
    beams: int

    @classmethod
    def measure(cls, summarizer: Summarizer) -> Ceilings | None:
        """Probe the machine for ``summarizer``'s model; ``None`` for models the counts do not cover (seq2seq
        models other than LongT5, baselines)."""
        dims: Dims | CausalDims
        if isinstance(summarizer, CausalSummarizer):
            loaded = summarizer.loaded
            dims = CausalDims.of(loaded.model.config, loaded.model.dtype.itemsize)
        elif isinstance(summarizer, Seq2SeqSummarizer) and summarizer.loaded.model.config.model_type == "longt5":
            loaded = summarizer.loaded
            dims = Dims.of(loaded.model.config, loaded.model.dtype.itemsize)
        else:
            return None
        machine = probe_machine(loaded.device, torch_dtype(loaded.dtype))
        return cls(machine, dims, summarizer.describe().num_beams)

    def fractions(self, runner: RunnerStats) -> dict[str, Any]:
        """The run's FLOPs, bytes, achieved rates and their fractions of the ceilings (for a decoder-only model,
        the prefill takes the encoder's place)."""
        timed = (runner.batches, self.beams, runner.encode_seconds, runner.decode_seconds)
        ceilings = (self.machine["peak_flops_per_second"], self.machine["bandwidth_bytes_per_second"])
        if isinstance(self.dims, CausalDims):
            return causal_roofline(self.dims, *timed, *ceilings)
        return roofline(self.dims, *timed, *ceilings)

"""The batch runner: windows of documents through a summarizer in planned batches, backing off from out-of-memory."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from longsum.config import BatchSettings
from longsum.engine.batching import Batch, Item, Limits, plan_batches
from longsum.engine.memory import is_out_of_memory, release_cached_memory
from longsum.errors import LongsumError
from longsum.summarizers.protocol import Output, Progress, Streaming, Summarizer


class GenerationFailed(LongsumError):
    """The model raised on a batch (not out of memory): one line naming the documents, with the traceback kept
    as the cause."""

    def __init__(self, batch: Batch, error: BaseException) -> None:
        ids = [item.doc.id for item in batch.items]
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        first_line = next(iter(str(error).splitlines()), "")
        super().__init__(
            f"generation failed on {len(ids)} document(s) ({shown}): {type(error).__name__}: {first_line}", 1
        )


@dataclass
class RunnerStats:
    """Tokens the runner processed, and how often it backed off from out-of-memory errors."""

    processed_tokens: int = 0
    encoder_tokens: int = 0
    generated_tokens: int = 0
    oom_splits: int = 0
    #: Model time split at the encoder's hooks: the rest of ``generate`` (decoder, search, detokenizing) is decoding.
    encode_seconds: float = 0.0
    decode_seconds: float = 0.0
    #: Per finished batch, each document's (input tokens, generated tokens): what the roofline counts.
    batches: list[list[tuple[int, int]]] = field(default_factory=list)

    @property
    def padding_efficiency(self) -> float:
        """Real input tokens over input tokens the encoder processed."""
        return self.processed_tokens / self.encoder_tokens if self.encoder_tokens else 1.0


def initial_limits(summarizer: Summarizer, batching: BatchSettings) -> Limits:
    """The first batch limits for ``summarizer``: the user's ``batching``, the device's memory, and the batch shape
    the summarizer asks for (whole recipe batches, one input length)."""
    hint = summarizer.batch_tokens_hint()
    return Limits.initial(batching, hint, summarizer.batch_multiple, summarizer.same_length_batches)


class BatchRunner:
    """Runs windows of items through a summarizer, halving batches that run out of device memory."""

    def __init__(
        self,
        summarizer: Summarizer,
        limits: Limits,
        pad_to: int | None,
        progress: Progress | None = None,
        stats: RunnerStats | None = None,
    ) -> None:
        self.summarizer = summarizer
        self.limits = limits
        self.pad_to = pad_to
        self.progress = progress
        self.stats = stats if stats is not None else RunnerStats()
        self.device = summarizer.describe().device

    def run_window(self, window: list[Item]) -> Iterator[list[tuple[Item, Output]]]:
        """Each finished batch of ``window`` as (item, output) pairs; every item generated exactly once (one item
        a batch for a streaming summarizer, as each finishes)."""
        if isinstance(self.summarizer, Streaming):
            yield from self._stream(self.summarizer, window)
            return
        empty = [item for item in window if not item.input_ids]
        if empty:
            # Nothing to summarize: an empty document gets an empty summary without a model call.
            yield [(item, Output(text="", tokens=0)) for item in empty]
        pending = deque(plan_batches([item for item in window if item.input_ids], self.limits, self.pad_to))
        while pending:
            batch = pending.popleft()
            encoded, started = self.summarizer.encoding_seconds(), time.perf_counter()
            try:
                outputs = self.summarizer.generate(batch)
            except Exception as err:
                if not is_out_of_memory(err):
                    raise GenerationFailed(batch, err) from err
                if len(batch.items) == 1:
                    raise LongsumError(
                        f"out of device memory on a single document of {batch.longest} tokens "
                        "(lower --max-input-tokens or --num-beams, or use a larger device)"
                    ) from None
                release_cached_memory(self.device)
                # Lower the limits for the rest of the run and re-plan what is left of this window.
                self.limits = self.limits.below(batch)
                self.stats.oom_splits += 1
                rest = [item for b in pending for item in b.items]
                pending = deque(plan_batches([*batch.items, *rest], self.limits, self.pad_to))
                continue
            encoding = self.summarizer.encoding_seconds() - encoded
            self.stats.encode_seconds += encoding
            self.stats.decode_seconds += time.perf_counter() - started - encoding
            self.stats.batches.append([(item.length, o.tokens) for item, o in zip(batch.items, outputs, strict=True)])
            generated = sum(o.tokens for o in outputs)
            self.stats.processed_tokens += batch.real_tokens
            self.stats.encoder_tokens += batch.encoder_tokens
            self.stats.generated_tokens += generated
            if self.progress is not None:
                self.progress.advance(len(batch.items), batch.real_tokens, generated)
            yield list(zip(batch.items, outputs, strict=True))

    def _stream(self, summarizer: Streaming, window: list[Item]) -> Iterator[list[tuple[Item, Output]]]:
        started = time.perf_counter()
        try:
            for item, output in summarizer.stream(window):
                read = output.usage.get("prompt_tokens", item.length) if output.usage else item.length
                self.stats.processed_tokens += read
                self.stats.encoder_tokens += read
                self.stats.generated_tokens += output.tokens
                self.stats.batches.append([(read, output.tokens)])
                if self.progress is not None:
                    self.progress.advance(1, read, output.tokens)
                yield [(item, output)]
        finally:
            self.stats.decode_seconds += time.perf_counter() - started

"""Prediction records built and written on a worker thread, off the model's critical path."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from longsum.engine.batching import Item
from longsum.engine.timing import PhaseTimes
from longsum.metrics.summary_stats import document_stats
from longsum.results.storage import PredictionLog, PredictionRecord
from longsum.summarizers.protocol import Output


def input_tokens(item: Item, output: Output) -> int:
    """The prompt's tokens: as the summarizer counted them, else (a served model without a tokenizer) as the server
    did; -1 where neither counted them (a prompt the server refused as too long)."""
    if item.input_ids or not item.doc.text.strip():
        return item.length
    return output.usage.get("prompt_tokens", -1) if output.usage else -1


class BackgroundRecords:
    """Computes each finished batch's per-document statistics and appends its records, one batch at a time.

    The statistics (n-gram sets of a whole article, about 30 ms a document) need no model, so the
    main thread hands them over and goes on to the next batch; most of their work runs while the
    model computes outside the GIL. One worker keeps the records in the order batches finish;
    leaving the ``with`` block waits for every batch handed over, so what the model produced is
    on disk even when the block ends with an error.
    """

    def __init__(self, log: PredictionLog, splitter: str, phases: PhaseTimes) -> None:
        self.log = log
        self.splitter = splitter
        self.phases = phases
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="longsum-records")
        self._pending: list[Future[None]] = []

    def submit(self, finished: list[tuple[Item, Output]]) -> None:
        """Hand over one finished batch; raises the error of an earlier batch's work, if any."""
        self._raise_failures(wait=False)
        self._pending.append(self._pool.submit(self._write, finished))

    def _write(self, finished: list[tuple[Item, Output]]) -> None:
        with self.phases.timed("statistics", overlapped=True):
            records = [
                PredictionRecord(
                    item.doc.id,
                    output.text,
                    item.doc.reference,
                    input_tokens(item, output),
                    item.truncated or output.too_long,
                    document_stats(item.doc.text, output.text, item.doc.reference, self.splitter),
                    output.tokens,
                    output.ended,
                    output.raw,
                    dict(output.usage) if output.usage else None,
                    output.too_long,
                )
                for item, output in finished
            ]
        with self.phases.timed("writing", overlapped=True):
            self.log.append(records)

    def _raise_failures(self, wait: bool) -> None:
        for future in [f for f in self._pending if wait or f.done()]:
            self._pending.remove(future)
            future.result()

    def __enter__(self) -> BackgroundRecords:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        with self.phases.timed("waiting_for_statistics"):
            self._pool.shutdown(wait=True)
        if kind is None:
            self._raise_failures(wait=True)

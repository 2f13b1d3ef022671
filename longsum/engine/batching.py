"""Batching: length-sorted, token-budgeted batches inside a bounded read-ahead window."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import TypeVar

from longsum.config import BatchSettings
from longsum.engine.families.base import DEFAULT_INPUT_LIMIT
from longsum.sources.documents import Document

#: Padded input tokens per batch when the user sets no budget.
DEFAULT_MAX_BATCH_TOKENS = 65536
#: Documents per batch when neither a batch size nor anything else limits it.
DEFAULT_MAX_BATCH_DOCS = 64
#: Documents per batch in the docs recipe (transformers' LongT5 example), whose summaries longsum reproduces.
RECIPE_BATCH_SIZE = 2
#: Beams in the docs recipe: a seq2seq model's beam width unless the user gives one.
RECIPE_NUM_BEAMS = 2

T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    """A document with its model input: token ids (already truncated) and how long it was before."""

    doc: Document
    input_ids: list[int]
    source_tokens: int

    @property
    def length(self) -> int:
        """Tokens the model sees."""
        return len(self.input_ids)

    @property
    def truncated(self) -> bool:
        """Whether the document lost tokens to the input limit."""
        return self.source_tokens > len(self.input_ids)


@dataclass(frozen=True)
class Batch:
    """Documents generated together.

    ``pad_to`` is ``None`` when each input is encoded on its own (no encoder padding) and the
    encoder outputs are padded to the longest for decoding; otherwise every input is padded to
    ``pad_to`` tokens before the encoder, as the docs recipe does.
    """

    items: tuple[Item, ...]
    pad_to: int | None = None

    @property
    def longest(self) -> int:
        """The longest input of the batch."""
        return max(item.length for item in self.items)

    @property
    def real_tokens(self) -> int:
        """Input tokens that belong to documents."""
        return sum(item.length for item in self.items)

    @property
    def encoder_tokens(self) -> int:
        """Input tokens the encoder processes, padding included."""
        return self.real_tokens if self.pad_to is None else self.pad_to * len(self.items)


def windows(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` elements (the last may be shorter)."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def prefetch(iterable: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield from ``iterable`` while a background thread computes up to ``depth`` elements ahead.

    The next window is read and tokenized while the current one generates. Hand-written because a
    thread is all it takes (tokenizers and torch release the GIL), where a DataLoader worker process
    would have to copy the tokenizer. An exception in the thread is raised here, at its position.
    """
    slots: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for element in iterable:
                if not offer((False, element)):
                    return
        except BaseException as err:  # handed to the consumer, which raises it
            offer((True, err))
            return
        offer((True, None))

    thread = threading.Thread(target=work, name="longsum-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            done, value = slots.get()
            if done:
                if value is not None:
                    raise value  # type: ignore[misc]
                return
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True)
class Limits:
    """How large a batch may be: padded input tokens (documents x longest input) and documents.

    ``multiple``: dynamic batches hold a multiple of this many documents wherever they can, so that
    every document's decoder rows round as in the docs recipe's batches (see ``plan_batches``).
    ``same_length``: dynamic batches hold documents of one input length only, so nothing is padded (for models
    whose outputs change with the padding, see ``engine/key_padding.py``).
    """

    tokens: int
    documents: int
    multiple: int = 1
    same_length: bool = False

    @classmethod
    def initial(
        cls, settings: BatchSettings, memory_hint: int | None = None, multiple: int = 1, same_length: bool = False
    ) -> Limits:
        """The user's limits, else ``memory_hint`` (tokens that fit on the device), else the defaults; ``multiple``
        and ``same_length`` shape dynamic batches only."""
        tokens = settings.max_batch_tokens or memory_hint or DEFAULT_MAX_BATCH_TOKENS
        if settings.padding == "max-length":
            documents = settings.batch_size or max(1, tokens // (settings.max_input_tokens or DEFAULT_INPUT_LIMIT))
            return cls(tokens=tokens, documents=documents)
        documents = settings.batch_size or DEFAULT_MAX_BATCH_DOCS
        return cls(tokens=tokens, documents=documents, multiple=multiple, same_length=same_length)

    def below(self, batch: Batch) -> Limits:
        """Limits that put at most half of ``batch``'s documents together (after it ran out of memory)."""
        half = max(1, len(batch.items) // 2)
        return replace(self, tokens=min(self.tokens, half * batch.longest), documents=min(self.documents, half))

    def whole(self, count: int) -> int:
        """``count`` documents rounded down to a multiple of ``multiple`` (a count below it stays as it is)."""
        return count - count % self.multiple if count >= self.multiple else count


def plan_batches(items: Sequence[Item], limits: Limits, pad_to: int | None = None) -> list[Batch]:
    """Group one window of items into batches.

    Dynamic (``pad_to`` is ``None``): longest first, each batch filled while ``documents x longest
    input`` stays within the token limit and the document limit; an input over the token limit goes
    alone. With ``pad_to``: dataset order, ``limits.documents`` at a time, every input padded to
    ``pad_to`` tokens, as the docs recipe runs. With ``limits.same_length``, a dynamic batch also closes
    where the input length changes, so no input is padded.

    A dynamic batch that would close with a count off ``limits.multiple`` hands its shortest
    documents on to the next one, and a last batch off it is split, so only one batch a window
    (of fewer than ``multiple`` documents) is off it: a BLAS may round a product's rows
    differently with the number of rows (measured with MKL on the CPU: rows past the last multiple
    of 4 in a product of fewer than 12 rows), and the recipe decodes ``2 x beams`` rows at a time.
    """
    if pad_to is not None:
        rows = limits.documents
        return [Batch(tuple(items[i : i + rows]), pad_to=pad_to) for i in range(0, len(items), rows)]
    batches: list[Batch] = []

    def close(current: list[Item]) -> list[Item]:
        """Batch the whole multiple at the front of ``current``; the rest, carried on."""
        kept = limits.whole(len(current))
        batches.append(Batch(tuple(current[:kept])))
        return current[kept:]

    current: list[Item] = []
    most = limits.whole(limits.documents)
    for item in sorted(items, key=lambda it: -it.length):
        # Sorted longest first, so the first item of a batch sets its padded length.
        if current and ((len(current) + 1) * current[0].length > limits.tokens or len(current) == most):
            current = close(current)
        # At a change of length ``close`` may carry some on: they are of the length that ends, so closed too.
        while limits.same_length and current and item.length != current[0].length:
            current = close(current)
        current.append(item)
    while current:
        current = close(current)
    return batches

"""The Summarizer interface the pipeline drives, what it returns, and what identifies a summarizer's outputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from longsum.engine.batching import Batch, Item
from longsum.engine.prompting import short_sha256


@dataclass(frozen=True)
class Output:
    """One generated summary and how many tokens the decoder produced for it."""

    text: str
    tokens: int
    #: Whether the decoder emitted its end token; ``False`` means the length limit cut the summary,
    #: ``None`` that no limit applies (baselines, empty documents).
    ended: bool | None = None
    #: The generated text before a stop string and a reasoning trace were taken off, where that changed it.
    raw: str | None = None
    #: A served model's ``usage``: ``prompt_tokens`` and ``completion_tokens`` as the server counted them.
    usage: Mapping[str, int] | None = None
    #: Whether the server refused the prompt as longer than the model's context (the summary is then empty).
    too_long: bool = False


@dataclass(frozen=True)
class PromptInfo:
    """How a causal LM was prompted: what identifies its outputs beside the model and the generation settings.

    Attributes:
        template: the prompt, with ``{document}`` where the document went.
        source: where the template comes from: ``prompt`` (given), or a preset's source (``longsum``, LongBench).
        system_prompt: the system turn (or text before the prompt), if any.
        chat_template: the short SHA-256 of the tokenizer's chat template applied; ``None``: none applied.
        truncation: ``end`` or ``middle``.
        stop: the stop strings.
    """

    template: str
    source: str
    system_prompt: str | None
    chat_template: str | None
    truncation: str
    stop: tuple[str, ...] = ()

    @property
    def template_sha256(self) -> str:
        """The first 12 hex digits of the template's SHA-256."""
        return short_sha256(self.template)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "template": self.template,
            "template_sha256": self.template_sha256,
            "source": self.source,
            "system_prompt": self.system_prompt,
            "chat_template_sha256": self.chat_template,
            "truncation": self.truncation,
            "stop": list(self.stop),
        }


@dataclass(frozen=True)
class SummarizerInfo:
    """What identifies a summarizer's outputs; recorded as ``model`` in metrics.json and the bench JSON.

    Attributes:
        model: the ``--model`` value (a hub id, a directory, a built-in or a baseline name).
        revision: the hub commit, or a local checkpoint's content digest; ``None`` for a baseline.
        dtype: the compute dtype name; ``None`` for a baseline.
        device: where it runs.
        generation: the generation settings in force that change a summary (empty for a baseline).
        family: the model family (``engine/families``) serving the checkpoint.
        max_input_tokens: the input limit in force.
        fast_paths: the fast paths engaged after the load-time check.
        same_length_batches: whether dynamic batches hold documents of one input length only (the model's summaries
            change with the padding, ``engine/key_padding.py``).
        sentence_splitter: how a baseline splits sentences.
        input_unit: what ``max_input_tokens`` and the input lengths count (``tokens``, or ``words`` for a baseline).
        kind: ``seq2seq`` or ``causal`` for a model (``None`` for a baseline); for a causal LM,
            ``max_input_tokens`` bounds the prompt and the new tokens together.
        prompt: how a causal LM was prompted (``None`` for the others).
        endpoint: for a served model, what the server reports and how it was asked (host, model id, API); never a
            key.
    """

    model: str
    revision: str | None = None
    dtype: str | None = None
    device: str = "cpu"
    generation: Mapping[str, Any] = field(default_factory=dict)
    family: str | None = None
    max_input_tokens: int | None = None
    fast_paths: tuple[str, ...] = ()
    same_length_batches: bool = False
    sentence_splitter: str | None = None
    input_unit: str = "tokens"
    kind: str | None = None
    prompt: PromptInfo | None = None
    endpoint: Mapping[str, Any] | None = None

    @property
    def num_beams(self) -> int:
        """The beam width in force (1 where the settings do not say)."""
        return int(self.generation.get("num_beams") or 1)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; keys without a value for this kind of summarizer are left out."""
        values: dict[str, Any] = {
            "model": self.model,
            "revision": self.revision,
            "dtype": self.dtype,
            "device": self.device,
            "generation": dict(self.generation),
        }
        if self.family is not None:
            values |= {
                "family": self.family,
                "max_input_tokens": self.max_input_tokens,
                "fast_paths": list(self.fast_paths),
            }
            if self.same_length_batches:
                # Only where it holds: other records stay as they were.
                values["same_length_batches"] = True
        if self.sentence_splitter is not None:
            values |= {"sentence_splitter": self.sentence_splitter, "input_unit": self.input_unit}
        if self.prompt is not None:
            # Only causal LMs: seq2seq records stay as they were.
            values |= {"kind": self.kind, "prompt": self.prompt.to_dict()}
        if self.endpoint is not None:
            values["endpoint"] = dict(self.endpoint)
        return values


class Summarizer(Protocol):
    """What the pipeline needs from a model; tests and extractive baselines fill the same slot."""

    #: Problems noticed while loading or generating (e.g. non-finite activations), reported with the results.
    warnings: list[str]
    #: Dynamic batches hold a multiple of this many documents wherever they can (``Limits.multiple``).
    batch_multiple: int
    #: Dynamic batches hold documents of one input length only (``Limits.same_length``).
    same_length_batches: bool

    def encode(self, text: str) -> tuple[list[int], int]:
        """The input ids the model will see (truncated) and the document's full length in tokens."""
        ...

    def generate(self, batch: Batch) -> list[Output]:
        """One summary per item of ``batch``, in the batch's order."""
        ...

    def describe(self) -> SummarizerInfo:
        """What identifies this summarizer's outputs: model, revision, dtype, device, generation settings."""
        ...

    def batch_tokens_hint(self) -> int | None:
        """Padded input tokens per batch that fit the device, or ``None`` where memory does not bound it."""
        ...

    def encoding_seconds(self) -> float:
        """Seconds spent encoding so far, inside ``generate`` (0 where there is no separate encoder)."""
        ...


@runtime_checkable
class Streaming(Protocol):
    """A summarizer that works on many documents at once and hands each summary back as it is done (a served
    model with requests in flight); the runner writes each at once instead of batch by batch."""

    def stream(self, items: list[Item]) -> Iterator[tuple[Item, Output]]:
        """Each item of ``items`` with its summary, in the order they finish."""
        ...


class Progress(Protocol):
    """Receives progress as batches finish (the CLI draws a bar)."""

    def advance(self, documents: int, input_tokens: int, generated_tokens: int) -> None:
        """``documents`` more are done, having read and generated these many tokens."""
        ...

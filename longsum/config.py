"""The frozen settings of a run: what to load, what to read, how to batch, generate and score."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from longsum.errors import LongsumError

#: The checkpoint of the LongT5 recipe in the transformers docs.
DEFAULT_MODEL = "Stancld/longt5-tglobal-large-16384-pubmed-3k_steps"
#: The parquet form of the PubMed set that the docs recipe loads as ``scientific_papers``.
DEFAULT_DATASET = "ccdv/pubmed-summarization:document"

#: The closed sets of the settings, each defined once: the dataclasses below check their values against these,
#: and the command line offers them as its choices.
Dtype = Literal["auto", "bf16", "fp16", "fp32"]
Padding = Literal["dynamic", "max-length"]
SentenceSplitter = Literal["punkt", "newline"]
ChatTemplate = Literal["auto", "on", "off"]
Truncation = Literal["end", "middle"]
FaithfulnessMethod = Literal["summac-zs", "align"]
ServedApi = Literal["chat", "completions"]
OnTooLong = Literal["skip", "fail"]
DTYPES: tuple[Dtype, ...] = get_args(Dtype)
PADDINGS: tuple[Padding, ...] = get_args(Padding)
SPLITTERS: tuple[SentenceSplitter, ...] = get_args(SentenceSplitter)
CHAT_TEMPLATE_MODES: tuple[ChatTemplate, ...] = get_args(ChatTemplate)
TRUNCATIONS: tuple[Truncation, ...] = get_args(Truncation)
FAITHFULNESS_METHODS: tuple[FaithfulnessMethod, ...] = get_args(FaithfulnessMethod)
SERVED_APIS: tuple[ServedApi, ...] = get_args(ServedApi)
ON_TOO_LONG: tuple[OnTooLong, ...] = get_args(OnTooLong)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise LongsumError(message)


@dataclass(frozen=True)
class ModelSettings:
    """Which checkpoint to load, and onto what.

    Attributes:
        model: a hub id, a local checkpoint directory, or a ``builtin:`` name.
        revision: hub branch, tag or commit; ``None`` for the default branch.
        dtype: ``auto`` (bf16 on CUDA where supported, else fp16 on CUDA, fp32 on CPU),
            ``bf16`` (CUDA, or a CPU with native bf16), ``fp16`` (CUDA) or ``fp32``.
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        trust_remote_code: run the modeling code a hub checkpoint ships (e.g. LSG); off unless asked for.
    """

    model: str = DEFAULT_MODEL
    revision: str | None = None
    dtype: Dtype = "auto"
    device: str = "auto"
    trust_remote_code: bool = False

    def __post_init__(self) -> None:
        _require(bool(self.model.strip()), "--model must not be empty")
        _require(self.dtype in DTYPES, f"unknown --dtype {self.dtype!r}; choose one of {', '.join(DTYPES)}")
        device = self.device
        valid = device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())
        _require(valid, f"unknown --device {device!r}; use auto, cpu, cuda or cuda:N")


@dataclass(frozen=True)
class DataSettings:
    """Where the documents come from and which columns hold what.

    Attributes:
        dataset: a named benchmark (``longsum datasets``), hub dataset ``name[:config]``, a local
            ``.jsonl/.json/.csv/.parquet`` file, a folder in the hub's layout, or a folder of ``.txt`` files.
        split: the split of a hub dataset or hub-layout folder (ignored for local files); ``None`` (the
            default): a named benchmark's own split (``longsum datasets`` lists them), else ``validation``.
        text_column, summary_column, id_column: detected from the columns when ``None``.
        limit: read at most this many documents.
        skip_bad_records: skip (and count) malformed JSON Lines records instead of stopping.
    """

    dataset: str = DEFAULT_DATASET
    split: str | None = None
    text_column: str | None = None
    summary_column: str | None = None
    id_column: str | None = None
    limit: int | None = None
    skip_bad_records: bool = False

    def __post_init__(self) -> None:
        _require(self.limit is None or self.limit >= 0, f"--limit must be 0 or more, got {self.limit}")


@dataclass(frozen=True)
class GenerationSettings:
    """Overrides of the checkpoint's own ``generation_config``; ``None`` keeps the checkpoint's value.

    ``max_length`` counts the whole decoder sequence, as ``generate(max_length=...)`` does;
    ``max_new_tokens``, when given, replaces it. A decoder-only model ignores ``max_length`` (it would count
    the prompt). ``num_beams`` ``None`` is the model kind's default: 2 beams for a seq2seq model, as the LongT5
    docs recipe runs, and the checkpoint's own for a decoder-only model (greedy for most).
    """

    max_length: int | None = 512
    max_new_tokens: int | None = None
    num_beams: int | None = None
    length_penalty: float | None = None
    no_repeat_ngram_size: int | None = None

    def __post_init__(self) -> None:
        _require(self.max_length is None or self.max_length >= 1, "--max-length must be at least 1")
        _require(self.max_new_tokens is None or self.max_new_tokens >= 1, "--max-new-tokens must be at least 1")
        _require(self.num_beams is None or self.num_beams >= 1, "--num-beams must be at least 1")
        _require(
            self.no_repeat_ngram_size is None or self.no_repeat_ngram_size >= 0,
            "--no-repeat-ngram-size must be 0 or more",
        )

    def overrides(self) -> dict[str, Any]:
        """The settings the user gave, as ``GenerationConfig`` keyword arguments."""
        given = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if self.max_new_tokens is not None:
            # generate() lets max_new_tokens win anyway; dropping max_length keeps the record honest.
            given.pop("max_length", None)
        return given


@dataclass(frozen=True)
class BatchSettings:
    """How documents are cut, padded and grouped.

    Attributes:
        max_input_tokens: longer inputs are truncated (and counted); ``None``: the smaller of 16,384 and
            the model's own position limit, resolved once the model is loaded.
        batch_size: at most this many documents per decoding batch (``None``: no cap but the budget).
        max_batch_tokens: at most this many padded input tokens per batch.
        padding: ``dynamic`` pads each batch to its own longest input; ``max-length`` pads every
            input to ``max_input_tokens`` in dataset order, as the transformers docs recipe does.
        sort_window: documents read ahead and sorted by length before batching.
    """

    max_input_tokens: int | None = None
    batch_size: int | None = None
    max_batch_tokens: int | None = None
    padding: Padding = "dynamic"
    sort_window: int = 256

    def __post_init__(self) -> None:
        _require(self.max_input_tokens is None or self.max_input_tokens >= 2, "--max-input-tokens must be at least 2")
        _require(self.batch_size is None or self.batch_size >= 1, "--batch-size must be at least 1")
        _require(self.max_batch_tokens is None or self.max_batch_tokens >= 1, "--max-batch-tokens must be at least 1")
        _require(self.padding in PADDINGS, f"unknown --padding {self.padding!r}; use dynamic or max-length")
        _require(self.sort_window >= 1, "the sort window must hold at least one document")


@dataclass(frozen=True)
class ScoreSettings:
    """How ROUGE is computed and summarised.

    Attributes:
        use_stemmer: Porter-stem tokens before matching (rouge_score's option).
        sentence_splitter: how rougeLsum splits sentences: ``punkt`` or ``newline``.
        bootstrap_samples: resamples for the confidence interval.
        confidence: width of the interval (0.95 for a 95% CI).
        seed: seed of the bootstrap's ``numpy.random.default_rng``; an evaluation seeds torch with it too, so
            one run has one seed (``EvalConfig`` has none of its own).
        metrics: ``evaluate`` metric modules computed beside ROUGE (hub ids or local module paths).
        faithfulness: the NLI checkpoint (hub id or local directory) that scores each summary against its source;
            ``None``: no faithfulness score.
        faithfulness_method: how its verdicts become a score: ``summac-zs`` or ``align`` (docs/faithfulness.md).
    """

    use_stemmer: bool = False
    sentence_splitter: SentenceSplitter = "punkt"
    bootstrap_samples: int = 1000
    confidence: float = 0.95
    seed: int = 0
    metrics: tuple[str, ...] = ()
    faithfulness: str | None = None
    faithfulness_method: FaithfulnessMethod = "summac-zs"

    def __post_init__(self) -> None:
        _require(self.faithfulness is None or bool(self.faithfulness.strip()), "--faithfulness must not be empty")
        _require(
            self.faithfulness_method in FAITHFULNESS_METHODS,
            f"unknown --faithfulness-method {self.faithfulness_method!r}; use {' or '.join(FAITHFULNESS_METHODS)}",
        )
        _require(
            self.sentence_splitter in SPLITTERS,
            f"unknown sentence splitter {self.sentence_splitter!r}; use {' or '.join(SPLITTERS)}",
        )
        _require(self.bootstrap_samples >= 1, "--bootstrap-samples must be at least 1")
        _require(0 < self.confidence < 1, "the confidence level must lie between 0 and 1")


#: Where a prompt template puts the document.
DOCUMENT_PLACEHOLDER = "{document}"


@dataclass(frozen=True)
class PromptSettings:
    """How a decoder-only (causal LM) model is asked for a summary.

    Attributes:
        prompt: the instruction, with ``{document}`` where the document goes (exactly once); ``None``: the named
            benchmark's published prompt (``sources/presets.py``), else a plain default.
        system_prompt: sent as a system turn under a chat template (before the prompt, as plain text, without one).
        chat_template: ``auto`` applies the tokenizer's chat template when it has one (the prompt as a user turn,
            with the generation prompt); ``on`` requires one; ``off`` tokenizes the prompt text as it is, with the
            tokenizer's own BOS handling.
        truncation: only the document is cut when the prompt and the new tokens do not fit the input limit:
            ``end`` keeps the document's start, ``middle`` its first and last halves (as LongBench does).
        stop: strings that end a summary where one first appears (the summary is the text before it).
    """

    prompt: str | None = None
    system_prompt: str | None = None
    chat_template: ChatTemplate = "auto"
    truncation: Truncation = "end"
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.prompt is not None:
            count = self.prompt.count(DOCUMENT_PLACEHOLDER)
            _require(count > 0, f"the prompt has no {DOCUMENT_PLACEHOLDER} placeholder: where does the document go?")
            _require(count == 1, f"the prompt has {count} {DOCUMENT_PLACEHOLDER} placeholders; give it exactly one")
        _require(
            self.chat_template in CHAT_TEMPLATE_MODES,
            f"unknown --chat-template {self.chat_template!r}; use {', '.join(CHAT_TEMPLATE_MODES)}",
        )
        _require(
            self.truncation in TRUNCATIONS, f"unknown --truncation {self.truncation!r}; use {' or '.join(TRUNCATIONS)}"
        )
        _require(all(self.stop), "a stop string must not be empty")


@dataclass(frozen=True)
class ServedSettings:
    """How a served model (``--model openai:NAME``) is reached and asked; other models ignore it.

    Attributes:
        base_url: the OpenAI-compatible endpoint, e.g. ``http://127.0.0.1:8000/v1`` (no credentials, no query).
        api_key_env: the environment variable holding the key; only its name is recorded, never its value.
        api: ``chat`` sends chat messages (the server applies its chat template); ``completions`` a plain prompt.
        tokenizer: a tokenizer (hub id or directory) that cuts documents to fit, as for a local model; ``None``:
            nothing is cut and a server's context-length refusal is handled as ``on_too_long`` says.
        on_too_long: ``skip`` gives a document the server refuses as too long an empty prediction (counted and
            reported); ``fail`` ends the run.
        concurrency: requests in flight at once.
        max_retries: retries of a request refused with 429 or 5xx, timed out, unanswered or malformed.
        request_timeout: seconds one request may take.
        price_in, price_out: prices per million prompt and completion tokens, for a cost estimate.
    """

    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api: ServedApi = "chat"
    tokenizer: str | None = None
    on_too_long: OnTooLong = "fail"
    concurrency: int = 4
    max_retries: int = 5
    request_timeout: float = 600.0
    price_in: float | None = None
    price_out: float | None = None

    def __post_init__(self) -> None:
        if self.base_url is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(self.base_url)
            _require(
                parts.scheme in ("http", "https") and bool(parts.hostname),
                f"--base-url {self.base_url!r} is not an http(s) URL",
            )
            _require(
                not (parts.username or parts.password or parts.query),
                "--base-url must carry no credentials and no query string: put the key in the environment variable "
                "--api-key-env names",
            )
        _require(self.api in SERVED_APIS, f"unknown --api {self.api!r}; use {' or '.join(SERVED_APIS)}")
        _require(self.on_too_long in ON_TOO_LONG, f"unknown --on-too-long {self.on_too_long!r}; use skip or fail")
        _require(self.concurrency >= 1, "--concurrency must be at least 1")
        _require(self.max_retries >= 0, "--max-retries must be 0 or more")
        _require(self.request_timeout > 0, "--request-timeout must be positive")
        _require(all(p is None or p >= 0 for p in (self.price_in, self.price_out)), "prices must be 0 or more")


@dataclass(frozen=True)
class EvalConfig:
    """Everything that decides the numbers of one ``longsum eval`` run.

    The run's one seed is ``scoring.seed``: it seeds torch before generation and the bootstrap after it.
    """

    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    batching: BatchSettings = field(default_factory=BatchSettings)
    scoring: ScoreSettings = field(default_factory=ScoreSettings)
    #: How a decoder-only (causal LM) model is prompted; seq2seq models ignore it.
    prompting: PromptSettings = field(default_factory=PromptSettings)
    #: How a served model is reached; local models ignore it.
    serving: ServedSettings = field(default_factory=ServedSettings)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain JSON-ready data."""
        return dataclasses.asdict(self)

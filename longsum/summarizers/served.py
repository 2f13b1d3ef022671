"""The served summarizer: a model behind an OpenAI-compatible endpoint (vLLM, SGLang, TGI, llama.cpp's server,
hosted APIs), ``--model openai:NAME --base-url URL``, prompted as a local decoder-only model is.

The prompt is a local decoder-only model's (``--prompt``, ``--system-prompt``, a benchmark's published one), sent as
chat messages, which the server renders with its own chat template, or with ``--api completions`` as the plain
prompt text; decoding is greedy (temperature 0) with the run's seed, ``max_tokens`` and the stop strings. With
``--tokenizer`` the document is cut to fit the context as for a local model; without one nothing is cut and a
prompt the server refuses as too long is skipped (counted) or ends the run. Up to ``--concurrency`` requests are in
flight, and each summary is handed back the moment it arrives, so the run directory holds it at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

from longsum.config import EvalConfig
from longsum.engine.batching import Batch, Item
from longsum.engine.causal_decoding import cut_at_stop, strip_reasoning
from longsum.engine.families import DEFAULT_INPUT_LIMIT
from longsum.engine.prompting import Prompt, PromptBuilder, chat_messages, plain_prompt, uses_chat_template
from longsum.engine.served_client import Answer, PromptTooLong, RetryPolicy, ServedFailure
from longsum.engine.served_pool import Endpoint, host_of
from longsum.errors import LongsumError
from longsum.sources.presets import prompt_for
from longsum.summarizers.protocol import Output, PromptInfo, SummarizerInfo

SERVED_PREFIX = "openai:"
#: What the prompt record says of the chat template when the server applies its own.
SERVER_TEMPLATE = "server"


def is_served(name: str) -> bool:
    """Whether a ``--model`` value names a served model (``openai:NAME``)."""
    return name.startswith(SERVED_PREFIX)


def output_of(answer: Answer, stop: tuple[str, ...]) -> Output:
    """The summary in a server's answer: the text before the first stop string, without a reasoning trace; cut at
    the limit when the server says ``finish_reason: length``."""
    text, _ = cut_at_stop(answer.text, stop)
    prediction = strip_reasoning(text)
    usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens}
    return Output(
        text=prediction,
        tokens=answer.completion_tokens or 0,
        ended=answer.finish_reason != "length",
        raw=answer.text if prediction != answer.text else None,
        usage={key: value for key, value in usage.items() if value is not None} or None,
    )


class ServedSummarizer:
    """Summaries from a served model, up to ``concurrency`` requests at once, each handed back as it arrives."""

    def __init__(
        self,
        endpoint: Endpoint,
        config: EvalConfig,
        prompt: Prompt,
        params: dict[str, Any],
        builder: PromptBuilder | None,
        info: SummarizerInfo,
    ) -> None:
        self.endpoint = endpoint
        self.settings = config.serving
        self.prompt = prompt
        self.params = params
        self.builder = builder
        self.info = info
        self.policy = RetryPolicy(self.settings.max_retries)
        self.warnings: list[str] = []
        self.batch_multiple = 1
        self.same_length_batches = False
        # The reading thread encodes while the request thread's caller cuts: a fast tokenizer is not re-entrant.
        self._tokenizing = threading.Lock()

    def encode(self, text: str) -> tuple[list[int], int]:
        """The prompt ids (cut to fit) and the untruncated prompt's length, with ``--tokenizer``; else none (the
        server counts the prompt, and the record takes its count)."""
        if self.builder is None:
            return [], 0
        with self._tokenizing:
            return self.builder.build(text)

    def request(self, document: str) -> dict[str, Any]:
        """The keyword arguments of the request for ``document``: the model, decoding settings and the prompt
        (the document cut as ``encode`` cut it; cut again here rather than kept, so a window holds no texts)."""
        if self.builder is not None:
            with self._tokenizing:
                document = self.builder.cut(document)[0]
        if self.settings.api == "chat":
            return {**self.params, "messages": chat_messages(self.prompt, document)}
        return {**self.params, "prompt": plain_prompt(self.prompt, document)}

    def stream(self, items: list[Item]) -> Iterator[tuple[Item, Output]]:
        """Each item with its summary as the server's answers arrive (longest documents sent first, so the last
        answers are short ones). An empty document gets an empty summary without a request.

        Raises:
            LongsumError: the server refused a prompt as too long under ``--on-too-long fail``, stayed unreachable,
                or failed a request for good.
        """
        work = sorted((item for item in items if item.doc.text.strip()), key=lambda item: -len(item.doc.text))
        for item in items:
            if not item.doc.text.strip():
                yield item, Output(text="", tokens=0)
        requests = [(item.doc.id, self.request(item.doc.text)) for item in work]
        try:
            for index, answer in self.endpoint.answers(
                requests, self.settings.api, self.settings.concurrency, self.policy
            ):
                yield work[index], self._output(work[index], answer)
        finally:
            self._note_retries()

    def _output(self, item: Item, answer: Answer | PromptTooLong) -> Output:
        if isinstance(answer, Answer):
            return output_of(answer, self.prompt_info.stop)
        if self.settings.on_too_long == "fail":
            raise ServedFailure(
                f"the server refused document {item.doc.id} as longer than the model's context ({answer}); pass "
                "--tokenizer to cut documents to fit, or --on-too-long skip"
            )
        return Output(text="", tokens=0, too_long=True)

    @property
    def prompt_info(self) -> PromptInfo:
        """How the model was prompted."""
        assert self.info.prompt is not None
        return self.info.prompt

    def _note_retries(self) -> None:
        """Keep one warning line counting the retries so far, by cause."""
        self.warnings[:] = [w for w in self.warnings if not w.startswith("requests retried:")]
        if self.policy.retries:
            causes = ", ".join(f"{cause} x{count}" for cause, count in sorted(self.policy.retries.items()))
            self.warnings.append(f"requests retried: {causes}")

    def generate(self, batch: Batch) -> list[Output]:
        """One summary per item of ``batch``, in its order (``stream`` is what runs use)."""
        done = {id(item): output for item, output in self.stream(list(batch.items))}
        return [done[id(item)] for item in batch.items]

    def describe(self) -> SummarizerInfo:
        """The model as named, the endpoint's host and model id, the decoding settings and the prompt."""
        return self.info

    def encoding_seconds(self) -> float:
        """0: the server's prefill is not seen from here."""
        return 0.0

    def batch_tokens_hint(self) -> None:
        """``None``: the server manages its own memory."""
        return None


def _served_entry(endpoint: Endpoint, name: str) -> dict[str, Any]:
    """The server's ``/v1/models`` entry of ``name``.

    Raises:
        LongsumError: the server does not serve ``name``.
    """
    models = endpoint.models()
    entry = next((model for model in models if model.get("id") == name), None)
    if entry is None:
        served = ", ".join(str(model.get("id")) for model in models) or "nothing"
        raise LongsumError(f"the server at {host_of(endpoint.base_url)} does not serve {name!r}; it serves: {served}")
    return entry


def load_served(config: EvalConfig) -> ServedSummarizer:
    """The served summarizer ``config.model`` names (``openai:NAME``), after checking that the server at
    ``config.serving.base_url`` serves NAME.

    Raises:
        LongsumError: no ``--base-url``, a beam search asked for, the server unreachable or not serving NAME, or the
            tokenizer cannot be loaded or leaves no room for the prompt.
    """
    settings, prompting = config.serving, config.prompting
    name = config.model.model[len(SERVED_PREFIX) :]
    if settings.base_url is None:
        raise LongsumError(f"--model {config.model.model} needs --base-url (e.g. http://127.0.0.1:8000/v1)")
    if config.generation.num_beams not in (None, 1):
        raise LongsumError("a served model decodes greedily: --num-beams must be 1")
    endpoint = Endpoint(settings.base_url, os.environ.get(settings.api_key_env), settings.request_timeout)
    entry = _served_entry(endpoint, name)
    preset = prompt_for(config.data.dataset)
    template = prompting.prompt or preset.template
    new_tokens = config.generation.max_new_tokens or preset.max_new_tokens
    context = entry.get("max_model_len") if isinstance(entry.get("max_model_len"), int) else None
    requested = config.batching.max_input_tokens
    limit = min(filter(None, (requested, context)), default=None)
    builder = None
    chat = settings.api == "chat"
    prompt = Prompt(template, prompting.system_prompt, chat, prompting.truncation)
    if settings.tokenizer is not None:
        from longsum.engine.loading import load_tokenizer

        tokenizer = load_tokenizer(settings.tokenizer)
        counted = Prompt(
            template,
            prompting.system_prompt,
            chat and uses_chat_template(tokenizer, "auto", name),
            prompting.truncation,
        )
        builder = PromptBuilder(tokenizer, counted, limit or DEFAULT_INPUT_LIMIT, new_tokens)
    params: dict[str, Any] = {"model": name, "max_tokens": new_tokens, "temperature": 0.0, "seed": config.scoring.seed}
    if prompting.stop:
        params["stop"] = list(prompting.stop)
    info = SummarizerInfo(
        model=config.model.model,
        device="server",
        generation={"num_beams": 1, "max_new_tokens": new_tokens, "temperature": 0.0, "seed": config.scoring.seed},
        max_input_tokens=limit if builder is not None else context,
        kind="served",
        prompt=PromptInfo(
            template=template,
            source="prompt" if prompting.prompt else preset.source,
            system_prompt=prompting.system_prompt,
            chat_template=SERVER_TEMPLATE if chat else None,
            truncation=prompting.truncation if builder is not None else "none",
            stop=tuple(prompting.stop),
        ),
        endpoint={
            "host": host_of(settings.base_url),
            "api": settings.api,
            "model_id": entry.get("id"),
            "root": entry.get("root"),
            "owned_by": entry.get("owned_by"),
            "max_model_len": context,
            "tokenizer": settings.tokenizer,
        },
    )
    return ServedSummarizer(endpoint, config, prompt, params, builder, info)

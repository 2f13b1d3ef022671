"""What the commands share: the help panels, the engine options, and turning errors and signals into exit codes.

Torch-free to import, as every module of ``longsum.cli`` is at its top: ``longsum --help`` stays instant.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import typer

from longsum.cli.options import (
    PANELS,
    BatchSizeOpt,
    BatchTokensOpt,
    BeamsOpt,
    ChatTemplateOpt,
    DeviceOpt,
    DtypeOpt,
    LengthPenaltyOpt,
    MaxInputOpt,
    MaxLengthOpt,
    MaxNewOpt,
    ModelOpt,
    NoRepeatOpt,
    PaddingOpt,
    PromptOpt,
    RevisionOpt,
    StopOpt,
    SystemPromptOpt,
    TruncationOpt,
    TrustRemoteCodeOpt,
    prompt_text,
)
from longsum.cli.served_options import (
    ApiKeyEnvOpt,
    ApiOpt,
    BaseUrlOpt,
    ConcurrencyOpt,
    MaxRetriesOpt,
    OnTooLongOpt,
    PriceInOpt,
    PriceOutOpt,
    RequestTimeoutOpt,
    TokenizerOpt,
)
from longsum.config import (
    DEFAULT_MODEL,
    BatchSettings,
    GenerationSettings,
    ModelSettings,
    PromptSettings,
    ServedSettings,
)
from longsum.errors import LongsumError


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM arrived; carries the conventional exit code (130 or 143).

    A BaseException, as KeyboardInterrupt is, so no ``except Exception`` mistakes it for an error to report.
    """

    def __init__(self, reason: str, exit_code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.exit_code = exit_code


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Raise ``Interrupted`` in the main thread on SIGINT or SIGTERM, abandoning the batch under way."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        if signum == signal.SIGTERM:
            raise Interrupted("terminated", 143)
        raise Interrupted("interrupted", 130)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a LongsumError into one line on stderr and its exit code; Ctrl-C into exit 130."""
    try:
        yield
    except LongsumError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None


def quiet_libraries() -> None:
    """Silence library chatter (weight-loading bars, long-input warnings we count ourselves): it would bury
    the progress bar. Imports transformers, so only a command that loads a model calls it."""
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning as one plain ``warning:`` line on stderr."""
    from longsum.results.terminal import stderr

    for warning in warnings:
        stderr.print(f"warning: {warning}", markup=False, highlight=False)


@dataclass(frozen=True)
class EngineOptions:
    """The model, generation and batching options every model-running command shares: one field per option."""

    model: ModelOpt = DEFAULT_MODEL
    revision: RevisionOpt = None
    dtype: DtypeOpt = "auto"
    device: DeviceOpt = "auto"
    max_input_tokens: MaxInputOpt = None
    max_length: MaxLengthOpt = 512
    max_new_tokens: MaxNewOpt = None
    num_beams: BeamsOpt = None
    length_penalty: LengthPenaltyOpt = None
    no_repeat_ngram_size: NoRepeatOpt = None
    batch_size: BatchSizeOpt = None
    max_batch_tokens: BatchTokensOpt = None
    padding: PaddingOpt = "dynamic"
    trust_remote_code: TrustRemoteCodeOpt = False
    prompt: PromptOpt = None
    system_prompt: SystemPromptOpt = None
    chat_template: ChatTemplateOpt = "auto"
    truncation: TruncationOpt = "end"
    stop: StopOpt = None
    base_url: BaseUrlOpt = None
    api_key_env: ApiKeyEnvOpt = "OPENAI_API_KEY"
    api: ApiOpt = "chat"
    tokenizer: TokenizerOpt = None
    on_too_long: OnTooLongOpt = "fail"
    concurrency: ConcurrencyOpt = 4
    max_retries: MaxRetriesOpt = 5
    request_timeout: RequestTimeoutOpt = 600.0
    price_in: PriceInOpt = None
    price_out: PriceOutOpt = None

    def model_settings(self) -> ModelSettings:
        """The model part, validated."""
        return ModelSettings(
            model=self.model,
            revision=self.revision,
            dtype=self.dtype,
            device=self.device,
            trust_remote_code=self.trust_remote_code,
        )

    def generation_settings(self) -> GenerationSettings:
        """The generation part, validated."""
        return GenerationSettings(
            self.max_length, self.max_new_tokens, self.num_beams, self.length_penalty, self.no_repeat_ngram_size
        )

    def batch_settings(self) -> BatchSettings:
        """The batching part, validated."""
        return BatchSettings(self.max_input_tokens, self.batch_size, self.max_batch_tokens, self.padding)

    def serving_settings(self) -> ServedSettings:
        """The served-model part, validated."""
        return ServedSettings(
            self.base_url,
            self.api_key_env,
            self.api,
            self.tokenizer,
            self.on_too_long,
            self.concurrency,
            self.max_retries,
            self.request_timeout,
            self.price_in,
            self.price_out,
        )

    def prompt_settings(self) -> PromptSettings:
        """The prompt part (decoder-only models), validated."""
        return PromptSettings(
            prompt_text(self.prompt), self.system_prompt, self.chat_template, self.truncation, tuple(self.stop or ())
        )


def _panel_rank(parameter: inspect.Parameter) -> int:
    """Where ``parameter``'s help panel comes in ``PANELS``; -1 for an argument (no panel)."""
    panel = next((getattr(m, "rich_help_panel", None) for m in typing.get_args(parameter.annotation)[1:]), None)
    return PANELS.index(panel) if panel in PANELS else -1


def engine_options(default_model: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command every field of ``EngineOptions`` as an option; they reach it as one ``engine`` argument.

    Hand-written because typer has no option groups, and listing the shared options in eval, bench and
    summarize would define each three times.
    """
    hints = typing.get_type_hints(EngineOptions, include_extras=True)  # this module's annotations are strings
    shared = [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[f.name],
            default=default_model if f.name == "model" else f.default,
        )
        for f in fields(EngineOptions)
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command_hints = typing.get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=command_hints[p.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for p in inspect.signature(command).parameters.values()
            if p.name != "engine"
        ]

        @functools.wraps(command)
        def run(**options: Any) -> None:
            engine = EngineOptions(**{p.name: options.pop(p.name) for p in shared})
            command(engine=engine, **options)

        # Typer lays out the panels in the order their first option comes: arguments, then PANELS' order.
        ordered = sorted(shared + own, key=_panel_rank)
        run.__signature__ = inspect.Signature(ordered)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in own + shared}
        return run

    return decorate


# The scoring and output options of the commands that score (eval, score, compare).

"""The options of served models (``--model openai:NAME``): the endpoint, its key's variable, requests and prices.

Torch-free to import, as every module of ``longsum.cli`` is.
"""

from __future__ import annotations

from typing import Annotated

import typer

from longsum.cli.options import SERVED
from longsum.config import OnTooLong, ServedApi

BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The OpenAI-compatible endpoint of a served model, e.g. http://127.0.0.1:8000/v1 (vLLM, SGLang, TGI, "
        "llama.cpp, hosted APIs).",
        rich_help_panel=SERVED,
    ),
]
ApiKeyEnvOpt = Annotated[
    str,
    typer.Option(
        "--api-key-env",
        help="The environment variable holding the key (read, never recorded).",
        rich_help_panel=SERVED,
    ),
]
ApiOpt = Annotated[
    ServedApi,
    typer.Option(
        "--api",
        help="chat: chat messages, the server applies its chat template; completions: the plain prompt text.",
        rich_help_panel=SERVED,
    ),
]
TokenizerOpt = Annotated[
    str | None,
    typer.Option(
        "--tokenizer",
        help="The served model's tokenizer (directory or hub id): documents are cut to fit the context as for a "
        "local model. Without it nothing is cut (see --on-too-long).",
        rich_help_panel=SERVED,
    ),
]
OnTooLongOpt = Annotated[
    OnTooLong,
    typer.Option(
        "--on-too-long",
        help="Without --tokenizer, a document the server refuses as longer than its context: skip (an empty "
        "summary, counted and reported) or fail (end the run; --resume continues it).",
        rich_help_panel=SERVED,
    ),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--concurrency", help="Requests in flight at once.", rich_help_panel=SERVED)
]
MaxRetriesOpt = Annotated[
    int,
    typer.Option(
        "--max-retries",
        help="Retries of a request answered 429 or 5xx, timed out, unanswered or malformed (exponential backoff "
        "with jitter, honouring Retry-After).",
        rich_help_panel=SERVED,
    ),
]
RequestTimeoutOpt = Annotated[
    float, typer.Option("--request-timeout", help="Seconds one request may take.", rich_help_panel=SERVED)
]
PriceInOpt = Annotated[
    float | None,
    typer.Option("--price-in", help="Price per million prompt tokens, for a cost estimate.", rich_help_panel=SERVED),
]
PriceOutOpt = Annotated[
    float | None,
    typer.Option(
        "--price-out", help="Price per million completion tokens, for a cost estimate.", rich_help_panel=SERVED
    ),
]

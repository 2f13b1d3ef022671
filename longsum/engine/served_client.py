"""One request to an OpenAI-compatible server: the answer to one prompt, retried with backoff on the faults a server
recovers from, and every other fault classified, so the run knows whether to skip a document or stop.

The ``openai`` client's own retries are off (``max_retries=0``): this module retries instead, so that one policy
covers 429, 5xx, timeouts, refused connections *and* malformed answers (which the client does not retry), a
``Retry-After`` header is honoured whatever its length (the client ignores one over a minute), and each retry is
counted and reported.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from longsum.errors import LongsumError

#: The first backoff, in seconds; each retry doubles it, up to ``BACKOFF_CAP``.
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
#: How servers word a prompt longer than the model's context (vLLM, SGLang, TGI, llama.cpp, OpenAI).
_TOO_LONG = re.compile(
    r"context length|context window|maximum context|max_model_len|context_length_exceeded|too long|exceeds? the "
    r"(?:available )?context|input validation error",
    re.IGNORECASE,
)


class ServedFailure(LongsumError):
    """A served run cannot go on: one line, exit code 1 (a failure of the run, not a usage mistake)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 1)


class ServerUnreachable(ServedFailure):
    """The server stayed unreachable (refused connections, timeouts) through every retry."""


class RequestFailed(ServedFailure):
    """The server refused a request in a way no retry mends (a bad key, an unknown model), or kept answering
    with errors or malformed bodies through every retry."""


class PromptTooLong(Exception):
    """The server refused the prompt as longer than the model's context; carries the server's message."""


@dataclass(frozen=True)
class Answer:
    """The server's answer to one prompt.

    Attributes:
        text: the generated text.
        finish_reason: ``stop`` (an end token or a stop string), ``length`` (cut at ``max_tokens``), or what the
            server said.
        prompt_tokens, completion_tokens: the answer's ``usage``; ``None`` where the server gave none.
    """

    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None


@dataclass
class RetryPolicy:
    """How often and how long to retry, and a count of the retries made, by cause."""

    max_retries: int
    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP
    rng: random.Random = field(default_factory=random.Random)
    retries: Counter[str] = field(default_factory=Counter)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry ``attempt`` (0-based): the server's ``Retry-After`` when it sent one,
        else ``base x 2^attempt`` (at most ``cap``) with jitter (half of it random, so clients that failed
        together do not come back together)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        backoff = min(self.cap, self.base * 2**attempt)
        return backoff * (0.5 + 0.5 * self.rng.random())


def retry_after(headers: Any) -> float | None:
    """Seconds a response's ``Retry-After`` (or ``retry-after-ms``) header asks to wait; ``None`` without one."""
    if headers is None:
        return None
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if email.utils.parsedate_tz(value) else None
        return None if parsed is None else parsed.timestamp() - time.time()


def parse_answer(response: Any) -> Answer:
    """The ``Answer`` in a chat or text completion, as the client parsed it.

    Raises:
        ValueError: the body is malformed: no choices, or a choice without text.
    """
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise ValueError("no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None) if message is not None else getattr(choice, "text", None)
    if not isinstance(text, str):
        raise ValueError("a choice without text")
    usage = getattr(response, "usage", None)
    prompt_tokens = getattr(usage, "prompt_tokens", None)
    completion_tokens = getattr(usage, "completion_tokens", None)
    return Answer(
        text,
        getattr(choice, "finish_reason", None),
        prompt_tokens if isinstance(prompt_tokens, int) else None,
        completion_tokens if isinstance(completion_tokens, int) else None,
    )


def _first_line(err: BaseException) -> str:
    return next(iter(str(err).splitlines()), type(err).__name__)


async def ask(client: Any, request: dict[str, Any], api: str, policy: RetryPolicy, doc_id: str) -> Answer:
    """The server's answer to one request (the keyword arguments of ``chat.completions.create`` or
    ``completions.create``, as ``api`` says), retried as ``policy`` allows.

    Raises:
        PromptTooLong: the server refused the prompt as longer than the model's context.
        ServerUnreachable: no connection, or none answered in time, through every retry.
        RequestFailed: a refusal no retry mends, or errors or malformed bodies through every retry.
    """
    import openai

    create = client.chat.completions.create if api == "chat" else client.completions.create
    attempt = 0
    while True:
        wait: float | None = None
        try:
            return parse_answer(await create(**request))
        except openai.APIStatusError as err:
            status = err.status_code
            if status == 400 and _TOO_LONG.search(str(err)):
                raise PromptTooLong(_first_line(err)) from None
            if status not in (408, 409, 429) and status < 500:
                raise RequestFailed(_refusal(status, err, doc_id)) from None
            cause, wait = (
                ("429" if status == 429 else "5xx" if status >= 500 else str(status)),
                retry_after(err.response.headers),
            )
            last = f"HTTP {status}: {_first_line(err)}"
        except openai.APITimeoutError:
            cause, last = "timeout", "the request timed out"
        except openai.APIConnectionError as err:
            cause, last = "connection", f"{_first_line(err)} ({_first_line(err.__cause__ or err)})"
        except (ValueError, openai.APIResponseValidationError) as err:
            # A body that is not JSON, or JSON without an answer in it.
            cause, last = "malformed", f"a malformed answer ({_first_line(err)})"
        if attempt >= policy.max_retries:
            if cause in ("connection", "timeout"):
                raise ServerUnreachable(
                    f"the server did not answer (document {doc_id}, {attempt + 1} attempt(s)): {last}"
                ) from None
            raise RequestFailed(f"document {doc_id}: {last}, through {attempt + 1} attempt(s)") from None
        policy.retries[cause] += 1
        await asyncio.sleep(policy.delay(attempt, wait))
        attempt += 1


def _refusal(status: int, err: Exception, doc_id: str) -> str:
    """The line for a refusal no retry mends."""
    hint = {
        401: "the key is missing or wrong (set the environment variable --api-key-env names)",
        403: "the key may not use this model",
        404: "check --base-url (it usually ends in /v1) and the model name",
    }.get(status, "")
    # A server's 401 or 403 message may quote the key it was given (masked or not): it is left out.
    said = "" if status in (401, 403) else f": {_first_line(err)}"
    return f"the server refused document {doc_id} (HTTP {status}{said})" + (f"; {hint}" if hint else "")

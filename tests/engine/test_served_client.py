import asyncio
import random
import time
from email.utils import formatdate
from types import SimpleNamespace

import pytest
from served_stub import Stub, serving

from longsum.engine import served_client
from longsum.engine.served_client import (
    PromptTooLong,
    RequestFailed,
    RetryPolicy,
    ServerUnreachable,
    ask,
    parse_answer,
    retry_after,
)
from longsum.engine.served_pool import Endpoint

CHAT = {"model": "stub-model", "max_tokens": 50, "messages": [{"role": "user", "content": "Document: a b c d"}]}


def test_retry_after_is_honoured_exactly_and_backoff_doubles_with_jitter_up_to_the_cap():
    policy = RetryPolicy(5, base=1.0, cap=8.0, rng=random.Random(0))
    assert policy.delay(3, 42.0) == 42.0
    for attempt, full in enumerate([1, 2, 4, 8, 8]):
        delays = [policy.delay(attempt, None) for _ in range(200)]
        assert full / 2 <= min(delays) and max(delays) <= full
        assert max(delays) - min(delays) > full / 4  # jittered, not fixed


def test_retry_after_reads_seconds_milliseconds_and_dates():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    in_ten = retry_after({"retry-after": formatdate(time.time() + 10, usegmt=True)})
    assert in_ten is not None and 8 < in_ten <= 10
    assert retry_after({}) is None
    assert retry_after(None) is None


@pytest.mark.parametrize(
    "response",
    [
        SimpleNamespace(choices=[]),
        SimpleNamespace(choices=None),
        SimpleNamespace(),
        SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=None), finish_reason="stop")]),
    ],
)
def test_an_answer_without_choices_or_text_is_malformed(response):
    with pytest.raises(ValueError):
        parse_answer(response)


def test_an_answer_gives_its_text_finish_reason_and_usage():
    choice = SimpleNamespace(message=SimpleNamespace(content="hi"), finish_reason="length")
    usage = SimpleNamespace(prompt_tokens=7, completion_tokens=2)
    assert parse_answer(SimpleNamespace(choices=[choice], usage=usage)) == served_client.Answer("hi", "length", 7, 2)


def _ask(url, request=CHAT, retries=3, api="chat", timeout=30.0):
    policy = RetryPolicy(retries, base=0.01, cap=0.05)

    async def go():
        async with Endpoint(url, "sk-test", timeout).client() as client:
            return await ask(client, request, api, policy, "doc-7")

    return asyncio.run(go()), policy


@pytest.mark.parametrize("fault", ["429", "500", "malformed", "badjson", "hang"])
def test_a_fault_is_retried_and_counted_then_answered(fault):
    stub = Stub(faults=[fault, fault], hang_seconds=3)
    with serving(stub) as url:
        answer, policy = _ask(url, timeout=1.0)
    assert answer.text == "a b c d" and answer.finish_reason == "stop"
    assert sum(policy.retries.values()) == 2
    assert len(stub.requests) == 3


@pytest.mark.parametrize(
    ("fault", "shown"), [("500", "HTTP 500"), ("malformed", "malformed"), ("badjson", "malformed")]
)
def test_a_fault_through_every_retry_is_reported_with_the_document_id(fault, shown):
    with (
        serving(Stub(faults=[fault] * 3)) as url,
        pytest.raises(RequestFailed, match=f"document doc-7.*{shown}.*3 attempt"),
    ):
        _ask(url, retries=2)


def test_a_bad_key_is_not_retried_and_the_servers_message_quoting_it_is_not_repeated():
    stub = Stub(faults=["401"])
    with serving(stub) as url, pytest.raises(RequestFailed, match=r"HTTP 401.*--api-key-env") as refused:
        _ask(url)
    assert "sk-test" not in str(refused.value)
    assert len(stub.requests) == 1


def test_a_prompt_over_the_context_is_refused_as_too_long():
    with serving(Stub(context=5)) as url, pytest.raises(PromptTooLong, match="maximum context length"):
        _ask(url)


def test_an_unreachable_server_ends_after_the_retries():
    with serving(Stub()) as url:
        pass  # closed: the port now refuses connections
    started = time.perf_counter()
    with pytest.raises(ServerUnreachable, match="document doc-7, 3 attempt"):
        _ask(url, retries=2)
    assert time.perf_counter() - started < 5

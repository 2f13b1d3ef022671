import time

import pytest
from served_stub import Stub, serving

from longsum.engine.served_client import Answer, PromptTooLong, RequestFailed, RetryPolicy
from longsum.engine.served_pool import Endpoint, host_of
from longsum.errors import LongsumError


def _jobs(count, words=4):
    return [
        (f"d{i}", {"model": "stub-model", "messages": [{"role": "user", "content": f"Document: {i} " + "w " * words}]})
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("url", "host"),
    [("http://127.0.0.1:8000/v1", "127.0.0.1:8000"), ("https://api.example.com/v1", "api.example.com")],
)
def test_the_host_is_all_that_is_kept_of_a_base_url(url, host):
    assert host_of(url) == host


def test_the_models_are_listed_and_an_unreachable_server_is_one_line():
    with serving(Stub(context=128)) as url:
        models = Endpoint(url, None, 10).models()
    assert [(m["id"], m["max_model_len"]) for m in models] == [("stub-model", 128)]
    with pytest.raises(LongsumError, match=r"cannot reach the server at 127\.0\.0\.1:\d+"):
        Endpoint(url, None, 10).models()


def test_answers_arrive_as_they_finish_with_at_most_the_concurrency_in_flight():
    stub = Stub(delay=0.2)
    with serving(stub) as url:
        started = time.perf_counter()
        answers = list(Endpoint(url, "k", 10).answers(_jobs(8), "chat", 4, RetryPolicy(0)))
        seconds = time.perf_counter() - started
    assert sorted(index for index, _ in answers) == list(range(8))
    assert all(isinstance(a, Answer) and a.text.startswith(f"{i} ") for i, a in answers)
    assert stub.most_in_flight == 4
    assert seconds < 8 * 0.2  # not one at a time


def test_a_prompt_refused_as_too_long_is_handed_back_and_the_others_answered():
    with serving(Stub(context=10)) as url:
        answers = dict(Endpoint(url, "k", 10).answers([*_jobs(2), *_jobs(1, words=50)], "chat", 2, RetryPolicy(0)))
    assert isinstance(answers[2], PromptTooLong)
    assert isinstance(answers[0], Answer) and isinstance(answers[1], Answer)


def test_the_first_request_failing_for_good_ends_the_others_and_the_client_retries_nothing_itself():
    stub = Stub(faults=["500"], delay=0.5)
    with serving(stub) as url:
        answers = Endpoint(url, "k", 10).answers(_jobs(6), "chat", 1, RetryPolicy(0))
        with pytest.raises(RequestFailed, match="document d0: HTTP 500"):
            next(answers)
    assert len(stub.requests) == 1

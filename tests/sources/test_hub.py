"""Reaching the hub: switched off by the environment (as the tests run), a quick TCP probe of the endpoint
otherwise, and one line naming what could not be fetched."""

import socket

import pytest

from longsum.errors import LongsumError
from longsum.sources import hub


@pytest.fixture
def probe(monkeypatch):
    """``hub_reachable`` uncached, and again uncached after the test, with the offline switches cleared."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    hub.hub_reachable.cache_clear()
    yield hub.hub_reachable
    hub.hub_reachable.cache_clear()


def test_the_test_session_is_offline_and_says_so_in_one_line():
    assert hub.hub_offline_by_env()  # conftest sets HF_HUB_OFFLINE=1
    assert not hub.hub_reachable()
    with pytest.raises(LongsumError) as refused:
        hub.require_hub("dataset 'ccdv/pubmed-summarization'", "pass a local file")
    assert str(refused.value) == (
        "cannot reach the Hugging Face Hub to fetch dataset 'ccdv/pubmed-summarization' (offline?); pass a local file"
    )


@pytest.mark.parametrize(
    ("name", "value", "offline"),
    [
        ("HF_HUB_OFFLINE", "1", True),
        ("HF_HUB_OFFLINE", "TRUE", True),
        ("TRANSFORMERS_OFFLINE", "yes", True),
        ("HF_HUB_OFFLINE", "on", True),
        ("HF_HUB_OFFLINE", "0", False),
        ("HF_HUB_OFFLINE", "", False),
    ],
)
def test_either_switch_turns_the_hub_off(monkeypatch, name, value, offline):
    for other in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, value)
    assert hub.hub_offline_by_env() is offline


def test_the_probe_opens_a_connection_to_the_endpoint(probe, monkeypatch):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        assert probe()
        hub.require_hub("anything", "")  # reachable: no error


def test_a_closed_endpoint_fails_the_probe_at_once(probe, monkeypatch):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound but not listening: connections are refused
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
        assert not probe(timeout=2.0)

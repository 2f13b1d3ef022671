"""Reaching the Hugging Face Hub: a quick reachability probe so an offline machine fails in seconds."""

from __future__ import annotations

import functools
import os
import socket
from urllib.parse import urlparse

from longsum.errors import LongsumError

PROBE_TIMEOUT_SECONDS = 3.0


def hub_offline_by_env() -> bool:
    """Whether the user switched the hub off (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    return any(
        os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


@functools.cache
def hub_reachable(timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """Whether a TCP connection to the hub endpoint opens within ``timeout`` seconds.

    Hand-written because huggingface_hub retries a failed name lookup five times with back-off
    (about 50 s measured offline) before it gives up.
    """
    if hub_offline_by_env():
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def require_hub(what: str, instead: str) -> None:
    """Raise a one-line error, suggesting ``instead``, when the hub cannot be reached to fetch ``what``."""
    if not hub_reachable():
        raise LongsumError(f"cannot reach the Hugging Face Hub to fetch {what} (offline?); {instead}")

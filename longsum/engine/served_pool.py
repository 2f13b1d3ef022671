"""Talking to an OpenAI-compatible server: the ``openai`` async client made once per use, what the server says it
serves (``/v1/models``), and up to N requests in flight, each answer handed back the moment it arrives."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from longsum.engine.served_client import Answer, PromptTooLong, RetryPolicy, ask
from longsum.errors import LongsumError

#: Seconds the listing of the served models may take when a run starts.
LISTING_TIMEOUT = 30.0
#: Seconds a connection may take: a host that drops packets ends the run within minutes, not retries x timeout.
CONNECT_TIMEOUT = 10.0


def host_of(base_url: str) -> str:
    """The host (and port) of ``base_url``: all of it a signature records (no scheme, path, credentials or query)."""
    parts = urlsplit(base_url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


@dataclass(frozen=True)
class Endpoint:
    """Where a served model is, and the key to reach it (held in memory only, never recorded)."""

    base_url: str
    api_key: str | None
    timeout: float

    def client(self) -> Any:
        """A new async client, without retries of its own (``served_client`` retries)."""
        import openai

        # The client refuses to start without a key; a local server without --api-key takes any.
        timeout = openai.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT))
        return openai.AsyncOpenAI(
            base_url=self.base_url, api_key=self.api_key or "none", timeout=timeout, max_retries=0
        )

    def models(self) -> list[dict[str, Any]]:
        """The entries of the server's ``/v1/models``.

        Raises:
            LongsumError: the server cannot be reached, or refuses the listing.
        """
        import openai

        async def listing() -> list[dict[str, Any]]:
            async with self.client().with_options(timeout=min(self.timeout, LISTING_TIMEOUT)) as client:
                page = await client.models.list()
                return [model.model_dump() for model in page.data]

        try:
            return asyncio.run(listing())
        except openai.APIConnectionError as err:
            raise LongsumError(
                f"cannot reach the server at {host_of(self.base_url)} ({err}); is it up, and is --base-url right?"
            ) from None
        except openai.APIStatusError as err:
            hint = "; set the key in the environment variable --api-key-env names" if err.status_code == 401 else ""
            raise LongsumError(
                f"the server at {host_of(self.base_url)} refused to list its models (HTTP {err.status_code}){hint}"
            ) from None

    def answers(
        self, jobs: list[tuple[str, dict[str, Any]]], api: str, concurrency: int, policy: RetryPolicy
    ) -> Iterator[tuple[int, Answer | PromptTooLong]]:
        """The position in ``jobs`` (document id, request) and the answer (or the server's refusal of the prompt as
        too long) of each job as soon as it arrives, with at most ``concurrency`` requests in flight.

        An event loop in a worker thread runs the requests; the caller's thread takes each answer from a queue, so
        it can write it at once. Leaving early (an error, Ctrl-C) cancels the requests in flight.

        Raises:
            ServerUnreachable, RequestFailed: from the first request that failed for good.
        """
        results: queue.Queue[tuple[bool, Any]] = queue.Queue()
        started: dict[str, Any] = {}

        async def one(gate: asyncio.Semaphore, client: Any, index: int) -> None:
            doc_id, request = jobs[index]
            async with gate:
                try:
                    results.put((False, (index, await ask(client, request, api, policy, doc_id))))
                except PromptTooLong as refusal:
                    results.put((False, (index, refusal)))

        async def run_all() -> None:
            started["task"] = asyncio.current_task()
            gate = asyncio.Semaphore(concurrency)
            async with self.client() as client:
                tasks = [asyncio.ensure_future(one(gate, client, index)) for index in range(len(jobs))]
                try:
                    await asyncio.gather(*tasks)
                except Exception as err:
                    # The first request that failed for good ends the others.
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    results.put((True, err))

        def work() -> None:
            started["loop"] = loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(run_all())
            except asyncio.CancelledError:
                pass
            finally:
                loop.close()

        worker = threading.Thread(target=work, name="longsum-requests", daemon=True)
        worker.start()
        try:
            for _ in jobs:
                while True:
                    try:
                        failed, value = results.get(timeout=0.2)
                        break
                    except queue.Empty:
                        if not worker.is_alive() and results.empty():
                            raise LongsumError("the request thread ended without answering") from None
                if failed:
                    raise value
                yield value
        finally:
            loop, task = started.get("loop"), started.get("task")
            if loop is not None and task is not None:
                with suppress(RuntimeError):  # the loop closed already: nothing is in flight
                    loop.call_soon_threadsafe(task.cancel)
            worker.join()

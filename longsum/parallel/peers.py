"""Failure propagation between the processes of one run: the first failure stops every process quickly."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from longsum.errors import LongsumError
from longsum.parallel.distributed import Shard

#: Seconds between looks at the store while waiting for the other processes.
POLL_SECONDS = 0.5
#: Every process of a launch runs the same evaluations in the same order, so the n-th has the same keys everywhere.
_RUNS = itertools.count()


class PeerFailed(LongsumError):
    """Another process of the run failed; this one stops too (the failing one reports why)."""


class Peers:
    """The other processes of a run, reached through the process group's key-value store.

    A plain ``torch.distributed.barrier`` waits for a process that already exited on an error until
    the collective times out (30 minutes by default). Here a process that fails says so in the store,
    and waiting processes poll it, so each of them stops within ``POLL_SECONDS`` of the failure. The
    store outlives the launch's processes (torchrun hosts it in its agent) and belongs to this launch
    alone, so nothing stale is left for the next run. Without a process group every wait is immediate.
    """

    def __init__(self, shard: Shard, store: Any = None) -> None:
        self.shard = shard
        self.store = store if store is not None else (_default_store() if shard.distributed else None)
        self.prefix = f"longsum/{next(_RUNS)}/"
        self._failed_here = False

    def fail(self, reason: str) -> None:
        """Tell the other processes that this one stopped, and why (the first failure is the one kept)."""
        if self.store is None or self._failed_here:
            return
        self._failed_here = True
        # The store may have gone away with another process: they are stopping already.
        with contextlib.suppress(Exception):
            self.store.compare_set(self.prefix + "failed", "", f"rank {self.shard.rank} failed: {reason}")

    def arrive(self, step: str) -> None:
        """Record that this process has reached ``step``."""
        if self.store is not None:
            self.store.add(self.prefix + step, 1)

    def check(self) -> None:
        """Stop at once if another process has failed (a cheap look at the store, made between batches).

        Raises:
            PeerFailed: another process failed, or the run's store cannot be reached any more.
        """
        self._reached(None)

    def wait(self, step: str, count: int) -> None:
        """Wait until ``count`` processes have reached ``step``, or stop within ``POLL_SECONDS`` of a failure.

        Raises:
            PeerFailed: another process failed, or the run's store cannot be reached any more.
        """
        while self._reached(step) < count:
            time.sleep(POLL_SECONDS)

    def _reached(self, step: str | None) -> int:
        """How many processes reached ``step`` (all of them without a store), after looking for a failure."""
        if self.store is None:
            return self.shard.world
        try:
            failed = self.store.check([self.prefix + "failed"])
            failure = self.store.get(self.prefix + "failed").decode("utf-8") if failed else None
            reached = self.store.add(self.prefix + step, 0) if step is not None else 0
        except Exception as err:  # the store's host (torchrun, or rank 0) is gone: so is the run
            raise PeerFailed(f"rank {self.shard.rank} lost the other processes ({err})") from None
        if failure is not None:
            raise PeerFailed(f"rank {self.shard.rank} stopped because {failure}")
        return int(reached)

    @contextmanager
    def failing(self) -> Iterator[None]:
        """Publish whatever stops this process, so the others stop too; a user error says which rank it hit."""
        try:
            yield
        except PeerFailed:
            raise
        except BaseException as err:
            self.fail(str(err) if isinstance(err, LongsumError) else f"{type(err).__name__}: {err}")
            if isinstance(err, LongsumError) and self.shard.distributed:
                raise LongsumError(
                    f"rank {self.shard.rank} of {self.shard.world} failed: {err}", err.exit_code
                ) from None
            raise


def _default_store() -> Any:
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return None
    # The process group's own store: no second port to open, and it lives exactly as long as the launch.
    return dist.distributed_c10d._get_default_store()

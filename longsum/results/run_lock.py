"""One writer per run directory: an exclusive lock the kernel drops when its holder dies."""

from __future__ import annotations

import fcntl
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from longsum.errors import LongsumError

LOCK = "run.lock"


@contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """Hold ``directory/run.lock`` for the duration of a run.

    ``flock`` rather than a pid file: the kernel releases it when the holding process ends in any way
    (``kill -9`` included), so a dead run never leaves a stale lock to clean up by hand. The file keeps
    the holder's pid, host and command so the refusal can name it.

    Raises:
        LongsumError: another process holds the lock (the message names it).
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK
    # Opened without truncating: the holder's description must survive a refused attempt.
    handle = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise LongsumError(
                f"{directory} is in use by {holder}; one run directory has one writer: wait for it to end or "
                "use another --output-dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()} ({' '.join(sys.argv)[:200]})\n")
        handle.flush()
        yield
    finally:
        handle.close()

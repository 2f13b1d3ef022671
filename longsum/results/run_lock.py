"""One writer per run directory: an exclusive lock the kernel drops when its holder dies."""

from __future__ import annotations

import fcntl
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from longsum.errors import LongsumError

LOCK = "run.lock"
#: The run directories this process holds, by resolved path, with the open lock file that holds each.
_HELD: dict[Path, IO[str]] = {}


def hold_run_directory(directory: Path) -> None:
    """Take ``directory/run.lock`` for the rest of this process (or until ``run_lock`` releases it).

    ``flock`` rather than a pid file: the kernel releases it when the holding process ends in any way
    (``kill -9`` included), so a dead run never leaves a stale lock to clean up by hand. Hand-written
    rather than with the filelock package because the file also keeps the holder's pid, host and
    command, so the refusal can name it. Holding it again is a no-op.

    Raises:
        LongsumError: another process holds the lock (the message names it).
    """
    key = directory.expanduser().resolve()
    if key in _HELD:
        return
    directory.mkdir(parents=True, exist_ok=True)
    # Opened without truncating: the holder's description must survive a refused attempt.
    handle = (directory / LOCK).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise LongsumError(
            f"{directory} is in use by {holder}; one run directory has one writer: wait for it to end or "
            "use another --output-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()} on {socket.gethostname()} ({' '.join(sys.argv)[:200]})\n")
    handle.flush()
    _HELD[key] = handle


@contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """Hold ``directory``'s lock while the block runs; a lock this process already held stays held after it.

    Raises:
        LongsumError: another process holds the lock (the message names it).
    """
    key = directory.expanduser().resolve()
    if key in _HELD:
        yield
        return
    hold_run_directory(directory)
    try:
        yield
    finally:
        _HELD.pop(key).close()

"""One writer per run directory: the lock names its holder, is held again at no cost by its own process, and is
gone when the holder lets go."""

import fcntl
import os
import socket

import pytest

from longsum.errors import LongsumError
from longsum.results.run_lock import LOCK, hold_run_directory, run_lock


def test_the_lock_file_names_this_process_while_it_holds_the_directory(tmp_path):
    directory = tmp_path / "new" / "run"
    with run_lock(directory):
        holder = (directory / LOCK).read_text(encoding="utf-8")
        assert holder.startswith(f"process {os.getpid()} on {socket.gethostname()} (") and holder.endswith(")\n")
        with run_lock(directory), run_lock(tmp_path / "new" / ".." / "new" / "run"):
            pass  # held again, by another spelling too: no-op
        hold_run_directory(directory)  # already held: no-op, and still released by the outer block
    # Released: another open file description takes it at once.
    with (directory / LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_directory_held_elsewhere_is_refused_naming_the_holder(tmp_path):
    with (tmp_path / LOCK).open("w") as other:
        other.write("process 4242 on build-7 (longsum eval)\n")
        other.flush()
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LongsumError) as refused, run_lock(tmp_path):
            pass
        assert str(refused.value) == (
            f"{tmp_path} is in use by process 4242 on build-7 (longsum eval); one run directory has one writer: "
            "wait for it to end or use another --output-dir"
        )
        # The refused attempt left the holder's description as it was.
        assert (tmp_path / LOCK).read_text(encoding="utf-8") == "process 4242 on build-7 (longsum eval)\n"
    with run_lock(tmp_path):  # the holder let go
        assert (tmp_path / LOCK).read_text(encoding="utf-8").startswith(f"process {os.getpid()} ")


def test_a_holder_that_wrote_nothing_is_another_process(tmp_path):
    with (tmp_path / LOCK).open("w") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LongsumError, match=r"is in use by another process; one run directory"), run_lock(tmp_path):
            pass

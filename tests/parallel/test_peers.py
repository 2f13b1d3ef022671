"""Failure propagation between processes, through a real torch.distributed store shared by two fake ranks."""

import time

import pytest

from longsum.errors import LongsumError
from longsum.parallel.distributed import Shard
from longsum.parallel.peers import PeerFailed, Peers


@pytest.fixture
def ranks():
    from torch.distributed import HashStore

    store = HashStore()
    main, other = Peers(Shard(0, 2), store), Peers(Shard(1, 2), store)
    other.prefix = main.prefix  # as the n-th evaluation of every process of a launch
    return main, other


def test_a_wait_ends_when_every_process_arrived(ranks):
    main, other = ranks
    main.arrive("generated")
    other.arrive("generated")
    main.wait("generated", 2)
    main.check()


def test_a_waiting_process_stops_within_a_poll_of_the_first_failure(ranks):
    main, other = ranks
    with pytest.raises(LongsumError, match="rank 1 of 2 failed: out of device memory"), other.failing():
        raise LongsumError("out of device memory on a single document")
    main.arrive("generated")
    start = time.monotonic()
    with pytest.raises(PeerFailed, match="rank 0 stopped because rank 1 failed: out of device memory"):
        main.wait("generated", 2)
    assert time.monotonic() - start < 2


def test_only_the_first_failure_is_kept_and_bugs_keep_their_type(ranks):
    main, other = ranks
    with pytest.raises(ZeroDivisionError), main.failing():
        _ = 1 / 0
    other.fail("later")
    with pytest.raises(PeerFailed, match="rank 1 stopped because rank 0 failed: ZeroDivisionError: division by zero"):
        other.check()


def test_without_a_process_group_nothing_waits():
    alone = Peers(Shard())
    alone.arrive("prepared")
    alone.wait("prepared", 1)
    assert alone.store is None

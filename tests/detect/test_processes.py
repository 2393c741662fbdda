"""map_in_processes gives what a plain loop gives, in order, and loses nothing when a worker fails."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect.processes import map_in_processes, share_of_work

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), max_size=40), st.integers(1, 5))
def test_every_item_goes_to_one_share(weights, n):
    parts = share_of_work(weights, n)
    assert len(parts) == n
    assert sorted(i for p in parts for i in p) == list(range(len(weights)))
    loads = [sum(weights[i] for i in p) for p in parts]
    assert max(loads) - min(loads) <= max(weights, default=0)  # (greedy: within one item of even)


def _tagged(x: int) -> tuple[int, int]:
    time.sleep(0.005)  # (long enough that the forked workers start before the queue is empty)
    return x * x, os.getpid()


@needs_fork
@pytest.mark.parametrize("processes", [2, 3])
def test_results_come_back_in_order_from_other_processes(processes):
    items = list(range(30))
    got = map_in_processes(_tagged, items, weights=[1] * 30, processes=processes)
    assert [r for r, _ in got] == [x * x for x in items]
    assert len({pid for _, pid in got}) == processes  # the work was shared out


_PARENT = os.getpid()


def _fails_in_a_worker(x: int) -> int:
    if os.getpid() != _PARENT:
        raise RuntimeError("worker down")
    return x + 1


@needs_fork
def test_a_failed_workers_share_is_done_here():
    assert map_in_processes(_fails_in_a_worker, list(range(10)), weights=[1] * 10, processes=2) == list(range(1, 11))


def _dies(x: int) -> int:
    if os.getpid() != _PARENT:
        os._exit(3)
    return -x


@needs_fork
def test_a_worker_that_dies_loses_nothing():
    assert map_in_processes(_dies, [1, 2, 3, 4], weights=[1, 1, 1, 1], processes=2) == [-1, -2, -3, -4]


def _slow_in_a_worker(x: int) -> tuple[int, int]:
    time.sleep(0.002 if os.getpid() == _PARENT else 0.02)
    return -x, os.getpid()


@needs_fork
def test_a_slow_worker_takes_fewer_items_and_the_order_holds():
    # The items wait in one queue: a worker ten times slower than this process takes far fewer than
    # half (a fixed split made the parent wait for it).
    got = map_in_processes(_slow_in_a_worker, list(range(60)), weights=[1] * 60, processes=2)
    assert [r for r, _ in got] == [-x for x in range(60)]
    assert sum(pid == _PARENT for _, pid in got) > 40


@needs_fork
def test_more_items_than_a_pipe_holds_are_shared_out_in_fixed_shares(monkeypatch):
    from hfsecure_jupyter.detect import processes

    monkeypatch.setattr(processes, "_queue", lambda order: None)
    got = map_in_processes(_tagged, list(range(12)), weights=[1] * 12, processes=2)
    assert [r for r, _ in got] == [x * x for x in range(12)] and len({pid for _, pid in got}) == 2


def test_one_process_or_one_item_runs_here():
    assert map_in_processes(_tagged, [3], weights=[1], processes=4) == [(9, os.getpid())]
    assert map_in_processes(_tagged, [1, 2], weights=[1, 1], processes=1) == [(1, os.getpid()), (4, os.getpid())]

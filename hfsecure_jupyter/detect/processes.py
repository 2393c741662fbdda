"""Run one function over many items in forked worker processes, results in the items' order.

A folder scan is CPU-bound Python (the GIL serialises threads, RE2's search included), so a machine's
other cores help only as processes. ``fork`` shares what the parent has built (compiled patterns, the
accelerator) without a second start-up; where there is no ``fork`` (Windows) or one item only, the items
run in this process. Nothing is lost when a worker fails: its items run here.

Example:
    >>> map_in_processes(len, ["a", "bb", "ccc"], weights=[1, 2, 3], processes=2)
    [1, 2, 3]
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterator, Sequence

__all__ = ["map_in_processes", "share_of_work"]


def share_of_work(weights: Sequence[int], n: int) -> list[list[int]]:
    """The item indices split into ``n`` lists of about equal total weight (heaviest first, each to the
    lightest list so far), each list in rising order.

    Example:
        >>> share_of_work([5, 1, 1, 3, 2], 2)
        [[0, 1], [2, 3, 4]]
    """
    loads = [0] * n
    parts: list[list[int]] = [[] for _ in range(n)]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        j = loads.index(min(loads))
        parts[j].append(i)
        loads[j] += weights[i]
    return [sorted(p) for p in parts]


def map_in_processes(func: Callable[[Any], Any], items: Sequence[Any], *, weights: Sequence[int],
                     processes: int) -> list[Any]:
    """``[func(x) for x in items]``, with ``processes - 1`` forked workers sharing the items with this
    process; results must pickle. The items wait in a queue, heaviest first (by ``weights``), and each
    process takes the next one when it is free: a forked worker runs slower than its parent (every page
    it touches is copied), and a fixed split left the parent waiting for it. A worker that fails, or
    whose answer does not arrive whole, leaves its items to this process.

    Example:
        >>> map_in_processes(str.upper, ["a", "b"], weights=[1, 1], processes=1)
        ['A', 'B']
    """
    n = min(processes, len(items))
    if n < 2 or not hasattr(os, "fork"):
        return [func(x) for x in items]
    order = sorted(range(len(items)), key=lambda i: -weights[i])
    queue = _queue(order)
    if queue is None:  # (more items than a pipe holds: fixed shares)
        parts = share_of_work(weights, n)
        shares = [[(i, items[i]) for i in part] for part in parts]
        workers = [_fork(func, iter(share)) for share in shares[1:]]
        mine: Any = iter(shares[0])
    else:
        workers = [_fork(func, _pulled(queue, items)) for _ in range(n - 1)]
        mine = _pulled(queue, items)
    results: list[Any] = [None] * len(items)
    done = [False] * len(items)
    for i, x in mine:
        results[i], done[i] = func(x), True
    if queue is not None:
        os.close(queue)
    for pid, fd in workers:
        for i, r in _collect(pid, fd) or ():
            if isinstance(i, int) and 0 <= i < len(items) and not done[i]:
                results[i], done[i] = r, True
    for i, ok in enumerate(done):  # what a failed worker took
        if not ok:
            results[i] = func(items[i])
    return results


def _queue(order: list[int]) -> int | None:
    """A pipe holding every index of ``order`` (four bytes each), its write end closed: the read end, or
    None when they do not all fit (the write never blocks: this is the only process yet)."""
    data = b"".join(i.to_bytes(4, "little") for i in order)
    try:
        r, w = os.pipe()
    except OSError:
        return None
    try:
        os.set_blocking(w, False)
        written = os.write(w, data)
    except OSError:
        written = -1
    finally:
        os.close(w)
    if written != len(data):
        os.close(r)
        return None
    return r


def _pulled(queue: int, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """The next items off the queue, as (index, item), until it is empty (a read of four bytes from a
    pipe is whole: the processes sharing it never split an index)."""
    while True:
        try:
            got = os.read(queue, 4)
        except OSError:
            return
        if len(got) < 4:
            return
        i = int.from_bytes(got, "little")
        yield i, items[i]


def _fork(func: Callable[[Any], Any], share: Iterator[tuple[int, Any]]) -> tuple[int | None, int | None]:
    try:
        r, w = os.pipe()
    except OSError:  # no descriptor to spare: this process does the work
        return None, None
    try:
        pid = os.fork()
    except OSError:  # no process to spare: this one does the work
        os.close(r)
        os.close(w)
        return None, None
    if pid:
        os.close(w)
        return pid, r
    status = 1
    try:  # the worker: its answers, as (index, result), down the pipe, then out without running the
        import pickle  # parent's exit handlers

        os.close(r)
        data = memoryview(pickle.dumps([(i, func(x)) for i, x in share], protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(w, data):]
        status = 0
    except BaseException:  # noqa: BLE001 - the parent runs what it took
        pass
    finally:
        os._exit(status)


def _collect(pid: int | None, fd: int | None) -> list[tuple[int, Any]] | None:
    if pid is None or fd is None:
        return None
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        import pickle

        got = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a torn answer: redo the share here
        return None
    return got if isinstance(got, list) else None

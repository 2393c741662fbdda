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
    from typing import Any, Callable, Sequence

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
    """``[func(x) for x in items]``, with ``processes - 1`` forked workers taking shares of the items
    (by ``weights``); results must pickle. A worker that fails, or whose answer does not arrive whole,
    leaves its items to this process.

    Example:
        >>> map_in_processes(str.upper, ["a", "b"], weights=[1, 1], processes=1)
        ['A', 'B']
    """
    n = min(processes, len(items))
    if n < 2 or not hasattr(os, "fork"):
        return [func(x) for x in items]
    parts = share_of_work(weights, n)
    workers = [(_fork(func, items, part), part) for part in parts[1:]]
    results: list[Any] = [None] * len(items)
    done = [False] * len(items)
    for i in parts[0]:
        results[i], done[i] = func(items[i]), True
    for (pid, fd), part in workers:
        got = _collect(pid, fd)
        if got is not None and len(got) == len(part):
            for i, r in zip(part, got):
                results[i], done[i] = r, True
    for i, ok in enumerate(done):  # a failed worker's share
        if not ok:
            results[i] = func(items[i])
    return results


def _fork(func: Callable[[Any], Any], items: Sequence[Any], part: list[int]) -> tuple[int, int] | tuple[None, None]:
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
    try:  # the worker: its answer down the pipe, then out without running the parent's exit handlers
        import pickle

        os.close(r)
        data = memoryview(pickle.dumps([func(items[i]) for i in part], protocol=pickle.HIGHEST_PROTOCOL))
        while data:
            data = data[os.write(w, data):]
        status = 0
    except BaseException:  # noqa: BLE001 - the parent runs this share itself
        pass
    finally:
        os._exit(status)


def _collect(pid: int | None, fd: int | None) -> list[Any] | None:
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

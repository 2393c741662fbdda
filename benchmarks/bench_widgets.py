"""Print what the widgets cost: import, time to show LoginStatus with the Hub unreachable, and the kernel's
responsiveness while a JobMonitor tails a fast log (a job printing 100,000 lines).

    python benchmarks/bench_widgets.py

No network: the "unreachable Hub" is a closed loopback port; the fast log is an in-memory job handle. The
widgets' comms are recorders (as in the tests), so this measures the kernel side.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from types import SimpleNamespace


def import_cost() -> tuple[float, float]:
    code = ("import time; t=time.perf_counter(); import hfsecure_jupyter.widgets.login, "
            "hfsecure_jupyter.widgets.builder, hfsecure_jupyter.widgets.monitor, hfsecure_jupyter.widgets.findings;"
            " print(time.perf_counter()-t)")
    lazy = ("import time; t=time.perf_counter(); import hfsecure_jupyter.widgets; import sys;"
            " assert 'ipywidgets' not in sys.modules; print(time.perf_counter()-t)")
    runs = lambda c: statistics.median(float(subprocess.check_output([sys.executable, "-c", c])) for _ in range(3))  # noqa: E731
    return runs(lazy), runs(code)


def _record_comms() -> None:
    import comm

    class Rec:
        def __init__(self, **kw):
            import uuid

            self.comm_id = uuid.uuid4().hex
            self.sent = 0

        def on_msg(self, *a):
            pass

        def send(self, *a, **k):
            self.sent += 1

        def close(self, *a, **k):
            pass

    comm.create_comm = lambda **kw: Rec(**kw)


def login_shown_with_hub_down() -> float:
    os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: connection refused
    from hfsecure_jupyter.testing import fake_token

    os.environ["HF_TOKEN"] = fake_token()
    from hfsecure_jupyter.config import HFSecure
    from hfsecure_jupyter.hub import StatusService
    from hfsecure_jupyter.widgets.login import LoginStatus

    LoginStatus(StatusService(HFSecure())).close()  # warm the imports
    times = []
    for _ in range(5):
        t = time.perf_counter()
        w = LoginStatus(StatusService(HFSecure()))
        times.append(time.perf_counter() - t)
        w.close()
    return statistics.median(times)


def responsiveness_while_tailing(n: int = 100_000) -> tuple[float, float, float, int]:
    from hfsecure_jupyter.widgets.monitor import JobMonitor

    class Fast:
        id, namespace, url = "j1", "bench", "https://example.invalid/jobs/bench/j1"

        def __init__(self):
            self.done = threading.Event()

        def info(self):
            return SimpleNamespace(status=SimpleNamespace(stage="COMPLETED" if self.done.is_set() else "RUNNING"))

        def logs(self, follow=False):
            for i in range(n):
                yield f"step {i}: loss=0.{i % 997:03d}"
            self.done.set()

    def probe() -> float:  # what a cell's small step costs on the main thread
        t = time.perf_counter()
        sum(range(10_000))
        return time.perf_counter() - t

    idle = statistics.median(probe() for _ in range(200))
    h = Fast()
    t0 = time.perf_counter()
    m = JobMonitor(h, max_lines=200, throttle=0.25, poll_interval=0.2)
    busy = []
    while not m.done.is_set():
        busy.append(probe())
        time.sleep(0.001)
    elapsed = time.perf_counter() - t0
    return idle, statistics.median(busy) if busy else idle, elapsed, m.updates


def main() -> None:
    _record_comms()
    lazy, full = import_cost()
    print(f"import hfsecure_jupyter.widgets (lazy, no ipywidgets): {lazy * 1e3:.1f} ms")
    print(f"import the four widget modules (ipywidgets included):  {full * 1e3:.1f} ms")
    print(f"LoginStatus shown with the Hub unreachable:             {login_shown_with_hub_down() * 1e3:.1f} ms")
    idle, busy, elapsed, updates = responsiveness_while_tailing()
    print(f"main-thread step while a monitor tails 100,000 lines:   {busy * 1e6:.0f} us (idle {idle * 1e6:.0f} us); "
          f"tail done in {elapsed:.2f} s with {updates} page updates")


if __name__ == "__main__":
    main()

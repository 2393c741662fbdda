"""Print what the kernel side of hfsecure costs (figures are printed, never asserted).

Usage::

    python benchmarks/bench_kernel.py [--repeat N] [--mb 10] [--no-kernel]

Figures, with the targets from the kernel issue:

* load time of ``%load_ext hfsecure_jupyter`` in a fresh process (median of N), split into importing the
  detection core, the extension's own modules, the magics, and installing the hooks (target <= 30 ms);
  and whether huggingface_hub got imported (it must not);
* the guard's time on ``x = 1`` (target <= 20 us), and on a 100-line cell as a ratio of ``run_cell`` of
  that cell measured in the same run (target <= 3 %);
* output redaction overhead on printing 10 MB through a real ipykernel: wall time from execute to idle
  with the extension loaded vs unloaded, the user's token in HF_TOKEN (target <= 10 %); and the stream
  hook alone on the same 10 MB in process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

LOAD_PROBE = r"""
import sys, time, json
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
c = Config(); c.HistoryManager.hist_file = ":memory:"
ip = InteractiveShell.instance(config=c)
t0 = time.perf_counter()
import hfsecure_jupyter.detect
t1 = time.perf_counter()
import hfsecure_jupyter.kernel.extension, hfsecure_jupyter.kernel.guard, hfsecure_jupyter.kernel.redaction
import hfsecure_jupyter.kernel.doctor
t2 = time.perf_counter()
try:
    import hfsecure_jupyter.kernel.magics
except Exception:
    pass
t3 = time.perf_counter()
ip.extension_manager.load_extension("hfsecure_jupyter")
t4 = time.perf_counter()
print(json.dumps({"detect": t1 - t0, "own": t2 - t1, "magics": t3 - t2, "install": t4 - t3, "total": t4 - t0,
                  "hub_imported": "huggingface_hub" in sys.modules}))
"""


def bench_load(repeat: int) -> None:
    # As installed: from bytecode (this checkout may run with PYTHONDONTWRITEBYTECODE; cache elsewhere).
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(tempfile.gettempdir(), "hfsecure-bench-pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs = []
    for i in range(repeat + 1):
        out = subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, timeout=120,
                             env=env)
        if i:  # the first run writes the bytecode
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(r[k] for r in runs) * 1000 for k in ("detect", "own", "magics", "install", "total")}
    print(f"load: {med['total']:.1f} ms median of {repeat} (target <= 30 ms): import detect core "
          f"{med['detect']:.1f} ms, extension modules {med['own']:.1f} ms, magics {med['magics']:.1f} ms, "
          f"install hooks {med['install']:.1f} ms; huggingface_hub imported: "
          f"{any(r['hub_imported'] for r in runs)}")


def _cell_100() -> str:
    lines = []
    for i in range(20):
        lines += [f"def step_{i}(x, y=2):",
                  f"    # scale the value by {i} and add the offset",
                  f"    total = x * {i} + y",
                  "    return total",
                  f"value_{i} = step_{i}({i}) + len('text {i}')"]
    assert len(lines) == 100
    return "\n".join(lines)


def bench_guard(repeat: int) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from hfsecure_jupyter.kernel import extension

    c = Config()
    c.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell.instance(config=c)
    state = extension.load(ip)
    guard = state.guard

    def guard_time(src: str, n: int) -> float:
        lines = (src + "\n").splitlines(keepends=True)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                guard._passed = ""
                guard(lines)
            best = min(best, (time.perf_counter() - t0) / n)
        return best

    small = guard_time("x = 1", 20000)
    print(f"guard on `x = 1`: {small * 1e6:.1f} us (target <= 20 us)")
    cell = _cell_100()
    ratios = []
    g_times, r_times = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        ip.run_cell(cell, store_history=True)
        r = time.perf_counter() - t0
        g = guard_time(cell, 200)
        r_times.append(r)
        g_times.append(g)
        ratios.append(g / r)
    print(f"guard on a 100-line cell: {statistics.median(g_times) * 1e6:.0f} us vs run_cell "
          f"{statistics.median(r_times) * 1e3:.2f} ms -> {statistics.median(ratios) * 100:.2f} % "
          f"(target <= 3 %)")
    extension.unload(ip)


def bench_stream_hook(mb: int) -> None:
    from hfsecure_jupyter import detect
    from hfsecure_jupyter.kernel import redaction
    from hfsecure_jupyter.testing import fake_token

    line = "step 000123: loss=0.1234 acc=0.9876 lr=3.0e-04 tokens/s=12345 model=my-org/my-model-7b\n"
    chunk = line * (8192 // len(line))
    n = mb * 1024 * 1024 // len(chunk)

    class Owner:
        active = True
        redactor = detect.Redactor([fake_token(), "s3cr3t-value-for-bench"])

    hook = redaction._StreamHook(Owner(), None)
    t0 = time.perf_counter()
    for _ in range(n):
        hook({"content": {"name": "stdout", "text": chunk}, "parent_header": {"msg_id": "x"}})
    took = time.perf_counter() - t0
    print(f"stream hook alone on {mb} MB in 8 KB flushes (2 known values): {took * 1e3:.0f} ms "
          f"({mb / took:.0f} MB/s)")


def _kernel_run(kc, code: str, timeout: float = 600) -> float:
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    took = time.perf_counter() - t0
    while kc.get_shell_msg(timeout=timeout)["parent_header"].get("msg_id") != msg_id:
        pass
    return took


def bench_kernel_output(mb: int, repeat: int) -> None:
    from jupyter_client.manager import start_new_kernel

    from hfsecure_jupyter.testing import fake_token

    env = dict(os.environ, IPYTHONDIR=tempfile.mkdtemp(), HF_TOKEN=fake_token())
    env.pop("PYTEST_CURRENT_TEST", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env, startup_timeout=60)
    try:
        line = "step 000123: loss=0.1234 acc=0.9876 lr=3.0e-04 tokens/s=12345 model=my-org/my-model-7b"
        n = mb * 1024 * 1024 // (len(line) + 1)
        code = f"import sys\nline = {line!r}\nfor _ in range({n}): print(line)\nsys.stdout.flush()"
        _kernel_run(kc, "x = 1")
        plain, guarded = [], []
        for _ in range(repeat):
            plain.append(_kernel_run(kc, code))
            _kernel_run(kc, "%load_ext hfsecure_jupyter")
            guarded.append(_kernel_run(kc, code))
            _kernel_run(kc, "%unload_ext hfsecure_jupyter")
        p, g = statistics.median(plain), statistics.median(guarded)
        print(f"printing {mb} MB in a real kernel: {p:.2f} s without, {g:.2f} s with redaction -> "
              f"overhead {(g / p - 1) * 100:+.1f} % (target <= 10 %; median of {repeat})")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mb", type=int, default=10)
    ap.add_argument("--no-kernel", action="store_true", help="skip the real-kernel output benchmark")
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    bench_load(args.repeat)
    bench_guard(args.repeat)
    bench_stream_hook(args.mb)
    if not args.no_kernel:
        bench_kernel_output(args.mb, max(3, args.repeat // 2))


if __name__ == "__main__":
    main()

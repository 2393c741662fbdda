"""Print how long a pre-commit run of the hook takes over three small staged files, against Python's start-up.

Usage::

    python benchmarks/bench_hook.py [--runs N] [--no-light]

Figures (printed, never asserted; see benchmarks/README.md), each the median of ``--runs`` runs, the
commands taken in turn so that a busy machine slows them alike; wall time and CPU time (user + system):

* ``python -c pass`` and ``python -c "import re"`` (the floor: the scan needs ``re``);
* ``hfsecure scan f0.py f1.py f2.py`` (three clean 30-line cells of typical Hugging Face code), and its
  ratio to ``python -c pass`` (issue 14: <= 3x);
* the same with ``hfsecure-scan`` in a virtualenv holding only the light wheel (built now from
  scan-dist/, offline: needs hatchling), which is what the pre-commit mirror installs, against that
  virtualenv's own ``python -c pass``;
* the scan path's import time (``python -X importtime``, best of 5): ours, and the standard library's.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_scan import as_installed, staged_files  # noqa: E402

TARGET_HOOK_VS_PYTHON = 3.0


def _bin(name: str) -> str | None:
    import shutil

    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def _run(cmd: list[str], cwd: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(commands: dict[str, list[str]], cwd: str, runs: int) -> dict[str, tuple[float, float]]:
    """name -> (median wall, median CPU) in seconds, the commands run in turn, after one warm-up each."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for cmd in commands.values():
        _run(cmd, cwd)
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(_run(cmd, cwd))
    return {name: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
            for name, ts in times.items()}


def light_venv(directory: str) -> str | None:
    """A virtualenv holding only the hfsecure-scan wheel built now; its bin folder (None without hatchling)."""
    try:
        import hatchling  # noqa: F401
    except ImportError:
        print("(no hatchling: the light-wheel rows are skipped; pip install hatchling)")
        return None
    wheels = os.path.join(directory, "wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", wheels, os.path.join(ROOT, "scan-dist")], check=True)
    venv = os.path.join(directory, "venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    bin_dir = os.path.join(venv, "bin")
    subprocess.run([os.path.join(bin_dir, "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
                    wheels, "hfsecure-scan"], check=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    return bin_dir


def import_times(cwd: str, files: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(ours, standard library) self import time in ms of ``hfsecure scan FILES``, best of 5 per module."""
    best: dict[str, int] = {}
    for _ in range(5):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import sys; from hfsecure_jupyter.cli import main; main(['scan', *sys.argv[1:]])",
                              *files], cwd=cwd, capture_output=True, text=True, env=env).stderr
        for m in re.finditer(r"^import time:\s+(\d+) \|\s+\d+ \| ( *)(\S+)$", err, re.M):
            us, name = int(m.group(1)), m.group(3)
            best[name] = min(best.get(name, us), us)
    start = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], capture_output=True, text=True).stderr
    at_start = set(re.findall(r"\| +(\S+)$", start, re.M))  # what Python imports before any of ours
    ours = sum(us for name, us in best.items() if name.startswith("hfsecure_jupyter"))
    std = sum(us for name, us in best.items() if not name.startswith("hfsecure_jupyter") and name not in at_start)
    return ours / 1000, std / 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=31, help="runs of each command (the median is kept)")
    ap.add_argument("--no-light", action="store_true", help="skip building the light wheel's virtualenv")
    args = ap.parse_args(argv)
    as_installed()
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="hfsecure-bench-hook-") as d:
        files = staged_files(d)
        entry = _bin("hfsecure")
        hfsecure = [entry] if entry else [sys.executable, "-m", "hfsecure_jupyter.cli"]
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "python -c 'import re'": [sys.executable, "-c", "import re"],
                    "hfsecure scan (3 files)": [*hfsecure, "scan", *files]}
        light = None if args.no_light else light_venv(d)
        if light:
            commands["light venv: python -c pass"] = [os.path.join(light, "python"), "-c", "pass"]
            commands["light venv: hfsecure-scan (3 files)"] = [os.path.join(light, "hfsecure-scan"), *files]
        os.environ["PYTHONPATH"] = env["PYTHONPATH"]  # this checkout's hfsecure_jupyter, in the children
        got = measure(commands, d, args.runs)
        ours, std = import_times(d, files, env)
    print(f"pre-commit hook start-up, median of {args.runs} runs (wall ms / CPU ms)")
    for name, (wall, cpu) in got.items():
        print(f"  {name:<40} {wall * 1000:7.1f} {cpu * 1000:7.1f}")
    rows = [("hfsecure scan vs python -c pass", got["hfsecure scan (3 files)"], got["python -c pass"])]
    if light:
        rows.append(("hfsecure-scan (light venv) vs its python -c pass", got["light venv: hfsecure-scan (3 files)"],
                     got["light venv: python -c pass"]))
    rows.append(("python -c 'import re' vs python -c pass (floor)", got["python -c 'import re'"],
                 got["python -c pass"]))
    for name, cmd, base in rows:
        wall, cpu = cmd[0] / base[0], cmd[1] / base[1]
        ok = "ok" if wall <= TARGET_HOOK_VS_PYTHON else "MISSED"
        print(f"  {name:<52} wall {wall:5.2f}x  CPU {cpu:5.2f}x   target <= {TARGET_HOOK_VS_PYTHON:g}x  [{ok}]")
    print(f"  scan path import time: {ours:.1f} ms in hfsecure_jupyter modules, {std:.1f} ms of standard library "
          "modules Python had not loaded at start-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Server extension figures: REST scan round trips and the save hook's cost, printed (not a test).

    python benchmarks/bench_server.py            # 20 MB notebook, as issue 12 asks
    python benchmarks/bench_server.py --mb 5     # smaller, quicker
    git worktree add /tmp/base <commit>; python benchmarks/bench_server.py --baseline /tmp/base
                                                 # the save figures of another checkout, in the same run

Starts real jupyter_server processes (loopback, a fixed token, a temporary root) and talks to them over one
keep-alive HTTP connection, as the sidebar does:

* scan round trip: ``POST /hfsecure/scan`` with the whole notebook (``{"notebook": ...}``), and with one
  changed cell (``{"cells": [...]}``, what the sidebar sends while typing); median of several runs.
* save: ``PUT /api/contents/<nb>`` of the same notebook on a server with the extension (``on_save =
  redact``) and one without it, side by side; and a notebook holding one token (the hook masks it).
  ``--baseline DIR`` adds a server running the package of another checkout, measured interleaved with the
  others (before / after a change, on the same machine load).

Fake tokens are made at run time; no token-shaped string is in this file.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from bench_scan import clean_cell  # noqa: E402

from hfsecure_jupyter.testing import fake_token  # noqa: E402

TOKEN = "bench-" + "x" * 8  # the server's own login token (not a Hugging Face token)


def big_notebook(mb: float, *, seed: int = 0, leak: bool = False) -> dict[str, Any]:
    """Code cells of typical Hugging Face code, each with a stream output, every other one with a ~80 KB
    base64 PNG-like image, until the notebook holds ``mb`` MB; ``leak`` puts a fake token in a middle cell."""
    rng = random.Random(seed)
    source = clean_cell(30).splitlines(keepends=True)
    cells: list[dict[str, Any]] = []
    size = 0
    i = 0
    while size < mb * 1_000_000:
        outputs: list[dict[str, Any]] = [{"output_type": "stream", "name": "stdout",
                                          "text": [f"step {k}: loss 0.{k}\n" for k in range(40)]}]
        if i % 2:
            blob = base64.b64encode(rng.randbytes(60_000)).decode()
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"image/png": blob, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}})
            size += len(blob)
        size += 3000
        cells.append({"cell_type": "code", "execution_count": i + 1, "id": f"c{i}", "metadata": {},
                      "outputs": outputs, "source": list(source)})
        i += 1
    if leak:
        cells[len(cells) // 2]["source"][3] = f"hf_token = '{fake_token(seed=11)}'\n"
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A jupyter_server subprocess with or without the extension."""

    def __init__(self, root: str, *, extension: bool, on_save: str = "redact", package_root: str = ROOT) -> None:
        self.port = free_port()
        cfg = os.path.join(root, f"config-{self.port}.py")
        with open(cfg, "w") as fh:
            fh.write(f"c.ServerApp.jpserver_extensions = {{'hfsecure_jupyter': {extension!r}}}\n"
                     f"c.HFSecure.on_save = {on_save!r}\n")
        env = {**os.environ, "PYTHONPATH": package_root + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "JUPYTER_CONFIG_DIR": os.path.join(root, "cfg"), "JUPYTER_RUNTIME_DIR": os.path.join(root, "rt"),
               "HF_HUB_OFFLINE": "1"}
        env.pop("HF_TOKEN", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--config={cfg}", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False",
             f"--ServerApp.root_dir={root}", "--ServerApp.log_level=WARN", "--allow-root"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    break
            except OSError:
                self.conn.close()
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the jupyter server did not start")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"token {TOKEN}", "Content-Type": "application/json"}
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def timed(fn: Any, runs: int) -> float:
    """Median milliseconds of ``fn()`` over ``runs`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def side_by_side(*fns: Any, runs: int) -> list[float]:
    """Median milliseconds of each of ``fns``, run in turn (after one warm-up each)."""
    for fn in fns:
        fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, out in zip(fns, samples):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    return [statistics.median(out) for out in samples]


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="notebook size in MB (default 20)")
    ap.add_argument("--runs", type=int, default=11, help="runs per large measurement (median)")
    ap.add_argument("--baseline", metavar="DIR", help="a checkout whose hfsecure_jupyter to measure too (before)")
    args = ap.parse_args(argv)

    clean = big_notebook(args.mb)
    leaky = big_notebook(args.mb, leak=True)
    scan_body = json.dumps({"notebook": clean, "path": "big.ipynb"}).encode()
    leaky_scan_body = json.dumps({"notebook": leaky, "path": "big.ipynb"}).encode()
    cell = dict(clean["cells"][3], index=3)
    cell_body = json.dumps({"cells": [cell], "path": "big.ipynb"}).encode()
    save_clean = json.dumps({"type": "notebook", "content": clean}).encode()
    save_leaky = json.dumps({"type": "notebook", "content": leaky}).encode()
    print(f"notebook: {len(clean['cells'])} cells, {len(save_clean) / 1e6:.1f} MB as sent "
          f"(Python {sys.version.split()[0]}, {os.cpu_count()} cores)\n")

    with tempfile.TemporaryDirectory(prefix="hfsecure-bench-") as root:
        on = Server(root, extension=True)
        off = Server(root, extension=False)
        base = Server(root, extension=True, package_root=os.path.abspath(args.baseline)) if args.baseline else None
        try:
            def post(server: Server, body: bytes) -> None:
                code, out = server.request("POST", "/hfsecure/scan", body)
                assert code == 200, out[:200]

            def put(server: Server, body: bytes, name: str) -> None:
                code, out = server.request("PUT", f"/api/contents/{name}", body)
                assert code in (200, 201), out[:200]

            scan_ms = timed(lambda: post(on, scan_body), args.runs)
            leaky_scan_ms = timed(lambda: post(on, leaky_scan_body), args.runs)
            cell_ms = timed(lambda: post(on, cell_body), 200)
            # Interleaved (without, with, without, with ...): the machine is shared, its speed drifts.
            saves = []
            for body, name in ((save_clean, "clean"), (save_leaky, "leaky")):
                fns = [lambda s=srv, n=f"{name}-{i}.ipynb": put(s, body, n)
                       for i, srv in enumerate(x for x in (off, on, base) if x is not None)]
                saves.append(side_by_side(*fns, runs=args.runs))
            (without_ms, with_ms, *base_clean), (leaky_without_ms, leaky_with_ms, *base_leaky) = saves
            for i in (1, 2) if base else (1,):
                with open(os.path.join(root, f"leaky-{i}.ipynb"), encoding="utf-8") as fh:
                    assert fake_token(seed=11) not in fh.read(), "the hook did not mask the token"
        finally:
            for srv in (on, off, base):
                if srv is not None:
                    srv.stop()

    rows = [
        (f"scan round trip, {args.mb:g} MB notebook (no secret)", scan_ms, "<= 300 ms", scan_ms <= 300),
        (f"scan round trip, {args.mb:g} MB notebook (one token)", leaky_scan_ms, "<= 300 ms", leaky_scan_ms <= 300),
        ("scan round trip, one changed cell", cell_ms, "<= 20 ms", cell_ms <= 20),
    ]
    for label, ms, target, ok in rows:
        print(f"{label:<52} {ms:8.1f} ms   target {target:<10} {verdict(ok) if target != '-' else ''}")
    print()
    print(f"{'save (PUT /api/contents)':<40} {'without hook':>14} {'with hook':>12} {'added':>8}   target")
    rows_save = [("no secret", without_ms, with_ms), ("one token (masked)", leaky_without_ms, leaky_with_ms)]
    if base:
        rows_save += [("no secret, baseline", without_ms, base_clean[0]),
                      ("one token, baseline", leaky_without_ms, base_leaky[0])]
    for label, a, b in rows_save:
        added = (b - a) / a * 100
        print(f"{args.mb:g} MB notebook, {label:<26} {a:11.1f} ms {b:9.1f} ms {added:7.1f} %   <= 25 %  "
              f"{verdict(added <= 25)}")
    if base:
        print(f"(baseline: the package of {os.path.abspath(args.baseline)}, measured in turn with the others)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

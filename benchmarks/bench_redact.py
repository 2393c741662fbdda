"""Print the Redactor's time and peak memory against the size of a known secret value (1 kB to 10 MB).

Usage::

    python benchmarks/bench_redact.py [--sizes 1e3,1e4,1e5,1e6,1e7] [--chunk 65536]

Per value size (a random value, as a service-account JSON in an environment variable would be):

* ``set_known``: building the Redactor (the kernel does it before every cell; unchanged values are kept);
* ``redact``: ``Redactor.redact`` of a text holding the value once, between two lines of output;
* ``stream``: the same text through a ``StreamRedactor`` in chunks of ``--chunk`` characters, then a
  token-sized chunking of a 1 MB ordinary output next to it (holdback cost with the value known);
* ``peak``: the peak of ``tracemalloc`` over the first three (the 1 MB output is timed without it), and that
  peak divided by the value size.

Linear means the time columns and the peak per byte stay flat as the size grows.

Then 400 kB of output of a few shapes through a ``StreamRedactor`` with nothing known, written in 80-character
writes and in one, with the rate and the factor to ordinary output written the same way: a long run of
characters a secret is made of (DNA, base64, a keyword repeated) is held back while it may still be a secret.
"""

from __future__ import annotations

import argparse
import base64
import random
import string
import time
import tracemalloc

from hfsecure_jupyter import detect


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1e3,1e4,1e5,1e6,1e7")
    ap.add_argument("--chunk", type=int, default=65536)
    args = ap.parse_args()
    rng = random.Random(0)
    alphabet = string.ascii_letters + string.digits + '{}":,_-'
    print(f"{'value':>10} {'set_known':>10} {'redact':>9} {'stream':>9} {'1MB out':>9} {'peak MB':>9} {'peak/size':>9}")
    for size in (int(float(s)) for s in args.sizes.split(",")):
        value = "".join(rng.choice(alphabet) for _ in range(size))
        text = "epoch 1 loss 0.25\n" + value + "\nepoch 2 loss 0.20\n"
        ordinary = ("step 12 loss 0.1234 lr 3e-5\n" * 40_000)[:1_000_000]
        tracemalloc.start()
        t0 = time.perf_counter()
        r = detect.Redactor(known=[value])
        t1 = time.perf_counter()
        out = r.redact(text)
        t2 = time.perf_counter()
        s = detect.StreamRedactor(r)
        streamed = "".join(s.feed(text[i:i + args.chunk]) for i in range(0, len(text), args.chunk)) + s.flush()
        t3 = time.perf_counter()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        # (timed without tracemalloc, which made each of these small writes ~5x slower: 1.4 s, not 0.3)
        s = detect.StreamRedactor(r)
        t3b = time.perf_counter()
        "".join(s.feed(ordinary[i:i + 40]) for i in range(0, len(ordinary), 40)) + s.flush()
        t4 = time.perf_counter()
        assert value not in out and streamed == out
        print(f"{size:>10} {t1 - t0:>9.4f}s {t2 - t1:>8.4f}s {t3 - t2:>8.4f}s {t4 - t3b:>8.3f}s "
              f"{peak / 1e6:>9.1f} {peak / size:>9.1f}")


def _stream_rate(text: str, step: int) -> float:
    s = detect.StreamRedactor()
    t0 = time.perf_counter()
    out = "".join(s.feed(text[i:i + step]) for i in range(0, len(text), step)) + s.flush()
    secs = time.perf_counter() - t0
    assert out == detect.redact(text)
    return len(text) / secs / 1e6


def dense_streams(size: int = 400_000) -> None:
    """The stream redactor's rate on output dense in secret-like characters, next to ordinary output."""
    rng = random.Random(1)
    dna = "".join(rng.choice("ACGT") for _ in range(size))
    shapes = {
        "ordinary": ("step 12 loss 0.1234 lr 3e-5\n" * (size // 28 + 1))[:size],
        "DNA, one line": dna,
        "DNA, 60 a line": "\n".join(dna[i:i + 60] for i in range(0, size, 60)),
        "base64": base64.b64encode(rng.randbytes(size * 3 // 4)).decode(),
        "AIza repeated": "AIza" * (size // 4),
    }
    print(f"\n{'stream, nothing known':<24}{'80-char writes':>16}{'x ordinary':>12}{'one write':>12}{'x ordinary':>12}")
    base = None
    for name, text in shapes.items():
        small, whole = _stream_rate(text, 80), _stream_rate(text, len(text))
        base = base or (small, whole)
        print(f"{name:<24}{small:>11.2f} MB/s{base[0] / small:>11.1f}x{whole:>7.1f} MB/s{base[1] / whole:>11.1f}x")


if __name__ == "__main__":
    main()
    dense_streams()

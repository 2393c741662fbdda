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
"""

from __future__ import annotations

import argparse
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


if __name__ == "__main__":
    main()

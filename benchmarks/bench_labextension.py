"""Print what the labextension adds to what JupyterLab loads (target: <= 100 KB), raw and gzipped.

Run after a build (``pip install -e .`` or ``jlpm build`` in ``js/``)::

    python benchmarks/bench_labextension.py
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "hfsecure_jupyter" / "labextension" / "static"


def main() -> int:
    if not STATIC.is_dir():
        print(f"not built: {STATIC} is absent (pip install -e . builds it)")
        return 1
    total = total_gz = 0
    for path in sorted(STATIC.iterdir()):
        if path.suffix not in (".js", ".css"):
            continue  # the licence list is not loaded by the page
        data = path.read_bytes()
        gz = len(gzip.compress(data, 9))
        total, total_gz = total + len(data), total_gz + gz
        print(f"{path.name:45s} {len(data) / 1024:7.1f} KB  (gzip {gz / 1024:5.1f} KB)")
    print(f"{'total loaded by JupyterLab':45s} {total / 1024:7.1f} KB  (gzip {total_gz / 1024:5.1f} KB)  target <= 100 KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The scan path (a pre-commit hook) imports only the standard library and the detection core."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

#: What ``hfsecure scan FILES`` may import from the package; anything else (Hub, kernel, Jupyter) is lazy.
ALLOWED = {"hfsecure_jupyter", "hfsecure_jupyter.cli", "hfsecure_jupyter.cli.scan", "hfsecure_jupyter.report",
           "hfsecure_jupyter.report.shape", "hfsecure_jupyter.report.text", "hfsecure_jupyter.report.json",
           "hfsecure_jupyter.report.sarif",
           "hfsecure_jupyter.cli.git", "hfsecure_jupyter.baseline", "hfsecure_jupyter.errors"}

# Only what the scan itself imports counts: an interpreter may load modules before any of ours at start-up
# (Debian's Python imports its /usr/lib/python3.X/sitecustomize.py in every venv made from it).
PROBE = """
import sys
startup = set(sys.modules)
from hfsecure_jupyter import cli
code = cli.main(["scan", *sys.argv[1:]])
new = set(sys.modules) - startup
mods = sorted(m for m in new if m.split(".")[0] not in sys.stdlib_module_names)
heavy = [m for m in ("importlib.metadata", "subprocess", "email", "zipfile", "asyncio", "sqlite3") if m in new]
print(code, " ".join(mods), "|", " ".join(heavy))
"""


def test_scan_imports_only_stdlib_and_detect(tmp_path: Path) -> None:
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.py"
        p.write_text('import os\ntoken = os.environ["HF_TOKEN"]\n')
        files.append(str(p))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, *files], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True).stdout.splitlines()[-1]
    code, _, rest = out.partition(" ")
    mods, _, heavy = rest.partition("|")
    assert code == "0"
    ours = {m for m in mods.split() if m.startswith("hfsecure_jupyter")}
    others = {m for m in mods.split() if not m.startswith("hfsecure_jupyter") and m not in ("__main__", "_distutils_hack")}
    assert ours - ALLOWED <= {m for m in ours if m.startswith("hfsecure_jupyter.detect")}
    assert others == set(), others          # no third-party module at all
    assert heavy.split() == []             # nor the heavier standard-library parts (the version is read lazily)

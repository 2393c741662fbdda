"""The detection core and ``hfsecure scan`` run on every Python that ``requires-python`` admits.

The core is standard library only, so any interpreter found on the machine can run it from the source
tree, without installing anything. A version that is not on the machine is skipped (CI's machine has
several under pyenv); the one running the suite is covered by every other test.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LAST_MINOR = 14  # the newest CPython minor version looked for

SMOKE = """
import sys
from hfsecure_jupyter import detect
from hfsecure_jupyter.cli import main
from hfsecure_jupyter.testing import fake_token
tok = fake_token(seed=5)
assert detect.redact("echo " + tok) == "echo " + detect.mask_secret(tok), "redact"
assert [f.rule for f in detect.scan_python(f'login(token="{tok[:9]}" "{tok[9:]}")')] == ["hf-user-token"]
with open(sys.argv[1], "w") as fh:
    fh.write(f"token = '{tok}'\\n")
import contextlib, io
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(["scan", "--no-misuse", sys.argv[1]])
assert tok not in out.getvalue(), "the report shows the token"
print(out.getvalue())
sys.exit(code)
"""


def _floor() -> tuple[int, int]:
    text = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    m = re.search(r'requires-python\s*=\s*">=\s*3\.(\d+)"', text)
    assert m, "pyproject.toml names no requires-python floor"
    return 3, int(m.group(1))


def _interpreter(minor: int) -> str | None:
    """A ``python3.<minor>`` that starts, on PATH or under pyenv."""
    candidates = [shutil.which(f"python3.{minor}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python3.{minor}")))
    for exe in filter(None, candidates):
        ok = subprocess.run([exe, "-c", f"import sys; assert sys.version_info[:2] == (3, {minor})"],
                            capture_output=True, env={**os.environ, "PYENV_VERSION": f"3.{minor}"})
        if ok.returncode == 0:
            return exe
    return None


VERSIONS = [m for m in range(_floor()[1], LAST_MINOR + 1) if (3, m) != sys.version_info[:2]]


@pytest.mark.slow
@pytest.mark.parametrize("minor", VERSIONS, ids=[f"3.{m}" for m in VERSIONS])
def test_the_core_and_the_scan_run_on_every_supported_python(minor: int, tmp_path: Path) -> None:
    exe = _interpreter(minor)
    if exe is None:
        pytest.skip(f"no Python 3.{minor} on this machine")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYENV_VERSION": f"3.{minor}"}
    out = subprocess.run([exe, "-B", "-c", SMOKE, str(tmp_path / "leak.py")], env=env,
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    # 1: the scan found the token (and said so without showing it).
    assert out.returncode == 1, f"Python 3.{minor}: exit {out.returncode}\n{out.stdout[-2000:]}{out.stderr[-3000:]}"
    assert "hf_****" in out.stdout and "Traceback" not in out.stderr

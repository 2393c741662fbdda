"""The test suite collects in any pytest run: each folder of tests is a package, so its conftest.py and
helpers import under their own dotted names (tests.cli.conftest, tests.server.conftest) and never clash
with another folder's, whichever folders one run names, with or without xdist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
# A helper imported by its bare name works only with its folder on sys.path, which a package folder is not.
BARE_HELPER_IMPORT = re.compile(r"^\s*(?:from|import)\s+(\w+_helpers|lab_server)\b", re.M)


def _folders_with(name: str) -> set[Path]:
    return {p.parent for p in TESTS.rglob(name) if "__pycache__" not in p.parts}


def test_every_folder_with_a_conftest_or_helper_is_a_package() -> None:
    folders = _folders_with("conftest.py") | _folders_with("*_helpers.py") | _folders_with("test_*.py")
    missing = sorted(str(d.relative_to(REPO_ROOT)) for d in folders | {TESTS} if not (d / "__init__.py").is_file())
    assert folders and not missing, f"no __init__.py in {missing}"


def test_helpers_are_imported_as_package_modules() -> None:
    bare = [f"{p.relative_to(REPO_ROOT)}: {m.group(0).strip()}"
            for p in sorted(TESTS.rglob("*.py"))
            for m in BARE_HELPER_IMPORT.finditer(p.read_text(encoding="utf-8"))]
    assert not bare, "import helpers as tests.<folder>.<module>: " + "; ".join(bare)


@pytest.mark.slow
@pytest.mark.parametrize("xdist", [[], ["-p", "xdist", "-n", "2"]], ids=["serial", "xdist"])
def test_every_conftest_collects_in_one_run(xdist: list[str]) -> None:
    # All conftest.py files in one run: each is imported at start-up and again as a doctest module, which
    # failed with "import file mismatch" while two of them were a top-level module named "conftest".
    conftests = sorted(str(p.relative_to(REPO_ROOT)) for p in TESTS.rglob("conftest.py"))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          *xdist, *conftests], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    # 5: nothing collected (these files hold no test), the success of a collection with no error.
    assert out.returncode in (0, 5) and "rror" not in out.stdout, out.stdout[-3000:] + out.stderr[-3000:]
    assert len(conftests) >= 5

"""mypy over the whole package: closed sets and signatures are checked in every test run (and in CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_finds_no_error_in_the_package() -> None:
    pytest.importorskip("mypy")
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null",
                          "hfsecure_jupyter"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_closed_sets_have_one_definition() -> None:
    from typing import get_args

    from hfsecure_jupyter.constants import TERMINAL_JOB_STAGES, JobStage
    from hfsecure_jupyter.detect.findings import FindingKind, Severity
    from hfsecure_jupyter.hub.auth import STATES, LoginState
    from hfsecure_jupyter.jobs import TERMINAL_STAGES
    from hfsecure_jupyter.kernel.display import TERMINAL_STAGES as SHOWN_TERMINAL

    assert set(get_args(FindingKind)) == {"secret", "misuse"}
    assert set(get_args(Severity)) == {"error", "warning"}
    assert STATES == get_args(LoginState)
    assert TERMINAL_STAGES is TERMINAL_JOB_STAGES and SHOWN_TERMINAL is TERMINAL_JOB_STAGES
    assert TERMINAL_JOB_STAGES < {s.value for s in JobStage}


def test_the_package_ships_py_typed() -> None:
    assert (REPO_ROOT / "hfsecure_jupyter" / "py.typed").is_file()

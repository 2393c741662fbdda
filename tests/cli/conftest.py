"""Fixtures for the CLI tests (helpers live in cli_helpers.py)."""

from __future__ import annotations

import sys
from typing import Any, Callable

import pytest

from hfsecure_jupyter.cli import scan as scan_cli
from tests.cli import git_helpers
from tests.cli.cli_helpers import Result, sarif_problems

# test_pre_commit.py still imports git_helpers by its bare name (tests/cli is no longer on sys.path):
# the same module under that name, until that file says tests.cli.git_helpers.
sys.modules.setdefault("git_helpers", git_helpers)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``hfsecure scan ARGS`` in-process; return exit code, stdout and stderr."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = scan_cli.main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def check_sarif() -> Callable[[Any], list[str]]:
    """The SARIF structure check, as a fixture."""
    return sarif_problems

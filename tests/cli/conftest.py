"""Fixtures for the CLI tests (helpers live in cli_helpers.py)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from hfsecure_jupyter.cli import scan as scan_cli
from tests.cli.cli_helpers import Result, sarif_problems


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

"""``hfsecure`` itself (:mod:`hfsecure_jupyter.cli`): dispatch, and how its process ends.

A scan's process ends at once when the scan returns (``quick_exit``): what it printed must still arrive
whole, and what cannot be written must still be an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hfsecure_jupyter import cli
from hfsecure_jupyter.testing import fake_token

# (Output is block-buffered, as in a pipe or a file: the test environment may set PYTHONUNBUFFERED.)
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _program(tmp_path: Path, *argv: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess:
    """The ``hfsecure`` program run with ``argv``, an exit handler registered before it starts."""
    code = ("import atexit, sys; atexit.register(lambda: sys.stderr.write('clean-up ran\\n')); "
            f"sys.argv = ['hfsecure', *{list(argv)!r}]; from hfsecure_jupyter.cli import run; run()")
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, stdout=stdout, stderr=subprocess.PIPE,
                          env=_ENV, timeout=120, text=True)


def test_a_scan_ends_without_the_interpreter_clean_up(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    p = _program(tmp_path, "scan", "a.py")
    assert (p.returncode, p.stdout.strip(), p.stderr) == (0, "No secrets found in 1 file.", "")
    other = _program(tmp_path, "--version")  # (any other command: the usual exit)
    assert other.returncode == 0 and other.stdout.startswith("hfsecure ") and "clean-up ran" in other.stderr


def test_what_a_scan_printed_unflushed_still_arrives(tmp_path: Path) -> None:
    # argparse prints --help without a flush: the exit flushes it.
    p = _program(tmp_path, "scan", "--help")
    assert p.returncode == 0 and p.stdout.startswith("usage: hfsecure scan") and "--baseline" in p.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    with open("/dev/full", "w") as full:
        for argv in (["scan", "a.py"], ["scan", "--help"]):
            p = _program(tmp_path, *argv, stdout=full)
            assert p.returncode == 2, (argv, p.stderr)
            assert "No space left on device" in p.stderr and "Traceback" not in p.stderr, argv


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path) -> None:
    for i in range(300):  # (a report of ~300 findings: more than a pipe holds)
        (tmp_path / f"f{i}.py").write_text(f'login(token="{fake_token(seed=i)}")\n')
    code = ("import sys; sys.argv = ['hfsecure', 'scan', '--format', 'json', '.']; "
            "from hfsecure_jupyter.cli import run; run()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=_ENV)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # (as ``| head -c 1`` does)
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0 and b"Traceback" not in err and b"Exception ignored" not in err, err


def test_call_turns_an_interrupt_into_130(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    assert cli.call(interrupted, [], "hfsecure-scan") == 130
    assert capsys.readouterr().err == "hfsecure-scan: interrupted\n"


def test_the_commands_that_end_at_once_exist() -> None:
    assert cli.QUICK_EXIT <= set(cli.COMMANDS)

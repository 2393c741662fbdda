"""Every installed kernelspec is checked: a kernel whose Python cannot import the package is named, with
the command that fixes it, by ``hfsecure status`` and ``hfsecure install-guard`` (fake kernelspecs in a
temporary JUPYTER_PATH; the bare Python is this interpreter run with -I -S, which sees no site-packages)."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from hfsecure_jupyter import cli
from hfsecure_jupyter.kernel import install
from hfsecure_jupyter.kernel.kernelspecs import KernelCheck, check_kernelspecs, probe_python, summary_lines


CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(install.__file__))))  # this tree


def _kernelspec(root, name: str, argv: list[str], language: str = "python", env: dict | None = None) -> None:
    d = root / "kernels" / name
    d.mkdir(parents=True)
    spec = {"argv": argv, "display_name": f"Kernel {name}", "language": language}
    if env:
        spec["env"] = env
    (d / "kernel.json").write_text(json.dumps(spec))


def _bare_python(tmp_path):
    """A Python without the package: this interpreter with no site-packages and no PYTHONPATH."""
    script = tmp_path / "bare-python"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} -I -S \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def jupyter(tmp_path, monkeypatch):
    """A temp IPYTHONDIR and JUPYTER_PATH / JUPYTER_DATA_DIR holding three kernelspecs: one whose Python
    has the package, one whose Python lacks it, and an R kernel."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    data = tmp_path / "jupyter-data"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(data))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    monkeypatch.setenv("PYTHONPATH", CHECKOUT)  # this checkout
    launcher = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    _kernelspec(data, "good", [sys.executable, *launcher])
    _kernelspec(data, "bare", [_bare_python(tmp_path), *launcher])
    _kernelspec(data, "ir", ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"], language="R")
    return tmp_path


def _by_name(checks):
    return {c.name: c for c in checks}


def test_probe_tells_a_python_with_the_package_from_one_without(tmp_path):
    env = {**os.environ, "PYTHONPATH": CHECKOUT}
    outcome, prefix, _ = probe_python(sys.executable, env)
    assert outcome == "ok" and prefix == sys.prefix
    outcome, prefix, detail = probe_python(_bare_python(tmp_path), env)
    assert outcome == "missing" and prefix and "hfsecure_jupyter" in detail
    assert probe_python(str(tmp_path / "no-such-python"))[0] == "error"


def test_every_kernelspec_is_checked(jupyter):
    checks = _by_name(check_kernelspecs(configured=lambda prefix: True))
    assert {"good", "bare", "ir"} <= set(checks)
    assert checks["good"].state == "protected"
    bare = checks["bare"]
    assert bare.state == "unprotected" and bare.fix.endswith("-m pip install hfsecure-jupyter")
    assert bare.fix.startswith(str(jupyter / "bare-python"))
    assert checks["ir"].state == "not-ipython"


def test_a_kernel_that_reads_no_guard_config_is_not_protected(jupyter):
    checks = _by_name(check_kernelspecs(configured=lambda prefix: False))
    assert checks["good"].state == "not-configured" and checks["good"].fix == "hfsecure install-guard --user"


def test_the_kernelspec_env_is_used(jupyter, monkeypatch):
    """The probe runs with the kernel's own environment (kernel.json "env"), as the kernel would."""
    no_site = jupyter / "no-site-python"  # sees PYTHONPATH, not site-packages
    no_site.write_text(f"#!/bin/sh\nexec {sys.executable} -S \"$@\"\n")
    no_site.chmod(no_site.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PYTHONPATH", str(jupyter))  # the package is not on the outer path
    data = jupyter / "jupyter-data"
    _kernelspec(data, "plain", [str(no_site), "-m", "ipykernel_launcher"])
    _kernelspec(data, "with-path", [str(no_site), "-m", "ipykernel_launcher"], env={"PYTHONPATH": CHECKOUT})
    checks = _by_name(check_kernelspecs(configured=lambda prefix: True))
    assert checks["plain"].state == "unprotected"
    assert checks["with-path"].state == "protected"


def test_a_hung_python_is_unknown_not_a_hang(tmp_path, jupyter):
    hung = tmp_path / "hung-python"
    hung.write_text("#!/bin/sh\nsleep 30\n")
    hung.chmod(hung.stat().st_mode | stat.S_IEXEC)
    _kernelspec(jupyter / "jupyter-data", "hung", [str(hung), "-m", "ipykernel_launcher"])
    checks = _by_name(check_kernelspecs(configured=lambda prefix: True, timeout=0.5))
    assert checks["hung"].state == "unknown" and "did not answer" in checks["hung"].detail


def test_status_names_the_unprotected_kernel_with_its_fix(jupyter, capsys):
    assert cli.main(["install-guard", "--user"]) == 0
    captured = capsys.readouterr()
    assert "'bare'" in captured.err and "NOT PROTECTED" in captured.err
    assert f"{jupyter / 'bare-python'} -m pip install hfsecure-jupyter" in captured.err
    assert "'good'" not in captured.err
    assert cli.main(["status", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "guard: installed [user]" in out
    assert "guard: NOT active in 1 kernel: 'bare'" in out
    assert "kernel 'good' (Kernel good): protected" in out
    assert "kernel 'bare' (Kernel bare): NOT PROTECTED" in out
    assert f"fix: {jupyter / 'bare-python'} -m pip install hfsecure-jupyter" in out


def test_status_without_the_guard_says_the_kernels_are_not_configured(jupyter, capsys):
    assert cli.main(["status", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "guard: not installed" in out
    assert "kernel 'good' (Kernel good): NOT PROTECTED" in out and "hfsecure install-guard --user" in out


def test_no_kernels_flag_skips_the_check(jupyter, capsys):
    assert cli.main(["status", "--offline", "--no-kernels"]) == 0
    assert "kernel" not in capsys.readouterr().out


def test_summary_lines():
    checks = [KernelCheck("a", "A", "/p", "protected"), KernelCheck("b", "B", "/q", "unprotected", "x", "fix-b"),
              KernelCheck("r", "R", None, "not-ipython")]
    lines = summary_lines(checks)
    assert lines[0] == "kernels: 2 IPython kernels, 1 NOT PROTECTED: 'b'"
    assert lines[2] == "  kernel 'b' (B): NOT PROTECTED: x; fix: fix-b"

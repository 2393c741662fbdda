"""The magics show the widgets where widgets render (a kernel), with their text as text/plain; consoles and
test shells keep the text (tests/kernel/test_magics.py). Through a recording comm, with a canary."""

from __future__ import annotations

import json

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from hfsecure_jupyter.kernel.magics import HFSecureMagics


@pytest.fixture(scope="module")
def shell():
    # IPython.display.display() publishes through the singleton shell: use it.
    if not InteractiveShell.initialized():
        c = Config()
        c.HistoryManager.hist_file = ":memory:"
        InteractiveShell.instance(config=c)
    ip = InteractiveShell.instance()
    ip.register_magics(HFSecureMagics)
    return ip


@pytest.fixture
def widget_shell(shell, monkeypatch):
    monkeypatch.setattr(HFSecureMagics, "_widgets", lambda self: True)
    return shell


def run(ip, code):
    with capture_output() as cap:
        result = ip.run_cell(code)
    assert result.error_in_exec is None and result.error_before_exec is None, (result.error_in_exec, cap.stdout)
    return cap


def _bundle(cap):
    assert cap.outputs, cap.stdout
    return cap.outputs[-1].data


def test_status_shows_login_status_with_its_text(widget_shell, wire, hub, logged_in):
    cap = run(widget_shell, "%hfsecure status")
    data = _bundle(cap)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "token source: env:HF_TOKEN" in data["text/plain"] and "guard:" in data["text/plain"]
    wire.assert_clean(logged_in.token)
    assert logged_in.token not in json.dumps(data) + cap.stdout


def test_scan_shows_findings(widget_shell, wire, tmp_path, tok):
    (tmp_path / "a.py").write_text(f"t = '{tok}'\n")
    data = _bundle(run(widget_shell, f"%hfsecure scan {tmp_path}"))
    assert "1 finding in 1 file" in data["text/plain"]
    wire.assert_clean(tok)
    assert tok not in json.dumps(data)


def test_jobs_shows_the_job_list(widget_shell, wire, hub, logged_in):
    data = _bundle(run(widget_shell, "%hfsecure jobs 5"))
    assert "application/vnd.jupyter.widget-view+json" in data
    wire.assert_clean(logged_in.token)


def test_jobs_as_text_in_a_console(shell, hub, logged_in):
    from hfsecure_jupyter.jobs import JobSpec, submit

    h = submit(JobSpec.uv("print(1)"))
    cap = run(shell, "%hfsecure jobs")
    assert h.id in cap.stdout and h.url in cap.stdout and logged_in.token not in cap.stdout


def test_jobs_with_the_hub_down_says_why(shell, hub, logged_in):
    hub.faults.status = 503
    cap = run(shell, "%hfsecure jobs")
    assert cap.stdout.startswith("jobs: ") and "503" in cap.stdout or "unavailable" in cap.stdout.lower()


def test_hfjob_shows_a_monitor_and_returns_at_once(widget_shell, wire, hub, logged_in):
    cap = run(widget_shell, "%%hfjob\nprint('hi')\n")
    data = _bundle(cap)
    assert "application/vnd.jupyter.widget-view+json" in data and "job " in data["text/plain"]
    wire.assert_clean(logged_in.token)
    assert logged_in.token not in json.dumps(data) + cap.stdout

"""``hfsecure demo --no-browser``, run as a user would: its URL opens JupyterLab on the quickstart with the
sidebar showing the demo user, the quickstart runs top to bottom through the page (screenshots for the
README: demo-quickstart.png, demo-guard.png, demo-jobs.png, demo-saved.png), and one SIGINT ends every
process it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hfsecure_jupyter.cli.demo import descendants
from tests.ui.ui_helpers import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, free_port

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _in_groups(pgids: set[int]) -> list[int]:
    """Living processes whose process group is one of ``pgids`` (a /proc scan)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != b"Z" and int(fields[2]) in pgids:
                out.append(int(entry))
    return out


CUR = "window.jupyterapp.shell.currentWidget"


def _idle(page) -> None:
    page.wait_for_function(f"{CUR}.sessionContext.session.kernel.status === 'idle'", timeout=120_000)


def _outputs(page, index: int) -> str:
    return page.evaluate(f"JSON.stringify({CUR}.content.model.cells.get({index}).toJSON().outputs)")


def _run_the_quickstart(page, artifacts: Path) -> None:
    """Run every cell through the page, as a user would (the paste cell adds a cell), and check what shows."""
    seen: dict[str, str] = {}
    i = 0
    while i < page.evaluate(f"{CUR}.content.model.cells.length"):
        cid = page.evaluate(f"{CUR}.content.model.cells.get({i}).id")
        page.evaluate(f"{CUR}.content.activeCellIndex = {i}")
        if cid == "scan":  # step 7: save first (Ctrl-S), then scan the file on disk
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            page.wait_for_selector(".jp-Notification-Toast, .Toastify__toast", timeout=30_000)
            page.screenshot(path=str(artifacts / "demo-saved.png"))
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
        page.wait_for_timeout(300)
        _idle(page)
        if cid == "paste":  # the page made a token and put it in a new cell below
            page.wait_for_function(f"{CUR}.content.model.cells.get({i + 1}).sharedModel.getSource()"
                                   ".startsWith('HF_TOKEN = \"hf_')", timeout=30_000)
        seen[cid] = _outputs(page, i)
        if cid not in ("paste",) and page.evaluate(f"{CUR}.content.model.cells.get({i}).sharedModel.getSource()"
                                                   ".startsWith('HF_TOKEN = ')"):
            seen["pasted"] = seen.pop(cid)
            page.wait_for_function("/Replace with code that reads the token/"
                                   ".test(document.querySelector('#hfsecure-panel').innerText)", timeout=60_000)
            page.evaluate(f"{CUR}.content.activeCell.node.scrollIntoView({{block: 'center'}})")
            page.screenshot(path=str(artifacts / "demo-guard.png"))
        if cid == "forbidden":
            page.evaluate(f"{CUR}.content.activeCell.node.scrollIntoView({{block: 'end'}})")
            page.screenshot(path=str(artifacts / "demo-jobs.png"))
        i += 1
    assert "hfsecure blocked this cell" in seen["pasted"]
    assert "blocked: True | HF_TOKEN defined: False" in seen["blocked"]
    assert "the token is hf_****" in seen["redaction"]
    assert "hello from demo" in seen["logs"] and "stage: COMPLETED" in seen["logs"]
    assert "Permission denied (403 Forbidden)" in seen["forbidden"]
    assert "created with the write token" in seen["switch-back"]
    assert "No secrets found in 1 file." in seen["scan"]


def test_demo_opens_the_quickstart_and_one_sigint_stops_everything(ui_ready, tmp_path: Path, artifacts: Path) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("HF_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "hfsecure_jupyter", "demo", "--no-browser", "--port", str(port),
                             "--dir", str(tmp_path / "work")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    lines: list[str] = []
    got_url = threading.Event()

    def _read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "?token=" in line:
                got_url.set()

    reader = threading.Thread(target=_read, daemon=True)
    reader.start()
    started: set[int] = set()
    try:
        assert got_url.wait(240), "".join(lines)
        url = next(m.group(0) for line in lines if (m := re.search(r"http://127\.0\.0\.1:\d+/\S+", line)))
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token=")
        assert (tmp_path / "work" / "quickstart.ipynb").exists()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                page.goto(url)
                page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
                page.wait_for_selector("#hfsecure-panel", state="attached", timeout=60_000)
                # The quickstart is the open document, and its kernel starts.
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
                assert page.locator(".lm-TabBar-tab.jp-mod-current", has_text="quickstart.ipynb").count() >= 1
                # The panel shows who is logged in (the server asks the emulator in the background).
                page.evaluate("window.jupyterapp.commands.execute('hfsecure:open-panel')")
                page.wait_for_selector("#hfsecure-panel", state="visible")
                user = page.wait_for_selector('#hfsecure-panel [data-hfs="user"]', timeout=60_000)
                page.wait_for_function("document.querySelector('#hfsecure-panel [data-hfs=\"user\"]')"
                                       ".textContent === 'demo'", timeout=60_000)
                assert user.text_content() == "demo"
                assert "demo-write" in page.text_content("#hfsecure-panel")
                # The quickstart's kernel is up: it is among what SIGINT must stop.
                page.wait_for_function("(() => { const w = window.jupyterapp.shell.currentWidget;"
                                       " return w && w.sessionContext && w.sessionContext.session &&"
                                       " w.sessionContext.session.kernel &&"
                                       " w.sessionContext.session.kernel.status === 'idle'; })()",
                                       timeout=120_000)
                page.screenshot(path=str(artifacts / "demo-quickstart.png"))
                _run_the_quickstart(page, artifacts)
            finally:
                browser.close()
        started = {proc.pid, *descendants(proc.pid)}
        assert len(started) >= 2, "JupyterLab is not a child of the demo"
        pgids = set()
        for pid in started:
            try:
                pgids.add(os.getpgid(pid))
            except OSError:
                pass
        proc.send_signal(signal.SIGINT)  # one Ctrl-C
        assert proc.wait(timeout=60) == 0, "".join(lines)
        reader.join(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (any(_alive(p) for p in started) or _in_groups(pgids)):
            time.sleep(0.2)
        assert [p for p in started if _alive(p)] == [], "".join(lines)
        assert _in_groups(pgids) == []
        out = "".join(lines)
        assert "stopped" in out and "still stopping" not in out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid in started:
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def test_demo_refuses_a_taken_port_with_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
        r = subprocess.run([sys.executable, "-m", "hfsecure_jupyter", "demo", "--no-browser", "--port", str(port),
                            "--dir", str(tmp_path / "w")], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"hfsecure demo: error: port {port} on 127.0.0.1 is in use (another Jupyter?); "
                                "choose a free one with --port N")
    assert not (tmp_path / "w").exists()  # refused before anything was written

"""``hfsecure demo``'s parts without a browser: refusals, the demo account, the process-tree stop, and a fake
browser (``$BROWSER``) the demo opens and closes on Ctrl-C."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfsecure_jupyter.cli import demo

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_without_jupyterlab_it_says_what_to_install(monkeypatch, capsys, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    assert demo.main(["--no-browser", "--port", str(demo_free_port()), "--dir", str(tmp_path / "w")]) == 2
    err = capsys.readouterr().err
    assert "JupyterLab is not installed" in err and "hfsecure-jupyter[demo]" in err
    assert not (tmp_path / "w").exists()


def demo_free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_demo_home_is_logged_in_with_three_stored_tokens(tmp_path: Path) -> None:
    import configparser

    accounts, account = demo.demo_account()
    demo.prepare_home(tmp_path, account)
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "stored_tokens")
    assert {s: ini[s]["hf_token"] for s in ini.sections()} == account.tokens
    assert (tmp_path / "token").read_text() == account.tokens["demo-write"]
    roles = {t["displayName"]: t["role"] for t in accounts["users"][0]["tokens"]}
    assert roles == {"demo-write": "write", "demo-read": "read", "demo-jobs": "fineGrained"}


def test_the_environment_drops_the_users_own_token(tmp_path: Path) -> None:
    env = demo.lab_environment(tmp_path, "http://127.0.0.1:9", {"HF_TOKEN": "x", "HUGGING_FACE_HUB_TOKEN": "y",
                                                                "PATH": "/bin"})
    assert "HF_TOKEN" not in env and "HUGGING_FACE_HUB_TOKEN" not in env and env["PATH"] == "/bin"
    assert Path(env["HF_HOME"]).is_dir() and env["HF_HOME"].startswith(str(tmp_path))


def test_copy_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "quickstart.ipynb").write_text("mine")
    copy = demo.copy_quickstart(tmp_path)
    assert copy.name == "quickstart-2.ipynb" and (tmp_path / "quickstart.ipynb").read_text() == "mine"


def test_stop_process_tree_ends_a_child_in_a_session_of_its_own() -> None:
    # A parent in its own group with a child that starts a new session (as kernels do): both end.
    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
            " start_new_session=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    for _ in range(100):
        kids = demo.descendants(proc.pid)
        if kids:
            break
        time.sleep(0.05)
    assert kids
    tree = demo.stop_process_tree(proc, grace=0.5)
    assert set(kids) <= set(tree)
    time.sleep(0.2)
    for pid in tree:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as fh:
                assert fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, FileNotFoundError):
            pass
    assert proc.poll() is not None and proc.returncode in (-signal.SIGTERM, -signal.SIGKILL)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_browser_commands_follow_the_browser_variable(monkeypatch) -> None:
    url = "http://127.0.0.1:1/lab"
    monkeypatch.setenv("BROWSER", os.pathsep.join(["firefox --new-window %s", "lynx &", "'unbalanced", ""]))
    assert demo._browser_commands(url) == [["firefox", "--new-window", url], ["lynx", url]]
    monkeypatch.setenv("BROWSER", "/nowhere/browser")
    assert demo.open_browser(url) is None  # not installed: nothing started, no traceback


@pytest.mark.slow
def test_ctrl_c_closes_the_browser_the_demo_opened(tmp_path: Path) -> None:
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("the demo needs JupyterLab")
    pid_file = tmp_path / "browser.pid"
    fake = tmp_path / "browser"  # records its pid, then waits like a browser window left open
    fake.write_text(f"#!/bin/sh\necho $$ > '{pid_file}'\nexec sleep 300 </dev/null >/dev/null 2>&1\n")
    fake.chmod(0o755)
    env = {**os.environ, "BROWSER": str(fake), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "hfsecure_jupyter.cli", "demo", "--port", str(demo_free_port()),
                             "--dir", str(tmp_path / "d")], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    browser, outlived = 0, False
    try:
        deadline = time.monotonic() + 180  # a hang guard, not a speed target
        while not (pid_file.exists() and pid_file.read_text().strip()):
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "the demo never opened its browser"
            time.sleep(0.1)
        browser = int(pid_file.read_text())
        assert _running(browser)
        proc.send_signal(signal.SIGINT)  # one Ctrl-C
        out = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        outlived = bool(browser) and _running(browser)
        if outlived:
            os.kill(browser, signal.SIGKILL)  # cleaning up; the assert below reports it
    assert not outlived, "the browser the demo opened outlived it"
    assert proc.returncode == 0 and "closing the browser it opened" in out, out

"""The panel's silent guard probe, in-process and through a real kernel (what the browser sends)."""

from __future__ import annotations

import json
import os
import queue
import re
import time
from pathlib import Path

import pytest

from hfsecure_jupyter.kernel import extension, probe

# The exact code the sidebar runs (js/src/guard.ts): one expression, so nothing is bound.
JS_GUARD = Path(__file__).resolve().parents[2] / "js" / "src" / "guard.ts"


def panel_probe_code() -> str:
    text = JS_GUARD.read_text()
    code = re.search(r'PROBE_CODE =\s*"([^"]+)"', text).group(1)
    marker = re.search(r"PROBE_MARKER = '([^']+)'", text).group(1)
    assert marker == probe.MARKER  # the two sides agree on the marker
    return code


def test_probe_reports_load_state_and_mode(ip):  # ``ip`` has the extension loaded
    ip.run_line_magic("hfsecure", "guard warn")
    got = probe.probe(ip)
    assert got["loaded"] and got["guard"] == "warn" and got["redaction"] and got["installed"]
    extension.unload(ip)
    assert probe.probe(ip) == probe.probe(None)
    assert probe.probe(ip)["loaded"] is False and probe.probe(ip)["guard"] is None


def test_emit_prints_one_json_line(ip, capsys, monkeypatch):
    monkeypatch.setattr(probe, "_current_shell", lambda: ip)
    probe.emit()
    line = capsys.readouterr().out
    assert line.startswith(probe.MARKER) and line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line[len(probe.MARKER):])["loaded"] is True


def _silent(kc, code: str, timeout: float = 30) -> tuple[list[dict], dict]:
    msg_id = kc.execute(code, silent=True, store_history=False)
    msgs, deadline = [], time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return msgs, reply


@pytest.mark.slow
def test_silent_probe_in_a_real_kernel_leaves_no_trace(tmp_path):
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, IPYTHONDIR=str(tmp_path), JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("PYTEST_CURRENT_TEST", None)
    km, kc = start_new_kernel(kernel_name="python3", env=env, startup_timeout=60)
    try:
        code = panel_probe_code()

        def ask() -> dict:
            msgs, reply = _silent(kc, code)
            assert reply["content"]["status"] == "ok"
            assert not [m for m in msgs if m["msg_type"] in ("execute_input", "execute_result")]
            out = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
            return json.loads(out.strip()[len(probe.MARKER):])

        assert ask()["loaded"] is False
        _, reply = _silent(kc, "%load_ext hfsecure_jupyter")
        assert reply["content"]["status"] == "ok"
        assert ask()["loaded"] is True
        # Silent: no execution count used, nothing in the history, nothing new in the namespace.
        msgs, reply = _silent(kc, "print(len(In), sorted(k for k in globals() if not k.startswith('_'))[:50])")
        out = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
        assert out.startswith("1 ") and "probe" not in out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

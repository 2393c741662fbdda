"""A JupyterLab for browser tests: own process group on 127.0.0.1, fixed token, isolated Jupyter, IPython
and HF_HOME folders, widget state saved with the notebook, ``HF_ENDPOINT`` on the test emulator.

What the browser receives is recorded (:class:`Received`) so a test can search it for the user's token.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hfsecure_jupyter

CHROMIUM = "/usr/bin/chromium"
#: Without these, Chromium keeps calling home, which floods a closed network.
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--no-sandbox", "--disable-dev-shm-usage"]
PROJECT_ROOT = Path(hfsecure_jupyter.__file__).parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: ``url``, ``token``, ``root`` (its files), ``hf_home``, ``log_path``."""

    url: str
    token: str
    root: Path
    hf_home: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    def api(self, path: str) -> Any:
        req = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server and every process it started (kernels included): its whole process group."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=5)


def start_lab(base: Path, env_extra: dict[str, str] | None = None, app: str = "jupyterlab") -> Lab:
    """Start JupyterLab (or ``app="notebook"``: Notebook 7) under ``base`` and wait until it answers."""
    dirs = {n: base / n for n in ("root", "config", "data", "runtime", "settings", "workspaces", "ipython",
                                  "hf_home")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    widgets = dirs["settings"] / "@jupyter-widgets" / "jupyterlab-manager"
    widgets.mkdir(parents=True, exist_ok=True)
    (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    news = dirs["settings"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                       "checkForUpdates": False}))
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH",
                 "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    env.update({
        "JUPYTER_CONFIG_DIR": str(dirs["config"]), "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]), "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "IPYTHONDIR": str(dirs["ipython"]), "HF_HOME": str(dirs["hf_home"]), "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p),
    })
    env.update(env_extra or {})
    log_path = base / "jupyterlab.log"
    app_class = "LabApp" if app == "jupyterlab" else "JupyterNotebookApp"
    cmd = [sys.executable, "-m", app, "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--{app_class}.expose_app_in_browser=True", f"--ServerApp.root_dir={dirs['root']}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=str(dirs["root"]), start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, dirs["root"], dirs["hf_home"], proc, log_path)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({proc.returncode}):\n{lab.log()[-3000:]}")
        try:
            lab.api("/api/status")
            return lab
        except OSError:
            if time.monotonic() > deadline:
                lab.stop()
                raise RuntimeError(f"JupyterLab did not answer in 120 s:\n{lab.log()[-3000:]}") from None
            time.sleep(0.3)


@dataclass
class Received:
    """Everything the browser received: websocket frames and HTTP responses (bodies read at check time)."""

    frames: list[bytes] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        def on_ws(ws: Any) -> None:
            ws.on("framereceived", lambda payload: self.frames.append(
                payload if isinstance(payload, bytes) else str(payload).encode()))

        page.on("websocket", on_ws)
        page.on("response", lambda response: self.responses.append(response))

    def leaks(self, secret: str) -> list[str]:
        """Where ``secret`` was received (frame numbers, response URLs)."""
        needle = secret.encode()
        out = [f"frame {i}" for i, f in enumerate(self.frames) if needle in f]
        for r in list(self.responses):
            try:
                body = r.body()
            except Exception:  # noqa: BLE001 - a redirect or an evicted body has none to read
                continue
            if needle in body:
                out.append(r.url)
        return out

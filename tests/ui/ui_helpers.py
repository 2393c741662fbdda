"""Helpers for the browser tests: a JupyterLab started for the tests, and what the browser received.

JupyterLab runs in its own process group on 127.0.0.1 with a fixed token, isolated Jupyter, IPython and
HF_HOME folders, the project's labextension (linked from the package folder) and server extension,
``HF_ENDPOINT`` on the test emulator and ``HF_TOKEN`` set to the user's own token: the canary that nothing
the browser receives may hold.
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
LABEXTENSION = Path(hfsecure_jupyter.__file__).parent / "labextension"
PROJECT_ROOT = Path(hfsecure_jupyter.__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    """A running JupyterLab: ``url`` (with base path), ``token``, ``root`` (its files), ``hf_home``, ``log``."""

    url: str
    token: str
    root: Path
    hf_home: Path
    proc: subprocess.Popen[bytes]
    log_path: Path

    def api(self, path: str, method: str = "GET", body: Any = None) -> Any:
        """Call the server's REST API (token-authenticated) and return its JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Stop the server and everything it started (kernels included): the whole process group."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)


def start_lab(base: Path, env_extra: dict[str, str] | None = None, app: str = "jupyterlab", *,
              hfsecure: bool = True, widget_state: bool = False, drop_env: tuple[str, ...] = ()) -> Lab:
    """Start JupyterLab (or ``app="notebook"``: Notebook 7) under ``base`` (root, config, data, runtime and
    settings folders) and wait until it answers.

    ``hfsecure``: with the project's labextension and server extension; ``widget_state``: ipywidgets saves
    widget state with the notebook; ``drop_env``: variables of this process the server does not inherit."""
    dirs = {name: base / name for name in ("root", "config", "data", "runtime", "settings", "workspaces",
                                           "ipython", "hf_home")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    if hfsecure:
        # The labextension as JupyterLab finds a prebuilt one: <data>/labextensions/<name> (a link to the build).
        (dirs["data"] / "labextensions").mkdir(exist_ok=True)
        link = dirs["data"] / "labextensions" / "hfsecure-jupyter"
        if not link.exists():
            link.symlink_to(LABEXTENSION, target_is_directory=True)
        (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {"hfsecure_jupyter": True}}}))
    if widget_state:
        widgets = dirs["settings"] / "@jupyter-widgets" / "jupyterlab-manager"
        widgets.mkdir(parents=True, exist_ok=True)
        (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    # No announcements / update checks from the browser (closed network).
    news = dirs["settings"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps(
        {"fetchNews": "false", "checkForUpdates": False}))
    token = secrets.token_hex(16)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in drop_env}
    env.update({
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_PATH": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "IPYTHONDIR": str(dirs["ipython"]),
        "HF_HOME": str(dirs["hf_home"]),
        "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "JUPYTER_PLATFORM_DIRS": "1",
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
    lab = Lab(url=f"http://127.0.0.1:{port}", token=token, root=dirs["root"], hf_home=dirs["hf_home"], proc=proc,
              log_path=log_path)
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
        read, _ = self.bodies()
        return [f"frame {i}" for i, f in enumerate(self.frames) if needle in f] + [
            url for url, body in read if needle in body]

    def bodies(self) -> tuple[list[tuple[str, bytes]], list[str]]:
        """``([(url, body)], [(method, url, status) whose body could not be read (204, redirects, evicted)])``."""
        read, unread = [], []
        for r in list(self.responses):
            try:
                read.append((r.url, r.body()))
            except Exception:  # noqa: BLE001 - a redirect or an evicted body has none to read
                unread.append((r.request.method, r.url, r.status))
        return read, unread


def notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """A valid nbformat 4.5 notebook with a Python kernel."""
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"}}}


def code_cell(source: str, outputs: list[dict[str, Any]] | None = None, cid: str = "c1") -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": None, "id": cid, "metadata": {},
            "outputs": outputs or [], "source": source}


def stream(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text}

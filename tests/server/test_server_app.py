"""The extension app: entry point, laziness, settings with help, the config file the package ships."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import hfsecure_jupyter
from hfsecure_jupyter.config import HFSecure

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_extension_point_names_the_app():
    [point] = hfsecure_jupyter._jupyter_server_extension_points()
    assert point["module"] == "hfsecure_jupyter.server.app" and point["app"].name == "hfsecure_jupyter"


def test_importing_the_package_does_not_import_jupyter_server():
    code = "import sys, hfsecure_jupyter; print('jupyter_server' in sys.modules, 'tornado' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_every_setting_has_help_and_the_server_ones_exist():
    traits = HFSecure.class_traits(config=True)
    assert {"on_save", "max_request_bytes", "rotate_after_days", "jobs_ttl"} <= set(traits)
    assert all(t.help for t in traits.values())
    assert HFSecure().on_save == "redact" and HFSecure().max_request_bytes == 64 * 1024 * 1024


def test_the_shipped_server_config_enables_the_extension():
    data = json.loads((ROOT / "jupyter-config" / "server-config" / "hfsecure_jupyter.json").read_text())
    assert data == {"ServerApp": {"jpserver_extensions": {"hfsecure_jupyter": True}}}


def test_the_app_reads_c_hfsecure_from_a_config_file(tmp_path):
    """``c.HFSecure.on_save`` in jupyter_server_config.py reaches the core (no glue)."""
    cfg = tmp_path / "jupyter_server_config.py"
    cfg.write_text("c.HFSecure.on_save = 'refuse'\nc.HFSecure.rotate_after_days = 12\n")
    code = f"""
import sys
from jupyter_server.serverapp import ServerApp
app = ServerApp()
app.initialize(argv=["--config={cfg}", "--ServerApp.jpserver_extensions={{'hfsecure_jupyter': True}}",
                     "--ServerApp.open_browser=False", "--ServerApp.port=0",
                     "--ServerApp.root_dir={tmp_path}"])
core = app.web_app.settings["hfsecure_core"]
print(core.settings.on_save, core.settings.rotate_after_days)
hooks = app.contents_manager._pre_save_hooks
print(type(hooks[-1]).__name__)
"""
    env = {"JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["refuse", "12", "SaveHook"]

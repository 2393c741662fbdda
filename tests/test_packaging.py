"""Packaging as the JupyterLab extension template does it: one version, the labextension in the wheel's
shared data, the server extension enabled on install, JupyterLab only a test dependency."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import hfsecure_jupyter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_JSON = json.loads((ROOT / "js" / "package.json").read_text())
LABEXTENSION = ROOT / "hfsecure_jupyter" / "labextension"


def test_one_version_in_package_json():
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"] == {"source": "nodejs", "path": "js/package.json"}
    assert hfsecure_jupyter.__version__ == PACKAGE_JSON["version"]


def test_jupyterlab_is_not_a_runtime_dependency():
    names = [d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in PYPROJECT["project"]["dependencies"]]
    assert "jupyterlab" not in names and "notebook" not in names
    assert any(d.startswith("jupyterlab") for d in PYPROJECT["project"]["optional-dependencies"]["test"])


def test_wheel_installs_the_labextension_and_enables_the_server_extension():
    shared = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["hfsecure_jupyter/labextension"] == "share/jupyter/labextensions/hfsecure-jupyter"
    assert shared["install.json"] == "share/jupyter/labextensions/hfsecure-jupyter/install.json"
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    config = json.loads((ROOT / "jupyter-config" / "server-config" / "hfsecure_jupyter.json").read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"hfsecure_jupyter": True}
    assert PACKAGE_JSON["jupyterlab"]["outputDir"] == "../hfsecure_jupyter/labextension"
    assert hfsecure_jupyter._jupyter_labextension_paths() == [{"src": "labextension", "dest": PACKAGE_JSON["name"]}]
    hook = PYPROJECT["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert "hfsecure_jupyter/labextension/package.json" in hook["ensured-targets"]
    assert hook["build-kwargs"]["path"] == "js" and hook["build-kwargs"]["npm"] == ["jlpm"]


@pytest.mark.skipif(not (LABEXTENSION / "package.json").exists(), reason="labextension not built (pip install -e .)")
def test_built_labextension_is_small_and_carries_the_version():
    built = json.loads((LABEXTENSION / "package.json").read_text())
    assert built["version"] == PACKAGE_JSON["version"]
    loaded = [p for p in (LABEXTENSION / "static").iterdir() if p.suffix in (".js", ".css")]
    assert loaded and sum(p.stat().st_size for p in loaded) <= 100 * 1024
    assert (LABEXTENSION / "schemas" / "hfsecure-jupyter" / "plugin.json").exists()  # settings editor

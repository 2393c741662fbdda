"""A PEP 517 build backend for the pre-commit mirror: a wheel with metadata only (no module), whose one
requirement is ``hfsecure-scan``, read from ``pyproject.toml`` beside this file.

pre-commit runs ``pip install .`` in a hook repository; with this backend that needs no build tool
(setuptools, hatchling) from an index, so the hook's environment holds hfsecure-scan and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile

__all__ = ["build_wheel", "get_requires_for_build_wheel", "project"]

HERE = os.path.dirname(os.path.abspath(__file__))


def project() -> dict[str, object]:
    """``name``, ``version``, ``requires-python`` and ``dependencies`` of ``pyproject.toml``'s [project]."""
    with open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8") as fh:
        text = fh.read()
    table = text.split("[project]", 1)[1].split("\n[", 1)[0]  # (tomllib is not in Python 3.10)

    def value(key: str) -> str:
        m = re.search(r'^' + re.escape(key) + r'\s*=\s*"([^"]*)"', table, re.M)
        if m is None:
            raise ValueError(f"pyproject.toml: [project] {key} is missing")
        return m.group(1)

    deps = re.search(r"^dependencies\s*=\s*\[([^\]]*)\]", table, re.M)
    return {"name": value("name"), "version": value("version"), "requires-python": value("requires-python"),
            "dependencies": re.findall(r'"([^"]+)"', deps.group(1)) if deps else []}


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    """Nothing to install to build the wheel."""
    return []


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    """Write the metadata-only wheel into ``wheel_directory``; return its file name."""
    meta = project()
    dist = re.sub(r"[-_.]+", "_", str(meta["name"])).lower()
    info = f"{dist}-{meta['version']}.dist-info"
    files = {
        f"{info}/METADATA": "".join(
            ["Metadata-Version: 2.1\n", f"Name: {meta['name']}\n", f"Version: {meta['version']}\n",
             f"Requires-Python: {meta['requires-python']}\n",
             *(f"Requires-Dist: {d}\n" for d in meta["dependencies"])]).encode(),  # type: ignore[attr-defined]
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mirror_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(n, d) for n, d in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{dist}-{meta['version']}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in files.items():
            zf.writestr(zipfile.ZipInfo(n, date_time=(2020, 2, 2, 0, 0, 0)), d)
    return name

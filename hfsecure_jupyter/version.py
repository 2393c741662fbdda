"""The package's version, read once from its one source (``js/package.json``, or the installed metadata).

``hfsecure_jupyter.__version__`` reads it from here; modules of the package import this module rather
than the package root (which holds only entry points).
"""

from __future__ import annotations

import functools

__all__ = ["package_version"]


@functools.lru_cache(maxsize=None)
def package_version() -> str:
    """The installed distribution's version; from a source tree, ``js/package.json`` (the one source).

    Read on first use: the scan path (a pre-commit hook) never pays for importlib.metadata.

    Example:
        >>> package_version()
        '0.1.0'
    """
    import json
    import os
    from importlib.metadata import PackageNotFoundError, version

    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(os.path.dirname(here), "js", "package.json"),
                      os.path.join(here, "labextension", "package.json")):
        # A source checkout (PYTHONPATH, editable) knows its own version better than whatever
        # distribution of the same name happens to be installed.
        try:
            with open(candidate, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("name") == "hfsecure-jupyter" and "version" in meta:
            return str(meta["version"])
    try:
        # These files are also the hfsecure_scan package of the light hfsecure-scan distribution.
        return version("hfsecure-scan" if __name__.startswith("hfsecure_scan.") else "hfsecure-jupyter")
    except PackageNotFoundError:  # pragma: no cover - neither installed nor a source tree
        return "0+unknown"

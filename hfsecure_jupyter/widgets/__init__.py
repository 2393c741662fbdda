"""Notebook widgets: login status, job-spec builder, job monitor, findings (standard ipywidgets controls).

One family per module: :mod:`.login` (:class:`LoginStatus`), :mod:`.builder` (:class:`JobSpecBuilder`),
:mod:`.monitor` (:class:`JobMonitor`, :class:`JobList`), :mod:`.findings` (:class:`Findings`). Importing this
package does not import ipywidgets; the first use of a widget does.

Example:
    >>> import sys, hfsecure_jupyter.widgets as w
    >>> sorted(w.__all__)
    ['Findings', 'JobList', 'JobMonitor', 'JobSpecBuilder', 'LoginStatus']
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Findings", "JobList", "JobMonitor", "JobSpecBuilder", "LoginStatus"]

_WHERE = {"LoginStatus": "login", "JobSpecBuilder": "builder", "JobMonitor": "monitor", "JobList": "monitor",
          "Findings": "findings"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

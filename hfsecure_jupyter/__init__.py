"""hfsecure-jupyter: keep Hugging Face tokens out of notebook cells, outputs, history, job specs and git.

This module holds entry points only (IPython extension, jupyter-server extension) and the version;
everything is imported lazily so that ``%load_ext hfsecure_jupyter`` stays fast and does not import
huggingface_hub.

Example:
    >>> import hfsecure_jupyter
    >>> hfsecure_jupyter.__version__
    '0.1.0'
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hfsecure_jupyter``: install the guard, output redaction and magics (idempotent)."""
    from .kernel import extension

    extension.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext hfsecure_jupyter``: remove every hook the extension added."""
    from .kernel import extension

    extension.unload(ipython)

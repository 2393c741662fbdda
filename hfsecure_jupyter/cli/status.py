"""``hfsecure status``, ``install-guard`` and ``uninstall-guard``: the guard in every IPython kernel.

The commands parse their arguments and report through :mod:`hfsecure_jupyter.kernel.install`, which
also holds what they drive (profiles, ``ipython_kernel_config.py``, the kernel checks); the CLI may
use the kernel adapter.

Example:
    >>> callable(status_main) and callable(install_main) and callable(uninstall_main)
    True
"""

from __future__ import annotations

from ..kernel.install import install_main, status_main, uninstall_main

__all__ = ["install_main", "uninstall_main", "status_main"]

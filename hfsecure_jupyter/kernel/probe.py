"""What the JupyterLab panel asks a kernel, silently: is hfsecure's guard loaded here?

The panel executes ``__import__('hfsecure_jupyter.kernel.probe', fromlist=['emit']).emit()`` with
``silent=True, store_history=False`` and reads the one line :func:`emit` prints. Nothing is bound in the
user's namespace, and nothing here imports huggingface_hub.

Example:
    >>> probe(None)["loaded"]
    False
    >>> from IPython.core.interactiveshell import InteractiveShell
    >>> from hfsecure_jupyter.kernel import extension
    >>> ip = InteractiveShell.instance()
    >>> _ = extension.load(ip)
    >>> p = probe(ip); p["loaded"], p["guard"], p["redaction"]
    (True, 'block', True)
    >>> extension.unload(ip); probe(ip)["loaded"]
    False
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MARKER", "probe", "emit"]

#: The prefix of the line :func:`emit` prints (the panel looks for it in the stdout stream).
MARKER = "HFSECURE-PROBE:"


def _current_shell() -> Any:
    from IPython import get_ipython

    return get_ipython()


def probe(shell: Any = ...) -> dict[str, Any]:
    """A JSON-ready report on hfsecure in ``shell`` (default: the running IPython).

    Keys: ``installed`` (always True: this module imported), ``loaded`` (``%load_ext hfsecure_jupyter``
    is active), ``guard`` (``block`` / ``warn`` / ``off``, None when not loaded), ``redaction`` (output
    hooks installed), ``magics``, ``version``.
    """
    from ..version import package_version

    __version__ = package_version()
    from .state import get_state

    if shell is ...:
        shell = _current_shell()
    state = get_state(shell) if shell is not None else None
    if state is None:
        return {"installed": True, "loaded": False, "guard": None, "redaction": False, "magics": False,
                "version": __version__}
    return {"installed": True, "loaded": True, "guard": str(state.settings.guard),
            "redaction": state.output is not None, "magics": bool(state.magics_loaded),
            "version": __version__}


def emit() -> None:
    """Print ``MARKER`` + the JSON of :func:`probe` on one line (what the panel's silent execute reads).

    Example:
        >>> emit()  # doctest: +ELLIPSIS
        HFSECURE-PROBE:{"installed": true, "loaded": false, ...}
    """
    print(MARKER + json.dumps(probe()), flush=True)

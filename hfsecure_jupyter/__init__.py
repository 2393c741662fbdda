"""hfsecure-jupyter: keep Hugging Face tokens out of notebook cells, outputs, history, job specs and git.

This module holds entry points only (IPython extension, jupyter-server extension, JupyterLab extension)
and the version (one source: ``js/package.json``, read through the installed metadata);
everything is imported lazily so that ``%load_ext hfsecure_jupyter`` stays fast and does not import
huggingface_hub.

Example:
    >>> import hfsecure_jupyter
    >>> hfsecure_jupyter.__version__
    '0.1.0'
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Any


def __getattr__(name: str) -> Any:
    # The version is read on first use: the scan path (a pre-commit hook) never pays for importlib.metadata.
    if name == "__version__":
        from .version import package_version

        value = package_version()
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["__version__", "_jupyter_server_extension_points", "load_ipython_extension", "unload_ipython_extension"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt labextension shipped in the package.

    Example:
        >>> _jupyter_labextension_paths()
        [{'src': 'labextension', 'dest': 'hfsecure-jupyter'}]
    """
    return [{"src": "labextension", "dest": "hfsecure-jupyter"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hfsecure_jupyter``: install the guard, output redaction and magics (idempotent).

    Example:
        >>> from traitlets.config import Config
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> c = Config(); c.HistoryManager.hist_file = ":memory:"
        >>> ip = InteractiveShell(config=c)
        >>> load_ipython_extension(ip)
        >>> import contextlib, io
        >>> from hfsecure_jupyter.testing import fake_token
        >>> with contextlib.redirect_stdout(io.StringIO()):  # the guard's explanation (masked)
        ...     ran = ip.run_cell(f"tok = {fake_token()!r}").success
        >>> ran, "tok" in ip.user_ns
        (False, False)
        >>> unload_ipython_extension(ip)
    """
    from .kernel import extension

    extension.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext hfsecure_jupyter``: remove every hook the extension added.

    Example:
        >>> from traitlets.config import Config
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> c = Config(); c.HistoryManager.hist_file = ":memory:"
        >>> ip = InteractiveShell(config=c)
        >>> load_ipython_extension(ip); unload_ipython_extension(ip)
        >>> "hfsecure" in ip.magics_manager.magics["line"], ip.run_cell("x = 1").success
        (False, True)
    """
    from .kernel import extension

    extension.unload(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """The jupyter_server extension (imported only when the server asks, not by ``%load_ext``).

    Example:
        >>> [(p["module"], p["app"].name) for p in _jupyter_server_extension_points()]
        [('hfsecure_jupyter.server.app', 'hfsecure_jupyter')]
    """
    from .server.app import HFSecureApp

    return [{"module": "hfsecure_jupyter.server.app", "app": HFSecureApp}]

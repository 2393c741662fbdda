"""What the widget modules share: thread-safe trait updates, theme-aware HTML, the kernel's services.

Nothing here is a widget family; each family has its own module.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..config import HFSecure
    from ..hub.status import StatusService

__all__ = ["esc", "pill", "box_html", "kernel_status_service", "kernel_settings", "ThreadSafeUpdates",
           "widgets_render"]

# JupyterLab's CSS variables (with fallbacks for Notebook 7 / VS Code), so light and dark themes both read.
FG = "var(--jp-ui-font-color1, inherit)"
FG_DIM = "var(--jp-ui-font-color2, inherit)"
BORDER = "var(--jp-border-color2, #8884)"
COLORS = {
    "ok": "var(--jp-success-color1, #2e7d32)",
    "warn": "var(--jp-warn-color1, #c77c02)",
    "error": "var(--jp-error-color1, #c62828)",
    "info": "var(--jp-info-color1, #1565c0)",
    "dim": "var(--jp-ui-font-color2, #777)",
}
MONO = "var(--jp-code-font-family, monospace)"


def esc(text: object) -> str:
    """HTML-escaped text.

    Example:
        >>> esc("<b>")
        '&lt;b&gt;'
    """
    return html.escape(str(text), quote=True)


def pill(text: str, kind: str = "info") -> str:
    """A small coloured label (readable in both themes: coloured border and text, no fill).

    Example:
        >>> "ok" in pill("ok", "ok")
        True
    """
    color = COLORS.get(kind, COLORS["info"])
    return (f'<span style="border:1px solid {color};color:{color};border-radius:8px;padding:0 6px;'
            f'font-size:0.85em">{esc(text)}</span>')


def box_html(inner: str) -> str:
    """``inner`` in a div that uses the theme's font colour."""
    return f'<div style="color:{FG};line-height:1.5">{inner}</div>'


def _shell() -> Any:
    from IPython import get_ipython  # a dependency: always there

    return get_ipython()


_OWN: dict[str, Any] = {}


def kernel_settings() -> HFSecure:
    """The kernel extension's settings if it is loaded, else settings from the shell's config."""
    shell = _shell()
    if shell is not None:
        from ..hub.shells import services_for

        state = services_for(shell)
        if state is not None:
            return state.settings
    if "settings" not in _OWN:
        from ..config import HFSecure

        _OWN["settings"] = HFSecure(config=getattr(shell, "config", None))
    return _OWN["settings"]


def kernel_status_service() -> StatusService:
    """The kernel's :class:`~hfsecure_jupyter.hub.StatusService` (its state's when the extension is
    loaded, so the magics, jobs and widgets share one cache), else one for the widgets of this process."""
    shell = _shell()
    if shell is not None:
        from ..hub.shells import services_for

        state = services_for(shell)
        if state is not None:
            return state.status
    if "status" not in _OWN:
        from ..hub.status import StatusService

        _OWN["status"] = StatusService(kernel_settings())
    return _OWN["status"]


def widgets_render(shell: Any) -> bool:
    """True when ``shell`` is a Jupyter kernel (a frontend may render widgets) and ipywidgets is installed;
    a terminal IPython or a test shell gets text."""
    if getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


class TextForm:
    """A widget's plain-text form: ``repr`` and the ``text/plain`` of its display are ``self.text()`` (the
    full text, not ipywidgets' 110-character repr), so a console or a log shows the same facts as the
    widget. Mixed in before the ipywidgets base class."""

    def text(self) -> str:  # every widget defines it
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if isinstance(data, dict):
            data["text/plain"] = self.text()
        return data


class ThreadSafeUpdates:
    """Mixin: set traits of this widget's parts from any thread.

    Hub answers, log lines and login steps arrive on worker threads. Updates are applied one batch at a
    time under a lock, inside ``hold_sync`` so the frontend gets one message per part and batch.
    """

    _update_lock: threading.RLock

    def _init_updates(self) -> None:
        self._update_lock = threading.RLock()

    def _apply(self, fn: Callable[[], None]) -> None:
        with self._update_lock:
            fn()

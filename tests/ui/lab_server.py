"""The JupyterLab of the widget browser tests: :func:`ui_helpers.start_lab` without the hfsecure
labextension and server extension, with widget state saved in the notebook, and no token of this process
inherited (the test logs in by device code, which an ``HF_TOKEN`` would shadow).
"""

from __future__ import annotations

from pathlib import Path

from tests.ui.ui_helpers import CHROMIUM, CHROMIUM_ARGS, Lab, Received
from tests.ui.ui_helpers import start_lab as _start

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "Lab", "Received", "start_lab"]

_INHERITED_TOKENS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH",
                     "PYTEST_CURRENT_TEST")


def start_lab(base: Path, env_extra: dict[str, str] | None = None, app: str = "jupyterlab") -> Lab:
    """Start the widget tests' JupyterLab (or ``app="notebook"``) under ``base`` and wait until it answers."""
    return _start(base, env_extra, app, hfsecure=False, widget_state=True, drop_env=_INHERITED_TOKENS)

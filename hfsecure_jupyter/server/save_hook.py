"""The contents manager's pre-save hook: no secret reaches a saved notebook or text file, or its checkpoint.

``contents_manager.register_pre_save_hook(SaveHook(core, log))``. jupyter_server calls it with the model
before writing; editing the model in place changes what is written. Per ``c.HFSecure.on_save``:

* ``redact`` (default): every secret is masked (sources, outputs, metadata, attachments, saved widget
  state); every other value is written as the client sent it.
* ``refuse``: the save is refused with a 400 naming the cells (``tornado.web.HTTPError``: the only
  exception jupyter_server lets refuse a save).
* ``off``: nothing is checked.

What it did is logged (masked) and recorded for ``GET /hfsecure/saves``. A failure inside the hook is
logged loudly and recorded as an error event, and the document is saved as sent: the hook never loses
the user's work. Checkpoints (``FileCheckpoints``) copy the saved file, so they hold what the hook wrote.

Example:
    >>> from hfsecure_jupyter.server.core import ServerCore
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> core = ServerCore(); hook = SaveHook(core)
    >>> model = {"type": "file", "format": "text", "content": f"HF_TOKEN={tok}\\n"}
    >>> hook(model=model, path="notes/.env"); model["content"]
    'HF_TOKEN=hf_****oOOL\\n'
    >>> [(e["path"], e["count"], e["mode"]) for e in core.saves.take("notes/.env")]
    [('notes/.env', 1, 'redact')]
"""

from __future__ import annotations

import logging
from typing import Any

from .. import detect
from .core import ServerCore, cell_of
from .errors import safe_traceback

__all__ = ["SaveHook"]


def _cells_text(cells: list[int]) -> str:
    if not cells:
        return ""
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(c + 1) for c in cells)


class SaveHook:
    """Callable pre-save hook over a :class:`ServerCore` (see the module docstring)."""

    __name__ = "hfsecure_pre_save_hook"  # jupyter_server logs a failing hook by its __name__

    def __init__(self, core: ServerCore, log: logging.Logger | None = None) -> None:
        self.core = core
        self.log = log or logging.getLogger("hfsecure_jupyter.server")

    def __call__(self, model: dict[str, Any], path: str, contents_manager: Any = None, **kwargs: Any) -> None:
        mode = self.core.settings.on_save
        if mode == "off" or not isinstance(model, dict):
            return
        safe_path = detect.redact_strict(str(path))
        try:
            found = self.core.redact_model(model, str(path), change=(mode == "redact"))
        except Exception as exc:  # a bug of ours must not lose the user's save: save as sent, say so loudly
            message = (f"the hfsecure save check failed ({type(exc).__name__}); {safe_path} was saved "
                       "unchecked and may hold a secret: run 'hfsecure scan' on it")
            self.log.error("hfsecure: %s\n%s", message, safe_traceback(exc))
            self.core.saves.record({"path": str(path), "cells": [], "count": 0, "mode": mode, "error": message})
            return
        found = [f for f in found if f.is_secret]
        if not found:
            return
        cells = sorted({c for c in (cell_of(f.location) for f in found) if c is not None})
        lines = sorted({f.line for f in found}) if model.get("type") == "file" else []
        where = _cells_text(cells) or (f"line {', '.join(map(str, lines))}" if lines else "its metadata")
        event = {"path": str(path), "cells": cells, "count": len(found), "mode": mode}
        if lines:
            event["lines"] = lines
        if mode == "refuse":
            from tornado.web import HTTPError

            self.core.saves.record({**event, "error": "refused"})
            self.log.warning("hfsecure: refused to save %s: %d secret(s) in %s", safe_path, len(found), where)
            message = (f"Not saved: {safe_path} holds {len(found)} secret(s) in {where}. Remove them (read "
                       "the token with os.environ['HF_TOKEN'] or login()) and save again.")
            # log_message is what jupyter_server's APIHandler shows the client as "message" (unformatted),
            # while tornado's log %-formats it: no bare '%' in it.
            raise HTTPError(400, message.replace("%", "\uff05"), reason="Secrets found")
        self.core.saves.record(event)
        self.log.warning("hfsecure: masked %d secret(s) in %s (%s) before saving; the copy open in the "
                         "browser still holds them", len(found), safe_path, where)

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

Chunked uploads (the contents API's ``chunk`` field: JupyterLab uploads files over 1 MB in pieces):
jupyter_server runs pre-save hooks on the first chunk only and appends the others unchecked, so a token
in a later chunk, or split across two, never passes the hook. The hook notes the upload on its first
chunk; after the last one (``chunk == -1``) :meth:`SaveHook.post_save` (a post-save hook) masks the
assembled file on disk with the core's :func:`~hfsecure_jupyter.detect.redact_file`. A finished upload
cannot be refused any more: in ``refuse`` mode it is masked too, and the event says so.

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
from collections import OrderedDict
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

    _UPLOADS_MAX = 1000  # chunked uploads in flight remembered (an abandoned one is forgotten eventually)

    def __init__(self, core: ServerCore, log: logging.Logger | None = None) -> None:
        self.core = core
        self.log = log or logging.getLogger("hfsecure_jupyter.server")
        self._uploads: OrderedDict[str, None] = OrderedDict()  # contents paths of chunked uploads in flight

    def __call__(self, model: dict[str, Any], path: str, contents_manager: Any = None, **kwargs: Any) -> None:
        mode = self.core.settings.on_save
        if mode == "off" or not isinstance(model, dict):
            return
        safe_path = detect.redact_strict(str(path))
        if model.get("chunk") is not None:  # the first chunk only: the rest is checked on disk at the end
            self._uploads[str(path).strip("/")] = None
            while len(self._uploads) > self._UPLOADS_MAX:
                self._uploads.popitem(last=False)
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

    def post_save(self, model: dict[str, Any] | None = None, os_path: str = "", contents_manager: Any = None,
                  **kwargs: Any) -> None:
        """Post-save hook: after the last chunk of a chunked upload, mask the assembled file on disk.

        Any other save passes at once (the pre-save hook saw the whole document). Never raises.
        """
        path = str((model or {}).get("path", "")).strip("/")
        if path not in self._uploads:
            return
        del self._uploads[path]
        mode = self.core.settings.on_save
        if mode == "off" or not os_path:
            return
        safe_path = detect.redact_strict(path)
        try:
            report = detect.redact_file(os_path, self.core.redactor)
        except Exception as exc:  # the upload is on disk as sent: say so loudly, lose nothing
            message = (f"the hfsecure check of the uploaded {safe_path} failed ({type(exc).__name__}); it "
                       "was saved unchecked and may hold a secret: run 'hfsecure scan' on it")
            self.log.error("hfsecure: %s\n%s", message, safe_traceback(exc))
            self.core.saves.record({"path": path, "cells": [], "count": 0, "mode": mode, "error": message})
            return
        found = [f for f in report.findings if f.is_secret]
        if not found:
            return
        cells = sorted({c for c in (cell_of(f.location) for f in found) if c is not None})
        lines = [] if report.kind == "notebook" else sorted({f.line for f in found})
        event: dict[str, Any] = {"path": path, "cells": cells, "count": len(found), "mode": "redact"}
        if lines:
            event["lines"] = lines
        if mode == "refuse":
            event["note"] = "a finished chunked upload cannot be refused: masked on disk instead"
        self.core.saves.record(event)
        where = _cells_text(cells) or (f"line {', '.join(map(str, lines))}" if lines else "its metadata")
        self.log.warning("hfsecure: masked %d secret(s) in the uploaded %s (%s) on disk", len(found), safe_path,
                         where)

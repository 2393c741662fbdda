"""The server extension's plain-Python core: every REST route and the save hook call this, nothing else.

One :class:`ServerCore` is built by the extension app from its settings (an
:class:`~hfsecure_jupyter.config.HFSecure`) and put in the web app's settings; handlers are a few lines
over it. It is tested without a server. Every answer is JSON-ready and holds masked previews at most.

Example:
    >>> import json
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> core = ServerCore()
    >>> out = core.scan(json.dumps({"text": f"login('{tok}')", "path": "a.py"}).encode())
    >>> [(f["rule"], f["line"], f["column"], f["preview"]) for f in out["findings"]], out["summary"]["secrets"]
    ([('hf-user-token', 1, 8, 'hf_****oOOL')], 1)
    >>> core.redact(json.dumps({"text": f"tok = {tok}"}).encode())["text"]
    'tok = hf_****oOOL'
"""

from __future__ import annotations

import base64
import collections
import datetime as _dt
import itertools
import json
import logging
import math
import re
import threading
import time
from typing import Any, Callable, Iterable

from .. import detect
from ..version import package_version
from ..config import HFSecure
from ..hub import StatusService
from ..detect import Finding
from ..detect.candidates import candidate_cells, code_view, is_image_payload, model_candidates
from ..detect.engine import raw_candidates
from ..report import finding_record
from .errors import CoreError
from .fix import fix_source

__all__ = ["ServerCore", "JobsCache", "SaveEvents", "blank_images", "cell_of", "field_of", "job_record",
           "model_candidates"]

log = logging.getLogger("hfsecure_jupyter.server")

_CELL = re.compile(r"^cells\[(\d+)\]")
_KINDS = ("python", "text", "notebook")


def cell_of(location: str) -> int | None:
    """The cell index a notebook location names, or None.

    Example:
        >>> cell_of("cells[3].outputs[0].text"), cell_of("metadata.widgets")
        (3, None)
    """
    m = _CELL.match(location)
    return int(m.group(1)) if m else None


def field_of(location: str) -> str:
    """The field of a notebook location: ``source``, ``outputs``, ``metadata``, ``attachments`` ...

    Example:
        >>> field_of("cells[3].outputs[0].text"), field_of("metadata.widgets.x"), field_of("")
        ('outputs', 'metadata', '')
    """
    rest = _CELL.sub("", location).lstrip(".")
    return re.split(r"[.\[]", rest, maxsplit=1)[0] if rest else ""


# -- recent jobs ---------------------------------------------------------------------------------------------

def _iso(value: Any) -> str | None:
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return str(value) if value else None


def job_record(job: Any) -> dict[str, Any]:
    """One job (a huggingface_hub ``JobInfo``) as the sidebar shows it; the command masked, no env.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> job_record(NS(id="j1", owner=NS(name="alice"), status=NS(stage="RUNNING", message=None),
        ...               created_at=None, flavor="cpu-basic", url="http://hub/jobs/alice/j1",
        ...               command=["python", "-c", "print(1)"], arguments=[]))["command_preview"]
        'python -c print(1)'
    """
    status = getattr(job, "status", None)
    owner = getattr(job, "owner", None)
    words = [*(getattr(job, "command", None) or []), *(getattr(job, "arguments", None) or [])]
    preview = " ".join(str(w) for w in words)
    preview = detect.redact_strict(preview[:400])
    return {
        "id": str(getattr(job, "id", "")),
        "owner": getattr(owner, "name", None),
        "stage": str(getattr(status, "stage", "") or "") or None,
        "message": detect.redact_strict(str(getattr(status, "message", "") or "")) or None,
        "created_at": _iso(getattr(job, "created_at", None)),
        "flavor": str(getattr(job, "flavor", "") or "") or None,
        "url": getattr(job, "url", None),
        "command_preview": preview[:160],
    }


def _hub_list_jobs(namespace: str | None, limit: int, timeout: float) -> list[Any]:
    from huggingface_hub import HfApi

    # huggingface_hub types the timeout as whole seconds
    return list(itertools.islice(HfApi().list_jobs(namespace=namespace, timeout=max(1, math.ceil(timeout))), limit))


class JobsCache:
    """Recent jobs, fetched in a worker thread and served from memory: a request never waits on the Hub
    longer than ``wait`` seconds (0 by default).

    Args:
        status: the status service (a logged-out user gets ``logged-out`` without a Hub call).
        settings: ``jobs_ttl`` and ``hub_timeout``.
        lister: ``lister(namespace, limit, timeout) -> [JobInfo]`` (huggingface_hub's ``list_jobs``).
    """

    MAX = 100

    def __init__(self, status: Any, settings: HFSecure, lister: Callable[..., list[Any]] = _hub_list_jobs) -> None:
        self._status, self._settings, self._lister = status, settings, lister
        self._lock = threading.Lock()
        self._jobs: list[dict[str, Any]] = []
        self._state = "checking"
        self._fetched = 0.0
        self._key: str | None = None
        self._inflight: threading.Event | None = None

    def _fetch(self, user: str | None, done: threading.Event) -> None:
        try:
            jobs = [job_record(j) for j in self._lister(user, self.MAX, self._settings.hub_timeout)]
            jobs.sort(key=lambda j: j["created_at"] or "", reverse=True)  # newest first (ISO 8601 sorts)
            state = "ok"
        except Exception as exc:  # the Hub down, a timeout, a 5xx: keep the last list, say so
            log.info("hfsecure: listing jobs failed: %s", type(exc).__name__)
            jobs, state = None, "unreachable"
        with self._lock:
            if jobs is not None:
                self._jobs = jobs
            elif self._key != user:
                self._jobs = []
            self._state, self._fetched, self._key, self._inflight = state, time.monotonic(), user, None
        done.set()

    def get(self, limit: int = 20, *, wait: float = 0.0, refresh: bool = False) -> dict[str, Any]:
        """``{"jobs": [...], "state": ok | unreachable | logged-out | checking}``, newest first."""
        st = self._status.get_status(timeout=0)
        if st.state == "logged-out":
            return {"jobs": [], "state": "logged-out"}
        user = st.user if st.state == "ok" else None
        if st.state == "checking":
            return {"jobs": [], "state": "checking"}
        with self._lock:
            stale = refresh or self._key != user or time.monotonic() - self._fetched > self._settings.jobs_ttl
            event = self._inflight
            if stale and event is None:
                event = self._inflight = threading.Event()
                threading.Thread(target=self._fetch, args=(user, event), name="hfsecure-jobs", daemon=True).start()
        if event is not None and wait > 0:
            event.wait(wait)
        with self._lock:
            if self._key != user:
                return {"jobs": [], "state": "checking"}
            return {"jobs": self._jobs[:max(0, limit)], "state": self._state}


# -- what the save hook did ----------------------------------------------------------------------------------

class SaveEvents:
    """What the pre-save hook masked (or failed at), kept for the sidebar to read once per path.

    Example:
        >>> ev = SaveEvents(maxlen=2)
        >>> ev.record({"path": "a.ipynb", "cells": [0], "count": 1, "mode": "redact"})
        >>> [e["cells"] for e in ev.take("a.ipynb")], ev.take("a.ipynb")
        ([[0]], [])
    """

    def __init__(self, maxlen: int = 200) -> None:
        self._events: collections.deque[dict[str, Any]] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, event: dict[str, Any]) -> None:
        """Keep ``event`` (``at`` is set to now if absent)."""
        event.setdefault("at", time.time())
        with self._lock:
            self._events.append(event)

    def take(self, path: str | None = None) -> list[dict[str, Any]]:
        """The events for ``path`` (all when None), newest first, and forget them."""
        with self._lock:
            mine = [e for e in self._events if path is None or e.get("path") == path]
            for e in mine:
                self._events.remove(e)
        return mine[::-1]


# -- the core ------------------------------------------------------------------------------------------------

class ServerCore:
    """Everything the REST routes and the save hook do, over the detection core and the Hub layer.

    Args:
        settings: the :class:`HFSecure` settings (defaults when None).
        status: the ``StatusService`` (the app owns one); built from ``settings`` when None.
        jobs_lister: how jobs are listed (tests pass a fake).
        plan: ``plan_job``-like callable, None = ``hfsecure_jupyter.jobs.plan_job``.
    """

    def __init__(self, settings: HFSecure | None = None, *, status: Any = None,
                 jobs_lister: Callable[..., list[Any]] | None = None, plan: Callable[..., Any] | None = None) -> None:
        self.settings = settings if settings is not None else HFSecure()
        self.status_service = status if status is not None else StatusService(self.settings)
        self.jobs = JobsCache(self.status_service, self.settings, *([jobs_lister] if jobs_lister else []))
        self.saves = SaveEvents(self.settings.save_events_max)
        self._plan = plan

    @property
    def redactor(self) -> detect.Redactor:
        """A redactor with the configured mask."""
        return detect.Redactor(fill=self.settings.mask_fill, show_last=self.settings.mask_show_last)

    # -- bodies -------------------------------------------------------------------------------------------
    def parse_body(self, raw: bytes | str) -> dict[str, Any]:
        """The JSON object of a request body; ``too-large`` (413), ``bad-json`` (400) or ``bad-body`` (400).

        Example:
            >>> ServerCore().parse_body(b"[1]")
            Traceback (most recent call last):
            ...
            hfsecure_jupyter.errors.CoreError: bad-body: The request body must be a JSON object.
        """
        limit = self.settings.max_request_bytes
        if len(raw) > limit:
            raise CoreError(413, "too-large", f"The request body is {len(raw)} bytes; the limit is {limit}.",
                            fix="Raise c.HFSecure.max_request_bytes in jupyter_server_config.py, or scan the "
                                "file with 'hfsecure scan'.")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            raise CoreError(400, "bad-json", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise CoreError(400, "bad-body", "The request body must be a JSON object.")
        return body

    @staticmethod
    def _str(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
        value = body.get(key, default)
        if value is not None and not isinstance(value, str):
            raise CoreError(400, "bad-body", f"'{key}' must be a string.")
        return value

    def _document(self, body: dict[str, Any]) -> tuple[str, Any]:
        """Which of the three bodies this is: ``("notebook", dict)``, ``("text", str)``, ``("cells", list)``."""
        forms = [k for k in ("notebook", "text", "cells") if k in body]
        if len(forms) != 1:
            raise CoreError(400, "bad-body", "Send exactly one of 'notebook', 'text' or 'cells'.")
        form = forms[0]
        value = body[form]
        if form == "notebook" and not isinstance(value, dict):
            raise CoreError(400, "bad-body", "'notebook' must be a notebook object (nbformat JSON).")
        if form == "text" and not isinstance(value, str):
            raise CoreError(400, "bad-body", "'text' must be a string.")
        if form == "cells" and not (isinstance(value, list) and all(isinstance(c, dict) for c in value)):
            raise CoreError(400, "bad-body", "'cells' must be a list of cell objects.")
        return form, value

    @staticmethod
    def _cells_notebook(cells: list[dict[str, Any]], metadata: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """A notebook of only the cells sent (without their index/id keys), and the cells' ids and indices."""
        ids = []
        nb_cells = []
        for k, c in enumerate(cells):
            index = c.get("index", k)
            ids.append({"index": index if isinstance(index, int) else k,
                        "id": c.get("id") if isinstance(c.get("id"), str) else None})
            nb_cells.append({key: v for key, v in c.items() if key not in ("index", "id")})
        return {"cells": nb_cells, "metadata": metadata if isinstance(metadata, dict) else {}}, ids

    # -- scan ---------------------------------------------------------------------------------------------
    def _records(self, path: str, findings: Iterable[Finding], ids: list[dict[str, Any]] | None,
                 nb: dict[str, Any] | None, notebook: bool) -> list[dict[str, Any]]:
        out = []
        path = detect.redact(path)  # a path is echoed back: it could hold a token too
        for f in findings:
            rec = finding_record(path, f)
            if notebook:
                index = cell_of(f.location)
                cell_id = None
                if index is not None and ids is not None:  # incremental form: the index and id given
                    given = ids[index] if index < len(ids) else {"index": index, "id": None}
                    rec["location"] = f"cells[{given['index']}]" + f.location[len(f"cells[{index}]"):]
                    index, cell_id = given["index"], given["id"]
                elif index is not None and nb is not None:
                    cells = nb.get("cells") or []
                    cell = cells[index] if index < len(cells) else None
                    cell_id = cell.get("id") if isinstance(cell, dict) and isinstance(cell.get("id"), str) else None
                rec.update(cell_index=index, cell_id=cell_id, field=field_of(f.location))
            out.append(rec)
        return out

    def scan(self, raw: bytes | str) -> dict[str, Any]:
        """``POST /hfsecure/scan``: findings with their locations (see the REST contract)."""
        body = self.parse_body(raw)
        form, value = self._document(body)
        path = self._str(body, "path", "") or ""
        notes: list[str] = []
        ids = nb = None
        if form == "text":
            kind = self._str(body, "kind") or detect.kind_for_path(path)
            if kind not in _KINDS:
                raise CoreError(400, "bad-body", f"'kind' must be one of {', '.join(_KINDS)} or null.")
            if kind == "notebook":
                report = detect.scan_notebook(value, path=path)
                findings, notes, notebook = report.findings, report.notes, True
            else:
                findings = detect.scan_python(value) if kind == "python" else detect.scan_text(value)
                notebook = False
        else:
            if form == "notebook":
                nb = value
            else:
                nb, ids = self._cells_notebook(value, body.get("metadata"))
            # The core's raw prefilter on the body we already hold: when no secret can be anywhere in
            # it (the common case), only code cells need a look, for misuse (a 20 MB notebook: ~2x faster).
            # Else every field but binary image payloads, which the save hook does not read either (the
            # findings are what a save will mask; plots are most of a large notebook's bytes). (Locating
            # the cells first, as the save hook does, cost a cell dense in keywords a check per level.)
            if raw_candidates(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")):
                blank_images(nb)  # the parsed body is ours: no copy
                scanned = nb
            else:
                scanned = code_view(nb)
            report = detect.scan_notebook(scanned, path=path)
            findings, notes, notebook = report.findings, report.notes, True
        records = self._records(path, findings, ids, nb, notebook)
        return {"findings": records, "summary": _summary(findings), "notes": [detect.redact(n) for n in notes]}

    # -- redact -------------------------------------------------------------------------------------------
    def redact_text(self, text: str, kind: str) -> tuple[str, list[Finding]]:
        """``text`` with every secret masked (Python source: folded literals too; a notebook's JSON text
        string by string, so it stays valid), and what was masked."""
        if kind == "notebook":
            new, report = detect.redact_notebook(text.encode("utf-8", "surrogateescape"), self.redactor)
            return new.decode("utf-8", "surrogateescape"), [f for f in report.findings if f.is_secret]
        if kind == "python":
            found = [f for f in detect.scan_python(text, misuse=False) if f.is_secret]
            text = detect.apply_edits(text, [e for f in found for e in f.edits])
        else:
            found = [f for f in detect.scan_text(text) if f.is_secret]
        return self.redactor.redact(text), found

    def redact(self, raw: bytes | str) -> dict[str, Any]:
        """``POST /hfsecure/redact``: the same document with its secrets masked, and what was masked."""
        body = self.parse_body(raw)
        form, value = self._document(body)
        path = self._str(body, "path", "") or ""
        if form == "text":
            kind = self._str(body, "kind") or detect.kind_for_path(path)
            if kind not in _KINDS:
                raise CoreError(400, "bad-body", f"'kind' must be one of {', '.join(_KINDS)} or null.")
            new, found = self.redact_text(value, kind)
            records = self._records(path, found, None, None, kind == "notebook")
            return {"text": new, "findings": records, "changed": new != value}
        if form == "notebook":
            nb, found = detect.redact_notebook_model(value, self.redactor, skip_images=True)
            return {"notebook": nb, "findings": self._records(path, found, None, nb, True), "changed": bool(found)}
        nb, ids = self._cells_notebook(value, body.get("metadata"))
        nb, found = detect.redact_notebook_model(nb, self.redactor, skip_images=True)
        cells = [{**i, **c} for i, c in zip(ids, nb["cells"])]
        return {"cells": cells, "findings": self._records(path, found, ids, nb, True), "changed": bool(found)}

    # -- fix ----------------------------------------------------------------------------------------------
    def fix(self, raw: bytes | str) -> dict[str, Any]:
        """``POST /hfsecure/fix``: the cell with the literal replaced by code that reads the secret."""
        body = self.parse_body(raw)
        source = self._str(body, "source")
        line, column = body.get("line"), body.get("column")
        if source is None or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                     for v in (line, column)):
            raise CoreError(400, "bad-body", "Send 'source' (a string) and 'line', 'column' (1-based integers).")
        return fix_source(source, line=int(line), column=int(column), rule=self._str(body, "rule"))  # type: ignore[arg-type]

    # -- status, jobs, plan -------------------------------------------------------------------------------
    def status(self, refresh: bool = False) -> dict[str, Any]:
        """``GET /hfsecure/status``: answers at once (``checking`` while the first check runs)."""
        if refresh:
            self.status_service.refresh_in_background()
        st = self.status_service.get_status(timeout=0)
        return {"status": st.to_dict(), "rotation_days": self.settings.rotate_after_days,
                "on_save": self.settings.on_save, "version": package_version()}

    def list_jobs(self, limit: Any = 20, *, wait: float = 0.0, refresh: bool = False) -> dict[str, Any]:
        """``GET /hfsecure/jobs``: recent jobs from the cache (refreshed in the background)."""
        try:
            n = int(limit)
        except (TypeError, ValueError):
            raise CoreError(400, "bad-query", "'limit' must be a whole number.") from None
        if not 0 < n <= JobsCache.MAX:
            raise CoreError(400, "bad-query", f"'limit' must be between 1 and {JobsCache.MAX}.")
        return self.jobs.get(n, wait=wait, refresh=refresh)

    def _plan_job(self) -> Callable[..., Any]:
        if self._plan is not None:
            return self._plan
        try:
            from ..jobs import plan_job
        except ImportError:
            raise CoreError(501, "not-ready", "Planning jobs is not available in this version of hfsecure.",
                            fix="Use %%hfjob --dry-run in a notebook instead.") from None
        return plan_job

    def plan(self, raw: bytes | str) -> dict[str, Any]:
        """``POST /hfsecure/plan``: a ``JobPlan`` for a script (placeholders only, never a value)."""
        plan_job = self._plan_job()
        body = self.parse_body(raw)
        script = self._str(body, "script")
        if script is None:
            raise CoreError(400, "bad-body", "Send the job's 'script' (a string).")
        kwargs: dict[str, Any] = {}
        for key in ("python", "flavor", "namespace"):
            if body.get(key) is not None:
                kwargs[key] = self._str(body, key)
        if body.get("timeout") is not None:
            if not isinstance(body["timeout"], (str, int)) or isinstance(body["timeout"], bool):
                raise CoreError(400, "bad-body", "'timeout' must be a duration ('30m') or seconds.")
            kwargs["timeout"] = body["timeout"]
        if body.get("dependencies") is not None:
            deps = body["dependencies"]
            if not (isinstance(deps, list) and all(isinstance(d, str) for d in deps)):
                raise CoreError(400, "bad-body", "'dependencies' must be a list of strings.")
            kwargs["dependencies"] = deps
        for key in ("env", "secrets"):
            if body.get(key) is not None:
                m = body[key]
                if not (isinstance(m, dict) and all(isinstance(v, str) for v in m.values())):
                    raise CoreError(400, "bad-body", f"'{key}' must be an object of strings.")
                kwargs[key] = m
        st = self.status_service.get_status(timeout=0)
        try:
            plan = plan_job(script, status=st if st.state == "ok" else None, misuse=self.settings.misuse, **kwargs)
        except (ValueError, TypeError) as exc:
            raise CoreError(400, "bad-job", str(exc)) from None
        return _safe_json(plan.to_dict())

    # -- the save hook's work -----------------------------------------------------------------------------
    def redact_model(self, model: dict[str, Any], path: str, *, change: bool = True) -> list[Finding]:
        """Mask the secrets of a contents-manager model in place (``change=False``: only find them).

        Notebooks (``type == "notebook"``, content a dict) and text files (``type == "file"``, format
        ``text`` or ``base64`` holding text); anything else is left alone.
        """
        kind = model.get("type")
        content = model.get("content")
        if kind == "notebook" and isinstance(content, dict):
            # The usual save holds no secret: one pass of the core's raw prefilter, and done. When it finds
            # a candidate, only the cells that hold one are walked again (a 20 MB notebook has thousands).
            where = candidate_cells(content)
            if where is None:
                return []
            view = _sparse_view(content, where)
            if not change:  # refuse mode: what redact mode would mask (a scan of a copy)
                # (a JSON round trip: ~3x faster than copy.deepcopy; only the flagged cells when possible)
                view = json.loads(json.dumps(view))
            # Binary image payloads are left unread, as the core's raw prefilter leaves them (on a 20 MB
            # notebook of plots they would triple the cost of a save that masks a token).
            return detect.redact_notebook_model(view, self.redactor, skip_images=True)[1]
        if kind != "file" or not isinstance(content, str):
            return []
        text_kind = detect.kind_for_path(path)
        if model.get("format") == "base64":
            try:
                data = base64.b64decode(content.encode("ascii"), validate=False)
            except (ValueError, UnicodeEncodeError):
                return []
            if detect.is_binary(data) or not detect.might_contain_secret(data):
                return []
            text = data.decode("utf-8", "surrogateescape")
            new, found = self.redact_text(text, text_kind)
            if change and new != text:
                model["content"] = base64.b64encode(new.encode("utf-8", "surrogateescape")).decode("ascii")
            return found
        if not detect.might_contain_secret(content):
            return []
        new, found = self.redact_text(content, text_kind)
        if change:
            model["content"] = new
        return found


def _sparse_view(nb: dict[str, Any], where: tuple[frozenset[int], bool]) -> dict[str, Any]:
    """``nb`` itself when its top level may hold a secret, else a notebook holding the same dicts for the
    flagged cells (edits land in ``nb``), an empty dict for every other cell (locations keep their index),
    and the language metadata (code cells are scanned as Python or not by it)."""
    cells, rest = where
    if rest:
        return nb
    meta = nb.get("metadata")
    meta = {k: meta[k] for k in ("language_info", "kernelspec") if k in meta} if isinstance(meta, dict) else {}
    return {"cells": [cell if i in cells else {} for i, cell in enumerate(nb["cells"])], "metadata": meta}


def blank_images(nb: Any) -> int:
    """Empty every plain base64 image payload of a parsed notebook in place (for a scan that, like the save
    hook, does not read binary images); returns how many.

    Example:
        >>> nb = {"cells": [{"outputs": [{"data": {"image/png": "iVBORw0KGgo=", "text/plain": "fig"}}]}]}
        >>> blank_images(nb), nb["cells"][0]["outputs"][0]["data"]
        (1, {'image/png': '', 'text/plain': 'fig'})
    """
    count = 0
    stack = [nb]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if is_image_payload(k, v):
                    value[k] = ""
                    count += 1
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(value, list):
            stack.extend(v for v in value if isinstance(v, (dict, list)))
    return count


def _summary(findings: list[Finding]) -> dict[str, int]:
    return {"secrets": sum(1 for f in findings if f.is_secret and not f.suppressed),
            "warnings": sum(1 for f in findings if not f.is_secret and not f.suppressed),
            "suppressed": sum(1 for f in findings if f.suppressed)}


def _safe_json(value: Any) -> Any:
    # Defence in depth on what another module rendered: mask any secret in any string.
    text = json.dumps(value)
    return json.loads(detect.redact(text)) if detect.might_contain_secret(text) else value

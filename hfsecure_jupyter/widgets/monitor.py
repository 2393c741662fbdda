"""Watching jobs: :class:`JobMonitor` (one job, live) and :class:`JobList` (recent jobs).

:class:`JobMonitor` shows the job's stage with how long each stage took, a live tail of its logs, a cancel
button, the link to the job's page, and the error doctor's diagnosis when it fails (a ``KeyError:
'HF_TOKEN'`` in the logs means the token was not passed as a secret). Two daemon threads do the work: one
polls the stage, one follows the logs. The tail is bounded (``max_lines``) and the page is updated at most
every ``throttle`` seconds, so a job printing 100,000 lines costs the kernel a deque append per line and the
browser a few messages a second. Log lines are masked (the job handle masks the token and anything the
detector finds) before they are kept.

Example:
    >>> print(stages_text([("SCHEDULING", 0.0), ("RUNNING", 1.5), ("COMPLETED", 4.0)], now=4.0))
    SCHEDULING 1.5 s -> RUNNING 2.5 s -> COMPLETED
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import ipywidgets as W  # type: ignore[import-untyped]

from ..constants import TERMINAL_JOB_STAGES as TERMINAL_STAGES
from ._common import COLORS, FG_DIM, MONO, BORDER, ThreadSafeUpdates, box_html, esc, pill, TextForm

__all__ = ["JobList", "JobMonitor", "stages_text"]

log = logging.getLogger(__name__)

_STAGE_KIND = {"COMPLETED": "ok", "ERROR": "error", "CANCELED": "warn", "DELETED": "warn", "RUNNING": "info",
               "SCHEDULING": "dim"}
# Lines worth keeping for the diagnosis even after they scrolled out of the tail (bounded too).
_MARKERS = ("Error", "error:", "Traceback", "KeyError", "Exception", "401", "403", "429")


class _Handle(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def url(self) -> str: ...

    def info(self) -> Any: ...
    def logs(self, follow: bool = False) -> Iterator[str]: ...
    def cancel(self) -> None: ...


def stages_text(stages: Sequence[tuple[str, float]], now: float | None = None) -> str:
    """The stages seen with their durations (the last one runs until ``now``, unless it is terminal)."""
    now = time.monotonic() if now is None else now
    parts = []
    for i, (stage, start) in enumerate(stages):
        end = stages[i + 1][1] if i + 1 < len(stages) else now
        parts.append(stage if stage in TERMINAL_STAGES else f"{stage} {end - start:.1f} s")
    return " -> ".join(parts)


class JobMonitor(TextForm, W.VBox, ThreadSafeUpdates):
    """A live view of one submitted job.

    Args:
        handle: a :class:`~hfsecure_jupyter.jobs.JobHandle` (or anything with ``id``, ``namespace``,
            ``url``, ``info()``, ``logs(follow=)``, ``cancel()``).
        max_lines: how many log lines the tail keeps.
        throttle: at most one page update per this many seconds while lines arrive.
        poll_interval: seconds between two stage checks.
        env, secrets: the job's env and secret *names* (for the diagnosis; values are never read).
        start: start the threads now (tests may start them later with :meth:`start`).
    """

    def __init__(self, handle: _Handle, *, max_lines: int = 200, throttle: float = 0.25,
                 poll_interval: float = 1.0, env: Sequence[str] = (), secrets: Sequence[str] = (),
                 start: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_updates()
        self.handle = handle
        self.max_lines, self.throttle, self.poll_interval = max(1, int(max_lines)), float(throttle), poll_interval
        self.env_names, self.secret_names = list(env), list(secrets)
        self.tail: collections.deque[str] = collections.deque(maxlen=self.max_lines)
        self.marked: collections.deque[str] = collections.deque(maxlen=50)
        self.lines_seen = 0
        self.updates = 0  # page updates of the log view (tests count them)
        self.stages: list[tuple[str, float]] = []
        self.stage = "SUBMITTED"
        self.diagnosis: Any = None
        self.error = ""
        self._lock = threading.Lock()
        self._dirty = False
        self._last_flush = 0.0
        self._stop = threading.Event()
        self.done = threading.Event()
        self._logs_done = threading.Event()
        self.header = W.HTML()
        self.logs_view = W.HTML(layout=W.Layout(max_height="20em", overflow="auto"))
        self.doctor = W.HTML()
        self.cancel_button = W.Button(description="Cancel job", icon="stop", button_style="warning")
        self.cancel_button.on_click(lambda _: self.cancel())
        self._parts = (self.header, self.cancel_button, self.logs_view, self.doctor)
        self.children = self._parts
        self._render_header()
        self._threads: list[threading.Thread] = []
        if start:
            self.start()

    # -- threads ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the stage poller and the log follower (daemon threads)."""
        if self._threads:
            return
        for target, name in ((self._poll, "hfsecure-job-stage"), (self._follow, "hfsecure-job-logs")):
            t = threading.Thread(target=target, name=name, daemon=True)
            self._threads.append(t)
            t.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                stage = str(self.handle.info().status.stage)
            except Exception as exc:  # noqa: BLE001 - shown, the poll goes on
                self.error = _one_line(exc)
                self._render_header()
                if self._stop.wait(self.poll_interval * 2):
                    break
                continue
            self._set_stage(stage)
            if stage in TERMINAL_STAGES:
                self._logs_done.wait(10)  # the log stream ends with the job; wait for its last lines
                self._finish()
                return
            self._flush_if_due()
            self._stop.wait(self.poll_interval)

    def _follow(self) -> None:
        try:
            for line in self.handle.logs(follow=True):
                if self._stop.is_set():
                    break
                self.add_line(line)
        except Exception as exc:  # noqa: BLE001 - the stage poller still reports the end
            self.error = _one_line(exc)
        finally:
            self._logs_done.set()
            self._flush(force=True)

    # -- state --------------------------------------------------------------------------------------------
    def add_line(self, line: str) -> None:
        """Keep one (already masked) log line; the page is updated when the throttle allows."""
        line = line.rstrip("\n")
        with self._lock:
            self.tail.append(line)
            self.lines_seen += 1
            if any(m in line for m in _MARKERS):
                self.marked.append(line)
            self._dirty = True
        self._flush_if_due()

    def _flush_if_due(self) -> None:
        if self._dirty and time.monotonic() - self._last_flush >= self.throttle:
            self._flush()

    def _flush(self, force: bool = False) -> None:
        with self._lock:
            if not self._dirty and not force:
                return
            self._dirty = False
            self._last_flush = time.monotonic()
            lines = list(self.tail)
            seen = self.lines_seen
        hidden = seen - len(lines)
        note = (f'<div style="color:{FG_DIM}">... {hidden} earlier line{"s" if hidden != 1 else ""} not shown '
                f"(the last {self.max_lines} are)</div>" if hidden > 0 else "")
        body = esc("\n".join(lines)) if lines else f'<span style="color:{FG_DIM}">no log lines yet</span>'
        html = (f'{note}<pre style="font-family:{MONO};font-size:0.85em;margin:0;white-space:pre-wrap;'
                f'border:1px solid {BORDER};padding:4px">{body}</pre>')

        def update() -> None:
            self.updates += 1
            self.logs_view.value = box_html(html)

        self._apply(update)

    def _set_stage(self, stage: str) -> None:
        if not self.stages or self.stages[-1][0] != stage:
            self.stages.append((stage, time.monotonic()))
        self.stage = stage
        self._render_header()

    def _render_header(self) -> None:
        h = self.handle
        link = (f'<a href="{esc(h.url)}" target="_blank" rel="noopener" style="color:{COLORS["info"]}">'
                f"{esc(h.namespace)}/{esc(h.id)}</a>")
        stages = esc(stages_text(self.stages)) if self.stages else "waiting for the Hub..."
        err = f'<div style="color:{COLORS["warn"]}">{esc(self.error)}</div>' if self.error else ""
        html = box_html(f"Job {link} &nbsp; {pill(self.stage, _STAGE_KIND.get(self.stage, 'info'))}"
                        f'<div style="color:{FG_DIM}">{stages}</div>{err}')

        ended = self.stage in TERMINAL_STAGES

        def update() -> None:
            self.header.value = html
            self.cancel_button.disabled = ended
            # An ended job has nothing to cancel: the button leaves the box (JupyterLab kept showing it
            # under COMPLETED with only its layout's display set to "none").
            children = tuple(c for c in self._parts if not (ended and c is self.cancel_button))
            if self.children != children:
                self.children = children

        self._apply(update)

    def _finish(self) -> None:
        self._flush(force=True)
        if self.stage == "ERROR":
            self.diagnosis = self._diagnose()
            self._apply(lambda: setattr(self.doctor, "value", _diagnosis_html(self.diagnosis)))
        self._render_header()
        self.done.set()

    def _diagnose(self) -> Any:
        from ..hub.errors import diagnose

        with self._lock:
            text = "\n".join(list(self.marked) + list(self.tail)[-50:])
        try:
            return diagnose(text, env=self.env_names, secrets=self.secret_names, context="job")
        except Exception:  # noqa: BLE001 - no diagnosis rather than a broken monitor
            return None

    # -- actions ------------------------------------------------------------------------------------------
    def cancel(self) -> threading.Thread:
        """Ask the Hub to stop the job (in a worker; the stage poller shows CANCELED)."""
        def work() -> None:
            try:
                self.handle.cancel()
            except Exception as exc:  # noqa: BLE001
                self.error = f"could not cancel: {_one_line(exc)}"
                self._render_header()

        t = threading.Thread(target=work, name="hfsecure-job-cancel", daemon=True)
        t.start()
        return t

    def stop(self) -> None:
        """Stop watching (the job goes on)."""
        self._stop.set()

    def text(self) -> str:
        """The plain-text form."""
        lines = [f"job {self.handle.namespace}/{self.handle.id}: {self.stage}  {self.handle.url}"]
        if self.stages:
            lines.append("  " + stages_text(self.stages))
        if self.diagnosis is not None:
            lines.append(f"  {self.diagnosis.title}: {self.diagnosis.cause}")
            lines.append(f"  fix: {self.diagnosis.fix}")
        return "\n".join(lines)

    def close(self) -> None:
        self.stop()
        super().close()


def _diagnosis_html(d: Any) -> str:
    if d is None:
        return box_html(f'<span style="color:{COLORS["error"]}">The job failed; see its logs above.</span>')
    link = (f' <a href="{esc(d.link)}" target="_blank" rel="noopener" style="color:{COLORS["info"]}">more</a>'
            if getattr(d, "link", "") else "")
    return box_html(f'<div style="border-left:3px solid {COLORS["error"]};padding-left:6px">'
                    f'<b style="color:{COLORS["error"]}">{esc(d.title)}</b><br>{esc(d.cause)}<br>'
                    f"<b>fix:</b> {esc(d.fix)}{link}</div>")


def _one_line(exc: BaseException) -> str:
    from ..detect import redact

    return redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])


# ------------------------------------------------------------------------------------------------ job list

class JobList(TextForm, W.VBox, ThreadSafeUpdates):
    """Recent jobs of the logged-in user (or ``namespace``) with status and links, loaded in the background.

    Args:
        limit: how many jobs to show (newest first).
        list_jobs: the call that lists jobs (default ``huggingface_hub.HfApi().list_jobs``).
    """

    def __init__(self, *, namespace: str | None = None, limit: int = 10,
                 list_jobs: Callable[..., Any] | None = None, start: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_updates()
        self.namespace, self.limit, self._list_jobs = namespace, limit, list_jobs
        self.rows: list[dict[str, str]] = []
        self.error = ""
        self.loaded = threading.Event()
        self.table = W.HTML(box_html(f'<span style="color:{FG_DIM}">loading jobs...</span>'))
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.children = (self.table, self.refresh_button)
        if start:
            self.refresh()

    def load(self) -> None:
        """List the jobs now (in the calling thread) and render them."""
        from ..jobs.listing import recent_jobs

        try:
            self.rows = recent_jobs(namespace=self.namespace, limit=self.limit, list_jobs=self._list_jobs)
            self.error = ""
        except Exception as exc:  # noqa: BLE001 - shown with its diagnosis
            from ..hub.errors import diagnose

            d = diagnose(exc)
            self.error = f"{d.title}: {d.fix}" if d else _one_line(exc)
        self._apply(lambda: setattr(self.table, "value", self._html()))
        self.loaded.set()

    def refresh(self) -> threading.Thread:
        """Reload in a worker thread."""
        self.loaded.clear()
        t = threading.Thread(target=self.load, name="hfsecure-job-list", daemon=True)
        t.start()
        return t

    def _html(self) -> str:
        if self.error:
            return box_html(f'<span style="color:{COLORS["warn"]}">{esc(self.error)}</span>')
        if not self.rows:
            return box_html("no jobs yet")
        head = "".join(f'<th style="text-align:left;padding-right:1em;color:{FG_DIM}">{h}</th>'
                       for h in ("job", "stage", "created", "flavor"))
        body = "".join(
            f'<tr><td><a href="{esc(r["url"])}" target="_blank" rel="noopener" style="color:{COLORS["info"]}">'
            f'{esc(r["id"])}</a></td><td>{pill(r["stage"], _STAGE_KIND.get(r["stage"], "info"))}</td>'
            f'<td>{esc(r["created"])}</td><td>{esc(r["flavor"])}</td></tr>' for r in self.rows)
        return box_html(f"<table><tr>{head}</tr>{body}</table>")

    def text(self) -> str:
        """The plain-text form."""
        from ..jobs.listing import jobs_text

        return self.error or jobs_text(self.rows)


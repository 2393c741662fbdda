"""How a Hugging Face Job shows its progress in a cell: one function, :func:`show_job`.

The view is plain text plus HTML, published through IPython display handles and updated in place, so a
notebook shows one live header (job id, stage, link) and the log lines below it. Everything shown passes
through a :class:`~hfsecure_jupyter.detect.Redactor` first: a job that prints its token shows
``hf_****wxyz``. A richer widget can replace this module later: ``%%hfjob`` calls nothing else.

Log lines are published in blocks of :data:`LINES_PER_BLOCK`: each block is its own display, updated in
place while it fills, so long logs cost little to update and no line is ever dropped.

Where displays cannot be updated in place (plain terminal IPython, or no IPython at all) the view
degrades to printing each new line once.

Example:
    >>> class Done:  # anything with id, url, status() and logs() is shown the same way
    ...     id, url = "local", None
    ...     def status(self): return "COMPLETED"
    ...     def logs(self, follow=False): return iter(["hello"])
    >>> show_job(Done())
    job local: COMPLETED
    hello
    'COMPLETED'
"""

from __future__ import annotations

import html
import time
from typing import Any, Callable, Iterable, Iterator, Protocol

from ..constants import TERMINAL_JOB_STAGES

__all__ = ["JobView", "default_redact", "show_job", "show_local_run", "TERMINAL_STAGES", "LINES_PER_BLOCK", "describe_error"]

#: Stages after which a job changes no more (huggingface_hub's JobStage).
TERMINAL_STAGES = TERMINAL_JOB_STAGES
#: Log lines per display block (a full block is never updated again).
LINES_PER_BLOCK = 200
#: Seconds between two in-place updates of the same block while lines pour in.
UPDATE_EVERY = 0.1
_STAGE_COLOURS = {"COMPLETED": "#1a7f37", "ERROR": "#cf222e", "CANCELED": "#6e7781",
                  "DELETED": "#6e7781", "RUNNING": "#0969da", "SCHEDULING": "#9a6700"}


class _Handle(Protocol):  # what show_job needs from a jobs.JobHandle
    @property
    def id(self) -> str: ...

    def status(self) -> str: ...

    def logs(self, follow: bool = False) -> Iterable[str]: ...


def _shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance() if InteractiveShell.initialized() else None


def _updates_in_place(shell: Any) -> bool:
    # The base DisplayPublisher prints text/plain (terminal IPython): an "update" would print it again.
    if shell is None:
        return False
    from IPython.core.displaypub import DisplayPublisher

    return type(shell.display_pub) is not DisplayPublisher


def _stage_of(value: Any) -> str:
    """A stage string from whatever ``handle.status()`` returns (a str, an enum, a JobStatus)."""
    stage = getattr(value, "stage", value)
    stage = getattr(stage, "value", stage)
    return str(stage or "UNKNOWN").upper()


def describe_error(exc: BaseException, redact: Callable[[str], str] = str) -> str:
    """One short, secret-free paragraph for an error: the Hub error doctor's cause and fix if it knows it.

    Example:
        >>> describe_error(ValueError("no such flavor"))
        'ValueError: no such flavor'
    """
    diagnosis = None
    try:
        from ..hub import errors

        diagnosis = errors.diagnose(exc)
    except Exception:  # the doctor is optional: never let it hide the real error
        diagnosis = None
    if diagnosis is not None:
        parts = [getattr(diagnosis, "title", "") or "", f"cause: {diagnosis.cause}", f"fix: {diagnosis.fix}"]
        link = getattr(diagnosis, "link", None)
        if link:
            parts.append(f"see: {link}")
        return redact("\n".join(p for p in parts if p))
    first = (str(exc).strip().splitlines() or [""])[0]
    return redact(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


class JobView:
    """The live view of one job: a header (id, stage, link, hint) and log blocks, updated in place.

    Args:
        job_id: shown in the header.
        url: link to the job page, or None.
        redact: applied to every string before it is shown.
        hint: a short line under the header (how to follow, stop or cancel).

    Example:
        >>> v = JobView("abc", None, hint="")
        >>> v.set_stage("RUNNING")
        job abc: RUNNING
        >>> v.add_line("step 1"); v.close()
        step 1
    """

    def __init__(self, job_id: str, url: str | None, *, redact: Callable[[str], str] = str,
                 hint: str = "") -> None:
        self.job_id = str(job_id)
        self.url = url
        self.redact = redact
        self.hint = hint
        self.stage = ""
        self.message = ""
        self.notes: list[str] = []
        self.line_count = 0
        self._shell = _shell()
        self._live = _updates_in_place(self._shell)
        self._header: Any = None
        self._shown = False
        self._block: Any = None
        self._block_lines: list[str] = []
        self._block_dirty = False
        self._last_update = 0.0

    # -- publishing ---------------------------------------------------------------------------------
    def _publish(self, bundle: dict[str, str], handle: Any) -> Any:
        from IPython.display import DisplayHandle, display

        if handle is None:
            handle = DisplayHandle()
            display(bundle, raw=True, display_id=handle.display_id)
        else:
            handle.update(bundle, raw=True)
        return handle

    def _header_bundle(self) -> dict[str, str]:
        stage = self.stage or "SUBMITTED"
        text = f"job {self.job_id}: {stage}"
        if self.message:
            text += f" ({self.message})"
        lines = [text]
        if self.url:
            lines.append(self.url)
        lines += self.notes
        if self.hint and stage not in TERMINAL_STAGES:
            lines.append(self.hint)
        plain = self.redact("\n".join(lines))
        colour = _STAGE_COLOURS.get(stage, "#57606a")
        e = html.escape
        link = (f' &middot; <a href="{e(self.redact(self.url))}" target="_blank" rel="noopener">{e(self.redact(self.url))}</a>'
                if self.url else "")
        msg = f" <span>({e(self.redact(self.message))})</span>" if self.message else ""
        extra = "".join(f"<div>{e(self.redact(n))}</div>" for n in self.notes)
        if self.hint and stage not in TERMINAL_STAGES:
            extra += f'<div style="opacity:.7">{e(self.redact(self.hint))}</div>'
        rich = (f'<div class="hfsecure-job"><b>job</b> <code>{e(self.redact(self.job_id))}</code>: '
                f'<b style="color:{colour}">{e(stage)}</b>{msg}{link}{extra}</div>')
        return {"text/plain": plain, "text/html": rich}

    def _block_bundle(self) -> dict[str, str]:
        text = "\n".join(self._block_lines)
        return {"text/plain": text,
                "text/html": f'<pre class="hfsecure-job-log" style="margin:0">{html.escape(text)}</pre>'}

    def _show_header(self) -> None:
        if self._live:
            self._header = self._publish(self._header_bundle(), self._header)
        else:
            stage = self.stage or "SUBMITTED"
            print(self.redact(f"job {self.job_id}: {stage}" + (f" ({self.message})" if self.message else "")))

    def _flush_block(self, force: bool = False) -> None:
        if not (self._live and self._block_dirty):
            return
        now = time.monotonic()
        if not force and now - self._last_update < UPDATE_EVERY and self._block is not None:
            return
        self._block = self._publish(self._block_bundle(), self._block)
        self._block_dirty = False
        self._last_update = now

    # -- what callers use ---------------------------------------------------------------------------
    def set_stage(self, stage: str, message: str = "") -> None:
        """Show a new stage (and the Hub's message for it); shown again only when it changed."""
        stage = _stage_of(stage)
        if (stage, message or "") == (self.stage, self.message) and self._shown:
            return
        self._shown = True
        self.stage, self.message = stage, message or ""
        self._show_header()

    def add_note(self, note: str) -> None:
        """Add a line under the header (a hint, an error diagnosis)."""
        self.notes.append(note)
        if self._live:
            self._header = self._publish(self._header_bundle(), self._header)
        else:
            print(self.redact(note))

    def add_line(self, line: str) -> None:
        """Append one log line (redacted); a full block is closed and a new one started."""
        line = self.redact(str(line).rstrip("\r\n"))
        self.line_count += 1
        if not self._live:
            print(line)
            return
        if len(self._block_lines) >= LINES_PER_BLOCK:
            self._flush_block(force=True)
            self._block, self._block_lines = None, []
        self._block_lines.append(line)
        self._block_dirty = True
        self._flush_block()

    def close(self) -> None:
        """Publish whatever is still pending."""
        self._flush_block(force=True)


def default_redact() -> Callable[[str], str]:
    """The kernel extension's redactor when it is loaded, else one that knows the active token."""
    from .. import detect

    shell = _shell()
    if shell is not None:
        try:
            from .state import get_state

            state = get_state(shell)
            red = getattr(state, "redactor", None) if state is not None else None
            if red is not None:
                return red.redact
        except Exception:  # extension absent or not loaded: build our own below
            pass
    known: list[str] = []
    try:
        from ..hub import auth

        token = auth.current_token()
        if token:
            known.append(token)
    except Exception:  # no hub layer, or no login: detected shapes are still masked
        pass
    return detect.Redactor(known=known).redact


def _poll(handle: _Handle, view: JobView, until: Callable[[str], bool], interval: float,
          limit: float | None) -> str:
    """Poll ``handle.status()`` until ``until(stage)``; return the last stage (raises what status raises)."""
    start = time.monotonic()
    wait = min(interval, 0.1)
    while True:
        stage = _stage_of(handle.status())
        view.set_stage(stage)
        if until(stage) or (limit is not None and time.monotonic() - start >= limit):
            return stage
        time.sleep(wait)
        wait = min(interval, wait * 2)  # quick at first (short stages are seen), then every `interval`


def show_job(handle: _Handle, *, follow: bool = True, redact: Callable[[str], str] | None = None,
             poll_interval: float = 1.0, hint: str | None = None) -> str:
    """Show a job's stage and, with ``follow``, its log lines live until it ends; return the last stage.

    Never raises for the Hub: an error while following is shown (cause and fix) and the job is left as it
    is. Ctrl-C / interrupt stops following, not the job.

    Args:
        handle: a :class:`hfsecure_jupyter.jobs.JobHandle` (or anything with ``id``, ``url``,
            ``status()`` and ``logs(follow=...)``).
        follow: stream logs until the job reaches a terminal stage; False shows the stage once.
        redact: applied to everything shown (default: the kernel extension's redactor, or one that
            knows the active token).
        poll_interval: seconds between status polls while the job is scheduled.
        hint: a line under the header while the job runs (default: how to get logs or cancel).

    Example:
        >>> class Job:
        ...     id, url = "j1", "http://hub/jobs/me/j1"
        ...     def status(self): return "RUNNING"
        ...     def logs(self, follow=False): return iter([])
        >>> show_job(Job(), follow=False, hint="")
        job j1: RUNNING
        'RUNNING'
    """
    redact = redact or default_redact()
    if hint is None:
        hint = ("detached: handle.logs() to read the logs, handle.cancel() to stop it" if not follow
                else "interrupt the kernel to stop following (the job keeps running)")
    view = JobView(getattr(handle, "id", "?"), getattr(handle, "url", None), redact=redact, hint=hint)
    stage = ""
    try:
        if not follow:
            stage = _stage_of(handle.status())
            view.set_stage(stage)
            return stage
        # Scheduling: the log stream has nothing yet, so poll the stage.
        stage = _poll(handle, view, lambda s: s != "SCHEDULING", poll_interval, None)
        # A job that already ended still has its logs to show (follow would wait for nothing).
        for line in handle.logs(follow=stage not in TERMINAL_STAGES):
            view.add_line(line)
        view.close()
        # The stream ends at the end of the job; the stage may lag it by a poll or two.
        stage = _poll(handle, view, lambda s: s in TERMINAL_STAGES, min(poll_interval, 0.5), 10.0)
        if stage == "ERROR":
            _diagnose_logs(handle, view, redact)
        return stage
    except KeyboardInterrupt:
        view.close()
        view.add_note("stopped following; the job keeps running: handle.logs() to read on, "
                      "handle.cancel() to stop it")
        return stage or view.stage
    except Exception as exc:  # the Hub failed while we watched: say so, keep the job
        view.close()
        view.add_note("could not follow the job: " + describe_error(exc, redact))
        return stage or view.stage


def _diagnose_logs(handle: _Handle, view: JobView, redact: Callable[[str], str]) -> None:
    """After a failed job, show the error doctor's cause and fix for the first log line it recognises."""
    try:
        from ..hub import errors

        lines: Iterator[str] = iter(handle.logs(follow=False))
        tail = list(lines)[-50:]
        for line in reversed(tail):
            diagnosis = errors.diagnose(line)
            if diagnosis is not None:
                view.add_note(redact(f"cause: {diagnosis.cause}\nfix: {diagnosis.fix}"))
                return
    except Exception:  # a missing diagnosis is not an error of its own
        return


def show_local_run(run: Callable[[Callable[[str], None]], Any], *, redact: Callable[[str], str] | None = None,
                   name: str = "local run") -> Any:
    """Show a job's script running here: ``run(on_line)`` runs it, calling ``on_line`` per output line.

    The same view as :func:`show_job`: a header (RUNNING, then COMPLETED or ERROR with the exit code) and
    the redacted lines as they come. Returns what ``run`` returns (a ``jobs.LocalRun``); an interrupt
    propagates to ``run`` (which stops the process) and then is shown as a note.

    Example:
        >>> class Result: returncode = 0
        >>> def run(on_line):
        ...     on_line("hello")
        ...     return Result()
        >>> _ = show_local_run(run, redact=str)
        job local run: RUNNING
        hello
        job local run: COMPLETED (exit code 0)
    """
    redact = redact or default_redact()
    view = JobView(name, None, redact=redact)
    view.set_stage("RUNNING")
    try:
        result = run(view.add_line)
    except KeyboardInterrupt:
        view.close()
        view.set_stage("CANCELED", "interrupted")
        return None
    view.close()
    code = getattr(result, "returncode", None)
    note = getattr(result, "note", "") or ""
    message = f"exit code {code}" + (f"; {note}" if note else "")
    view.set_stage("COMPLETED" if code == 0 else "ERROR", message)
    return result

"""Submit a :class:`~hfsecure_jupyter.jobs.spec.JobSpec` and follow it, through huggingface_hub only.

Placeholders (``$HF_TOKEN``, ``$WANDB_API_KEY``...) are resolved here and only here, at the moment of
submission: ``$HF_TOKEN`` from the local login (``huggingface_hub.get_token()``, or ``token=``), any other
``$NAME`` from the environment. The values live in local variables of one call and travel in the
request's ``secrets`` (which the Hub encrypts); nothing returned or raised holds them. The namespace is
resolved once (whoami) when the spec has none, then passed to every call so the client does not ask again.

Failures become :class:`JobError` subclasses whose message says what went wrong and how to fix it (through
the error doctor, :func:`hfsecure_jupyter.hub.errors.diagnose`, when it is there), masked.

Example:
    >>> from hfsecure_jupyter.jobs.spec import JobSpec
    >>> spec = JobSpec.uv("print('hi')").replace(secrets={"W": "$HFSECURE_DOCTEST_UNSET"})
    >>> try:
    ...     resolve_secrets(spec, token="unused")
    ... except MissingSecretError as e:
    ...     print(e)
    cannot resolve the job's secret W: $HFSECURE_DOCTEST_UNSET is not set in this environment. Export HFSECURE_DOCTEST_UNSET before submitting (its value is read at submission and sent encrypted as a secret).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .. import detect
from .spec import JobSpec, placeholder_name, uv_run_words
from ..errors import JobError, JobSubmitError, JobTimeoutError, MissingSecretError
from ..constants import TERMINAL_JOB_STAGES

if TYPE_CHECKING:  # pragma: no cover
    from huggingface_hub import HfApi

    from ..hub.status import StatusService

__all__ = [
    "JobError", "JobHandle", "JobSubmitError", "JobTimeoutError", "LocalRun", "MissingSecretError",
    "TERMINAL_STAGES", "resolve_secrets", "run_local", "submit",
]

#: Stages after which a job never changes.
TERMINAL_STAGES = TERMINAL_JOB_STAGES

# The login status service of callers that hold none (plain Python): its cache answers the namespace
# question once per token. A kernel passes its own (``status=``), so a submission and ``%hfsecure status``
# share one whoami cache.
_shared_status: "StatusService | None" = None
_shared_lock = threading.Lock()


# ------------------------------------------------------------------------------------------------ helpers

def _get_token() -> str | None:
    from huggingface_hub import get_token

    return get_token()


def _api(api: "HfApi | None") -> "HfApi":
    if api is not None:
        return api
    from huggingface_hub import HfApi

    return HfApi()


def resolve_secrets(spec: JobSpec, *, token: str | None = None) -> dict[str, str]:
    """The spec's secrets with their placeholders resolved now (in-process only: never show the result).

    ``$HF_TOKEN`` takes ``token`` or the local login (``get_token()``); any other ``$NAME`` is read from
    ``os.environ``. Raises :class:`MissingSecretError` naming what is missing (never a value).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> tok = fake_token()
        >>> resolve_secrets(JobSpec.uv("print(1)").with_token_secret(), token=tok) == {"HF_TOKEN": tok}
        True
    """
    values: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    for name, placeholder in spec.secret_items:
        var = placeholder_name(placeholder) or name
        value = (token if token is not None else _get_token()) if var == "HF_TOKEN" else os.environ.get(var)
        if value:
            values[name] = value
        else:
            missing.append((name, var))
    if missing:
        names = [n for n, _ in missing]
        parts = []
        for name, var in missing:
            if var == "HF_TOKEN":
                parts.append(f"{name}: no Hugging Face login here for $HF_TOKEN. Log in first (`hf auth login`, or "
                             "huggingface_hub.login() / notebook_login()) and check with `hf auth whoami`.")
            else:
                parts.append(f"{name}: ${var} is not set in this environment. Export {var} before submitting (its "
                             "value is read at submission and sent encrypted as a secret).")
        # Names only, and the spec refuses secret-looking names; redacted all the same (a forged spec).
        raise MissingSecretError(detect.redact(f"cannot resolve the job's secret{'s' if len(parts) > 1 else ''} "
                                               + " ".join(parts)), names=[detect.redact(n) for n in names])
    return values


def _status_service(given: "StatusService | None") -> "StatusService":
    global _shared_status
    if given is not None:
        return given
    with _shared_lock:
        if _shared_status is None:
            from ..hub.status import StatusService

            _shared_status = StatusService()
        return _shared_status


def _namespace_for(api: "HfApi", token: str, status: "StatusService | None" = None) -> str:
    """The token owner's name: the login status cache's answer, else one whoami (then cached there)."""
    return _status_service(status).user_for_token(token, api=api)


def _diagnose(exc: BaseException, spec: JobSpec | None) -> Any:
    try:
        from ..hub.errors import diagnose
    except Exception:  # the doctor is optional: fall back to our own short messages
        return None
    try:
        return diagnose(exc, env=spec.env if spec else None, secrets=spec.secret_names if spec else None)
    except Exception:
        return None


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _job_error(action: str, exc: BaseException, known: list[str], spec: JobSpec | None = None,
               cls: type[JobError] = JobError) -> JobError:
    """A masked, actionable JobError for ``exc`` raised while ``action``."""
    redactor = detect.Redactor(known=[k for k in known if k])
    status = _status_of(exc)
    diagnosis = _diagnose(exc, spec)
    if diagnosis is not None:
        message = f"{action} failed: {diagnosis.title}. {diagnosis.cause} Fix: {diagnosis.fix} ({diagnosis.link})"
    else:
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        hint = {
            401: "the token was rejected (missing, revoked or mistyped): log in again with `hf auth login`",
            403: "the token lacks permission: use a write token, or a fine-grained token with job.write on this "
                 "namespace",
            404: "not found: check the job id and the namespace",
            429: "rate limited: wait a minute and retry",
        }.get(status or 0, "")
        message = f"{action} failed ({type(exc).__name__}{f', HTTP {status}' if status else ''}): {first}"
        if hint:
            message += f". {hint}"
    return cls(redactor.redact(message), diagnosis=diagnosis, status=status, original=type(exc).__name__)


# ------------------------------------------------------------------------------------------------ handle

@dataclass(frozen=True)
class JobHandle:
    """A submitted job: its id, namespace and page. Holds no secret; each call reads the login when it runs.

    Every method takes an optional ``token`` (default: the local login at that moment).
    """

    id: str
    namespace: str
    url: str

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # What IPython shows as Out[n] under a job's live view: short, and says what the handle can do.
        p.text(f"<job {self.namespace}/{self.id}: .status() .logs() .wait() .cancel()>")

    def info(self, *, token: str | None = None, api: "HfApi | None" = None) -> Any:
        """The job as the Hub describes it (``huggingface_hub.JobInfo``; secrets by name only)."""
        try:
            return _api(api).inspect_job(job_id=self.id, namespace=self.namespace, token=token)
        except Exception as exc:
            raise _job_error(f"inspecting job {self.id}", exc, [token or ""]) from None

    def status(self, *, token: str | None = None, api: "HfApi | None" = None) -> str:
        """The job's stage: SCHEDULING, RUNNING, COMPLETED, CANCELED, ERROR or DELETED."""
        return str(self.info(token=token, api=api).status.stage)

    def logs(self, follow: bool = False, *, token: str | None = None, api: "HfApi | None" = None) -> Iterator[str]:
        """The job's log lines (``follow=True``: until the job ends), with any secret masked."""
        tok = token if token is not None else _get_token()
        redactor = detect.Redactor(known=[tok] if tok else [])
        try:
            for line in _api(api).fetch_job_logs(job_id=self.id, namespace=self.namespace, follow=follow, token=tok):
                yield redactor.redact(line)
        except Exception as exc:
            raise _job_error(f"reading the logs of job {self.id}", exc, [tok or ""]) from None

    def cancel(self, *, token: str | None = None, api: "HfApi | None" = None) -> None:
        """Ask the Hub to stop the job."""
        try:
            _api(api).cancel_job(job_id=self.id, namespace=self.namespace, token=token)
        except Exception as exc:
            raise _job_error(f"canceling job {self.id}", exc, [token or ""]) from None

    def wait(self, timeout: float | None = None, *, poll_interval: float = 1.0, token: str | None = None,
             api: "HfApi | None" = None) -> str:
        """Block until the job ends; return its final stage. Raises :class:`JobTimeoutError` after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        hf = _api(api)
        while True:
            stage = self.status(token=token, api=hf)
            if stage in TERMINAL_STAGES:
                return stage
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise JobTimeoutError(f"job {self.id} is still {stage} after {timeout} s (it goes on; "
                                      f"see {self.url})")
            time.sleep(poll_interval if left is None else max(0.0, min(poll_interval, left)))


# ------------------------------------------------------------------------------------------------ submit

def submit(spec: JobSpec, *, token: str | None = None, api: "HfApi | None" = None,
           status: "StatusService | None" = None) -> JobHandle:
    """Submit ``spec`` to the Hub with the local login (or ``token``) and return its :class:`JobHandle`.

    An inline script travels in the self-contained command of :attr:`JobSpec.command` (no upload). Secret
    placeholders are resolved now; the namespace is the spec's, or the token owner's (asked once, and kept in
    ``status``'s cache: pass the caller's :class:`~hfsecure_jupyter.hub.StatusService`, e.g. the kernel's).

    Raises:
        MissingSecretError: not logged in, or a ``$NAME`` placeholder's variable is not set.
        JobSubmitError: the Hub refused the job (401, 403, ...) or was unreachable; masked and actionable.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> spec = JobSpec.uv("print(1)").replace(secrets={"W": "$HFSECURE_DOCTEST_UNSET"})
        >>> try:  # refused before any call to the Hub
        ...     submit(spec, token=fake_token())
        ... except MissingSecretError as e:
        ...     print(e.names)
        ['W']
    """
    if not isinstance(spec, JobSpec):
        raise TypeError("submit() takes a JobSpec (build one with JobSpec.uv() or JobSpec.container())")
    tok = token if token is not None else _get_token()
    if not tok:
        raise MissingSecretError("not logged in to Hugging Face, so the job cannot be submitted: log in first "
                                 "(`hf auth login`, or huggingface_hub.login() / notebook_login()) and check with "
                                 "`hf auth whoami`.", names=[n for n, v in spec.secret_items
                                                              if placeholder_name(v) == "HF_TOKEN"])
    secrets = resolve_secrets(spec, token=tok)
    known = [tok, *secrets.values()]
    hf = _api(api)
    try:
        namespace = spec.namespace or _namespace_for(hf, tok, status)
        info = hf.run_job(image=spec.image, command=spec.command, env=spec.env, secrets=secrets or None,
                          flavor=spec.flavor, timeout=spec.timeout, labels=spec.labels or None,
                          namespace=namespace, token=tok)
    except Exception as exc:
        raise _job_error("submitting the job", exc, known, spec, JobSubmitError) from None
    finally:
        secrets.clear()
        known.clear()
    return JobHandle(id=info.id, namespace=namespace, url=info.url)


# ------------------------------------------------------------------------------------------------ local run

@dataclass
class LocalRun:
    """What :func:`run_local` saw: exit code and output lines (secrets masked).

    Attributes:
        returncode: the process's exit code (negative: killed by that signal; -9 after a timeout).
        lines: stdout and stderr, merged, one entry per line, masked.
        runner: ``"uv"`` or ``"python"`` (uv was not found: dependencies were not installed).
        command: what ran (the script path is a temporary file, already removed).
        note: what to know about this run (the fallback, a timeout).
        timed_out: the run was stopped after its timeout.
    """

    returncode: int
    lines: list[str] = field(default_factory=list)
    runner: str = "python"
    command: list[str] = field(default_factory=list)
    note: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """True when the script exited with 0."""
        return self.returncode == 0

    @property
    def output(self) -> str:
        """All lines joined."""
        return "\n".join(self.lines)


def run_local(spec: JobSpec, *, token: str | None = None, timeout: float | None = None, use_uv: bool | None = None,
              on_line: Callable[[str], None] | None = None) -> LocalRun:
    """Run a uv job's script here, in a subprocess, with its env and its secrets as environment variables.

    Uses ``uv run`` (with the spec's dependencies and Python) when ``uv`` is on PATH, else the current Python
    (dependencies are then not installed; ``.note`` says so). ``HF_TOKEN`` and the spec's secret names are
    removed from the inherited environment first, so the script sees exactly what the job would get.

    Args:
        token: the value for ``$HF_TOKEN`` (default: the local login).
        timeout: seconds before the run is killed (default: the spec's timeout, else none).
        use_uv: force (True) or forbid (False) uv; None picks uv when found.
        on_line: called with each masked output line as it comes.

    Example:
        >>> from hfsecure_jupyter.jobs.spec import JobSpec
        >>> run = run_local(JobSpec.uv("print('hello')"), use_uv=False)
        >>> run.returncode, run.lines
        (0, ['hello'])
    """
    if spec.kind != "uv":
        raise ValueError("run_local runs uv scripts only; a container job needs its image (submit it instead)")
    secrets = resolve_secrets(spec, token=token)
    redactor = detect.Redactor(known=list(secrets.values()))
    uv = shutil.which("uv") if use_uv is not False else None
    if use_uv and not uv:
        raise FileNotFoundError("uv is not on PATH: install it (pip install uv) or pass use_uv=False")
    tmpdir = tempfile.mkdtemp(prefix="hfsecure-job-")
    try:
        path = _local_script(spec, tmpdir, uv)
        command, runner, note = _local_command(spec, path, uv)
        limit = timeout if timeout is not None else spec.timeout
        returncode, lines, timed_out = _run_masked(command, _local_env(spec, secrets), tmpdir, limit, redactor,
                                                   on_line)
        if timed_out:
            note = (note + "; " if note else "") + f"stopped after {limit} s"
        shown = [c if c != path else os.path.basename(path) for c in command]
        return LocalRun(returncode=returncode, lines=lines, runner=runner, command=shown, note=note,
                        timed_out=timed_out)
    finally:
        secrets.clear()
        shutil.rmtree(tmpdir, ignore_errors=True)


def _local_script(spec: JobSpec, tmpdir: str, uv: str | None) -> str:
    """The script to run: an inline one written (0600) into ``tmpdir``; a URL as is (uv fetches it)."""
    if spec.is_inline:
        path = os.path.join(tmpdir, os.path.basename(spec.script_path or "") or "job.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(spec.script_text or "")
        os.chmod(path, 0o600)
        return path
    if uv:
        return spec.script or ""
    raise FileNotFoundError("running a script from a URL needs uv on PATH (pip install uv)")


def _local_command(spec: JobSpec, path: str, uv: str | None) -> tuple[list[str], str, str]:
    """(command, runner, note): ``uv run`` with the spec's dependencies, else this Python, noting what is lost."""
    if uv:
        command = uv_run_words(spec.dependencies, spec.python, [path], spec.script_args)
        command[0] = uv
        return command, "uv", ""
    missing = list(spec.dependencies) + (["the script's # /// script dependencies"]
                                         if "# /// script" in (spec.script_text or "") else [])
    note = (f"uv not found: ran with {sys.executable}"
            + (f"; not installed: {', '.join(missing)}" if missing else "")
            + (f"; python {spec.python} not selected" if spec.python else ""))
    return [sys.executable, path, *spec.script_args], "python", note


def _local_env(spec: JobSpec, secrets: dict[str, str]) -> dict[str, str]:
    """This process's environment without any token or secret of the same names, then the job's env and secrets."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") and k not in secrets}
    env.update(spec.env)
    env.update(secrets)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_masked(command: list[str], env: dict[str, str], cwd: str, limit: float | None,
                redactor: detect.Redactor, on_line: Callable[[str], None] | None) -> tuple[int, list[str], bool]:
    """Run ``command`` in a session of its own; (returncode, masked lines, timed out). Killed after ``limit`` s."""
    lines: list[str] = []
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, cwd=cwd, text=True, encoding="utf-8", errors="replace",
                            start_new_session=True)
    timed_out = threading.Event()

    def _kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    timer = threading.Timer(limit, _kill) if limit else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = redactor.redact(raw.rstrip("\r\n"))
            lines.append(line)
            if on_line is not None:
                on_line(line)
        returncode = proc.wait()
    finally:
        if timer:
            timer.cancel()
        if proc.poll() is None:
            _kill()
            proc.wait()
    return returncode, lines, timed_out.is_set()

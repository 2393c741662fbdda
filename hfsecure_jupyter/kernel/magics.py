"""The ``%%hfjob`` and ``%hfsecure`` magics.

``%%hfjob [options]`` runs the cell body, a uv script, as a Hugging Face Job. Options mirror
``hf jobs uv run``. The magic parses its flags and asks :func:`hfsecure_jupyter.jobs.plan_job` for the
decision: refuse a literal secret in the body or the options, infer the ``--with`` dependencies from the
imports (when no ``--with`` is given), work out what Hub access the script needs, add ``HF_TOKEN`` to the
job's ``secrets`` (as the ``$HF_TOKEN`` placeholder, resolved only at submission) when the script needs a
login, and refuse, with the fix, when the logged-in token cannot do what the script needs. The magic prints
that :class:`~hfsecure_jupyter.jobs.JobPlan`; then it shows the job's stage and logs
live (:func:`hfsecure_jupyter.kernel.display.show_job`) and returns the job's handle, which holds no
secret.

``%hfsecure status | scan [PATH] | guard on|off|warn`` shows where the token comes from and who it is,
scans the current notebook file (or PATH), and sets the guard's policy.

Nothing here imports huggingface_hub at load time: the Hub layer is imported when a magic runs.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> parse_env([f"A=1", "TOKEN_NAME=$HF_TOKEN"])
    {'A': '1', 'TOKEN_NAME': '$HF_TOKEN'}
    >>> parse_secrets(["HF_TOKEN", "OTHER=$MY_KEY"])
    {'HF_TOKEN': '$HF_TOKEN', 'OTHER': '$MY_KEY'}
    >>> try:
    ...     parse_secrets([f"HF_TOKEN={fake_token()}"])
    ... except JobRefused as exc:
    ...     print(exc.lines[0])
    refused: --secrets takes names only, not values (HF_TOKEN=...)
"""

from __future__ import annotations

import os
import re
import shlex
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence, cast

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand

from ..constants import HF_REVOKE, PLACEHOLDER_RE as _PLACEHOLDER
from ..errors import JobNotSubmitted, JobRefused
from .state import KernelState, get_state

if TYPE_CHECKING:  # the Hub and Jobs layers are imported when a magic runs, not at %load_ext
    import argparse

    from IPython.core.magic_arguments import MagicArgumentParser

    from ..config import HFSecure
    from ..hub import AuthStatus, StatusService
    from ..jobs import JobHandle, JobPlan, JobSpec
    from ..jobs.plan import MisusePolicy

__all__ = ["HFSecureMagics", "HFJOB_OPTIONS", "JobRefused", "JobNotSubmitted", "STATUS_TIMEOUT", "find_notebook_path",
           "parse_env", "parse_hfjob_line", "parse_labels", "parse_secrets"]

#: Seconds ``%hfsecure status`` waits for the Hub before it says "unknown".
STATUS_TIMEOUT = 2.0
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


# -- option parsing (pure functions, tested directly) --------------------------------------------------

def _split_kv(item: str, flag: str) -> tuple[str, str | None]:
    key, sep, value = item.partition("=")
    key = key.strip()
    if not _NAME.match(key):
        raise UsageError(f"{flag} {key or item!r}: a name must start with a letter and hold only letters, "
                         "digits and _")
    return key, (value if sep else None)


def parse_env(items: Iterable[str] | None, environ: dict[str, str] | None = None) -> dict[str, str]:
    """``-e K=V`` options -> a dict; a bare ``-e K`` takes K's value from this machine, like ``hf jobs``.

    A bare secret-looking name (``-e HF_TOKEN``) becomes the placeholder ``$HF_TOKEN``: the job builder
    then moves it to ``secrets``.

    Example:
        >>> parse_env(["A=1", "B"], environ={"B": "two"})
        {'A': '1', 'B': 'two'}
        >>> parse_env(["API_TOKEN"], environ={})
        {'API_TOKEN': '$API_TOKEN'}
    """
    from .. import detect

    local: Mapping[str, str] = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for item in items or ():
        key, value = _split_kv(item, "-e/--env")
        if value is None:
            if detect.is_secret_name(key):
                value = f"${key}"
            elif key in local:
                value = local[key]
            else:
                raise UsageError(f"-e {key}: {key} is not set here; write -e {key}=VALUE")
        out[key] = value
    return out


def parse_secrets(items: Iterable[str] | None) -> dict[str, str]:
    """``-s NAME`` / ``-s NAME=$OTHER`` options -> ``{NAME: "$NAME"}``; a value is refused.

    Example:
        >>> parse_secrets(["HF_TOKEN", "A=${B}"])
        {'HF_TOKEN': '$HF_TOKEN', 'A': '${B}'}
    """
    out: dict[str, str] = {}
    for item in items or ():
        key, value = _split_kv(item, "-s/--secrets")
        if value is None:
            value = f"${key}"
        elif not _PLACEHOLDER.match(value.strip()):
            raise JobRefused([
                f"refused: --secrets takes names only, not values ({key}=...)",
                f"fix: write -s {key}; the value is read from this machine at submission "
                f"(or -s {key}=$OTHER_NAME to take it from another variable)",
            ])
        out[key] = value.strip()
    return out


def parse_labels(items: Iterable[str] | None) -> dict[str, str]:
    """``--label K=V`` options -> a dict (a bare ``K`` gets an empty value).

    Example:
        >>> parse_labels(["team=nlp", "nightly"])
        {'team': 'nlp', 'nightly': ''}
    """
    out: dict[str, str] = {}
    for item in items or ():
        key, _, value = item.partition("=")
        if not key.strip():
            raise UsageError(f"--label {item!r}: write --label KEY=VALUE")
        out[key.strip()] = value
    return out


def find_notebook_path(user_ns: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> str | None:
    """The file of the notebook this kernel serves, when the server told the kernel (else None).

    jupyter_server sets ``JPY_SESSION_NAME`` in a kernel's environment and ipykernel copies it to
    ``__session__``; VS Code sets ``__vsc_ipynb_file__``.

    Example:
        >>> find_notebook_path({"__session__": "/tmp/a.ipynb"}, environ={})
        '/tmp/a.ipynb'
        >>> find_notebook_path({}, environ={}) is None
        True
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    ns: Mapping[str, Any] = user_ns or {}
    for candidate in (ns.get("__vsc_ipynb_file__"), ns.get("__session__"),
                      env.get("JPY_SESSION_NAME")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


#: The options of ``%%hfjob`` (flags, argparse keywords), mirroring ``hf jobs uv run``.
HFJOB_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--flavor",), dict(default="cpu-basic", help="hardware flavor (default: cpu-basic)")),
    (("--timeout",), dict(default=None, help="maximum duration, e.g. 90, 30m, 2h (default: the Hub's)")),
    (("--with",), dict(dest="with_", action="append", default=[], metavar="DEP",
                       help="a dependency to install for the script (repeatable)")),
    (("-p", "--python"), dict(default=None, help="Python version for uv, e.g. 3.12")),
    (("--image",), dict(default=None, help="container image (default: the uv image)")),
    (("-e", "--env"), dict(action="append", default=[], metavar="K=V",
                           help="an environment variable for the job (repeatable); never a secret")),
    (("-s", "--secrets"), dict(action="append", default=[], metavar="NAME",
                               help="a secret by name, resolved from this machine at submission (repeatable)")),
    (("--namespace",), dict(default=None, help="user or organization that runs the job")),
    (("--label",), dict(action="append", default=[], metavar="K=V", help="a label (repeatable)")),
    (("-d", "--detach"), dict(action="store_true", help="submit and return at once")),
    (("--dry-run",), dict(action="store_true", help="show the job spec (MCP JSON, Python, CLI), submit nothing")),
    (("--local",), dict(action="store_true", help="run the script here, with the secrets as env vars")),
    (("script_args",), dict(nargs="*", help="arguments for the script")),
)
_PARSER: MagicArgumentParser | None = None


def parse_hfjob_line(line: str) -> argparse.Namespace:
    """Parse the ``%%hfjob`` line; a bad one raises a one-line ``UsageError``.

    The parser (IPython's ``MagicArgumentParser``) is built on first use, which keeps loading the
    extension cheap.

    Example:
        >>> args = parse_hfjob_line("--flavor t4-small --with torch --with rich -s HF_TOKEN --detach")
        >>> args.flavor, args.with_, args.secrets, args.detach
        ('t4-small', ['torch', 'rich'], ['HF_TOKEN'], True)
        >>> parse_hfjob_line("--nope")
        Traceback (most recent call last):
        ...
        IPython.core.error.UsageError: unrecognized arguments: --nope
    """
    global _PARSER
    if _PARSER is None:
        from IPython.core.magic_arguments import MagicArgumentParser

        parser = MagicArgumentParser(prog="%%hfjob", description="Run the cell as a Hugging Face Job.")
        for flags, kwargs in HFJOB_OPTIONS:
            parser.add_argument(*flags, **kwargs)
        _PARSER = parser
    try:
        args: argparse.Namespace = _PARSER.parse_argstring(line)
        return args
    except ValueError as exc:  # shlex: an unclosed quote
        raise UsageError(f"%%hfjob: {exc}") from None


# -- helpers -------------------------------------------------------------------------------------------

def _redactor(shell: Any) -> Callable[[str], str]:
    from .display import default_redact

    return default_redact()


def _settings(shell: Any) -> HFSecure | None:
    """The extension's HFSecure settings, or None when the extension is not loaded."""
    state = get_state(shell)
    return state.settings if state is not None else None


def _extension_state(shell: Any) -> KernelState | None:
    return get_state(shell)


def _masked_hits(text: str) -> list[str]:
    """Masked previews of the literal secrets in ``text`` (never the values)."""
    from .. import detect

    if not detect.might_contain_secret(text):
        return []
    return [detect.mask_secret(h.secret) for h in detect.find_secrets(text)]


def _refuse_literal_in_line(line: str) -> None:
    masked = _masked_hits(line)
    if masked:
        raise JobRefused([
            f"refused: the %%hfjob options hold a secret ({', '.join(masked)}); nothing was submitted",
            "fix: pass it by name: -s HF_TOKEN (the value is read from your login at submission), "
            "never -e NAME=<value> or -s NAME=<value>",
            HF_REVOKE + ": it is now in this "
            "notebook's history",
        ])


def _refusal_lines(plan: JobPlan) -> list[str]:
    """What ``%%hfjob`` shows for a refused plan: the refusal and its fixes."""
    first, *rest = plan.refusals[0].split("\n")
    return [f"refused: {first}; nothing was submitted", *rest]



def _print(lines: Iterable[str], redact: Callable[[str], str]) -> None:
    text = "\n".join(lines)
    if text:
        print(redact(text))


def _stage_text(status: Any) -> str:
    if status is None:
        return "unknown"
    return str(getattr(status, "state", "unknown") or "unknown")


# -- the magics ----------------------------------------------------------------------------------------

@magics_class
class HFSecureMagics(Magics):
    """``%%hfjob`` (run a cell as a Hugging Face Job) and ``%hfsecure`` (status, scan, guard policy)."""

    # ---------------------------------------------------------------- %%hfjob
    @cell_magic
    @no_var_expand
    def hfjob(self, line: str, cell: str | None = None) -> JobHandle | None:
        """Run the cell, a uv script, as a Hugging Face Job; return the job's handle.

        Usage: %%hfjob [options] [SCRIPT_ARGS ...]

        Secrets go by name and reach the job encrypted, as ``secrets``; ``HF_TOKEN`` is added for you when
        the script uses the Hub. A literal secret in the cell or the options is refused.

        Options (as ``hf jobs uv run``):
          --flavor FLAVOR     hardware flavor (default: cpu-basic)
          --timeout T         maximum duration: 90, 30m, 2h (default: the Hub's)
          --with DEP          a dependency to install for the script (repeatable)
          -p, --python VER    Python version for uv, e.g. 3.12
          --image IMAGE       container image (default: the uv image)
          -e, --env K=V       an environment variable (repeatable); never a secret
          -s, --secrets NAME  a secret by name, read from this machine at submission (repeatable);
                              NAME=$OTHER takes it from another variable
          --namespace NS      user or organization that runs the job
          --label K=V         a label (repeatable)
          -d, --detach        submit and return at once
          --dry-run           show the job spec (MCP JSON, Python, CLI) and submit nothing
          --local             run the script here, secrets as environment variables

        The handle (also ``Out[n]``) has ``id``, ``url``, ``status()``, ``logs()`` and ``cancel()``.
        """
        return self._hfjob(line, cell or "")

    def _hfjob(self, line: str, cell: str) -> JobHandle | None:
        redact = _redactor(self.shell)
        # First, before argparse can echo the line back in an error message.
        _refuse_literal_in_line(line)
        args = parse_hfjob_line(line)
        if args.dry_run and args.local:
            raise UsageError("--dry-run and --local exclude each other")
        if not cell.strip():
            raise UsageError("%%hfjob needs a uv script in the cell body, below the %%hfjob line")
        env = parse_env(args.env)
        secrets = parse_secrets(args.secrets)
        settings = _settings(self.shell)

        from ..jobs.plan import plan_job

        plan = plan_job(
            cell, dependencies=args.with_ or None, python=args.python, image=args.image, flavor=args.flavor,
            timeout=args.timeout, env=env, secrets=secrets, labels=parse_labels(args.label),
            namespace=args.namespace, script_args=args.script_args, local=args.local,
            misuse=cast("MisusePolicy", settings.misuse) if settings is not None else "warn",
            first_line=2,  # the user sees the %%hfjob line as line 1
            status=lambda: self._status_service().get_status())  # waits at most hub_timeout
        notes: list[str] = []
        if plan.misuse and (settings is None or settings.guard == "off"):
            # (With the guard on, it has shown these warnings for this cell already.)
            notes += ["warning: the script may leak a secret:", *plan.misuse]
        notes += plan.notes
        if plan.refused_by == "input":
            raise UsageError(plan.refusals[0])
        if plan.refused_by is not None and not (args.dry_run and plan.refused_by == "access"):
            raise JobRefused(_refusal_lines(plan))
        spec = plan.spec
        assert spec is not None  # a plan that is not refused before its spec has one
        if args.dry_run:
            for refusal in plan.refusals:  # an access refusal, shown as what a real run would do
                first, *rest = refusal.split("\n")
                notes += [f"warning: a real run would be refused: {first}", *rest]
            _print(notes, redact)
            self._show_renderings(spec, redact)
            return None
        _print(notes, redact)
        if args.local:
            self._run_local(spec, redact)
            return None
        handle = self._submit(spec, redact)
        if not args.detach and self._widgets():
            # A live monitor (its own threads) instead of following the logs in the cell: the kernel is free.
            from IPython.display import display

            from ..widgets.monitor import JobMonitor

            display(JobMonitor(handle, env=list(spec.env), secrets=[k for k, _ in spec.secret_items]))
            return handle
        from .display import show_job

        show_job(handle, follow=not args.detach, redact=redact)
        return handle

    def _show_renderings(self, spec: JobSpec, redact: Callable[[str], str]) -> None:
        import html
        import json

        from IPython.display import display

        forms = [("MCP hf_jobs", json.dumps(spec.to_mcp(), indent=2)), ("Python", spec.to_python()),
                 ("CLI", spec.to_cli())]
        if spec.is_inline:
            # The exact CLI form carries the script inline (base64); this one is the one people type.
            try:
                forms.append(("CLI, with the cell body saved as job.py", spec.to_cli("job.py", multiline=True)))
            except Exception:  # noqa: BLE001 - an extra view; the exact forms above are what matters
                pass
        for title, text in forms:  # a renderer bug must not put a value on screen
            if _masked_hits(text):
                raise JobRefused([f"refused: the {title} rendering holds a secret value (a bug): not shown"])
        plain = "\n\n".join(f"# {title}\n{text}" for title, text in forms)
        rich = "".join(f"<h4>{html.escape(title)}</h4><pre>{html.escape(text)}</pre>" for title, text in forms)
        display({"text/plain": redact(plain), "text/html": redact(rich)}, raw=True)

    def _submit(self, spec: JobSpec, redact: Callable[[str], str]) -> JobHandle:
        from ..jobs.submit import submit

        try:
            return submit(spec, status=self._status_service())
        except Exception as exc:
            raise JobNotSubmitted(["job not submitted: " + _error_text(exc, redact)]) from None

    def _run_local(self, spec: JobSpec, redact: Callable[[str], str]) -> None:
        from ..jobs.submit import run_local
        from .display import show_local_run

        try:
            show_local_run(lambda on_line: run_local(spec, on_line=on_line), redact=redact)
        except Exception as exc:
            raise JobNotSubmitted(["local run failed: " + _error_text(exc, redact)]) from None
        return None

    def _widgets(self) -> bool:
        """True where widgets render (a Jupyter kernel with ipywidgets); consoles and test shells get text."""
        from ..widgets._common import widgets_render

        return widgets_render(self.shell)

    # ---------------------------------------------------------------- %hfsecure
    @line_magic
    def hfsecure(self, line: str = "") -> None:
        """``%hfsecure status | scan [PATH] | jobs [N] | guard on|off|warn``.

        status: token source, user, role and age, guard policy, output redaction.
        scan:   scan the current notebook file (or PATH, a file or folder) and show the findings, masked.
        jobs:   your N (default 10) most recent jobs with their status and links.
        guard:  block cells holding a secret (on), warn only (warn), or do nothing (off).

        In a notebook these show widgets (login status, findings table, job list); their text form is
        what a console shows.
        """
        _refuse_literal_in_magic_line(line)
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%hfsecure: {exc}") from None
        command, rest = (words[0].lower(), words[1:]) if words else ("status", [])
        if command == "status" and not rest:
            return self._status()
        if command == "scan" and len(rest) <= 1:
            return self._scan(rest[0] if rest else None)
        if command == "guard" and len(rest) <= 1:
            return self._guard(rest[0].lower() if rest else None)
        if command == "jobs" and len(rest) <= 1 and (not rest or rest[0].isdigit()):
            return self._jobs(int(rest[0]) if rest else 10)
        raise UsageError("usage: %hfsecure status | scan [PATH] | jobs [N] | guard on|off|warn")

    def _status_service(self) -> StatusService:
        """The kernel's login status service (its state's), or this magics' own when the extension is not
        loaded (built from the shell's config, so ``c.HFSecure.*`` still applies)."""
        state = _extension_state(self.shell)
        if state is not None:
            return state.status
        own: StatusService | None = getattr(self, "_own_status", None)
        if own is None:
            from ..config import HFSecure
            from ..hub import StatusService

            own = self._own_status = StatusService(HFSecure(config=getattr(self.shell, "config", None)))
        return own

    def _status(self) -> None:
        redact = _redactor(self.shell)
        lines = ["hfsecure status"]
        try:
            service = self._status_service()
            source = service.token_source()
            src = source.name
            if source.shadows:
                src += f" (shadows: {', '.join(source.shadows)})"
            lines.append(f"  token source: {src}")
            masked = service.masked_token()
            if masked:
                lines.append(f"  token:        {masked}")
            widget = self._widgets()
            timeout = 0.0 if widget else min(float(service.settings.hub_timeout), STATUS_TIMEOUT)
            status = self._status_within(service, timeout)  # the widget shows the answer when it comes
            lines += _status_lines(status)
        except Exception as exc:  # the status line must come back even when the Hub layer fails
            lines.append(f"  login:        unknown ({_one_line(exc)})")
        state = _extension_state(self.shell)
        settings = getattr(state, "settings", None)
        if settings is None:
            lines.append("  guard:        not loaded (%load_ext hfsecure_jupyter)")
        else:
            lines.append(f"  guard:        {settings.guard} (misuse: {settings.misuse})")
            lines.append(f"  redaction:    {_redaction_text(state, settings)}")
        text = redact("\n".join(lines))
        if self._widgets():
            try:
                from IPython.display import display

                from ..widgets.login import LoginStatus

                w = LoginStatus(self._status_service())
                w.fixed_text = text
                display(w)
                return
            except Exception as exc:  # noqa: BLE001 - the text form below is always there
                text += f"\n  (the login widget could not be shown: {_one_line(exc)})"
        print(text)

    @staticmethod
    def _status_within(service: StatusService, timeout: float) -> AuthStatus | None:
        """``service.get_status`` bounded by ``timeout`` even if it overstays (runs in a helper thread)."""
        import threading

        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["status"] = service.get_status(timeout=timeout)
            except Exception as exc:  # reported as unknown below
                box["error"] = exc

        t = threading.Thread(target=work, name="hfsecure-status", daemon=True)
        t.start()
        t.join(timeout + 0.5)
        if "status" in box:
            return box["status"]
        if "error" in box:
            raise box["error"]
        return None  # still waiting: the caller shows "checking"

    def _scan(self, path: str | None) -> None:
        redact = _redactor(self.shell)
        history = None
        if path is None:
            path = find_notebook_path(self.shell.user_ns if self.shell is not None else None)
            if path is None:
                raise UsageError("%hfsecure scan: cannot tell which notebook this kernel runs; "
                                 "give its path: %hfsecure scan PATH")
            if not os.path.exists(path) and os.path.exists(os.path.basename(path)):
                path = os.path.basename(path)  # a server-relative path; the kernel runs in its folder
            if not os.path.exists(path):
                raise UsageError(f"%hfsecure scan: the notebook {path!r} is not reachable from "
                                 f"{os.getcwd()!r}; give its path: %hfsecure scan PATH")
            saved_note = _saved_version_note(path)
            guard = getattr(_extension_state(self.shell), "guard", None)
            history = _history_lines(_input_history(self.shell), getattr(guard, "warned", ()))
        else:
            saved_note = ""
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            raise UsageError(f"%hfsecure scan: no such file or folder: {path}")
        if self._widgets():
            from IPython.display import display

            from ..widgets.findings import Findings

            notes = [n for n in [saved_note, *(history or [])] if n]
            display(Findings.scan(path, note="\n".join(notes)))
            return
        text = _scan_text(path, saved_note)
        if history is not None:
            text += "\n" + "\n".join(history)
        print(redact(text))

    def _jobs(self, limit: int) -> None:
        redact = _redactor(self.shell)
        if self._widgets():
            from IPython.display import display

            from ..widgets.monitor import JobList

            display(JobList(limit=limit))  # loads in the background
            return
        import threading

        from ..jobs.listing import jobs_text, recent_jobs

        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["rows"] = recent_jobs(limit=limit)
            except Exception as exc:  # noqa: BLE001 - diagnosed below
                box["error"] = exc

        t = threading.Thread(target=work, name="hfsecure-jobs", daemon=True)
        t.start()
        t.join(float(self._status_service().settings.hub_timeout) + 0.5)
        if "rows" in box:
            print(redact(jobs_text(box["rows"])))
        elif "error" in box:
            print("jobs: " + _error_text(box["error"], redact))
        else:
            print("jobs: the Hub did not answer in time; try again (%hfsecure jobs)")

    def _guard(self, value: str | None) -> None:
        mapping = {"on": "block", "block": "block", "off": "off", "warn": "warn"}
        settings = _settings(self.shell)
        if value is None:
            if settings is None:
                print("guard: not loaded (%load_ext hfsecure_jupyter)")
            else:
                print(f"guard: {settings.guard} (misuse: {settings.misuse})")
            return
        if value not in mapping:
            raise UsageError("usage: %hfsecure guard on|off|warn")
        if settings is None:
            raise UsageError("the guard is not loaded in this kernel: run %load_ext hfsecure_jupyter first")
        settings.guard = mapping[value]
        explain = {"block": "cells holding a secret are rejected before they run",
                   "warn": "cells holding a secret run, with a warning",
                   "off": "cells are not checked (outputs are still redacted if redaction is on)"}
        print(f"guard: {settings.guard}: {explain[settings.guard]}")


def _refuse_literal_in_magic_line(line: str) -> None:
    masked = _masked_hits(line)
    if masked:
        raise UsageError(f"%hfsecure: the line holds a secret ({', '.join(masked)}); not run")


def _error_text(exc: BaseException, redact: Callable[[str], str]) -> str:
    """The jobs layer's own actionable message when it has one, else the error doctor's."""
    from ..jobs.submit import JobError
    from .display import describe_error

    if isinstance(exc, JobError):
        return redact(str(exc))
    return describe_error(exc, redact)


def _one_line(exc: BaseException) -> str:
    from .. import detect

    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return detect.redact(text)


def _status_lines(status: Any) -> list[str]:
    if status is None:
        return ["  login:        checking (the Hub has not answered yet; run %hfsecure status again)"]
    state = _stage_text(status)
    if state != "ok":
        err = getattr(status, "error", "") or ""
        return [f"  login:        {state}" + (f" ({err})" if err else "")]
    lines = [f"  user:         {status.user}" + (f" ({status.fullname})" if getattr(status, "fullname", "") else "")]
    role = getattr(status, "role", None) or "unknown"
    name = getattr(status, "token_name", None)
    lines.append(f"  role:         {role}" + (f" (token {name!r})" if name else ""))
    scopes = getattr(status, "scopes", None)
    if scopes:
        lines.append(f"  scopes:       {scopes if isinstance(scopes, str) else ', '.join(map(str, scopes))}")
    age = getattr(status, "age_days", None)
    lines.append(f"  age:          {age} days" if age is not None else "  age:          unknown")
    orgs = getattr(status, "orgs", None) or []
    if orgs:
        lines.append("  orgs:         " + ", ".join(f"{o[0]} ({o[1]})" if isinstance(o, (tuple, list)) else str(o)
                                                     for o in orgs))
    return lines


def _redaction_text(state: Any, settings: Any) -> str:
    if not getattr(settings, "redact_outputs", True):
        return "off (c.HFSecure.redact_outputs = False)"
    output = getattr(state, "output", None)
    mode = getattr(output, "mode", None)
    if output is None or mode in (None, "none"):
        return "not installed"
    if mode == "terminal":
        return "partial: results, displays and tracebacks are masked; printed output is not (terminal IPython)"
    known = getattr(getattr(state, "redactor", None), "known_count", 0)
    return f"active on every output channel ({known} known secret value{'s' if known != 1 else ''} masked)"


def _scan_text(path: str, saved_note: str = "") -> str:
    """The findings in a file or folder, masked, as the ``hfsecure scan`` command shows them."""
    from .. import report, scan_cli

    run = scan_cli.run_scan([path])
    text = report.render_text(run.reports, files_scanned=run.files_scanned, notes=run.notes, errors=run.errors)
    return (f"{saved_note}\n" if saved_note else "") + text.rstrip("\n")


def _saved_version_note(path: str, now: float | None = None) -> str:
    """Which saved version of the notebook is read: its path and when it was saved.

    Example:
        >>> import os, tempfile
        >>> fd, name = tempfile.mkstemp(suffix=".ipynb"); os.close(fd); os.utime(name, (0, 1000.0))
        >>> _saved_version_note(name, now=1060.0).endswith("(1 min ago); save first to include recent edits")
        True
        >>> os.remove(name)
    """
    import time

    try:
        mtime = os.path.getmtime(path)
    except OSError:
        return f"scanning the saved notebook {path} (save first to include recent edits)"
    age = max(0.0, (time.time() if now is None else now) - mtime)
    ago = (f"{age:.0f} s" if age < 60 else f"{age / 60:.0f} min" if age < 3600 else
           f"{age / 3600:.0f} h" if age < 86400 else f"{age / 86400:.0f} days")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime))
    return (f"scanning the saved notebook {path}, as saved at {stamp} ({ago} ago); "
            "save first to include recent edits")


def _input_history(shell: Any) -> list[str]:
    """The cells this kernel has run, ``In[0]`` first (the guard has scrubbed the ones it blocked)."""
    hm = getattr(shell, "history_manager", None)
    raw = getattr(hm, "input_hist_raw", None)
    if raw is None:
        raw = (getattr(shell, "user_ns", None) or {}).get("In") or []
    return [cell if isinstance(cell, str) else "" for cell in raw]


def _history_lines(cells: Sequence[str], warned: Iterable[tuple[int, Sequence[Any]]] = ()) -> list[str]:
    """What ``%hfsecure scan`` says about the cells this kernel has run (numbered as ``In[n]``).

    A secret in the history ran: the guard rejects and scrubs a cell that holds one, so such a cell ran
    while the guard was off or not loaded yet. A cell that ran with the guard warning is masked in the
    history; the guard's record of it (``warned``: In number and findings) is reported instead. Unsaved
    cells are here though not in the file.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> lines = _history_lines(["", "x = 1", f"tok = '{fake_token(seed=5)}'"])
        >>> lines[0]
        "this kernel's history: 2 cells run, 1 held a secret and ran (the guard was off, warning or not loaded)"
        >>> lines[1].startswith("  In [2], line 1: hf-user-token hf_****")
        True
    """
    from .. import detect

    found: dict[int, list[str]] = {}
    revoke: list[str] = []

    def add(number: int, f: Any, note: str = "") -> None:
        found.setdefault(number, []).append(f"  In [{number}], line {f.line}: {f.rule} {f.preview}{note}")
        url = detect.rule_by_id(f.rule).revoke_url or "its provider's settings"
        if url not in revoke:
            revoke.append(url)

    run = max(0, len(cells) - 1)  # In[0] is always empty
    for number, cell in enumerate(cells):
        if number == 0 or not cell or not detect.might_contain_secret(cell):
            continue
        try:
            for f in detect.scan_cell(cell, misuse=False):
                if f.kind == "secret":
                    add(number, f)
        except Exception as exc:  # noqa: BLE001 - say so, keep scanning the rest
            found.setdefault(number, []).append(f"  In [{number}]: could not be scanned ({type(exc).__name__})")
    for number, findings in warned:
        if number not in found:  # masked in the history: the guard's record says what ran
            for f in findings:
                add(number, f, " (ran with the guard warning)")
    plural = "s" if run != 1 else ""
    if not found:
        return [f"this kernel's history: {run} cell{plural} run, no secrets found"]
    held = len(found)
    lines = [f"this kernel's history: {run} cell{plural} run, {held} held a secret and ran "
             "(the guard was off, warning or not loaded)"]
    for number in sorted(found):
        lines += found[number]
    return lines + [f"  fix: revoke each secret shown ({', '.join(revoke)}), then restart the kernel to drop it "
                    "from memory and history"]

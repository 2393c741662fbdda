"""Jobs of the offline Hub emulator: the job record, its life cycle and the local-run mode.

A job moves SCHEDULING -> RUNNING -> COMPLETED (or ERROR / CANCELED) in a background thread.
By default the run is simulated (log lines describe what would run). In local-run mode an inline
uv-style job (``/bin/sh -lc 'echo "<base64>" | base64 -d | uv run [--with DEP] [-p PY] - [ARGS]'``, or
``python -c CODE``) really runs here in a subprocess with the job's secrets as environment variables;
without ``uv`` on the machine the decoded script runs with the current Python (the log says so).

Secret values live in a :class:`SealedSecrets` (one-time-pad encrypted in memory; repr shows names
only). Every log line is passed through a redactor that knows the job's secret values, so a script
that prints its token shows ``hf_****wxyz`` in the logs.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> sealed = SealedSecrets({"HF_TOKEN": fake_token(seed=1)})
    >>> sealed
    SealedSecrets(['HF_TOKEN'])
    >>> sealed.reveal()["HF_TOKEN"] == fake_token(seed=1)
    True
    >>> parse_inline(["python", "-c", "print(1)"]).script
    'print(1)'
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets as _secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..detect import Redactor
from .accounts import now_iso

__all__ = ["Job", "Timings", "SealedSecrets", "InlineScript", "parse_inline", "TERMINAL_STAGES", "HARDWARE"]

TERMINAL_STAGES = frozenset({"COMPLETED", "CANCELED", "ERROR", "DELETED"})
KEY_RE = re.compile(r"^[a-zA-Z][_a-zA-Z0-9]*$")


def _hw(name: str, pretty: str, cpu: str, ram: str, cost: int, gpu: tuple[str, str, str] | None = None) -> dict:
    acc = None
    if gpu:
        acc = {"type": "gpu", "model": gpu[0], "quantity": gpu[1], "vram": gpu[2], "manufacturer": "Nvidia"}
    return {"name": name, "prettyName": pretty, "cpu": cpu, "ram": ram, "ephemeralStorage": "50 GB",
            "accelerator": acc, "unitCostMicroUSD": cost, "unitCostUSD": cost / 1e6, "unitLabel": "minute"}


#: The flavors of huggingface_hub 2.4.0's JobHardware, with plausible specs (prices are illustrative).
HARDWARE: list[dict[str, Any]] = [
    _hw("cpu-basic", "CPU Basic", "2 vCPU", "16 GB", 167),
    _hw("cpu-upgrade", "CPU Upgrade", "8 vCPU", "32 GB", 500),
    _hw("cpu-performance", "CPU Performance", "32 vCPU", "256 GB", 3117),
    _hw("cpu-xl", "CPU XL", "16 vCPU", "124 GB", 1667),
    _hw("t4-small", "Nvidia T4 - small", "4 vCPU", "15 GB", 667, ("T4", "1", "16 GB")),
    _hw("t4-medium", "Nvidia T4 - medium", "8 vCPU", "30 GB", 1000, ("T4", "1", "16 GB")),
    _hw("l4x1", "1x Nvidia L4", "8 vCPU", "30 GB", 1333, ("L4", "1", "24 GB")),
    _hw("l4x4", "4x Nvidia L4", "48 vCPU", "186 GB", 6667, ("L4", "4", "96 GB")),
    _hw("l40sx1", "1x Nvidia L40S", "8 vCPU", "62 GB", 3000, ("L40S", "1", "48 GB")),
    _hw("l40sx4", "4x Nvidia L40S", "48 vCPU", "382 GB", 13000, ("L40S", "4", "192 GB")),
    _hw("l40sx8", "8x Nvidia L40S", "192 vCPU", "1534 GB", 39000, ("L40S", "8", "384 GB")),
    _hw("a10g-small", "Nvidia A10G - small", "4 vCPU", "15 GB", 1667, ("A10G", "1", "24 GB")),
    _hw("a10g-large", "Nvidia A10G - large", "12 vCPU", "46 GB", 2500, ("A10G", "1", "24 GB")),
    _hw("a10g-largex2", "2x Nvidia A10G - large", "24 vCPU", "92 GB", 5000, ("A10G", "2", "48 GB")),
    _hw("a10g-largex4", "4x Nvidia A10G - large", "48 vCPU", "184 GB", 8333, ("A10G", "4", "96 GB")),
    _hw("a100-large", "Nvidia A100 - large", "12 vCPU", "142 GB", 4167, ("A100", "1", "80 GB")),
    _hw("a100x4", "4x Nvidia A100", "48 vCPU", "568 GB", 16667, ("A100", "4", "320 GB")),
    _hw("a100x8", "8x Nvidia A100", "96 vCPU", "1136 GB", 33333, ("A100", "8", "640 GB")),
    _hw("h200", "1x Nvidia H200", "23 vCPU", "256 GB", 8333, ("H200", "1", "141 GB")),
    _hw("h200x2", "2x Nvidia H200", "46 vCPU", "512 GB", 16667, ("H200", "2", "282 GB")),
    _hw("h200x4", "4x Nvidia H200", "92 vCPU", "1024 GB", 33333, ("H200", "4", "564 GB")),
    _hw("h200x8", "8x Nvidia H200", "184 vCPU", "2048 GB", 66667, ("H200", "8", "1128 GB")),
    _hw("rtx-pro-6000", "1x Nvidia RTX PRO 6000", "16 vCPU", "128 GB", 5000, ("RTX PRO 6000", "1", "96 GB")),
    _hw("rtx-pro-6000x2", "2x Nvidia RTX PRO 6000", "32 vCPU", "256 GB", 10000, ("RTX PRO 6000", "2", "192 GB")),
    _hw("rtx-pro-6000x4", "4x Nvidia RTX PRO 6000", "64 vCPU", "512 GB", 20000, ("RTX PRO 6000", "4", "384 GB")),
    _hw("rtx-pro-6000x8", "8x Nvidia RTX PRO 6000", "128 vCPU", "1024 GB", 40000, ("RTX PRO 6000", "8", "768 GB")),
]
FLAVORS = frozenset(h["name"] for h in HARDWARE)


@dataclass
class Timings:
    """How fast emulated jobs move (seconds); tests shrink these, the CLI uses human-visible ones.

    Example:
        >>> Timings(scheduling=0.01).scheduling
        0.01
    """

    scheduling: float = 0.2  # time spent in SCHEDULING
    line_interval: float = 0.05  # pause between simulated log lines
    running: float = 0.3  # minimum time a simulated job stays RUNNING
    kill_grace: float = 2.0  # SIGTERM -> SIGKILL delay when a local run is canceled


class SealedSecrets:
    """Secret values kept out of sight: one-time-pad encrypted in memory, names only in repr/str."""

    __slots__ = ("_sealed",)

    def __init__(self, values: dict[str, str]) -> None:
        self._sealed: dict[str, tuple[bytes, bytes]] = {}
        for name, value in values.items():
            raw = value.encode()
            pad = os.urandom(len(raw))
            self._sealed[name] = (pad, bytes(a ^ b for a, b in zip(raw, pad)))

    def names(self) -> list[str]:
        """The secret names, sorted (what the Hub shows)."""
        return sorted(self._sealed)

    def reveal(self) -> dict[str, str]:
        """The clear values: only for the environment of a local run and the log redactor."""
        return {n: bytes(a ^ b for a, b in zip(pad, enc)).decode() for n, (pad, enc) in self._sealed.items()}

    def __repr__(self) -> str:
        return f"SealedSecrets({self.names()!r})"

    __str__ = __repr__

    def __reduce__(self):  # never pickle the values
        raise TypeError("SealedSecrets cannot be pickled")


@dataclass
class InlineScript:
    """An inline uv job decoded from its command: the script, uv options and script arguments."""

    script: str
    dependencies: list[str] = field(default_factory=list)
    python: str | None = None
    args: list[str] = field(default_factory=list)
    form: str = "uv-inline"  # or "python-c"

    def __repr__(self) -> str:
        return (f"InlineScript(form={self.form!r}, {len(self.script)} chars, dependencies={self.dependencies!r}, "
                f"python={self.python!r}, args={len(self.args)})")


_B64_PIPE = re.compile(
    r"""(?:echo|printf)\s+(?:-n\s+)?(?:'%s'\s+)?["']?(?P<b64>[A-Za-z0-9+/=\s]{4,}?)["']?"""
    r"""\s*\|\s*base64\s+(?:-d|--decode)\b"""
    r"""\s*\|\s*(?P<rest>.*)$""",
    re.S,
)


def parse_inline(command: list[str] | None) -> InlineScript | None:
    """Decode the self-contained inline form of a uv job, or ``python -c CODE``; None for anything else.

    Example:
        >>> import base64
        >>> b64 = base64.b64encode(b"print('hi')").decode()
        >>> s = parse_inline(["/bin/sh", "-lc", f'echo "{b64}" | base64 -d | uv run --with rich -p 3.12 - a b'])
        >>> s.script, s.dependencies, s.python, s.args
        ("print('hi')", ['rich'], '3.12', ['a', 'b'])
    """
    if not command or not all(isinstance(c, str) for c in command):
        return None
    exe = os.path.basename(command[0])
    if exe in ("python", "python3") and len(command) >= 3 and command[1] == "-c":
        return InlineScript(command[2], args=list(command[3:]), form="python-c")
    if exe not in ("sh", "bash", "dash", "zsh") or len(command) < 3 or not command[1].startswith("-") \
            or "c" not in command[1]:
        return None
    m = _B64_PIPE.search(command[2])
    if not m:
        return None
    try:
        script = base64.b64decode("".join(m.group("b64").split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    try:
        rest = shlex.split(m.group("rest"))
    except ValueError:
        return None
    if len(rest) < 2 or os.path.basename(rest[0]) != "uv" or rest[1] != "run":
        return None
    deps: list[str] = []
    python = None
    args: list[str] = []
    i = 2
    while i < len(rest):
        tok = rest[i]
        if tok == "-":
            args = rest[i + 1:]
            break
        if tok in ("--with", "-w") and i + 1 < len(rest):
            deps.append(rest[i + 1])
            i += 2
            continue
        if tok.startswith("--with="):
            deps.append(tok.split("=", 1)[1])
        elif tok in ("-p", "--python") and i + 1 < len(rest):
            python = rest[i + 1]
            i += 2
            continue
        elif tok.startswith("--python="):
            python = tok.split("=", 1)[1]
        elif not tok.startswith("-"):
            return None  # a script path or URL after the pipe: not the stdin form
        i += 1
    else:
        return None  # no "-": uv would not read the script from stdin
    return InlineScript(script, deps, python, args)


#: The group leader of a local run: runs the job, and kills its process group when the emulator's end of the
#: pipe closes (the emulator stopped or died) while the job still runs.
_WATCHDOG = """
import os, signal, subprocess, sys, threading
fd = int(sys.argv[1])
proc = subprocess.Popen(sys.argv[2:])
def _watch():
    try:
        os.read(fd, 1)
    except OSError:
        pass
    if proc.poll() is None:
        os.killpg(0, signal.SIGKILL)
threading.Thread(target=_watch, daemon=True).start()
signal.signal(signal.SIGTERM, lambda *a: proc.terminate())
rc = proc.wait()
sys.exit(rc if rc >= 0 else 128 - rc)
"""

#: What a local run inherits from the emulator's environment (nothing else: no token, no HF_* variable).
_INHERITED_ENV = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TZ")


def job_environment(home: str, endpoint: str | None, environment: dict[str, Any],
                    secrets: dict[str, str]) -> dict[str, str]:
    """The environment of a local run: a few system variables, a private ``HOME``/``HF_HOME``, the emulator as
    ``HF_ENDPOINT``, then the job's own env and secrets (and nothing else of the emulator's environment).

    Example:
        >>> env = job_environment("/tmp/w", "http://127.0.0.1:1", {"MODE": "x"}, {"HF_TOKEN": "t"})
        >>> env["HF_ENDPOINT"], env["HF_HOME"], env["MODE"], env["HF_TOKEN"]
        ('http://127.0.0.1:1', '/tmp/w/.cache/huggingface', 'x', 't')
    """
    env = {k: os.environ[k] for k in _INHERITED_ENV if k in os.environ}
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", "HOME": home,
                "HF_HOME": os.path.join(home, ".cache", "huggingface"), "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_UPDATE_CHECK": "1"})
    if endpoint:
        env["HF_ENDPOINT"] = endpoint
    env.update({k: str(v) for k, v in environment.items()})
    env.update(secrets)
    return env


_ENV_KEY_USE = re.compile(r"""os\.environ\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]""")


class Job:
    """One emulated job. Public fields are safe to show; secrets stay sealed.

    ``to_dict()`` is the Hub's job object (``secrets`` as a list of names).
    """

    def __init__(self, *, namespace: str, owner: dict, created_by: dict, spec: dict[str, Any],
                 secrets: dict[str, str], on_change: Callable[[], None] | None = None) -> None:
        self.id = _secrets.token_hex(12)
        self.namespace = namespace
        self.owner = owner
        self.created_by = created_by
        self.spec = spec  # holds no secret: secrets were taken out before
        self.secrets = SealedSecrets(secrets)
        self._redactor = Redactor(known=[v for v in secrets.values() if v])
        self.created_at = now_iso()
        self._t_created = time.monotonic()
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self._t_started: float | None = None
        self._t_finished: float | None = None
        self.stage = "SCHEDULING"
        self.message: str | None = None
        self.logs: list[tuple[str, str]] = []
        self.returncode: int | None = None
        self.ran_locally = False
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None
        self._endpoint: str | None = None

    def __repr__(self) -> str:
        return (f"Job(id={self.id!r}, namespace={self.namespace!r}, stage={self.stage!r}, "
                f"secrets={self.secrets.names()!r})")

    # -- state ------------------------------------------------------------------------------------------
    @property
    def terminal(self) -> bool:
        return self.stage in TERMINAL_STAGES

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.spec.get("labels") or {})

    def log(self, line: str) -> None:
        """Append one log line (redacted: the job's secret values and any detected secret are masked)."""
        clean = self._redactor.redact(line.rstrip("\r\n"))
        with self._lock:
            self.logs.append((now_iso(), clean))

    def set_stage(self, stage: str, message: str | None = None) -> bool:
        """Move to ``stage`` unless already terminal; True when it moved."""
        with self._lock:
            if self.stage in TERMINAL_STAGES:
                return False
            self.stage, self.message = stage, message
            if stage == "RUNNING" and self.started_at is None:
                self.started_at, self._t_started = now_iso(), time.monotonic()
            if stage in TERMINAL_STAGES:
                self.finished_at, self._t_finished = now_iso(), time.monotonic()
            return True

    def cancel(self, grace: float = 2.0) -> None:
        """Stop the job (kills a local run's process group) and mark it CANCELED."""
        if self.set_stage("CANCELED", "Canceled by user"):
            self._cancel.set()
            self._kill(grace)

    def _kill(self, grace: float) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return

        def _hard_kill() -> None:
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

        threading.Thread(target=_hard_kill, daemon=True).start()

    def to_dict(self) -> dict[str, Any]:
        """The Hub's job object."""
        spec = self.spec
        out: dict[str, Any] = {"id": self.id, "createdAt": self.created_at, "type": "job"}
        if spec.get("spaceId"):
            out["spaceId"] = spec["spaceId"]
        else:
            out["dockerImage"] = spec.get("dockerImage")
        out.update({
            "command": list(spec.get("command") or []),
            "arguments": list(spec.get("arguments") or []),
            "environment": dict(spec.get("environment") or {}),
            "secrets": self.secrets.names(),
            "flavor": spec.get("flavor", "cpu-basic"),
            "labels": dict(spec.get("labels") or {}),
            "owner": dict(self.owner),
            "createdBy": dict(self.created_by),
            "initiator": {"type": "user", "id": self.created_by["id"], "name": self.created_by["name"]},
        })
        for key in ("timeoutSeconds", "volumes", "expose", "network", "resourceGroupId"):
            if key in spec:
                out[key] = spec[key]
        if "attempts" in spec:
            out["retry"] = max(0, int(spec["attempts"]) - 1)
        with self._lock:
            out["status"] = {"stage": self.stage, "message": self.message}
            if self.started_at:
                out["startedAt"] = self.started_at
            if self.finished_at:
                out["finishedAt"] = self.finished_at
            now = time.monotonic()
            t_run, t_end = self._t_started, self._t_finished or now
            out["durations"] = {
                "schedulingSecs": int((t_run or t_end) - self._t_created),
                "runningSecs": int(t_end - t_run) if t_run else None,
                "totalSecs": int(t_end - self._t_created),
            }
        return out

    # -- life cycle ----------------------------------------------------------------------------------
    def start(self, timings: Timings, *, local_run: bool = False, use_uv: bool | None = None,
              endpoint: str | None = None) -> None:
        """Run the life cycle in a daemon thread; a local run gets ``HF_ENDPOINT=endpoint``."""
        self._endpoint = endpoint
        self._thread = threading.Thread(target=self._run, args=(timings, local_run, use_uv),
                                        name=f"hub-emulator-job-{self.id[:8]}", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, timings: Timings, local_run: bool, use_uv: bool | None) -> None:
        try:
            if self._cancel.wait(timings.scheduling):
                return
            if not self.set_stage("RUNNING"):
                return
            self.log(f"===== Job started at {self.started_at} =====")
            inline = parse_inline(self.spec.get("command")) if not self.spec.get("spaceId") else None
            if local_run and inline is not None:
                self._run_local(inline, timings, use_uv)
            else:
                self._simulate(inline, timings, local_run)
        except Exception as exc:  # the emulator must never leave a job hanging
            self.log(f"[hub emulator] internal error: {type(exc).__name__}")
            self.set_stage("ERROR", "Emulator internal error")

    def _pause(self, timings: Timings) -> bool:
        """Sleep one line interval; True when canceled meanwhile."""
        return self._cancel.wait(timings.line_interval)

    def _simulate(self, inline: InlineScript | None, timings: Timings, local_run: bool) -> None:
        t0 = time.monotonic()
        spec = self.spec
        image = spec.get("dockerImage") or f"hf.co/spaces/{spec.get('spaceId')}"
        cmd = shlex.join(spec.get("command") or [])
        lines = [f"[hub emulator] image {image} on {spec.get('flavor', 'cpu-basic')}",
                 f"[hub emulator] command: {cmd[:160]}{' ...' if len(cmd) > 160 else ''}"]
        env_names = sorted(spec.get("environment") or {})
        lines.append(f"[hub emulator] environment: {', '.join(env_names) or '(none)'}; "
                     f"secrets: {', '.join(self.secrets.names()) or '(none)'}")
        missing = None
        if inline is not None:
            available = set(env_names) | set(self.secrets.names())
            missing = next((k for k in _ENV_KEY_USE.findall(inline.script) if k not in available), None)
        if local_run:
            lines.append("[hub emulator] local run supports inline scripts only: this job is simulated")
        else:
            lines.append("[hub emulator] simulated run (start the emulator with --local-run to execute "
                         "inline scripts on this machine)")
        for line in lines:
            self.log(line)
            if self._pause(timings):
                return
        if missing:
            # What the real job would print when a script reads a variable nobody passed.
            for line in ("Traceback (most recent call last):", '  File "<stdin>", line 1, in <module>',
                         f"KeyError: '{missing}'"):
                self.log(line)
            self.returncode = 1
            self.set_stage("ERROR", "Job failed with exit code: 1")
            return
        remaining = timings.running - (time.monotonic() - t0)
        if remaining > 0 and self._cancel.wait(remaining):
            return
        self.log("[hub emulator] done")
        self.returncode = 0
        self.set_stage("COMPLETED")

    def _run_local(self, inline: InlineScript, timings: Timings, use_uv: bool | None) -> None:
        self.ran_locally = True
        uv = shutil.which("uv") if use_uv is not False else None
        if inline.form == "python-c":
            argv = [sys.executable, "-c", inline.script, *inline.args]
            stdin_data = None
            self.log(f"[hub emulator] local run: python -c with {sys.executable}")
        elif uv:
            argv = [uv, "run", "--quiet"]
            for dep in inline.dependencies:
                argv += ["--with", dep]
            if inline.python:
                argv += ["--python", inline.python]
            argv += ["-", *inline.args]
            stdin_data = inline.script
            self.log(f"[hub emulator] local run with uv ({uv})")
        else:
            argv = [sys.executable, "-", *inline.args]
            stdin_data = inline.script
            version = ".".join(map(str, sys.version_info[:3]))
            note = f"; dependencies not installed: {', '.join(inline.dependencies)}" if inline.dependencies else ""
            want = f" (the job asked for Python {inline.python})" if inline.python else ""
            self.log(f"[hub emulator] uv is not installed: running the script with Python {version}{want}{note}")
        timeout = self.spec.get("timeoutSeconds")
        with tempfile.TemporaryDirectory(prefix="hub-emulator-job-") as work:
            env = job_environment(work, self._endpoint, self.spec.get("environment") or {}, self.secrets.reveal())
            # The job runs under a watchdog, leader of its own process group, that ends the whole group
            # when the emulator goes away, however it goes (a SIGKILL included): its pipe then closes.
            alive_r, alive_w = os.pipe()
            try:
                proc = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(alive_r), *argv], cwd=work, env=env,
                                        stdin=subprocess.PIPE if stdin_data else subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(alive_r,),
                                        text=True, encoding="utf-8", errors="replace", bufsize=1,
                                        start_new_session=True)
            except OSError as exc:
                os.close(alive_w)
                self.log(f"[hub emulator] could not start the job: {exc.strerror}")
                self.set_stage("ERROR", "Could not start the job")
                return
            finally:
                os.close(alive_r)
            self._proc = proc
            if self._cancel.is_set():  # canceled while starting
                self._kill(timings.kill_grace)
            if stdin_data and proc.stdin is not None:
                try:
                    proc.stdin.write(stdin_data)
                    proc.stdin.close()
                except (BrokenPipeError, OSError):
                    pass
            timer = None
            if timeout:
                def _timeout() -> None:
                    if self.set_stage("ERROR", f"Job timed out after {timeout}s"):
                        self._kill(timings.kill_grace)
                timer = threading.Timer(float(timeout), _timeout)
                timer.daemon = True
                timer.start()
            assert proc.stdout is not None
            for line in proc.stdout:
                self.log(line)
            rc = proc.wait()
            os.close(alive_w)
            if timer:
                timer.cancel()
        self.returncode = rc
        if rc == 0:
            self.set_stage("COMPLETED")
        else:
            self.set_stage("ERROR", f"Job failed with exit code: {rc}")

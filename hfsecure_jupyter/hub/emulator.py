"""An offline Hugging Face Hub on loopback, for tests and demos: ``hfsecure hub-emulator``.

It serves what huggingface_hub 2.4.0 and the ``hf`` command line use for logins and Jobs:
``GET /api/whoami-v2``; ``/api/jobs/{namespace}`` (create, list with ``stage=``/``label=`` filters and
``Link`` paging), ``/api/jobs/{namespace}/{id}`` (inspect), ``.../cancel``, ``.../logs`` (server-sent
events), ``GET /api/jobs/hardware``; and the OAuth device-code login (``POST /oauth/device``,
``POST /oauth/token``). Auth is enforced as on the Hub: 401 for a missing or unknown token, 403 when a
read token or a fine-grained token without ``job.write`` on the namespace creates a job, 404 (the
client's ``JobNotFoundError``) for an unknown job. Secrets are sealed on arrival and only their names
come back. Faults (latency, 5xx, 429 with ``Retry-After``, dropped log streams) are set in-process on
``server.faults`` or through ``/_emulator/faults`` (loopback only).

Point the real client at it by setting ``HF_ENDPOINT`` *before* importing huggingface_hub.

Example:
    >>> import json, urllib.request
    >>> with EmulatorServer() as hub:
    ...     req = urllib.request.Request(hub.url + "/api/whoami-v2",
    ...                                  headers={"Authorization": "Bearer " + hub.token("alice")})
    ...     me = json.load(urllib.request.urlopen(req))
    >>> me["name"], me["orgs"][0]["roleInOrg"], me["auth"]["accessToken"]["role"]
    ('alice', 'admin', 'write')
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import re
import secrets as _secrets
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from .emulator_accounts import (Accounts, AccountsError, Token, User, _hex_id, demo_accounts, now_iso,
                                test_accounts)
from .emulator_jobs import FLAVORS, KEY_RE, Job, Timings, parse_inline

__all__ = ["EmulatorServer", "Faults", "Timings", "Job", "RequestRecord", "test_accounts", "demo_accounts",
           "main", "AccountsError", "parse_inline"]

log = logging.getLogger("hfsecure_jupyter.hub.emulator")

#: The message the real Hub sends (and the client recognises) for an unknown token.
INVALID_TOKEN = "Invalid credentials in Authorization header"
MISSING_TOKEN = "Invalid user token: no token in the Authorization header (log in or pass a token)"
_LABEL_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_JOB_ORG_ROLES = ("admin", "write", "contributor")


@dataclass
class Faults:
    """Failures the emulator injects into every API call (``/api/*`` and ``/oauth/*``).

    Attributes:
        latency: seconds added before answering each call.
        status: answer every call with this HTTP status (e.g. 500, 503, 429) instead of serving it.
        retry_after: ``Retry-After`` seconds sent with a 429 (or 503).
        times: apply ``latency``/``status`` to this many more calls only (None: until reset).
        paths: only calls whose path matches this regular expression (None: all).
        drop_streams: cut log streams after their first event (True: every stream, N: the next N).
        hold: in-process only (not in ``to_dict``): a ``threading.Event``; until it is set, calls matching
            ``paths`` wait unanswered, so a test decides when a stalled Hub answers.

    Example:
        >>> f = Faults(status=503, times=1)
        >>> f.to_dict()["status"]
        503
        >>> f.reset(); f.status is None
        True
    """

    latency: float = 0.0
    status: int | None = None
    retry_after: int = 1
    times: int | None = None
    paths: str | None = None
    drop_streams: bool | int = False

    def __post_init__(self) -> None:
        self.hold: threading.Event | None = None  # not a field: an Event cannot be copied or sent as JSON

    def reset(self) -> None:
        """Back to no faults (a held call is released)."""
        for key, value in asdict(Faults()).items():
            setattr(self, key, value)
        if self.hold is not None:
            self.hold.set()
        self.hold = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        """Set fields from a JSON object; ValueError on an unknown field or a bad value."""
        allowed = set(asdict(Faults()))
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        checked = dict(values)
        if "latency" in checked:
            checked["latency"] = float(checked["latency"] or 0)
            if checked["latency"] < 0:
                raise ValueError("latency must be >= 0")
        if checked.get("status") is not None:
            checked["status"] = int(checked["status"])
            if not 400 <= checked["status"] <= 599:
                raise ValueError("status must be an HTTP error status (400-599)")
        if checked.get("paths") is not None:
            re.compile(checked["paths"])
        for key, value in checked.items():
            setattr(self, key, value)

    def _matches(self, path: str) -> bool:
        return self.paths is None or re.search(self.paths, path) is not None

    def take(self, path: str) -> tuple[float, int | None]:
        """The (latency, status) to inject into this call; consumes one of ``times`` when any applies."""
        if not self._matches(path) or (not self.latency and self.status is None):
            return 0.0, None
        if self.times is not None:
            if self.times <= 0:
                return 0.0, None
            self.times -= 1
        return float(self.latency or 0.0), self.status

    def take_drop(self) -> bool:
        """Whether to cut this log stream (consumes one when ``drop_streams`` is a count)."""
        if self.drop_streams is True:
            return True
        if isinstance(self.drop_streams, int) and not isinstance(self.drop_streams, bool) and self.drop_streams > 0:
            self.drop_streams -= 1
            return True
        return False


@dataclass
class RequestRecord:
    """One call the emulator answered (no header, body or query value: nothing secret)."""

    method: str
    path: str
    status: int
    user: str | None
    duration: float


@dataclass
class _DeviceCode:
    device_code: str
    user_code: str
    expires: float
    polls: int = 0
    approved_user: str | None = None
    denied: bool = False
    issued: bool = False


def _is_loopback(ip: str | None) -> bool:
    try:
        return ipaddress.ip_address((ip or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    return _is_loopback(host)


# ---------------------------------------------------------------------------------------------------------
# The server object (plain Python; the tornado handlers below are thin)
# ---------------------------------------------------------------------------------------------------------
class EmulatorServer:
    """The emulated Hub, run on a tornado loop in a background thread.

    Args:
        accounts: the accounts file shape (see :mod:`.emulator_accounts`); None -> :func:`test_accounts`.
        host: interface to bind (loopback by default).
        port: TCP port (0 = any free one).
        local_run: really execute inline uv scripts of jobs here (see :mod:`.emulator_jobs`).
        timings: how fast jobs move.
        sock: an already bound listening socket to serve on (host/port are then taken from it).
        use_uv: in local-run mode, use ``uv`` when found (None/True) or always the current Python (False).
        device_auto_approve: approve a device login after this many polls (None: wait for
            :meth:`approve_device` or the verification page).
        device_interval: polling interval (seconds) the device flow asks clients for.
        page_size: jobs per page in listings (the rest through ``Link: rel="next"``).

    Example:
        >>> hub = EmulatorServer(port=0).start()
        >>> hub.url.startswith("http://127.0.0.1:")
        True
        >>> hub.stop()
    """

    def __init__(self, accounts: dict | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 local_run: bool = False, timings: Timings | None = None, sock: socket.socket | None = None,
                 use_uv: bool | None = None, device_auto_approve: int | None = None, device_interval: int = 1,
                 page_size: int = 50) -> None:
        self._accounts_dict = accounts if accounts is not None else test_accounts()
        self.users = Accounts.from_dict(self._accounts_dict)
        self.host, self.port = host, port
        self._sock = sock
        self._default_local_run = local_run
        self.local_run = local_run
        self._default_timings = timings or Timings()
        self.timings = Timings(**asdict(self._default_timings))
        self.use_uv = use_uv
        self._default_device = (device_auto_approve, device_interval)
        self.device_auto_approve = device_auto_approve
        self.device_interval = device_interval
        self.page_size = page_size
        self.faults = Faults()
        self.jobs: dict[str, Job] = {}
        self.requests: list[RequestRecord] = []
        self._devices: dict[str, _DeviceCode] = {}
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    def __repr__(self) -> str:
        state = "running" if self._thread and self._thread.is_alive() else "stopped"
        return f"EmulatorServer({self.url if self.port else 'unbound'}, users={sorted(self.users.users)}, {state})"

    # -- accounts ------------------------------------------------------------------------------------------
    @property
    def accounts(self) -> dict:
        """The accounts description this server was built from (holds token values: in-process only)."""
        return self._accounts_dict

    def token(self, user: str) -> str:
        """``user``'s first token value (in-process only; never print it)."""
        try:
            return self.users.users[user].tokens[0].value
        except (KeyError, IndexError):
            raise KeyError(f"no user {user!r} with a token in the emulator") from None

    def add_token(self, user: str, role: str = "write", *, fine_grained: dict | None = None,
                  display_name: str | None = None) -> str:
        """Give ``user`` a fresh token and return its value (in-process only)."""
        from ..testing import fake_token

        if role not in ("read", "write", "fineGrained"):
            raise ValueError("role must be read, write or fineGrained")
        value = fake_token()
        with self._lock:
            name = display_name or f"{user}-{role}-{len(self.users.users[user].tokens) + 1}"
            grants = (fine_grained or {"scoped": [], "global": []}) if role == "fineGrained" else None
            self.users.add_token(user, Token(value, role, name, now_iso(), grants))
        return value

    def revoke(self, value: str) -> bool:
        """Revoke a token: later calls with it get 401."""
        with self._lock:
            return self.users.revoke(value)

    # -- life cycle ------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> "EmulatorServer":
        """Bind and serve in a background thread; return self once it accepts connections."""
        if self._thread is not None and self._thread.is_alive():
            return self
        from tornado import netutil

        if self._sock is not None:
            sockets = [self._sock]
            self._sock = None
        else:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sockets = netutil.bind_sockets(self.port, self.host, family=family)
        addr = sockets[0].getsockname()
        self.host, self.port = addr[0], addr[1]
        self._started.clear()
        self._start_error = None
        self._thread = threading.Thread(target=self._serve, args=(sockets,), name="hub-emulator", daemon=True)
        self._thread.start()
        if not self._started.wait(15):
            raise RuntimeError("the hub emulator did not start within 15 s")
        if self._start_error is not None:
            raise RuntimeError(f"the hub emulator failed to start: {self._start_error}")
        return self

    def _serve(self, sockets: list[socket.socket]) -> None:
        from tornado.httpserver import HTTPServer

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            for s in sockets:
                if s.type == socket.SOCK_STREAM:
                    try:
                        s.listen(128)
                    except OSError:
                        pass
                s.setblocking(False)

            async def _setup() -> None:
                self._http = HTTPServer(make_app(self), xheaders=False, idle_connection_timeout=60)
                self._http.add_sockets(sockets)

            loop.run_until_complete(_setup())
        except BaseException as exc:  # report to start()
            self._start_error = exc
            self._started.set()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def stop(self) -> None:
        """Cancel running jobs (killing local runs), stop serving and join the thread."""
        for job in list(self.jobs.values()):
            if not job.terminal:
                job.cancel(self.timings.kill_grace)
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def _shutdown() -> None:
            if self._http is not None:
                self._http.stop()
                try:
                    await asyncio.wait_for(self._http.close_all_connections(), 3)
                except (asyncio.TimeoutError, Exception):
                    pass
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            loop.stop()

        try:
            asyncio.run_coroutine_threadsafe(_shutdown(), loop)
        except RuntimeError:
            pass
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget jobs, faults, device logins and the request record; restore timings and modes."""
        for job in list(self.jobs.values()):
            if not job.terminal:
                job.cancel(self.timings.kill_grace)
        with self._lock:
            self.jobs.clear()
            self.requests.clear()
            self._devices.clear()
        self.faults.reset()
        self.timings = Timings(**asdict(self._default_timings))
        self.local_run = self._default_local_run
        self.device_auto_approve, self.device_interval = self._default_device

    # -- records -----------------------------------------------------------------------------------------
    def calls(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """The calls answered so far, optionally those to ``path`` (exact) or with ``method``."""
        with self._lock:
            return [r for r in self.requests
                    if (path is None or r.path == path) and (method is None or r.method == method)]

    def wait_for_job(self, job_id: str, timeout: float = 10.0) -> Job:
        """Block until the job reaches a terminal stage (in-process helper for tests)."""
        deadline = time.monotonic() + timeout
        job = self.jobs[job_id]
        while not job.terminal:
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.stage} after {timeout}s")
            time.sleep(0.02)
        job.join(2)
        return job

    # -- device-code login -------------------------------------------------------------------------------
    def approve_device(self, user_code: str | None = None, user: str | None = None, *, deny: bool = False) -> bool:
        """Approve (or deny) a pending device login as ``user`` (default: the first user).

        ``user_code`` None approves the most recent pending one. True when one was found.
        """
        user = user or next(iter(self.users.users))
        if user not in self.users.users:
            raise KeyError(f"no user {user!r}")
        with self._lock:
            pending = [d for d in self._devices.values() if not d.issued and d.approved_user is None and not d.denied]
            if user_code is not None:
                pending = [d for d in pending if d.user_code == user_code.upper()]
            if not pending:
                return False
            dev = pending[-1]
            if deny:
                dev.denied = True
            else:
                dev.approved_user = user
            return True

    def _new_device(self) -> _DeviceCode:
        alphabet = "BCDFGHJKLMNPQRSTVWXZ"
        code = "".join(_secrets.choice(alphabet) for _ in range(8))
        dev = _DeviceCode(_secrets.token_urlsafe(24), f"{code[:4]}-{code[4:]}", time.monotonic() + 900)
        with self._lock:
            self._devices[dev.device_code] = dev
        return dev

    # -- jobs ------------------------------------------------------------------------------------------------
    def _namespace_entity(self, user: User, namespace: str) -> str | None:
        """'user' / 'org' when ``user`` may act in ``namespace``; None otherwise."""
        if namespace == user.name:
            return "user"
        if user.org_role(namespace) is not None:
            return "org"
        return None

    def check_job_write(self, user: User, token: Token, namespace: str) -> str | None:
        """None when the token may create/cancel jobs in ``namespace``; else the 403 message."""
        kind = self._namespace_entity(user, namespace)
        if kind is None:
            return f"You don't have access to the namespace '{namespace}'"
        if kind == "org" and user.org_role(namespace) not in _JOB_ORG_ROLES:
            return f"Your role in '{namespace}' ({user.org_role(namespace)}) cannot run jobs"
        if token.role == "read":
            return (f"This token ('{token.display_name}') has the 'read' role: running jobs in '{namespace}' needs "
                    "a write token or a fine-grained token with the job.write permission")
        if token.role == "fineGrained" and "job.write" not in token.scopes_for(kind, namespace):
            return (f"This fine-grained token ('{token.display_name}') does not have the permission job.write on "
                    f"{kind} '{namespace}'")
        return None

    def create_job(self, user: User, namespace: str, body: dict[str, Any]) -> Job:
        """Validate a job spec, seal its secrets and start it (ValueError: 400 with that message)."""
        spec = validate_job_spec(body)
        secrets = spec.pop("secrets", {}) or {}
        owner_type = "user" if namespace == user.name else "org"
        owner_id = user.id if owner_type == "user" else _hex_id("org", namespace)
        job = Job(namespace=namespace, owner={"id": owner_id, "name": namespace, "type": owner_type},
                  created_by={"id": user.id, "name": user.name}, spec=spec, secrets=secrets)
        with self._lock:
            self.jobs[job.id] = job
        job.start(self.timings, local_run=self.local_run, use_uv=self.use_uv)
        return job

    def list_jobs(self, namespace: str, stages: list[str], labels: list[str]) -> list[Job]:
        wanted: list[tuple[str, str]] = []
        for item in labels:
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"label filter must be key=value, got {item!r}")
            wanted.append((key, value))
        stage_set = {s.upper() for s in stages}
        with self._lock:
            jobs = [j for j in self.jobs.values() if j.namespace == namespace]
        out = [j for j in jobs if (not stage_set or j.stage in stage_set)
               and all(j.labels.get(k) == v for k, v in wanted)]
        return sorted(out, key=lambda j: j.created_at, reverse=True)


def validate_job_spec(body: Any) -> dict[str, Any]:
    """Check a job spec as the Hub does; return a copy (secrets included) or raise ValueError.

    Example:
        >>> validate_job_spec({"command": ["echo"], "dockerImage": "python:3.12"})["flavor"]
        'cpu-basic'
        >>> validate_job_spec({"command": ["x"], "dockerImage": "i", "secrets": {"1BAD": "v"}})
        Traceback (most recent call last):
        ...
        ValueError: secrets key '1BAD' is invalid: keys must match ^[a-zA-Z][_a-zA-Z0-9]*$
    """
    if not isinstance(body, dict):
        raise ValueError("the job spec must be a JSON object")
    spec = dict(body)
    command = spec.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(c, str) for c in command):
        raise ValueError("command must be a non-empty list of strings")
    args = spec.setdefault("arguments", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ValueError("arguments must be a list of strings")
    has_image, has_space = bool(spec.get("dockerImage")), bool(spec.get("spaceId"))
    if has_image == has_space:
        raise ValueError("exactly one of dockerImage or spaceId is required")
    for key in ("environment", "secrets"):
        mapping = spec.get(key) or {}
        if not isinstance(mapping, dict):
            raise ValueError(f"{key} must be an object of strings")
        for name, value in mapping.items():
            if not KEY_RE.match(str(name)):
                raise ValueError(f"{key} key {name!r} is invalid: keys must match ^[a-zA-Z][_a-zA-Z0-9]*$")
            if not isinstance(value, str):
                raise ValueError(f"{key} value of {name!r} must be a string")
        spec[key] = dict(mapping)
    flavor = spec.setdefault("flavor", "cpu-basic")
    if flavor not in FLAVORS:
        raise ValueError(f"unknown flavor {flavor!r}: see GET /api/jobs/hardware")
    labels = spec.get("labels") or {}
    if not isinstance(labels, dict):
        raise ValueError("labels must be an object of strings")
    for k, v in labels.items():
        if not isinstance(v, str) or not _LABEL_RE.match(k) or len(v) > 100:
            raise ValueError(f"label {k!r} is invalid: keys and values are strings of at most 100 characters")
    spec["labels"] = dict(labels)
    if "timeoutSeconds" in spec:
        t = spec["timeoutSeconds"]
        if not isinstance(t, int) or isinstance(t, bool) or t <= 0:
            raise ValueError("timeoutSeconds must be a positive integer")
    if "attempts" in spec:
        a = spec["attempts"]
        if not isinstance(a, int) or isinstance(a, bool) or a < 1:
            raise ValueError("attempts must be an integer >= 1")
    return spec


# ---------------------------------------------------------------------------------------------------------
# tornado handlers
# ---------------------------------------------------------------------------------------------------------
def make_app(server: EmulatorServer):
    """The tornado Application serving ``server``."""
    import tornado.web

    from . import emulator_handlers as h

    kw = {"server": server}
    routes = [
        (r"/api/whoami-v2", h.WhoamiHandler, kw),
        (r"/api/agent-harnesses", h.AgentHarnessesHandler, kw),
        (r"/api/jobs/hardware", h.HardwareHandler, kw),
        (r"/api/jobs/([^/]+)", h.JobsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)", h.JobHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/cancel", h.CancelHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/logs", h.LogsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/metrics", h.MetricsHandler, kw),
        (r"/oauth/device", h.DeviceHandler, kw),
        (r"/oauth/device/verify", h.DeviceVerifyHandler, kw),
        (r"/oauth/token", h.OAuthTokenHandler, kw),
        (r"/_emulator/faults", h.AdminFaultsHandler, kw),
        (r"/_emulator/reset", h.AdminResetHandler, kw),
        (r"/_emulator/device/approve", h.AdminApproveHandler, kw),
        (r"/", h.RootHandler, kw),
    ]
    return tornado.web.Application(routes, default_handler_class=h.NotFoundHandler, default_handler_args=kw,
                                   log_function=h.make_log_function(server), compress_response=False)


# ---------------------------------------------------------------------------------------------------------
# hfsecure hub-emulator
# ---------------------------------------------------------------------------------------------------------
def _write_token_file(value: str, path: str | None) -> str:
    if path is None:
        path = os.path.join(tempfile.mkdtemp(prefix="hfsecure-hub-"), "token")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, value.encode())
    finally:
        os.close(fd)
    return path


def _load_accounts(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise AccountsError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{path} is not valid JSON ({getattr(exc, 'msg', 'bad encoding')}"
                            f"{f' at line {exc.lineno}' if hasattr(exc, 'lineno') else ''})") from None
    Accounts.from_dict(data)
    return data


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hfsecure hub-emulator``; serve until SIGINT/SIGTERM; return the exit code.

    Example:
        >>> import os, tempfile
        >>> bad = os.path.join(tempfile.mkdtemp(), "accounts.json")
        >>> with open(bad, "w") as fh:
        ...     _ = fh.write("{not json")
        >>> main(["--accounts", bad])  # a one-line error on stderr, nothing served
        2
    """
    parser = argparse.ArgumentParser(
        prog="hfsecure hub-emulator",
        description="Serve an offline Hugging Face Hub (whoami, Jobs, device login) for tests and demos. "
                    "Point clients at it with HF_ENDPOINT=<url> set before huggingface_hub is imported.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--accounts", metavar="FILE", help="JSON accounts file (default: one demo user)")
    parser.add_argument("--token-file", metavar="FILE",
                        help="where to write the demo user's token (default: a new private temp dir)")
    parser.add_argument("--local-run", action="store_true",
                        help="really run inline uv scripts of jobs on this machine, secrets as env vars")
    parser.add_argument("--auto-approve", type=int, default=2, metavar="N",
                        help="approve device logins after N polls (0: only through the verify page)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to standard error")
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, or a usage error (argparse has printed it): an exit code, as the
        return int(exc.code or 0)  # other commands do

    if not 0 <= args.port <= 65535:
        print(f"hfsecure hub-emulator: error: port {args.port} is out of range", file=sys.stderr)
        return 2
    token_path = None
    try:
        if args.accounts:
            accounts = _load_accounts(args.accounts)
        else:
            accounts = demo_accounts()
    except AccountsError as exc:
        print(f"hfsecure hub-emulator: error: bad accounts file: {exc}", file=sys.stderr)
        return 2
    # Handlers first: a client may stop us as soon as it reads the first line.
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    handler: logging.Handler | None = None
    server = EmulatorServer(accounts, host=args.host, port=args.port, local_run=args.local_run,
                            timings=Timings(scheduling=1.0, line_interval=0.3, running=3.0),
                            device_auto_approve=args.auto_approve or None, device_interval=1)
    try:
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            print(f"hfsecure hub-emulator: error: cannot listen on {args.host}:{args.port}: {reason}",
                  file=sys.stderr)
            return 2
        print(f"hfsecure hub emulator listening on {server.url}", flush=True)
        if not args.quiet:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("hub-emulator: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        if not _is_loopback_host(server.host):
            print(f"warning: serving on {server.host}, reachable from other machines; the emulator is for tests "
                  "only", file=sys.stderr, flush=True)
        if args.accounts:
            print(f"accounts: {len(server.users.users)} user(s) from {args.accounts}", flush=True)
        else:
            user = next(iter(server.users.users))
            try:
                token_path = _write_token_file(server.token(user), args.token_file)
            except OSError as exc:
                print(f"hfsecure hub-emulator: error: cannot write the token file: {exc.strerror}",
                      file=sys.stderr)
                return 2
            print(f"demo user '{user}': write token saved to {token_path} (mode 0600)", flush=True)
            print(f"try: HF_ENDPOINT={server.url} HF_TOKEN=$(cat {token_path}) hf auth whoami", flush=True)
        if args.local_run:
            print("local-run: inline uv jobs run on this machine", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if token_path and not args.token_file:
            # The token dies with this server: do not leave it behind in a temp dir.
            try:
                os.remove(token_path)
                os.rmdir(os.path.dirname(token_path))
            except OSError:
                pass
        for sig, old in previous.items():
            signal.signal(sig, old)
        if handler is not None:
            log.removeHandler(handler)
    print("hfsecure hub emulator stopped", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

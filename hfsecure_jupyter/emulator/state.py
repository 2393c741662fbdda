"""The emulated Hub's state and rules, without any web framework: accounts, jobs, device logins, faults.

:class:`HubState` decides (who may do what, what a job spec must hold); :mod:`.handlers` only turns HTTP
requests into calls on it, and :mod:`.app` serves it on a tornado loop.

Example:
    >>> state = HubState()
    >>> alice = state.users.users["alice"]
    >>> state.check_job_write(alice, alice.tokens[0], "alice") is None
    True
    >>> "read" in state.check_job_write(state.users.users["bob"], state.users.users["bob"].tokens[0], "bob")
    True
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets as _secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from .. import detect
from .accounts import Accounts, AccountsError, Token, User, hex_id, now_iso, test_accounts
from .jobs import FLAVORS, KEY_RE, Job, Timings
from .repos import RepoStore
from .scheduled import ScheduledJob, check_schedule

__all__ = ["HubState", "Faults", "RequestRecord", "DeviceCode", "validate_job_spec", "is_loopback",
           "is_loopback_host", "INVALID_TOKEN", "MISSING_TOKEN", "log"]

log = logging.getLogger("hfsecure_jupyter.emulator")

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
    """One call the emulator answered (no header, body or query value: nothing secret; the path masked).

    ``emulated`` is False for a call the emulator does not serve (answered "Not emulated: ...").
    """

    method: str
    path: str
    status: int
    user: str | None
    duration: float
    emulated: bool = True


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    expires: float
    polls: int = 0
    approved_user: str | None = None
    denied: bool = False
    issued: bool = False


def is_loopback(ip: str | None) -> bool:
    try:
        return ipaddress.ip_address((ip or "").split("%")[0]).is_loopback
    except ValueError:
        return False


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    return is_loopback(host)


class HubState:
    """Everything the emulated Hub knows and decides (no HTTP here; :class:`~.app.EmulatorServer` serves it).

    Args:
        accounts: the accounts file shape (see :mod:`.accounts`); None -> :func:`~.accounts.test_accounts`.
        local_run: really execute inline uv scripts of jobs here (see :mod:`.jobs`).
        timings: how fast jobs move.
        use_uv: in local-run mode, use ``uv`` when found (None/True) or always the current Python (False).
        device_auto_approve: approve a device login after this many polls (None: wait for
            :meth:`approve_device` or the verification page).
        device_interval: polling interval (seconds) the device flow asks clients for.
        page_size: jobs per page in listings (the rest through ``Link: rel="next"``).
    """

    def __init__(self, accounts: dict | None = None, *, local_run: bool = False, timings: Timings | None = None,
                 use_uv: bool | None = None, device_auto_approve: int | None = None, device_interval: int = 1,
                 page_size: int = 50) -> None:
        self._accounts_dict = accounts if accounts is not None else test_accounts()
        self.users = Accounts.from_dict(self._accounts_dict)
        self.repos = self._seed_repos()
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
        self.scheduled: dict[str, ScheduledJob] = {}
        self.requests: list[RequestRecord] = []
        self.devices: dict[str, DeviceCode] = {}
        self.lock = threading.RLock()

    def __repr__(self) -> str:
        return f"HubState(users={sorted(self.users.users)})"

    @property
    def url(self) -> str:
        """Where clients reach this Hub (empty until served; :class:`~.app.EmulatorServer` knows it)."""
        return ""

    def _seed_repos(self) -> RepoStore:
        try:
            return RepoStore.from_seeds(self._accounts_dict.get("repos"))
        except ValueError as exc:
            raise AccountsError(str(exc)) from None

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
        with self.lock:
            name = display_name or f"{user}-{role}-{len(self.users.users[user].tokens) + 1}"
            grants = (fine_grained or {"scoped": [], "global": []}) if role == "fineGrained" else None
            self.users.add_token(user, Token(value, role, name, now_iso(), grants))
        return value

    def revoke(self, value: str) -> bool:
        """Revoke a token: later calls with it get 401."""
        with self.lock:
            return self.users.revoke(value)

    def reset(self) -> None:
        """Forget jobs, scheduled jobs, faults, device logins, the request record and the repos made since
        (back to the seeded ones); restore timings and modes."""
        for job in list(self.jobs.values()):
            if not job.terminal:
                job.cancel(self.timings.kill_grace)
        with self.lock:
            self.jobs.clear()
            self.scheduled.clear()
            self.requests.clear()
            self.devices.clear()
            self.repos = self._seed_repos()
        self.faults.reset()
        self.timings = Timings(**asdict(self._default_timings))
        self.local_run = self._default_local_run
        self.device_auto_approve, self.device_interval = self._default_device

    # -- records -----------------------------------------------------------------------------------------
    def not_emulated(self) -> list[RequestRecord]:
        """The calls answered "Not emulated" so far (what a client needed and the emulator lacks)."""
        with self.lock:
            return [r for r in self.requests if not r.emulated]

    def calls(self, path: str | None = None, method: str | None = None) -> list[RequestRecord]:
        """The calls answered so far, optionally those to ``path`` (exact) or with ``method``."""
        with self.lock:
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
        with self.lock:
            pending = [d for d in self.devices.values() if not d.issued and d.approved_user is None and not d.denied]
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

    def new_device(self) -> DeviceCode:
        alphabet = "BCDFGHJKLMNPQRSTVWXZ"
        code = "".join(_secrets.choice(alphabet) for _ in range(8))
        dev = DeviceCode(_secrets.token_urlsafe(24), f"{code[:4]}-{code[4:]}", time.monotonic() + 900)
        with self.lock:
            self.devices[dev.device_code] = dev
        return dev

    # -- jobs ------------------------------------------------------------------------------------------------
    def namespace_entity(self, user: User, namespace: str) -> str | None:
        """'user' / 'org' when ``user`` may act in ``namespace``; None otherwise."""
        if namespace == user.name:
            return "user"
        if user.org_role(namespace) is not None:
            return "org"
        return None

    def check_job_write(self, user: User, token: Token, namespace: str) -> str | None:
        """None when the token may create/cancel jobs in ``namespace``; else the 403 message."""
        kind = self.namespace_entity(user, namespace)
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

    def _owner(self, user: User, namespace: str) -> dict[str, str]:
        owner_type = "user" if namespace == user.name else "org"
        owner_id = user.id if owner_type == "user" else hex_id("org", namespace)
        return {"id": owner_id, "name": namespace, "type": owner_type}

    def create_job(self, user: User, namespace: str, body: dict[str, Any]) -> Job:
        """Validate a job spec, seal its secrets and start it (ValueError: 400 with that message)."""
        spec = validate_job_spec(body)
        secrets = spec.pop("secrets", {}) or {}
        return self.start_job(user, namespace, spec, secrets)

    def start_job(self, user: User, namespace: str, spec: dict[str, Any], secrets: dict[str, str]) -> Job:
        """Start a job from a checked spec (no secrets in it) and its secret values."""
        job = Job(namespace=namespace, owner=self._owner(user, namespace),
                  created_by={"id": user.id, "name": user.name}, spec=spec, secrets=secrets)
        with self.lock:
            self.jobs[job.id] = job
        job.start(self.timings, local_run=self.local_run, use_uv=self.use_uv, endpoint=self.url or None)
        return job

    def rerun_job(self, user: User, job: Job) -> Job:
        """A new job with ``job``'s spec and secrets (``hf jobs`` rerun, ``duplicate_job``)."""
        return self.start_job(user, job.namespace, dict(job.spec), job.secrets.reveal())

    def set_job_labels(self, job: Job, labels: Any) -> None:
        """Replace the user labels of a job (ValueError: 400)."""
        job.spec["labels"] = check_labels(labels)

    # -- scheduled jobs --------------------------------------------------------------------------------------
    def create_scheduled_job(self, user: User, namespace: str, body: Any) -> ScheduledJob:
        """``POST /api/scheduled-jobs/{namespace}``: ``{jobSpec, schedule, suspend?, concurrency?}``."""
        if not isinstance(body, dict):
            raise ValueError("the scheduled job must be a JSON object")
        spec = validate_job_spec(body.get("jobSpec"))
        secrets = spec.pop("secrets", {}) or {}
        for key in ("suspend", "concurrency"):
            if key in body and not isinstance(body[key], bool):
                raise ValueError(f"{key} must be true or false")
        sj = ScheduledJob(namespace=namespace, owner=self._owner(user, namespace),
                          created_by={"id": user.id, "name": user.name}, spec=spec, secrets=secrets,
                          schedule=check_schedule(body.get("schedule")), suspend=body.get("suspend", False),
                          concurrency=body.get("concurrency", False))
        with self.lock:
            self.scheduled[sj.id] = sj
        return sj

    def run_scheduled_job(self, user: User, sj: ScheduledJob) -> Job:
        """Run a scheduled job once now (ValueError 409-style text when one runs and concurrency is off)."""
        if not sj.concurrency and any(not self.jobs[i].terminal for i in sj.run_ids if i in self.jobs):
            raise ValueError("An instance of this scheduled job is already running and concurrency is disabled")
        job = self.start_job(user, sj.namespace, dict(sj.spec), sj.secrets.reveal())
        sj.record_run(job.id)
        return job

    def run_due_scheduled_jobs(self) -> list[Job]:
        """Start the runs of scheduled jobs whose time has come (the server calls this every few seconds)."""
        started = []
        with self.lock:
            candidates = list(self.scheduled.values())
        for sj in candidates:
            user = self.users.users.get(sj.created_by["name"])
            if user is not None and sj.due():
                try:
                    started.append(self.run_scheduled_job(user, sj))
                except ValueError:
                    pass  # still running, no concurrency: skip this occurrence, as the Hub does
        return started

    def list_scheduled_jobs(self, namespace: str, labels: list[str]) -> list[ScheduledJob]:
        wanted = _label_filters(labels)
        with self.lock:
            found = [s for s in self.scheduled.values() if s.namespace == namespace]
        return sorted([s for s in found if all(s.labels.get(k) == v for k, v in wanted)],
                      key=lambda s: s.created_at, reverse=True)

    def list_jobs(self, namespace: str, stages: list[str], labels: list[str]) -> list[Job]:
        wanted = _label_filters(labels)
        stage_set = {s.upper() for s in stages}
        with self.lock:
            jobs = [j for j in self.jobs.values() if j.namespace == namespace]
        out = [j for j in jobs if (not stage_set or j.stage in stage_set)
               and all(j.labels.get(k) == v for k, v in wanted)]
        return sorted(out, key=lambda j: j.created_at, reverse=True)


def _label_filters(labels: list[str]) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"label filter must be key=value, got {item!r}")
        wanted.append((key, value))
    return wanted


def _no_secret(kind: str, text: str) -> None:
    """Refuse a secret where only a name belongs (it would be shown in every listing); the message masks it."""
    if detect.find_secrets(text):
        raise ValueError(f"{kind} {detect.redact(text)!r} looks like a secret value: put secret values in "
                         "secrets, under a name such as HF_TOKEN")


def check_labels(labels: Any) -> dict[str, str]:
    """Job labels as the Hub accepts them: at most 100 characters each, no secret in a key or a value.

    Example:
        >>> check_labels({"team": "ml"})
        {'team': 'ml'}
        >>> check_labels({"bad key": "x"})
        Traceback (most recent call last):
        ...
        ValueError: label 'bad key' is invalid: keys and values are strings of at most 100 characters
    """
    if labels is None:
        return {}
    if not isinstance(labels, dict):
        raise ValueError("labels must be an object of strings")
    for k, v in labels.items():
        _no_secret("label key", str(k))
        if not isinstance(v, str) or not _LABEL_RE.match(k) or len(v) > 100:
            raise ValueError(f"label {k!r} is invalid: keys and values are strings of at most 100 characters")
        _no_secret(f"the value of label {k!r}", v)
    return dict(labels)


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
            _no_secret(f"{key} key", str(name))
            if not KEY_RE.match(str(name)):
                raise ValueError(f"{key} key {name!r} is invalid: keys must match ^[a-zA-Z][_a-zA-Z0-9]*$")
            if not isinstance(value, str):
                raise ValueError(f"{key} value of {name!r} must be a string")
        spec[key] = dict(mapping)
    flavor = spec.setdefault("flavor", "cpu-basic")
    if flavor not in FLAVORS:
        raise ValueError(f"unknown flavor {flavor!r}: see GET /api/jobs/hardware")
    spec["labels"] = check_labels(spec.get("labels"))
    if "timeoutSeconds" in spec:
        t = spec["timeoutSeconds"]
        if not isinstance(t, int) or isinstance(t, bool) or t <= 0:
            raise ValueError("timeoutSeconds must be a positive integer")
    if "attempts" in spec:
        a = spec["attempts"]
        if not isinstance(a, int) or isinstance(a, bool) or a < 1:
            raise ValueError("attempts must be an integer >= 1")
    return spec



"""Thin tornado handlers of the offline Hub emulator (the rules live in :mod:`.state`).

Every error answer is JSON ``{"error": message}`` with the same text in ``X-Error-Message`` (what
huggingface_hub's ``hf_raise_for_status`` reads); no answer ever carries a secret value or a traceback.
The one exception by design is ``POST /oauth/token``, which hands a freshly minted token to the client
that completed a device login (that is the point of the endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import json
import re
import time
from collections.abc import Iterator
from typing import Any, Callable, TypeVar
from urllib.parse import unquote, urlencode

import tornado.web
from tornado import httputil
from tornado.iostream import StreamClosedError

from .. import detect

from .accounts import Token, User, hex_id, now_iso
from .jobs import HARDWARE, Job
from .repos import REPO_TYPES, Denied, Repo, RepoError, blob_id, check_path, parse_commit_ndjson
from .scheduled import ScheduledJob
from .state import INVALID_TOKEN, MISSING_TOKEN, HubState, RequestRecord, is_loopback, log

_Owned = TypeVar("_Owned", Job, ScheduledJob)  # what a namespace holds, looked up by id

_MAX_RECORDS = 20000
_SSE_POLL = 0.05
_KEEPALIVE = 15.0
#: Largest request body served (bigger ones are read to the end, dropped, and answered 413).
MAX_BODY = 64 * 1024 * 1024
#: Largest request head served (bigger ones are answered 431; tornado itself is set to read up to 1 MiB).
MAX_HEADERS = 64 * 1024
#: The most a request may send at all (past this tornado closes the connection).
HARD_BODY_LIMIT = 1024 * 1024 * 1024
_UNSAFE_HEADER = re.compile(r"[^\x20-\x7e]")


def header_safe(text: str, limit: int = 2000) -> str:
    r"""``text`` as a safe HTTP header value: printable ASCII only (others become ``?``), at most ``limit`` chars.

    Example:
        >>> header_safe("job caf\u00e9\nX-Evil: 1")
        'job caf??X-Evil: 1'
    """
    return _UNSAFE_HEADER.sub("?", text)[:limit]


def _record(server: HubState, handler: tornado.web.RequestHandler) -> None:
    """Access log: method, path, status and user; never headers, query values or bodies."""
    if getattr(handler, "_recorded", False):
        return
    handler._recorded = True  # type: ignore[attr-defined]
    req = handler.request
    # A token pasted into a URL must not reach the log (nor the in-process record tests read).
    path = detect.redact(req.path)
    decoded = unquote(req.path)
    if detect.redact(decoded) != decoded:  # a token hidden behind %-escapes
        path = detect.redact(decoded)
    rec = RequestRecord(req.method or "", path, handler.get_status(), getattr(handler, "_user", None),
                        req.request_time(), not getattr(handler, "not_emulated", False))
    with server.lock:
        server.requests.append(rec)
        if len(server.requests) > _MAX_RECORDS:
            del server.requests[: len(server.requests) - _MAX_RECORDS]
    log.info("%s %s %d %.1fms%s", rec.method, header_safe(rec.path), rec.status, rec.duration * 1000,
             f" ({rec.user})" if rec.user else "")


def make_log_function(server: HubState):
    """tornado's log hook (a fallback: handlers record themselves before the answer leaves).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> server = HubState()  # not started: only its request records are used
        >>> req = NS(method="GET", path="/api/whoami-v2", request_time=lambda: 0.002)
        >>> make_log_function(server)(NS(request=req, get_status=lambda: 401))
        >>> [(r.method, r.path, r.status) for r in server.calls()]
        [('GET', '/api/whoami-v2', 401)]
    """
    return lambda handler: _record(server, handler)


def _whoami(server: HubState, user: User, token: Token) -> dict[str, Any]:
    orgs = []
    for name, role in user.orgs:
        org_id = hex_id("org", name)
        orgs.append({"type": "org", "id": org_id, "name": name, "fullname": server.users.org_fullnames.get(name, name),
                     "email": None, "canPay": False, "periodEnd": None, "isEnterprise": False,
                     "avatarUrl": f"/avatars/{name}.svg", "roleInOrg": role})
    return {
        "type": "user", "id": user.id, "name": user.name, "fullname": user.fullname,
        "email": f"{user.name}@example.invalid", "emailVerified": True, "canPay": False, "isPro": False,
        "periodEnd": None, "avatarUrl": f"/avatars/{user.name}.svg", "orgs": orgs,
        "auth": {"type": "access_token", "accessToken": token.to_whoami()},
    }


def _with_body(method: Callable) -> Callable:
    """Run an HTTP method once the body is complete: parsed as tornado would, or answered 413 when too big."""

    @functools.wraps(method)
    def wrapper(self: "BaseHandler", *args: Any, **kwargs: Any) -> Any:
        self._complete_body()
        return method(self, *args, **kwargs)

    wrapper._with_body = True  # type: ignore[attr-defined]
    return wrapper


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """JSON answers, fault injection, bearer-token auth, bounded request bodies.

    Bodies are streamed in: up to :data:`MAX_BODY` kept, past that read to the end and dropped, so that
    the client, which sends the whole body before reading, gets its 413 instead of a reset connection.
    """

    api = True  # faults apply

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in ("get", "head", "post", "put", "delete", "patch"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_with_body", False):
                setattr(cls, name, _with_body(method))

    def initialize(self, server: HubState) -> None:
        self.server = server
        self._user: str | None = None
        self._chunks: list[bytes] = []
        self._received = 0
        self._body_done = False
        # A refusal decided before the body is in (an injected fault, a huge head) is answered once the body
        # has been read: finishing earlier makes tornado drop the keep-alive connection under the client.
        self._deferred: tuple[int, str, dict[str, str]] | None = None

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received <= MAX_BODY:
            self._chunks.append(chunk)
        else:
            self._chunks = []

    def _complete_body(self) -> None:
        if self._body_done:
            return
        self._body_done = True
        if self._deferred is not None:
            status, message, headers = self._deferred
            self.fail(status, message, headers=headers)
        if self._received > MAX_BODY:
            self.fail(413, f"Payload too large: the emulator accepts request bodies of at most "
                           f"{MAX_BODY // 2**20} MB")
        req = self.request
        req.body = b"".join(self._chunks)
        self._chunks = []
        if req.body:
            try:
                httputil.parse_body_arguments(req.headers.get("Content-Type", ""), req.body, req.body_arguments,
                                              req.files, req.headers)
            except httputil.HTTPInputError:
                self.fail(400, "The request body cannot be parsed")
            for key, values in req.body_arguments.items():
                req.arguments.setdefault(key, []).extend(values)

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:  # an API, not a browser form
        return None

    async def prepare(self) -> None:
        self.request.connection.set_max_body_size(HARD_BODY_LIMIT)  # type: ignore[union-attr]
        size = sum(len(k) + len(v) + 4 for k, v in self.request.headers.get_all())
        if size > MAX_HEADERS:
            self._deferred = (431, f"Request header fields too large: at most {MAX_HEADERS // 1024} kB of headers",
                              {})
            return
        if not self.api:
            return
        faults = self.server.faults
        hold = faults.hold if faults._matches(self.request.path) else None
        while hold is not None and not hold.is_set():
            await asyncio.sleep(0.01)
        latency, status = faults.take(self.request.path)
        if latency:
            await asyncio.sleep(latency)
        if status is not None:
            headers = {}
            if status in (429, 503):
                headers["Retry-After"] = str(int(faults.retry_after))
            if status == 429:
                headers["RateLimit"] = f'"api";r=0;t={int(faults.retry_after)}'
                headers["RateLimit-Policy"] = '"fixed window";"api";q=500;w=300'
                message = "Too many requests: you have been rate limited (injected fault)"
            else:
                message = f"Injected fault: the emulated Hub answers {status}"
            self._deferred = (status, message, headers)

    def fail(self, status: int, message: str, *, code: str | None = None,
             headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> None:
        """Answer ``status`` with a JSON error and stop the handler.

        Messages may quote what the client sent (a flavor, a namespace, a label): a secret pasted there
        is masked, like everywhere else.
        """
        message = detect.redact(message)
        if message.startswith("Not emulated"):
            self.not_emulated = True
        self.clear()
        self.set_status(status)
        self.set_header("X-Error-Message", header_safe(message))
        if code:
            self.set_header("X-Error-Code", code)
        for key, value in (headers or {}).items():
            self.set_header(key, value)
        self.finish(json.dumps({"error": message, **(extra or {})}))
        raise tornado.web.Finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Never a traceback: a short reason only.
        self.set_header("Content-Type", "application/json; charset=utf-8")
        reason = self._reason if status_code != 500 else "Internal emulator error"
        if status_code == 405:
            reason = f"Not emulated: {self.request.method} {detect.redact(self.request.path)} (method not allowed)"
            self.set_header("X-Error-Code", "EntryNotFound" if self.request.method == "HEAD" else "MethodNotAllowed")
        self.set_header("X-Error-Message", header_safe(reason))
        self.finish(json.dumps({"error": reason}))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # A short line, never a traceback (it could quote a request's content).
        if isinstance(value, tornado.web.HTTPError):
            return
        log.warning("%s %s: internal error %s", self.request.method, header_safe(detect.redact(self.request.path)),
                    getattr(typ, "__name__", "?"))

    def finish(self, chunk: Any = None):  # type: ignore[override]
        # Record before the last bytes leave, so a test that got its answer already sees the call.
        if not self._finished:
            _record(self.server, self)
        return super().finish(chunk)

    def send_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def json_body(self) -> Any:
        self._complete_body()
        try:
            return json.loads(self.request.body or b"null")
        except RecursionError:
            self.fail(400, "The request body is nested too deeply")
        except (ValueError, UnicodeDecodeError):  # JSONDecodeError, and ints longer than Python parses
            self.fail(400, "The request body is not valid JSON (or holds a number too long to parse)")

    def optional_auth(self) -> tuple[User | None, Token | None]:
        """(user, token) when a token was sent, (None, None) for an anonymous call; 401 for a bad token."""
        if not self.request.headers.get("Authorization"):
            return None, None
        return self.auth()

    def auth(self) -> tuple[User, Token]:
        header = self.request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        value = value.strip()
        if not header or scheme.lower() != "bearer" or not value:
            self.fail(401, MISSING_TOKEN)
        found = self.server.users.lookup(value)
        if found is None:
            self.fail(401, INVALID_TOKEN)
        assert found is not None
        self._user = found[0].name
        return found

    def writer(self, namespace: str) -> User:
        """The caller, allowed to run jobs in ``namespace`` (401 without a valid token, 403 without the right)."""
        user, token = self.auth()
        denied = self.server.check_job_write(user, token, namespace)
        if denied:
            self.fail(403, denied)
        return user

    def reader(self, namespace: str) -> User:
        """The caller, allowed to read ``namespace`` (401 without a valid token, 403 without access)."""
        user, _ = self.auth()
        self.check_namespace_read(user, namespace)
        return user

    @contextlib.contextmanager
    def bad_request(self) -> Iterator[None]:
        """Answer 400 with the message of a ValueError raised in the block (the state's refusals)."""
        try:
            yield
        except ValueError as exc:
            self.fail(400, str(exc))

    def labels_body(self) -> Any:
        """The ``labels`` of a ``{"labels": {key: value}}`` body (checked by the caller); 400 otherwise."""
        body = self.json_body()
        if not isinstance(body, dict) or "labels" not in body:
            self.fail(400, 'send {"labels": {key: value}}')
        return body["labels"]

    def check_namespace_read(self, user: User, namespace: str) -> None:
        if self.server.namespace_entity(user, namespace) is None:
            self.fail(403, f"You don't have access to the namespace '{namespace}'")

    def get_job(self, namespace: str, job_id: str) -> Job:
        return self._found_in(self.server.jobs, namespace, job_id, "Job", "JobNotFound")

    def _found_in(self, table: dict[str, _Owned], namespace: str, item_id: str, what: str, code: str) -> _Owned:
        """``table[item_id]`` when it is in ``namespace``; 404 otherwise (another namespace's too)."""
        item = table.get(item_id)
        if item is None or item.namespace != namespace:
            self.fail(404, f"{what} {item_id} not found in namespace {namespace}", code=code)
        assert item is not None
        return item


class AdminHandler(BaseHandler):
    """Loopback-only control endpoints for tests (no faults, no auth)."""

    api = False

    async def prepare(self) -> None:
        if not is_loopback(self.request.remote_ip):
            self.fail(403, "The emulator's admin endpoints answer loopback clients only")


class RootHandler(BaseHandler):
    api = False

    def get(self) -> None:
        self.send_json({"name": "hfsecure hub emulator", "whoami": "/api/whoami-v2", "jobs": "/api/jobs/{namespace}",
                        "hardware": "/api/jobs/hardware", "device_login": "/oauth/device"})


class NotFoundHandler(BaseHandler):
    """Any route the emulator does not serve: 404 naming the call, with the code the client maps to
    ``RemoteEntryNotFoundError`` (without a code, ``hf_hub_download`` blames the user's connection)."""

    api = False
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

    def _not_here(self, *args: Any) -> None:
        self.fail(404, f"Not emulated: {self.request.method} {self.request.path} is not served by the hfsecure hub "
                       "emulator", code="EntryNotFound")

    get = head = post = put = delete = patch = options = _not_here


class AgentHarnessesHandler(BaseHandler):
    """The registry huggingface_hub fetches once a day to name AI agents in its user agent: empty here."""

    api = False  # never consume an injected fault meant for the call under test

    def get(self) -> None:
        self.send_json({"standardEnvVars": [], "harnesses": {}})


class WhoamiHandler(BaseHandler):
    def get(self) -> None:
        user, token = self.auth()
        self.send_json(_whoami(self.server, user, token))


class HardwareHandler(BaseHandler):
    def get(self) -> None:
        self.send_json(HARDWARE)


class JobsHandler(BaseHandler):
    def get(self, namespace: str) -> None:
        self.reader(namespace)
        with self.bad_request():
            jobs = self.server.list_jobs(namespace, self.get_arguments("stage"), self.get_arguments("label"))
        try:
            page = max(0, int(self.get_argument("page", "0")))
        except ValueError:
            self.fail(400, "page must be an integer")
        size = max(1, self.server.page_size)
        chunk = jobs[page * size:(page + 1) * size]
        if len(jobs) > (page + 1) * size:
            params = [(k, v) for k in ("stage", "label") for v in self.get_arguments(k)] + [("page", str(page + 1))]
            nxt = f"{self.request.protocol}://{self.request.host}{self.request.path}?{urlencode(params)}"
            self.set_header("Link", f'<{nxt}>; rel="next"')
        self.send_json([j.to_dict() for j in chunk])

    def post(self, namespace: str) -> None:
        user = self.writer(namespace)
        body = self.json_body()
        with self.bad_request():
            job = self.server.create_job(user, namespace, body)
        self.send_json(job.to_dict())


class JobHandler(BaseHandler):
    def get(self, namespace: str, job_id: str) -> None:
        self.reader(namespace)
        self.send_json(self.get_job(namespace, job_id).to_dict())


class CancelHandler(BaseHandler):
    def post(self, namespace: str, job_id: str) -> None:
        self.writer(namespace)
        job = self.get_job(namespace, job_id)
        job.cancel(self.server.timings.kill_grace)
        self.send_json(job.to_dict())


class LogsHandler(BaseHandler):
    """Server-sent events, one ``data: {"timestamp", "data"}`` per log line; closed when the job ends."""

    _gone = False

    def on_connection_close(self) -> None:
        self._gone = True

    async def get(self, namespace: str, job_id: str) -> None:
        self.reader(namespace)
        job = self.get_job(namespace, job_id)
        tail = self.get_argument("tail", None)
        sent = 0
        if tail is not None:
            try:
                sent = max(0, len(job.logs) - max(0, int(tail)))
            except ValueError:
                self.fail(400, "tail must be an integer")
        drop = self.server.faults.take_drop()
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        # tornado's own Date header is the only one (a duplicated Date crashed the client once).
        last = time.monotonic()
        try:
            await self.flush()
            while not self._gone:
                batch = job.logs[sent:]
                if batch:
                    for ts, line in batch:
                        self.write(f"data: {json.dumps({'timestamp': ts, 'data': line})}\n\n")
                    sent += len(batch)
                    await self.flush()
                    last = time.monotonic()
                    if drop:
                        self._drop()
                        return
                elif job.terminal and sent >= len(job.logs):
                    break
                elif time.monotonic() - last > _KEEPALIVE:
                    self.write(": keep-alive\n\n")
                    await self.flush()
                    last = time.monotonic()
                await asyncio.sleep(_SSE_POLL)
        except StreamClosedError:
            return
        if not self._gone:
            self.finish()

    def _drop(self) -> None:
        """Cut the connection mid-stream (no final chunk), as a flaky proxy would."""
        _record(self.server, self)
        self._auto_finish = False
        self.request.connection.close()  # type: ignore[union-attr]


class MetricsHandler(BaseHandler):
    async def get(self, namespace: str, job_id: str) -> None:
        self.reader(namespace)
        job = self.get_job(namespace, job_id)
        if job.terminal:
            self.fail(406, "The job has finished: no live metrics")
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        sample = {"cpu_usage_pct": 1, "cpu_millicores": 2000, "memory_used_bytes": 50_000_000,
                  "memory_total_bytes": 16_000_000_000, "rx_bps": 0, "tx_bps": 0, "gpus": {}, "replica": "emu00"}
        self.write(f"event: metric\ndata: {json.dumps(sample)}\n\n")
        self.finish()


class DeviceHandler(BaseHandler):
    def post(self) -> None:
        dev = self.server.new_device()
        base = f"{self.request.protocol}://{self.request.host}/oauth/device/verify"
        self.send_json({"device_code": dev.device_code, "user_code": dev.user_code, "verification_uri": base,
                        "verification_uri_complete": f"{base}?{urlencode({'user_code': dev.user_code})}",
                        "expires_in": 900, "interval": int(self.server.device_interval)})


class OAuthTokenHandler(BaseHandler):
    def _oauth_error(self, error: str, description: str, status: int = 400) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": error, "error_description": description}))

    def post(self) -> None:
        grant = self.get_body_argument("grant_type", "")
        if grant != "urn:ietf:params:oauth:grant-type:device_code":
            return self._oauth_error("unsupported_grant_type", "the emulator supports the device-code grant only")
        server = self.server
        code = self.get_body_argument("device_code", "")
        with server.lock:
            dev = server.devices.get(code)
            if dev is None or dev.issued:
                return self._oauth_error("invalid_grant", "unknown or already used device code")
            if time.monotonic() > dev.expires:
                return self._oauth_error("expired_token", "the device code expired")
            if dev.denied:
                return self._oauth_error("access_denied", "the user denied the login")
            dev.polls += 1
            if dev.approved_user is None and server.device_auto_approve and dev.polls >= server.device_auto_approve:
                dev.approved_user = next(iter(server.users.users))
            if dev.approved_user is None:
                return self._oauth_error("authorization_pending", "waiting for the user to approve the login")
            dev.issued = True
            user = dev.approved_user
        value = server.add_token(user, "write", display_name=f"device-login-{now_iso()[:10]}")
        self._user = user
        # The one answer that carries a token: the client asked for it by completing the login.
        self.send_json({"access_token": value, "token_type": "bearer", "scope": "openid profile"})


class DeviceVerifyHandler(AdminHandler):
    """The page a user's browser would open: approve or deny a pending device login."""

    def get(self) -> None:
        code = html.escape(self.get_argument("user_code", ""))
        users = "".join(f'<option value="{html.escape(u)}">{html.escape(u)}</option>' for u in self.server.users.users)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(f"<!doctype html><title>Emulated Hub device login</title><form method=post>"
                    f"<label>Code <input name=user_code value=\"{code}\"></label> "
                    f"<label>Account <select name=user>{users}</select></label> "
                    f"<button name=action value=approve>Approve</button> "
                    f"<button name=action value=deny>Deny</button></form>")

    def post(self) -> None:
        try:
            ok = self.server.approve_device(self.get_body_argument("user_code", "") or None,
                                            self.get_body_argument("user", "") or None,
                                            deny=self.get_body_argument("action", "approve") == "deny")
        except KeyError as exc:
            self.fail(400, str(exc.args[0]))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish("<!doctype html><p>" + ("Done: you can go back to your terminal." if ok else
                                             "No pending login with that code.") + "</p>")


class AdminFaultsHandler(AdminHandler):
    def get(self) -> None:
        self.send_json(self.server.faults.to_dict())

    def post(self) -> None:
        body = self.json_body()
        if not isinstance(body, dict):
            self.fail(400, "send a JSON object of fault fields")
        try:
            self.server.faults.update(body)
        except (ValueError, TypeError) as exc:
            self.fail(400, str(exc))
        self.send_json(self.server.faults.to_dict())

    put = post

    def delete(self) -> None:
        self.server.faults.reset()
        self.send_json(self.server.faults.to_dict())


class AdminResetHandler(AdminHandler):
    def post(self) -> None:
        self.server.reset()
        self.send_json({"reset": True})


class AdminApproveHandler(AdminHandler):
    def post(self) -> None:
        body = self.json_body() or {}
        if not isinstance(body, dict):
            self.fail(400, "send a JSON object")
        try:
            ok = self.server.approve_device(body.get("user_code"), body.get("user"), deny=bool(body.get("deny")))
        except KeyError as exc:
            self.fail(400, str(exc.args[0]))
        self.send_json({"approved": ok and not body.get("deny"), "found": ok})


# ---------------------------------------------------------------------------------------------------------
# job labels, rerun, the job page
# ---------------------------------------------------------------------------------------------------------
class JobLabelsHandler(BaseHandler):
    def put(self, namespace: str, job_id: str) -> None:
        self.writer(namespace)
        job = self.get_job(namespace, job_id)
        labels = self.labels_body()
        with self.bad_request():
            self.server.set_job_labels(job, labels)
        self.send_json(job.to_dict())


class JobDuplicateHandler(BaseHandler):
    """``duplicate_job`` / ``hf jobs`` rerun: a new job with the same spec and secrets."""

    def post(self, namespace: str, job_id: str) -> None:
        user = self.writer(namespace)
        job = self.get_job(namespace, job_id)
        self.send_json(self.server.rerun_job(user, job).to_dict())


class JobPageHandler(BaseHandler):
    """The job URL the client prints (``{endpoint}/jobs/{namespace}/{id}``): a small page, names only."""

    api = False

    def get(self, namespace: str, job_id: str) -> None:
        job = self.server.jobs.get(job_id)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        if job is None or job.namespace != namespace:
            self.set_status(404)
            self.finish("<!doctype html><title>Job not found</title><p>No such job on this emulated Hub.</p>")
            return
        d = job.to_dict()
        esc = lambda v: html.escape(detect.redact(str(v)))  # noqa: E731
        rows = [("Status", d["status"]["stage"]), ("Owner", d["owner"]["name"]), ("Flavor", d["flavor"]),
                ("Image", d.get("dockerImage") or d.get("spaceId")), ("Created", d["createdAt"]),
                ("Labels", ", ".join(f"{k}={v}" for k, v in d["labels"].items()) or "-"),
                ("Environment (names)", ", ".join(sorted(d["environment"])) or "-"),
                ("Secrets (names)", ", ".join(d["secrets"]) or "-")]
        body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
        logs = "\n".join(esc(line) for _, line in job.logs[-200:])
        self.finish(f"<!doctype html><title>Job {esc(job.id)}</title><h1>Job {esc(job.id)}</h1>"
                    f"<table>{body}</table><h2>Logs</h2><pre>{logs}</pre>"
                    "<p>Served by the hfsecure hub emulator.</p>")


# ---------------------------------------------------------------------------------------------------------
# scheduled jobs
# ---------------------------------------------------------------------------------------------------------
class ScheduledBase(BaseHandler):
    def get_scheduled(self, namespace: str, sj_id: str) -> ScheduledJob:
        return self._found_in(self.server.scheduled, namespace, sj_id, "Scheduled job", "ScheduledJobNotFound")


class ScheduledJobsHandler(ScheduledBase):
    def get(self, namespace: str) -> None:
        self.reader(namespace)
        with self.bad_request():
            found = self.server.list_scheduled_jobs(namespace, self.get_arguments("label"))
        self.send_json([s.to_dict() for s in found])

    def post(self, namespace: str) -> None:
        user = self.writer(namespace)
        with self.bad_request():
            sj = self.server.create_scheduled_job(user, namespace, self.json_body())
        self.send_json(sj.to_dict())


class ScheduledJobHandler(ScheduledBase):
    def get(self, namespace: str, sj_id: str) -> None:
        self.reader(namespace)
        self.send_json(self.get_scheduled(namespace, sj_id).to_dict())

    def delete(self, namespace: str, sj_id: str) -> None:
        self.writer(namespace)
        self.get_scheduled(namespace, sj_id)
        with self.server.lock:
            self.server.scheduled.pop(sj_id, None)
        self.send_json({})


class ScheduledActionHandler(ScheduledBase):
    """``.../suspend``, ``.../resume``, ``.../run`` (POST), ``.../schedule`` (POST), ``.../labels`` (PUT)."""

    def post(self, namespace: str, sj_id: str, action: str) -> None:
        user = self.writer(namespace)
        sj = self.get_scheduled(namespace, sj_id)
        if action in ("suspend", "resume"):
            sj.suspend = action == "suspend"
            if not sj.suspend:
                sj.set_schedule(sj.schedule)  # the next run counts from now
            self.send_json(sj.to_dict())
        elif action == "run":
            try:
                job = self.server.run_scheduled_job(user, sj)
            except ValueError as exc:
                self.fail(409, str(exc))
            self.send_json(job.to_dict())
        elif action == "schedule":
            body = self.json_body()
            with self.bad_request():
                sj.set_schedule(body.get("schedule") if isinstance(body, dict) else None)  # type: ignore[arg-type]
            self.send_json(sj.to_dict())
        else:
            self.fail(404, f"Not emulated: POST scheduled-jobs/.../{action}", code="EntryNotFound")

    def put(self, namespace: str, sj_id: str, action: str) -> None:
        self.writer(namespace)
        sj = self.get_scheduled(namespace, sj_id)
        if action != "labels":
            self.fail(404, f"Not emulated: PUT scheduled-jobs/.../{action}", code="EntryNotFound")
        labels = self.labels_body()
        from .state import check_labels

        with self.bad_request():
            sj.spec["labels"] = check_labels(labels)
        self.send_json(sj.to_dict())


# ---------------------------------------------------------------------------------------------------------
# repos
# ---------------------------------------------------------------------------------------------------------
_TYPE_OF = {"models": "model", "datasets": "dataset", "spaces": "space", "": "model", None: "model"}


class RepoBase(BaseHandler):
    def deny(self, denied: Denied | None) -> None:
        if denied is not None:
            self.fail(denied.status, denied.message, code=denied.code)

    def readable(self, repo_type: str, repo_id: str, *, files: bool = False) -> tuple[Repo, User | None]:
        """The repo if this caller may read it (its files too when ``files``); else the Hub's refusal."""
        user, token = self.optional_auth()
        repo = self.server.repos.get(repo_type, repo_id)
        self.deny(self.server.repos.check_read(repo, user, token, files=files, repo_type=repo_type, repo_id=repo_id))
        assert repo is not None
        return repo, user

    def writable(self, repo_type: str, repo_id: str) -> tuple[Repo, User]:
        """The repo if this caller may write to it: first it must be visible (404 otherwise), then writable (403)."""
        user, token = self.auth()
        repo = self.server.repos.get(repo_type, repo_id)
        self.deny(self.server.repos.check_read(repo, user, token, repo_type=repo_type, repo_id=repo_id))
        assert repo is not None
        self.deny(self.server.repos.check_write(repo_id, repo_type, user, token))
        return repo, user

    def commit_of(self, repo: Repo, revision: str | None):
        commit = repo.commit_at(revision)
        if commit is None:
            self.fail(404, f"Invalid rev id: {revision}", code="RevisionNotFound")
        return commit

    def base(self) -> str:
        return f"{self.request.protocol}://{self.request.host}"

    def run_repo(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except RepoError as exc:
            self.fail(exc.status, exc.message, code=exc.code)


class RepoInfoHandler(RepoBase):
    """``model_info`` / ``dataset_info`` / ``space_info`` / ``repo_info`` (optionally at a revision)."""

    def get(self, kind: str, repo_id: str, revision: str | None = None) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id)
        commit = self.commit_of(repo, revision)
        self.send_json(repo.info(self.base(), commit))


class RepoTreeHandler(RepoBase):
    """``list_repo_tree`` / ``list_repo_files``: ``GET /api/{type}s/{id}/tree/{rev}[/{path}]``."""

    def get(self, kind: str, repo_id: str, revision: str, path: str | None = None) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id)
        commit = self.commit_of(repo, revision)
        recursive = self.get_argument("recursive", "false").lower() in ("1", "true")
        entries = repo.tree(commit, path or "", recursive)
        if entries is None:
            self.fail(404, f"Entry not found: {path}", code="EntryNotFound")
        self.send_json(entries)


class PathsInfoHandler(RepoBase):
    """``get_paths_info`` (and ``HfFileSystem``): ``POST /api/{type}s/{id}/paths-info/{rev}`` with form ``paths``."""

    def post(self, kind: str, repo_id: str, revision: str) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id)
        commit = self.commit_of(repo, revision)
        out = []
        for path in self.get_body_arguments("paths"):
            path = path.strip("/")
            if path in commit.files:
                out.append(Repo._file_entry(path, commit.files[path]))
            elif any(p.startswith(path + "/") for p in commit.files):
                out.append({"type": "directory", "oid": blob_id(path.encode()), "size": 0, "path": path})
        self.send_json(out)


class RepoListHandler(RepoBase):
    """``list_models`` / ``list_datasets`` / ``list_spaces`` (``author=``, ``search=``): the repos this caller
    may see, one page (no ``Link``)."""

    def get(self, kind: str) -> None:
        user, token = self.optional_auth()
        rtype = _TYPE_OF[kind]
        author, search = self.get_argument("author", None), self.get_argument("search", None)
        with self.server.repos.lock:
            repos = [r for (t, _), r in self.server.repos.repos.items() if t == rtype]
        found = [r for r in repos if (author is None or r.namespace == author)
                 and (search is None or search.lower() in r.repo_id.lower())
                 and self.server.repos.check_read(r, user, token) is None]
        try:
            limit = int(self.get_argument("limit", "1000"))
        except ValueError:
            self.fail(400, "limit must be an integer")
        self.send_json([r.info(self.base()) for r in sorted(found, key=lambda r: r.repo_id)][:max(0, limit)])


class RepoRefsHandler(RepoBase):
    def get(self, kind: str, repo_id: str) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id)
        self.send_json({"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.sha}],
                        "tags": [], "converts": []})


class RepoCommitsHandler(RepoBase):
    def get(self, kind: str, repo_id: str, revision: str) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id)
        head = self.commit_of(repo, revision)
        upto = repo.commits[: repo.commits.index(head) + 1]
        self.send_json([c.to_dict() for c in reversed(upto)])


class ResolveHandler(RepoBase):
    """``hf_hub_download``: ``HEAD``/``GET /[datasets/|spaces/]{id}/resolve/{rev}/{path}`` with the headers the
    client relies on (``X-Repo-Commit``, ``ETag``, ``Content-Length``); no redirect, no LFS, no Xet."""

    api = True

    def _serve(self, kind: str | None, repo_id: str, revision: str, path: str, body: bool) -> None:
        repo, _ = self.readable(_TYPE_OF[kind], repo_id, files=True)
        commit = self.commit_of(repo, revision)
        content = commit.files.get(path)
        if content is None:
            self.fail(404, f"Entry not found: {path} in {repo.repo_type} {repo.repo_id}", code="EntryNotFound",
                      headers={"X-Repo-Commit": commit.oid})
        assert content is not None
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("X-Repo-Commit", commit.oid)
        self.set_header("ETag", f'"{blob_id(content)}"')
        self.set_header("Accept-Ranges", "bytes")
        start, end = 0, len(content)
        rng = self.request.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d{1,18})-(\d{0,18})", rng.strip())
            if not m or int(m.group(1)) >= max(1, len(content)):
                self.fail(416, "Requested range not satisfiable", headers={"Content-Range": f"bytes */{len(content)}",
                                                                            "X-Repo-Commit": commit.oid})
            assert m is not None
            start = int(m.group(1))
            end = min(len(content), int(m.group(2)) + 1) if m.group(2) else len(content)
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{end - 1}/{len(content)}")
        self.set_header("Content-Length", str(end - start))
        if body:
            self.finish(content[start:end])
        else:
            self.finish()

    def head(self, kind: str | None, repo_id: str, revision: str, path: str) -> None:
        self._serve(kind, repo_id, revision, path, body=False)

    def get(self, kind: str | None, repo_id: str, revision: str, path: str) -> None:
        self._serve(kind, repo_id, revision, path, body=True)


class PreuploadHandler(RepoBase):
    """``POST /api/{type}s/{id}/preupload/{rev}``: every file is ``regular`` (committed inline, no LFS/Xet)."""

    def post(self, kind: str, repo_id: str, revision: str) -> None:
        repo, _ = self.writable(_TYPE_OF[kind], repo_id)
        commit = self.commit_of(repo, revision)
        if self.get_argument("create_pr", None):
            self.fail(501, "Not emulated: pull requests (create_pr)")
        body = self.json_body()
        files = body.get("files") if isinstance(body, dict) else None
        if not isinstance(files, list):
            self.fail(400, 'send {"files": [{"path", "sample", "size"}]}')
        assert files is not None
        out = []
        for f in files:
            path = self.run_repo(lambda: check_path(f.get("path") if isinstance(f, dict) else None))
            existing = commit.files.get(path)
            out.append({"path": path, "uploadMode": "regular", "shouldIgnore": False,
                        "oid": blob_id(existing) if existing is not None else None})
        self.send_json({"files": out, "commitOid": commit.oid})


class CommitHandler(RepoBase):
    """``create_commit`` / ``upload_file`` / ``upload_folder``: ``POST /api/{type}s/{id}/commit/{rev}`` (ndjson)."""

    def post(self, kind: str, repo_id: str, revision: str) -> None:
        repo, user = self.writable(_TYPE_OF[kind], repo_id)
        if self.commit_of(repo, revision) is not repo.head:
            self.fail(400, "Not emulated: committing to a revision other than main")
        if self.get_argument("create_pr", None):
            self.fail(501, "Not emulated: pull requests (create_pr)")
        header, ops = self.run_repo(lambda: parse_commit_ndjson(self.request.body))
        commit = self.run_repo(lambda: self.server.repos.commit(
            repo, ops, summary=str(header.get("summary") or ""), description=str(header.get("description") or ""),
            author=user.name, parent=header.get("parentCommit")))
        self.send_json({"success": True, "commitOid": commit.oid, "pullRequestUrl": None,
                        "commitUrl": f"{self.base()}/{repo.url_prefix}{repo.repo_id}/commit/{commit.oid}"})


def _repo_target(handler: RepoBase, body: Any) -> tuple[str, str, dict]:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        handler.fail(400, 'send {"name", "organization", "type"}')
    org = body.get("organization")
    rtype = body.get("type") or "model"
    if rtype not in REPO_TYPES:
        handler.fail(400, f"Invalid repo type: one of {', '.join(REPO_TYPES)}")
    return rtype, body["name"], {"organization": org}


class CreateRepoHandler(RepoBase):
    def post(self) -> None:
        user, token = self.auth()
        body = self.json_body()
        rtype, name, extra = _repo_target(self, body)
        namespace = extra["organization"] or user.name
        if not isinstance(namespace, str):
            self.fail(400, "organization must be a string")
        repo_id = f"{namespace}/{name}"
        self.deny(self.server.repos.check_write(repo_id, rtype, user, token))
        visibility = body.get("visibility")
        private = body.get("private", visibility == "private")
        if visibility not in (None, "public", "private", "protected") or not isinstance(private, bool):
            self.fail(400, "visibility must be public or private")
        prefix = "" if rtype == "model" else f"{rtype}s/"
        url = f"{self.base()}/{prefix}{repo_id}"
        if self.server.repos.get(rtype, repo_id) is not None:
            # The Hub's 409 names the repo's url: create_repo(exist_ok=True) returns it.
            self.fail(409, f"You already created this {rtype} repo", extra={"url": url})
        repo = self.run_repo(lambda: self.server.repos.create(rtype, repo_id, private=private, author=user.name,
                                                              sdk=body.get("sdk")))
        self.send_json({"url": url, "name": repo.repo_id, "id": repo.info(self.base())["_id"]})


class DeleteRepoHandler(RepoBase):
    def delete(self) -> None:
        user, token = self.auth()
        rtype, name, extra = _repo_target(self, self.json_body())
        repo_id = f"{extra['organization'] or user.name}/{name}"
        self.writable(rtype, repo_id)
        self.server.repos.delete(rtype, repo_id)
        self.send_json({})


class RepoSettingsHandler(RepoBase):
    """``update_repo_settings`` (``private``, ``gated``)."""

    def put(self, kind: str, repo_id: str) -> None:
        repo, _ = self.writable(_TYPE_OF[kind], repo_id)
        body = self.json_body()
        if not isinstance(body, dict):
            self.fail(400, "send a JSON object")
        if "private" in body:
            if not isinstance(body["private"], bool):
                self.fail(400, "private must be true or false")
            repo.private = body["private"]
        if "gated" in body:
            if body["gated"] not in (False, "auto", "manual"):
                self.fail(400, 'gated must be false, "auto" or "manual"')
            repo.gated = body["gated"]
        self.send_json({"private": repo.private, "gated": repo.gated})


class ValidateYamlHandler(BaseHandler):
    """``upload_file`` of a README.md first asks the Hub to check its YAML header: nothing to report here."""

    def post(self) -> None:
        self.json_body()
        self.send_json({"errors": [], "warnings": []})

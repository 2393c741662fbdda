"""Thin tornado handlers of the offline Hub emulator (the logic lives in :mod:`.emulator`).

Every error answer is JSON ``{"error": message}`` with the same text in ``X-Error-Message`` (what
huggingface_hub's ``hf_raise_for_status`` reads); no answer ever carries a secret value or a traceback.
The one exception by design is ``POST /oauth/token``, which hands a freshly minted token to the client
that completed a device login (that is the point of the endpoint).
"""

from __future__ import annotations

import asyncio
import html
import json
import time
from typing import Any
from urllib.parse import urlencode

import tornado.web
from tornado.iostream import StreamClosedError

from .. import detect

from .emulator import (INVALID_TOKEN, MISSING_TOKEN, EmulatorServer, RequestRecord, _is_loopback, log)
from .emulator_accounts import Token, User, _hex_id, now_iso
from .emulator_jobs import HARDWARE, Job

_MAX_RECORDS = 20000
_SSE_POLL = 0.05
_KEEPALIVE = 15.0


def _record(server: EmulatorServer, handler: tornado.web.RequestHandler) -> None:
    """Access log: method, path, status and user; never headers, query values or bodies."""
    if getattr(handler, "_recorded", False):
        return
    handler._recorded = True  # type: ignore[attr-defined]
    req = handler.request
    rec = RequestRecord(req.method or "", req.path, handler.get_status(), getattr(handler, "_user", None),
                        req.request_time())
    with server._lock:
        server.requests.append(rec)
        if len(server.requests) > _MAX_RECORDS:
            del server.requests[: len(server.requests) - _MAX_RECORDS]
    log.info("%s %s %d %.1fms%s", rec.method, rec.path, rec.status, rec.duration * 1000,
             f" ({rec.user})" if rec.user else "")


def make_log_function(server: EmulatorServer):
    """tornado's log hook (a fallback: handlers record themselves before the answer leaves).

    Example:
        >>> from types import SimpleNamespace as NS
        >>> server = EmulatorServer()  # not started: only its request records are used
        >>> req = NS(method="GET", path="/api/whoami-v2", request_time=lambda: 0.002)
        >>> make_log_function(server)(NS(request=req, get_status=lambda: 401))
        >>> [(r.method, r.path, r.status) for r in server.calls()]
        [('GET', '/api/whoami-v2', 401)]
    """
    return lambda handler: _record(server, handler)


def _whoami(server: EmulatorServer, user: User, token: Token) -> dict[str, Any]:
    orgs = []
    for name, role in user.orgs:
        org_id = _hex_id("org", name)
        orgs.append({"type": "org", "id": org_id, "name": name, "fullname": server.users.org_fullnames.get(name, name),
                     "email": None, "canPay": False, "periodEnd": None, "isEnterprise": False,
                     "avatarUrl": f"/avatars/{name}.svg", "roleInOrg": role})
    return {
        "type": "user", "id": user.id, "name": user.name, "fullname": user.fullname,
        "email": f"{user.name}@example.invalid", "emailVerified": True, "canPay": False, "isPro": False,
        "periodEnd": None, "avatarUrl": f"/avatars/{user.name}.svg", "orgs": orgs,
        "auth": {"type": "access_token", "accessToken": token.to_whoami()},
    }


class BaseHandler(tornado.web.RequestHandler):
    """JSON answers, fault injection, bearer-token auth."""

    api = True  # faults apply

    def initialize(self, server: EmulatorServer) -> None:
        self.server = server
        self._user: str | None = None

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:  # an API, not a browser form
        return None

    async def prepare(self) -> None:
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
            self.fail(status, message, headers=headers)

    def fail(self, status: int, message: str, *, code: str | None = None,
             headers: dict[str, str] | None = None) -> None:
        """Answer ``status`` with a JSON error and stop the handler.

        Messages may quote what the client sent (a flavor, a namespace, a label): a secret pasted there
        is masked, like everywhere else.
        """
        message = detect.redact(message)
        self.clear()
        self.set_status(status)
        self.set_header("X-Error-Message", message)
        if code:
            self.set_header("X-Error-Code", code)
        for key, value in (headers or {}).items():
            self.set_header(key, value)
        self.finish(json.dumps({"error": message}))
        raise tornado.web.Finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Never a traceback: a short reason only.
        self.set_header("Content-Type", "application/json; charset=utf-8")
        reason = self._reason if status_code != 500 else "Internal emulator error"
        self.set_header("X-Error-Message", reason)
        self.finish(json.dumps({"error": reason}))

    def finish(self, chunk: Any = None):  # type: ignore[override]
        # Record before the last bytes leave, so a test that got its answer already sees the call.
        if not self._finished:
            _record(self.server, self)
        return super().finish(chunk)

    def send_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def json_body(self) -> Any:
        try:
            return json.loads(self.request.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            self.fail(400, "The request body is not valid JSON")

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

    def check_namespace_read(self, user: User, namespace: str) -> None:
        if self.server._namespace_entity(user, namespace) is None:
            self.fail(403, f"You don't have access to the namespace '{namespace}'")

    def get_job(self, namespace: str, job_id: str) -> Job:
        job = self.server.jobs.get(job_id)
        if job is None or job.namespace != namespace:
            self.fail(404, f"Job {job_id} not found in namespace {namespace}")
        assert job is not None
        return job


class AdminHandler(BaseHandler):
    """Loopback-only control endpoints for tests (no faults, no auth)."""

    api = False

    async def prepare(self) -> None:
        if not _is_loopback(self.request.remote_ip):
            self.fail(403, "The emulator's admin endpoints answer loopback clients only")


class RootHandler(BaseHandler):
    api = False

    def get(self) -> None:
        self.send_json({"name": "hfsecure hub emulator", "whoami": "/api/whoami-v2", "jobs": "/api/jobs/{namespace}",
                        "hardware": "/api/jobs/hardware", "device_login": "/oauth/device"})


class NotFoundHandler(BaseHandler):
    def prepare(self):  # type: ignore[override]
        self.fail(404, f"Not found: {self.request.method} {self.request.path} is not emulated")


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
        user, _ = self.auth()
        self.check_namespace_read(user, namespace)
        try:
            jobs = self.server.list_jobs(namespace, self.get_arguments("stage"), self.get_arguments("label"))
        except ValueError as exc:
            self.fail(400, str(exc))
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
        user, token = self.auth()
        denied = self.server.check_job_write(user, token, namespace)
        if denied:
            self.fail(403, denied)
        body = self.json_body()
        try:
            job = self.server.create_job(user, namespace, body)
        except ValueError as exc:
            self.fail(400, str(exc))
        self.send_json(job.to_dict())


class JobHandler(BaseHandler):
    def get(self, namespace: str, job_id: str) -> None:
        user, _ = self.auth()
        self.check_namespace_read(user, namespace)
        self.send_json(self.get_job(namespace, job_id).to_dict())


class CancelHandler(BaseHandler):
    def post(self, namespace: str, job_id: str) -> None:
        user, token = self.auth()
        denied = self.server.check_job_write(user, token, namespace)
        if denied:
            self.fail(403, denied)
        job = self.get_job(namespace, job_id)
        job.cancel(self.server.timings.kill_grace)
        self.send_json(job.to_dict())


class LogsHandler(BaseHandler):
    """Server-sent events, one ``data: {"timestamp", "data"}`` per log line; closed when the job ends."""

    _gone = False

    def on_connection_close(self) -> None:
        self._gone = True

    async def get(self, namespace: str, job_id: str) -> None:
        user, _ = self.auth()
        self.check_namespace_read(user, namespace)
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
        user, _ = self.auth()
        self.check_namespace_read(user, namespace)
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
        dev = self.server._new_device()
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
        with server._lock:
            dev = server._devices.get(code)
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

"""REST handlers: a few lines each over :class:`~hfsecure_jupyter.server.core.ServerCore`.

Every handler is a jupyter_server ``APIHandler`` (XSRF checked on unsafe methods unless token-
authenticated), decorated ``@tornado.web.authenticated``, and answers JSON; :func:`error_body` turns
any failure into ``{"error": {"code", "message", "fix"}}``. The routes and shapes are those of
``REST_CONTRACT.md``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import tornado.web
from jupyter_server.base.handlers import APIHandler

from .core import ServerCore
from .errors import CoreError, error_body, safe_traceback

__all__ = ["HFSecureHandler", "ROUTES"]


class HFSecureHandler(APIHandler):
    """Base: the core from the web app's settings, JSON answers, one error mapping."""

    @property
    def core(self) -> ServerCore:
        return self.settings["hfsecure_core"]

    def answer(self, body: dict[str, Any] | str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(body if isinstance(body, str) else json.dumps(body))

    async def run(self, work: Callable[[], dict[str, Any]], *, thread: bool = False) -> None:
        """Answer ``work()``; a large body is scanned and its answer serialised off the event loop."""
        try:
            if thread:
                loop = asyncio.get_running_loop()
                result: dict[str, Any] | str = await loop.run_in_executor(None, lambda: json.dumps(work()))
            else:
                result = work()
        except Exception as exc:
            status, body = error_body(exc)
            if not isinstance(exc, CoreError):
                self.log.error("hfsecure: %s failed:\n%s", self.request.path, safe_traceback(exc))
            self.answer(body, status)
            return
        self.answer(result)

    @property
    def raw_body(self) -> bytes:
        return self.request.body or b""

    def _check_size(self) -> CoreError | None:
        limit = self.core.settings.max_request_bytes
        try:
            declared = int(self.request.headers.get("Content-Length", "0"))
        except ValueError:
            declared = 0
        if max(declared, len(self.raw_body)) > limit:
            return CoreError(413, "too-large", f"The request body is larger than {limit} bytes.",
                             fix="Raise c.HFSecure.max_request_bytes in jupyter_server_config.py, or scan the "
                                 "file with 'hfsecure scan'.")
        return None

    async def post_json(self, method: Callable[[bytes], dict[str, Any]]) -> None:
        err = self._check_size()
        if err is not None:
            status, body = error_body(err)
            self.answer(body, status)
            return
        raw = self.raw_body
        await self.run(lambda: method(raw), thread=len(raw) > 1 << 20)


class StatusHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        refresh = self.get_query_argument("refresh", "0") not in ("0", "", "false")
        await self.run(lambda: self.core.status(refresh=refresh))


class ScanHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.post_json(self.core.scan)


class RedactHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.post_json(self.core.redact)


class FixHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.post_json(self.core.fix)


class JobsHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        limit = self.get_query_argument("limit", "20")
        refresh = self.get_query_argument("refresh", "0") not in ("0", "", "false")
        await self.run(lambda: self.core.list_jobs(limit, refresh=refresh))


class PlanHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        await self.post_json(self.core.plan)


class SavesHandler(HFSecureHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        await self.run(lambda: {"events": self.core.saves.take(path.strip("/") if path else None)})


#: (route under the base URL, handler, methods): the REST contract's routes.
ROUTES: list[tuple[str, type[HFSecureHandler], tuple[str, ...]]] = [
    ("hfsecure/status", StatusHandler, ("GET",)),
    ("hfsecure/scan", ScanHandler, ("POST",)),
    ("hfsecure/redact", RedactHandler, ("POST",)),
    ("hfsecure/fix", FixHandler, ("POST",)),
    ("hfsecure/jobs", JobsHandler, ("GET",)),
    ("hfsecure/plan", PlanHandler, ("POST",)),
    ("hfsecure/saves", SavesHandler, ("GET",)),
]


"""Log in with huggingface_hub's OAuth device-code flow in a worker thread (what a widget needs).

``notebook_login()`` (huggingface_hub 2.4) shows HTML and blocks the cell while it polls. A
:class:`DeviceLogin` runs the same steps (``POST /oauth/device``, polling ``POST /oauth/token``, storing
the token as huggingface_hub does) in a daemon thread and reports each step to callbacks: the code and link
to show, then the user name and token name, or a secret-free error. The token goes from the HTTP response
to the token file and nowhere else (no callback, attribute or log line sees it).

Example:
    >>> DeviceLogin().state
    'idle'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..detect import redact
from . import client_internals

if TYPE_CHECKING:  # pragma: no cover
    from .status import StatusService

__all__ = ["DeviceCode", "DeviceLogin", "LoginResult"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceCode:
    """What the user needs to approve the login: the short code and the page to enter it on."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int


@dataclass(frozen=True)
class LoginResult:
    """How a device login ended: ``ok`` with the user and token name, else a short error (masked)."""

    ok: bool
    user: str = ""
    token_name: str = ""
    error: str = ""
    shadowed_by: str = ""  # an environment variable that still overrides the new login


class DeviceLogin:
    """One device-code login, run by :meth:`start` in a worker thread.

    Args:
        on_code: called with the :class:`DeviceCode` once the Hub gave one (worker thread).
        on_done: called with the :class:`LoginResult` at the end (worker thread).
        status: a :class:`~hfsecure_jupyter.hub.StatusService` whose cache is cleared after a login.

    Attributes:
        state: ``idle``, ``requesting``, ``waiting`` (for the user's approval), ``done``, ``failed`` or
            ``canceled``. :meth:`cancel` stops it: a token the Hub still issues afterwards is dropped, not saved.
    """

    def __init__(self, on_code: Callable[[DeviceCode], None] | None = None,
                 on_done: Callable[[LoginResult], None] | None = None,
                 status: StatusService | None = None) -> None:
        self.on_code, self.on_done, self.status = on_code, on_done, status
        self.state = "idle"
        self.code: DeviceCode | None = None
        self.result: LoginResult | None = None
        self._canceled = threading.Event()
        self.future: Future = Future()

    def start(self) -> Future:
        """Start the login in a daemon thread; returns a Future of the :class:`LoginResult`."""
        if self.state != "idle":
            return self.future
        self.state = "requesting"
        self.future.set_running_or_notify_cancel()
        threading.Thread(target=self._run, name="hfsecure-device-login", daemon=True).start()
        return self.future

    def cancel(self) -> None:
        """Stop waiting (the poll ends at the Hub's next answer; nothing is saved)."""
        self._canceled.set()
        if self.state in ("requesting", "waiting"):
            self.state = "canceled"

    def _run(self) -> None:
        try:
            result = self._login()
        except BaseException as exc:  # noqa: BLE001 - reported, never raised in a thread
            result = LoginResult(False, error=redact(f"{type(exc).__name__}: {exc}".splitlines()[0]))
        if self._canceled.is_set():
            result = LoginResult(False, error="canceled")
            self.state = "canceled"
        else:
            self.state = "done" if result.ok else "failed"
        self.result = result
        self.future.set_result(result)
        if self.on_done is not None:
            try:
                self.on_done(result)
            except Exception:  # noqa: BLE001
                log.exception("device login callback failed")

    def _login(self) -> LoginResult:
        info = client_internals.request_device_code()
        self.code = DeviceCode(str(info.get("user_code", "")), str(info.get("verification_uri", "")),
                               str(info.get("verification_uri_complete") or info.get("verification_uri", "")),
                               int(info.get("expires_in") or 0))
        self.state = "waiting"
        if self.on_code is not None:
            self.on_code(self.code)
        response = client_internals.poll_device_token(info)
        if self._canceled.is_set():
            return LoginResult(False, error="canceled")
        token_name, user = client_internals.save_device_token(response)
        response.clear()  # the only copy of the token outside the token file
        if self.status is not None:
            self.status.clear_cache()
        import os

        shadow = next((n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if (os.environ.get(n) or "").strip()), "")
        return LoginResult(True, user=user, token_name=token_name, shadowed_by=shadow)

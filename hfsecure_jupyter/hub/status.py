"""The login status as a service: whoami-v2 in a worker thread, a timeout, a cache by token hash, listeners.

One :class:`StatusService` belongs to whoever holds the settings (the kernel's state, the server app): it
holds the cache, the checks in flight and the listeners, so two owners never share or clear each other's
answers, and nothing here reads a global shell or settings object.

* :meth:`StatusService.get_status` - the :class:`~hfsecure_jupyter.hub.auth.AuthStatus` of the active token:
  a cached answer at once; otherwise it waits at most ``hub_timeout`` seconds for the worker and then
  returns the state ``"checking"`` (or the last known status marked ``stale``) while the answer arrives in
  the background (:meth:`~StatusService.refresh_in_background`, :meth:`~StatusService.subscribe`).
* :meth:`StatusService.user_for_token` - who owns a given token (the namespace of a job): from the same
  cache, else one whoami now.

Answers are cached per token, keyed by a hash of the token (never the token), for ``status_ttl`` seconds
(error states at most 30 s). A whoami that never returns (the client has no timeout of its own) is given up
after ``max(stall_min, stall_factor * hub_timeout)`` seconds and reported as ``"unreachable"``.

Example:
    >>> import os
    >>> from hfsecure_jupyter.config import HFSecure
    >>> saved = {k: os.environ.pop(k) for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
    ...                                          "HF_OIDC_RESOURCE") if k in os.environ}
    >>> os.environ["HF_TOKEN_PATH"] = "/nonexistent/token"
    >>> svc = StatusService(HFSecure(hub_timeout=1.0))
    >>> svc.get_status(timeout=0).state, svc.token_source().name
    ('logged-out', 'none')
    >>> del os.environ["HF_TOKEN_PATH"]; os.environ.update(saved)
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..detect import redact
from . import auth
from .auth import AuthStatus, LoginState, TokenSource

if TYPE_CHECKING:  # pragma: no cover
    from huggingface_hub import HfApi

    from ..config import HFSecure

__all__ = ["StatusService"]

log = logging.getLogger(__name__)

# Error states are retried sooner than a good answer is: the Hub may come back, a rate limit expires.
_ERROR_TTL = 30.0


@dataclass
class _Entry:
    status: AuthStatus
    expires: float


def _key(src: TokenSource, token: str | None) -> str:
    # Keyed by a hash of the token (never the token); OIDC by its resource until exchanged.
    if src.name == "oidc":
        return "oidc:" + hashlib.sha256(os.environ.get("HF_OIDC_RESOURCE", "").encode()).hexdigest()[:32]
    return "sha256:" + hashlib.sha256((token or "").encode()).hexdigest()[:32]


def _ttl_for(status: AuthStatus, ttl: float) -> float:
    return ttl if status.state in ("ok", "invalid") else min(ttl, _ERROR_TTL)


def _status_from_error(exc: BaseException, src: TokenSource, masked: str | None) -> AuthStatus:
    from .errors import diagnose

    code = None
    response = getattr(exc, "response", None)
    if response is not None:
        code = getattr(response, "status_code", None)
    diag = diagnose(exc)
    text = diag.title if diag else type(exc).__name__
    state: LoginState
    if diag is not None and diag.kind == "not-logged-in":
        state = "logged-out"
    elif code == 401:
        state = "invalid"
    elif code == 429:
        state = "rate-limited"
    elif (code is not None and code >= 500) or (diag is not None and diag.kind == "hub-unreachable"):
        state = "unreachable"
    else:
        state = "unknown"
    return AuthStatus(state=state, source=src, masked_token=masked, error=redact(text), checked_at=time.time())


class StatusService:
    """The login status for one owner of settings (a kernel, a server app).

    Args:
        settings: an :class:`~hfsecure_jupyter.config.HFSecure` (``hub_timeout``, ``status_ttl``,
            ``mask_fill``, ``mask_show_last``; read at each call, so changes apply at once), or None for
            the defaults.

    Attributes:
        stall_min, stall_factor: a whoami unanswered after ``max(stall_min, stall_factor * hub_timeout)``
            seconds is given up as lost.
        max_stalled: at most this many lost workers are replaced (a Hub that hangs every call must not
            pile up threads).

    Listeners and callbacks are called from the worker thread: an owner with its own loop (a widget, a
    server) marshals the call to it.

    Example:
        >>> svc = StatusService()
        >>> seen = []; unsubscribe = svc.subscribe(seen.append); unsubscribe()
        >>> svc.clear_cache()
    """

    stall_min: float = 30.0
    stall_factor: float = 6.0
    max_stalled: int = 4

    def __init__(self, settings: HFSecure | None = None) -> None:
        self._given = settings
        self._default: HFSecure | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, _Entry] = {}
        self._inflight: dict[str, tuple[Future, float]] = {}
        self._listeners: list[Callable[[AuthStatus], None]] = []
        self._stalled = 0

    def __repr__(self) -> str:
        return f"<StatusService: {len(self._cache)} cached, {len(self._inflight)} in flight>"

    @property
    def settings(self) -> HFSecure:
        """The settings in use (the defaults when none were given)."""
        if self._given is not None:
            return self._given
        if self._default is None:
            from ..config import HFSecure

            self._default = HFSecure()
        return self._default

    # -- local answers (no network) ----------------------------------------------------------------
    def token_source(self) -> TokenSource:
        """Where the active token comes from (never its value; environment and files only)."""
        return auth.token_source()

    def masked_token(self) -> str | None:
        """The active token masked with these settings (``hf_****wxyz``), None when logged out."""
        return auth.masked_token(self.settings)

    def _mask(self, token: str | None) -> str | None:
        return auth.mask_token(token, self.settings) if token else None

    # -- cache and listeners -----------------------------------------------------------------------
    def clear_cache(self) -> None:
        """Forget every cached status (after ``login()`` / ``logout()``, and in tests)."""
        with self._lock:
            self._cache.clear()

    def subscribe(self, listener: Callable[[AuthStatus], None]) -> Callable[[], None]:
        """Call ``listener(status)`` after every completed check of the active token (in the worker
        thread); returns the function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def cache_keys(self) -> list[str]:
        """The cache's keys (``sha256:...`` digests of tokens, never a token), for tests and diagnostics."""
        with self._lock:
            return list(self._cache)

    # -- the Hub ---------------------------------------------------------------------------------
    def _stall_after(self) -> float:
        return max(self.stall_min, self.stall_factor * self.settings.hub_timeout)

    def _check(self, src: TokenSource, token: str | None) -> AuthStatus:
        """One whoami-v2 (in the worker thread); every failure becomes a state."""
        masked = self._mask(token)
        try:
            if src.name == "oidc":
                src, token = auth.resolve_token(exchange_oidc=True)
                masked = self._mask(token)
                if not token:
                    return AuthStatus(state="unknown", source=src, error=src.note, checked_at=time.time())
            from huggingface_hub import HfApi

            data = HfApi().whoami(token=token)
            return AuthStatus.from_whoami(data, source=src, masked_token=masked)
        except Exception as exc:  # noqa: BLE001 - a status, never a raise
            return _status_from_error(exc, src, masked)

    def _start_check(self, key: str, src: TokenSource, token: str | None, ttl: float,
                     stall_after: float) -> Future:
        now = time.monotonic()
        with self._lock:
            running = self._inflight.get(key)
            if running is not None:
                fut, started = running
                if now - started < stall_after or self._stalled >= self.max_stalled:
                    return fut
                # The old worker is lost in a call that never returns: give up on it and start afresh.
                self._stalled += 1
                if not fut.done():
                    fut.set_result(AuthStatus(state="unreachable", source=src, masked_token=self._mask(token),
                                              error=f"the Hub did not answer in {stall_after:.0f} s",
                                              checked_at=time.time()))
            fut = Future()
            fut.set_running_or_notify_cancel()
            self._inflight[key] = (fut, now)
        threading.Thread(target=self._work, args=(fut, key, src, token, ttl), name="hfsecure-whoami",
                         daemon=True).start()
        return fut

    def _work(self, fut: Future, key: str, src: TokenSource, token: str | None, ttl: float) -> None:
        try:
            status = self._check(src, token)
        except BaseException as exc:  # never leave a waiter hanging
            status = AuthStatus(state="unknown", source=src, error=type(exc).__name__, checked_at=time.time())
        with self._lock:
            mine = self._inflight.get(key, (None, 0.0))[0] is fut
            if mine:
                del self._inflight[key]
                self._cache[key] = _Entry(status, time.monotonic() + _ttl_for(status, ttl))
            elif fut.done():  # this worker had been given up as stalled; it came back after all
                self._stalled = max(0, self._stalled - 1)
            listeners = list(self._listeners)
        if not fut.done():
            fut.set_result(status)
        if mine:
            log.debug("whoami for %s: %s", status.masked_token, status.state)
            for listener in listeners:
                try:
                    listener(status)
                except Exception:  # noqa: BLE001 - one listener must not stop the others
                    log.exception("login status listener failed")

    def get_status(self, timeout: float | None = None, refresh: bool = False) -> AuthStatus:
        """The login status of the active token, never waiting past ``timeout`` seconds.

        Args:
            timeout: seconds to wait for the Hub (default ``hub_timeout``; 0 never waits). If the Hub has
                not answered by then, the result is the last known status marked ``stale`` or, with none,
                the state ``"checking"``; the check goes on in the background (see :meth:`subscribe`).
            refresh: ask the Hub even if a cached answer is still fresh.
        """
        settings = self.settings
        timeout = settings.hub_timeout if timeout is None else max(0.0, float(timeout))
        src, token = auth.resolve_token(exchange_oidc=False)
        if src.name == "none":
            return AuthStatus(state="logged-out", source=src, checked_at=time.time())
        key = _key(src, token)
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key)
            running = self._inflight.get(key)
        if entry is not None and not refresh and entry.expires > now:
            return dataclasses.replace(entry.status, source=src)
        stall_after = self._stall_after()
        stalled = running is not None and now - running[1] >= stall_after
        fut = self._start_check(key, src, token, settings.status_ttl, stall_after)
        try:
            return dataclasses.replace(fut.result(timeout=timeout), source=src)
        except FutureTimeout:
            pass
        if entry is not None:
            return dataclasses.replace(entry.status, source=src, stale=True)
        if stalled:
            return AuthStatus(state="unreachable", source=src, masked_token=self._mask(token),
                              error=f"the Hub did not answer in {stall_after:.0f} s; still trying")
        return AuthStatus(state="checking", source=src, masked_token=self._mask(token),
                          error=f"waiting for the Hub (more than {timeout:g} s)")

    def refresh_in_background(self, callback: Callable[[AuthStatus], None] | None = None) -> Future:
        """Ask the Hub again without waiting; ``callback(status)`` runs when it answers (in the worker
        thread, or right away when logged out). Returns a :class:`concurrent.futures.Future` of the status.

        Example:
            >>> import os
            >>> saved = {k: os.environ.pop(k) for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
            ...                                          "HF_OIDC_RESOURCE") if k in os.environ}
            >>> os.environ["HF_TOKEN_PATH"] = "/nonexistent/token"
            >>> got = []
            >>> StatusService().refresh_in_background(got.append).result(timeout=1).state, got[0].state
            ('logged-out', 'logged-out')
            >>> del os.environ["HF_TOKEN_PATH"]; os.environ.update(saved)
        """
        src, token = auth.resolve_token(exchange_oidc=False)
        if src.name == "none":
            out: Future = Future()
            status = AuthStatus(state="logged-out", source=src, checked_at=time.time())
            out.set_result(status)
            if callback is not None:
                callback(status)
            return out
        fut = self._start_check(_key(src, token), src, token, self.settings.status_ttl, self._stall_after())
        if callback is not None:
            def done(f: Future) -> None:
                try:
                    callback(f.result())
                except Exception:  # noqa: BLE001
                    log.exception("login status callback failed")

            fut.add_done_callback(done)
        return fut

    def user_for_token(self, token: str, *, api: HfApi | None = None) -> str:
        """The account that owns ``token`` (a job's default namespace): a fresh cached ``ok`` answer, else
        one whoami-v2 now, in this thread, through ``api`` (default ``HfApi()``), cached for the next
        status and submission.

        Raises:
            huggingface_hub's error when the Hub refuses or cannot be reached (the caller diagnoses it).
        """
        key = _key(TokenSource("env:HF_TOKEN"), token)
        with self._lock:
            entry = self._cache.get(key)
        if entry is not None and entry.status.ok and entry.status.user and entry.expires > time.monotonic():
            return entry.status.user
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi()
        data: Any = api.whoami(token=token)
        status = AuthStatus.from_whoami(data, masked_token=self._mask(token))
        with self._lock:
            self._cache[key] = _Entry(status, time.monotonic() + _ttl_for(status, self.settings.status_ttl))
        return str(data["name"])

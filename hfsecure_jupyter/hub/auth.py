"""Who is logged in to the Hugging Face Hub here, with which token, and what that token may do.

Two questions, answered without ever exposing a token value:

* :func:`token_source` - where the active token comes from (the same order as huggingface_hub 2.4.0's
  ``get_token()``: OIDC when ``HF_OIDC_RESOURCE`` is set, then ``HF_TOKEN`` / the legacy
  ``HUGGING_FACE_HUB_TOKEN``, then the token file ``HF_TOKEN_PATH`` (default ``$HF_HOME/token``), then the
  Google Colab secret ``HF_TOKEN``), which other sources it shadows, and the names of stored logins.
  Local files and environment only: never the network.
* :func:`get_status` - an :class:`AuthStatus` from ``whoami-v2`` through huggingface_hub, cached per token
  (keyed by a hash of the token) for ``HFSecure.status_ttl`` seconds. The Hub call runs in a worker thread;
  a caller waits at most ``HFSecure.hub_timeout`` seconds and otherwise gets the state ``"checking"`` (or
  the last known status marked ``stale``) while the answer arrives in the background
  (:func:`refresh_in_background`, :func:`subscribe`).

Nothing here is imported by ``%load_ext hfsecure_jupyter``; huggingface_hub is imported inside functions.

Example:
    >>> src = token_source()          # environment and files only
    >>> src.name in {"env:HF_TOKEN", "env:HUGGING_FACE_HUB_TOKEN", "file", "colab", "oidc", "none"}
    True
    >>> st = AuthStatus.from_whoami({"name": "carol", "orgs": [], "auth": {"accessToken": {
    ...     "displayName": "ci", "role": "fineGrained", "createdAt": "2025-01-02T03:04:05.000Z",
    ...     "fineGrained": {"scoped": [
    ...         {"entity": {"type": "user", "name": "carol"}, "permissions": ["repo.write", "job.write"]},
    ...         {"entity": {"type": "model", "name": "acme/private-model"}, "permissions": ["repo.content.read"]}],
    ...         "global": []}}}})
    >>> st.state, st.role
    ('ok', 'fineGrained')
    >>> st.scopes
    'write on carol/*, jobs in carol, read on acme/private-model'
"""

from __future__ import annotations

import configparser
import dataclasses
import datetime as _dt
import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from ..detect import mask_secret, redact

__all__ = [
    "AuthStatus", "Grant", "TokenSource", "clear_cache", "configure", "current_token", "get_status",
    "masked_token", "refresh_in_background", "stored_token_names", "subscribe", "summarize_scopes",
    "token_file_path", "token_source",
]

log = logging.getLogger(__name__)

#: Every state an :class:`AuthStatus` can be in.
STATES = ("logged-out", "checking", "ok", "invalid", "unreachable", "rate-limited", "unknown")

# Error states are retried sooner than a good answer is: the Hub may come back, a rate limit expires.
_ERROR_TTL = 30.0
# A worker whose whoami has not answered after this long (the client has no timeout of its own) is
# treated as lost: its key may start a new check, and the state says "unreachable".
_STALL_MIN = 30.0
_STALL_FACTOR = 6
_MAX_STALLED_WORKERS = 4


# --- where the token comes from ------------------------------------------------------------------

@dataclass(frozen=True)
class TokenSource:
    """Where the active token comes from. Holds names and paths, never a value.

    Attributes:
        name: ``env:HF_TOKEN``, ``env:HUGGING_FACE_HUB_TOKEN``, ``file``, ``colab``, ``oidc`` or ``none``.
        shadows: other sources that hold a *different* token and are overridden by this one
            (``["file"]`` when ``HF_TOKEN`` hides a stored login).
        stored_token_names: names of the logins saved in ``stored_tokens`` (``hf auth switch`` candidates).
        active_token_name: the stored name whose token is the active one, if any.
        token_path: the token file huggingface_hub reads.
        note: a short human explanation (or why a source could not be read).
    """

    name: str
    shadows: list[str] = field(default_factory=list)
    stored_token_names: list[str] = field(default_factory=list)
    active_token_name: str | None = None
    token_path: str = ""
    note: str = ""

    @property
    def logged_in(self) -> bool:
        """True when some source supplies a token."""
        return self.name != "none"

    def describe(self) -> str:
        """One line for people.

        Example:
            >>> TokenSource("env:HF_TOKEN", shadows=["file"]).describe()
            'token from the HF_TOKEN environment variable (it overrides: your stored login (token file))'
        """
        text = _SOURCE_LABELS.get(self.name, self.name)
        if self.active_token_name:
            text += f" (stored as '{self.active_token_name}')"
        if self.shadows:
            text += " (it overrides: " + ", ".join(_SHADOW_LABELS.get(s, s) for s in self.shadows) + ")"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dataclasses.asdict(self)


_SOURCE_LABELS = {
    "env:HF_TOKEN": "token from the HF_TOKEN environment variable",
    "env:HUGGING_FACE_HUB_TOKEN": "token from the legacy HUGGING_FACE_HUB_TOKEN environment variable",
    "file": "token from your stored login (token file)",
    "colab": "token from the Colab secret HF_TOKEN",
    "oidc": "short-lived token from OIDC (HF_OIDC_RESOURCE)",
    "none": "no token (logged out)",
}
_SHADOW_LABELS = {
    "env:HUGGING_FACE_HUB_TOKEN": "HUGGING_FACE_HUB_TOKEN",
    "env:HF_TOKEN": "HF_TOKEN",
    "file": "your stored login (token file)",
    "colab": "the Colab secret",
}


def _clean(value: str | None) -> str | None:
    # Same cleaning as huggingface_hub's _clean_token: strip newlines and spaces; empty means absent.
    if value is None:
        return None
    return value.replace("\r", "").replace("\n", "").strip() or None


def _hf_home() -> str:
    default = os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")),
                           "huggingface")
    return os.path.expandvars(os.path.expanduser(os.getenv("HF_HOME", default)))


def token_file_path() -> str:
    """The token file huggingface_hub reads: ``HF_TOKEN_PATH``, default ``$HF_HOME/token``.

    Read from the environment at call time (huggingface_hub reads it once, at import; the two agree
    unless the environment changed after that import).

    Example:
        >>> token_file_path().endswith("token")
        True
    """
    return os.path.expandvars(os.path.expanduser(os.getenv("HF_TOKEN_PATH", os.path.join(_hf_home(), "token"))))


def _stored_tokens_path() -> str:
    return os.path.join(os.path.dirname(token_file_path()), "stored_tokens")


def _read_stored() -> dict[str, str]:
    path = _stored_tokens_path()
    if not os.path.exists(path):
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
        return {name: parser.get(name, "hf_token", fallback="") for name in parser.sections()}
    except (configparser.Error, UnicodeDecodeError, OSError):
        log.warning("Could not parse the stored tokens file %s; ignoring it.", path)
        return {}


def stored_token_names() -> list[str]:
    """Names of the logins saved by ``hf auth login`` (``$HF_HOME/stored_tokens``), never their values.

    Example:
        >>> isinstance(stored_token_names(), list)
        True
    """
    return list(_read_stored())


def _read_token_file() -> str | None:
    try:
        with open(token_file_path(), encoding="utf-8") as f:
            return _clean(f.read())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError):
        log.warning("Could not read the token file %s.", token_file_path())
        return None


def _colab_token() -> str | None:
    # Only inside Colab (google.colab already imported by the runtime); huggingface_hub caches the vault
    # answer and handles Colab Enterprise.
    if "google.colab" not in sys.modules:
        return None
    try:
        from huggingface_hub.utils._auth import _get_token_from_google_colab
    except ImportError:
        return None
    try:
        return _clean(_get_token_from_google_colab())
    except Exception:  # the vault can refuse access; that means "no token from Colab"
        return None


def _resolve(exchange_oidc: bool = True) -> tuple[TokenSource, str | None]:
    """The active source and (in-process only) its token, in huggingface_hub 2.4.0's order."""
    stored = _read_stored()
    env_main = _clean(os.environ.get("HF_TOKEN"))
    env_legacy = _clean(os.environ.get("HUGGING_FACE_HUB_TOKEN"))
    file_tok = _read_token_file()
    candidates: list[tuple[str, str | None]] = [
        ("env:HF_TOKEN", env_main), ("env:HUGGING_FACE_HUB_TOKEN", env_legacy), ("file", file_tok),
    ]
    note = ""
    token: str | None = None
    if os.environ.get("HF_OIDC_RESOURCE"):
        name = "oidc"
        if exchange_oidc:
            try:
                from huggingface_hub.utils._auth import _get_token_from_oidc

                token = _clean(_get_token_from_oidc())
            except Exception as exc:  # huggingface_hub raises when OIDC is asked for but unavailable
                note = f"OIDC token exchange failed ({type(exc).__name__})"
    else:
        name, token = next(((n, t) for n, t in candidates if t), ("none", None))
        if name == "none":
            token = _colab_token()
            name = "colab" if token else "none"
    # A later source holding a different token is overridden (same token: no conflict worth showing).
    shadows = [other for other, value in candidates
               if value and _order(other) > _order(name) and value != token]
    active_name = None
    if token:
        active_name = next((n for n, v in stored.items() if v and v == token), None)
    if not note:
        note = _SOURCE_LABELS.get(name, name)
    return TokenSource(name=name, shadows=shadows, stored_token_names=list(stored), active_token_name=active_name,
                       token_path=token_file_path(), note=note), token


_ORDER = {"oidc": 0, "env:HF_TOKEN": 1, "env:HUGGING_FACE_HUB_TOKEN": 2, "file": 3, "colab": 4, "none": 5}


def _order(name: str) -> int:
    return _ORDER.get(name, 9)


def token_source() -> TokenSource:
    """Which source supplies the active token and what it shadows. Never a value, never the network.

    Example:
        >>> import os
        >>> from hfsecure_jupyter.testing import fake_token
        >>> old = os.environ.get("HF_TOKEN"); os.environ["HF_TOKEN"] = fake_token(seed=1)
        >>> token_source().name
        'env:HF_TOKEN'
        >>> _ = os.environ.pop("HF_TOKEN") if old is None else os.environ.update(HF_TOKEN=old)
    """
    return _resolve(exchange_oidc=False)[0]


def current_token() -> str | None:
    """The active token, for use in this process only (pass it to huggingface_hub, never print it).

    Under OIDC this performs huggingface_hub's token exchange (a network call, cached by huggingface_hub).

    Example:
        >>> t = current_token()
        >>> t is None or isinstance(t, str)
        True
    """
    return _resolve(exchange_oidc=True)[1]


def masked_token() -> str | None:
    """The active token as ``hf_****wxyz`` (None when logged out). Does not contact the Hub.

    Example:
        >>> import os
        >>> from hfsecure_jupyter.testing import fake_token
        >>> old = os.environ.get("HF_TOKEN"); tok = os.environ["HF_TOKEN"] = fake_token(seed=2)
        >>> masked_token() == "hf_****" + tok[-4:]
        True
        >>> _ = os.environ.pop("HF_TOKEN") if old is None else os.environ.update(HF_TOKEN=old)
    """
    src, token = _resolve(exchange_oidc=False)
    return _mask(token) if token else None


def _mask(token: str) -> str:
    s = _settings()
    return mask_secret(token, fill=s.mask_fill, show_last=s.mask_show_last)


# --- what the token may do -------------------------------------------------------------------------

@dataclass(frozen=True)
class Grant:
    """One fine-grained scope: permissions on an entity (a user, org, model, dataset or space).

    Example:
        >>> Grant("user", "carol", ("repo.write",)).target
        'carol/*'
    """

    entity_type: str
    entity_name: str
    permissions: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """How the entity is written in a summary (``carol/*``, ``acme/x``, ``datasets/acme/x``)."""
        if self.entity_type in ("user", "org"):
            return f"{self.entity_name}/*"
        if self.entity_type in ("dataset", "space"):
            return f"{self.entity_type}s/{self.entity_name}"
        return self.entity_name


_PERMISSION_LABELS = {
    "inference.serverless.write": "inference calls",
    "inference.endpoints.write": "manage inference endpoints",
    "inference.endpoints.infer.write": "call inference endpoints",
    "org.read": "read org settings",
    "org.write": "manage org",
    "discussion.write": "discussions",
    "post.write": "posts",
    "collection.read": "read collections",
    "collection.write": "collections",
    "user.webhooks.read": "read webhooks",
    "user.webhooks.write": "webhooks",
    "user.billing.read": "read billing",
    "repo.access.read": "read access requests",
    "repo.access.write": "manage access requests",
    "resource_group.write": "resource groups",
}


def summarize_scopes(grants: list[Grant] | tuple[Grant, ...], global_permissions: list[str] | tuple[str, ...] = (),
                     can_read_gated: bool | None = None) -> str:
    """Fine-grained scopes in human terms.

    Example:
        >>> summarize_scopes([Grant("user", "carol", ("repo.write", "repo.content.read", "job.write")),
        ...                   Grant("model", "acme/private-model", ("repo.content.read",))])
        'write on carol/*, jobs in carol, read on acme/private-model'
        >>> summarize_scopes([], ["inference.serverless.write"], can_read_gated=True)
        'inference calls, read public gated repos'
        >>> summarize_scopes([])
        'no permissions'
    """
    parts: list[str] = []
    for g in grants:
        perms = set(g.permissions)
        if "repo.write" in perms:
            parts.append(f"write on {g.target}")
        elif "repo.content.read" in perms:
            parts.append(f"read on {g.target}")
        if "job.write" in perms:
            parts.append(f"jobs in {g.entity_name}")
        for p in g.permissions:
            if p in ("repo.write", "repo.content.read", "job.write"):
                continue
            parts.append(f"{_PERMISSION_LABELS.get(p, p)} on {g.target}")
    for p in global_permissions:
        parts.append(_PERMISSION_LABELS.get(p, p))
    if can_read_gated:
        parts.append("read public gated repos")
    return ", ".join(parts) or "no permissions"


def _parse_time(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class AuthStatus:
    """The login status: who, which token (by name, masked), what it may do, and how fresh that is.

    Never holds a token value: ``masked_token`` (``hf_****wxyz``) at most. ``to_dict()`` is JSON-ready.

    Attributes:
        state: ``logged-out``, ``checking``, ``ok``, ``invalid`` (401), ``unreachable`` (no answer, network
            error, 5xx), ``rate-limited`` (429) or ``unknown`` (any other failure; see ``error``).
        user, fullname: the account (None unless ``ok``).
        orgs: ``[(org name, role in org or None)]``.
        token_name: the token's display name on the Hub.
        role: ``read``, ``write`` or ``fineGrained``.
        scopes: a human summary of what the token may do (``"write on carol/*, jobs in carol"``).
        grants, global_permissions, can_read_gated: the fine-grained scopes, structured.
        created_at: when the token was created (ISO 8601 string); age_days: its age in whole days.
        source: the :class:`TokenSource`.
        checked_at: when the Hub answered (Unix time), None if it has not.
        error: a short, secret-free text for non-``ok`` states.
        masked_token: ``hf_****wxyz``.
        stale: True when this is a cached answer past its TTL, returned because a refresh is in flight.
    """

    state: str
    user: str | None = None
    fullname: str | None = None
    orgs: list[tuple[str, str | None]] = field(default_factory=list)
    token_name: str | None = None
    role: str | None = None
    scopes: str = ""
    grants: list[Grant] = field(default_factory=list)
    global_permissions: list[str] = field(default_factory=list)
    can_read_gated: bool | None = None
    created_at: str | None = None
    age_days: int | None = None
    source: TokenSource = field(default_factory=lambda: TokenSource("none"))
    checked_at: float | None = None
    error: str = ""
    masked_token: str | None = None
    stale: bool = False

    @property
    def ok(self) -> bool:
        """True when the Hub confirmed the token."""
        return self.state == "ok"

    def org_role(self, org: str) -> str | None:
        """The user's role in ``org`` (``admin``, ``write``, ``contributor``, ``read``), ``""`` if a member
        whose role the Hub did not say, None if not a member.

        Example:
            >>> AuthStatus("ok", user="alice", orgs=[("acme", "admin")]).org_role("acme")
            'admin'
        """
        for name, role in self.orgs:
            if name == org:
                return role or ""
        return None

    def summary(self) -> str:
        """One line for people.

        Example:
            >>> AuthStatus("ok", user="bob", role="read", token_name="laptop", masked_token="hf_****wxyz").summary()
            "logged in as bob with read token 'laptop' (hf_****wxyz)"
            >>> AuthStatus("logged-out").summary()
            'logged out'
        """
        if self.state == "ok":
            role = "fine-grained" if self.role == "fineGrained" else (self.role or "")
            text = f"logged in as {self.user} with {role} token".replace("  ", " ")
            if self.token_name:
                text += f" '{self.token_name}'"
            if self.masked_token:
                text += f" ({self.masked_token})"
            if self.role == "fineGrained" and self.scopes:
                text += f": {self.scopes}"
            return text + (" [stale]" if self.stale else "")
        if self.state == "logged-out":
            return "logged out"
        if self.state == "checking":
            return "checking login..."
        return f"{self.state}: {self.error}" if self.error else self.state

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for widgets and the server); names and masked values only."""
        d = dataclasses.asdict(self)
        d["orgs"] = [{"name": n, "role": r} for n, r in self.orgs]
        d["grants"] = [{"entity_type": g.entity_type, "entity_name": g.entity_name, "permissions": list(g.permissions)}
                       for g in self.grants]
        d["source"] = self.source.to_dict()
        d["summary"] = self.summary()
        return d

    @classmethod
    def from_whoami(cls, data: dict[str, Any], *, source: TokenSource | None = None,
                    masked_token: str | None = None, now: _dt.datetime | None = None) -> AuthStatus:
        """Build an ``ok`` status from a ``whoami-v2`` answer (see the module example)."""
        auth = data.get("auth") or {}
        at = auth.get("accessToken") or {}
        fg = at.get("fineGrained") or {}
        grants = []
        for item in fg.get("scoped") or []:
            ent = item.get("entity") or {}
            grants.append(Grant(str(ent.get("type", "")), str(ent.get("name", "")),
                                tuple(str(p) for p in item.get("permissions") or [])))
        global_perms = [str(p) for p in fg.get("global") or []]
        can_gated = fg.get("canReadGatedRepos") if fg else None
        role = at.get("role")
        created = _parse_time(at.get("createdAt"))
        now = now or _dt.datetime.now(_dt.timezone.utc)
        age = None
        if created is not None:
            if created.tzinfo is None:
                created = created.replace(tzinfo=_dt.timezone.utc)
            age = max(0, (now - created).days)
        orgs = [(str(o.get("name")), o.get("roleInOrg")) for o in data.get("orgs") or [] if o.get("name")]
        return cls(
            state="ok", user=data.get("name"), fullname=data.get("fullname"), orgs=orgs,
            token_name=at.get("displayName"), role=role,
            scopes=summarize_scopes(grants, global_perms, can_gated) if role == "fineGrained" else
            {"read": "read everything this account can read", "write": "read and write everything this account can"
             }.get(role or "", ""),
            grants=grants, global_permissions=global_perms, can_read_gated=can_gated,
            created_at=at.get("createdAt"), age_days=age, source=source or TokenSource("none"),
            checked_at=time.time(), masked_token=masked_token)


# --- settings --------------------------------------------------------------------------------------

_SETTINGS: Any = None


def configure(settings: Any) -> None:
    """Use this :class:`~hfsecure_jupyter.config.HFSecure` (e.g. the kernel's) for timeouts and TTLs.

    Without it, the running IPython shell's configuration is used, else the defaults.

    Example:
        >>> from hfsecure_jupyter.config import HFSecure
        >>> configure(HFSecure(hub_timeout=2.0)); _settings().hub_timeout
        2.0
        >>> configure(None)
    """
    global _SETTINGS
    _SETTINGS = settings


def _settings() -> Any:
    from ..config import HFSecure

    if _SETTINGS is not None:
        return _SETTINGS
    if "IPython" in sys.modules:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            if shell is not None:
                return HFSecure(parent=shell)
        except Exception:  # no usable shell: fall back to defaults
            pass
    return HFSecure()


# --- the cache and the workers ---------------------------------------------------------------------

@dataclass
class _Entry:
    status: AuthStatus
    expires: float


_LOCK = threading.Lock()
_CACHE: dict[str, _Entry] = {}
_INFLIGHT: dict[str, tuple[Future, float]] = {}
_LISTENERS: list[Callable[[AuthStatus], None]] = []
_STALLED = 0


def _key(src: TokenSource, token: str | None) -> str:
    # The cache is keyed by a hash of the token (never the token); OIDC by its resource until exchanged.
    if src.name == "oidc":
        return "oidc:" + hashlib.sha256(os.environ.get("HF_OIDC_RESOURCE", "").encode()).hexdigest()[:32]
    return "sha256:" + hashlib.sha256((token or "").encode()).hexdigest()[:32]


def clear_cache() -> None:
    """Forget every cached status (tests, and after ``login()``/``logout()``).

    Example:
        >>> clear_cache(); len(_CACHE)  # the next get_status() asks the Hub again
        0
    """
    with _LOCK:
        _CACHE.clear()


def subscribe(listener: Callable[[AuthStatus], None]) -> Callable[[], None]:
    """Call ``listener(status)`` after every completed Hub check (in a worker thread); returns an unsubscribe.

    Example:
        >>> seen = []; unsubscribe = subscribe(seen.append); unsubscribe()
    """
    with _LOCK:
        _LISTENERS.append(listener)

    def unsubscribe() -> None:
        with _LOCK:
            if listener in _LISTENERS:
                _LISTENERS.remove(listener)

    return unsubscribe


def _status_from_error(exc: BaseException, src: TokenSource, masked: str | None) -> AuthStatus:
    from .errors import diagnose

    code = None
    response = getattr(exc, "response", None)
    if response is not None:
        code = getattr(response, "status_code", None)
    diag = diagnose(exc)
    text = diag.title if diag else type(exc).__name__
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


def _check(src: TokenSource, token: str | None) -> AuthStatus:
    masked = _mask(token) if token else None
    try:
        if src.name == "oidc":
            src, token = _resolve(exchange_oidc=True)
            masked = _mask(token) if token else None
            if not token:
                return AuthStatus(state="unknown", source=src, error=src.note, checked_at=time.time())
        from huggingface_hub import HfApi

        data = HfApi().whoami(token=token)
        return AuthStatus.from_whoami(data, source=src, masked_token=masked)
    except Exception as exc:
        return _status_from_error(exc, src, masked)


def _ttl_for(status: AuthStatus, ttl: float) -> float:
    return ttl if status.state in ("ok", "invalid") else min(ttl, _ERROR_TTL)


def _start_check(key: str, src: TokenSource, token: str | None, ttl: float, stall_after: float) -> Future:
    global _STALLED
    now = time.monotonic()
    with _LOCK:
        running = _INFLIGHT.get(key)
        if running is not None:
            fut, started = running
            if now - started < stall_after or _STALLED >= _MAX_STALLED_WORKERS:
                return fut
            # The old worker is lost in a call that never returns: give up on it and start afresh.
            _STALLED += 1
            if not fut.done():
                fut.set_result(AuthStatus(state="unreachable", source=src,
                                          masked_token=_mask(token) if token else None,
                                          error=f"the Hub did not answer in {stall_after:.0f} s",
                                          checked_at=time.time()))
        fut = Future()
        fut.set_running_or_notify_cancel()
        _INFLIGHT[key] = (fut, now)

    def work() -> None:
        global _STALLED
        try:
            status = _check(src, token)
        except BaseException as exc:  # never leave a waiter hanging
            status = AuthStatus(state="unknown", source=src, error=type(exc).__name__, checked_at=time.time())
        with _LOCK:
            mine = _INFLIGHT.get(key, (None, 0.0))[0] is fut
            if mine:
                del _INFLIGHT[key]
                _CACHE[key] = _Entry(status, time.monotonic() + _ttl_for(status, ttl))
            elif fut.done():  # this worker had been given up as stalled; it came back after all
                _STALLED = max(0, _STALLED - 1)
            listeners = list(_LISTENERS)
        if not fut.done():
            fut.set_result(status)
        if mine:
            log.debug("whoami for %s: %s", status.masked_token, status.state)
            for listener in listeners:
                try:
                    listener(status)
                except Exception:
                    log.exception("login status listener failed")

    threading.Thread(target=work, name="hfsecure-whoami", daemon=True).start()
    return fut


def get_status(timeout: float | None = None, refresh: bool = False) -> AuthStatus:
    """The login status of the active token, never waiting past ``timeout`` seconds.

    Args:
        timeout: seconds to wait for the Hub (default ``HFSecure.hub_timeout``; 0 never waits). If the Hub
            has not answered by then, the result is the last known status marked ``stale`` or, with none,
            the state ``"checking"``; the check goes on in the background (see :func:`subscribe`).
        refresh: ask the Hub even if a cached answer is still fresh.

    Example:
        >>> import os
        >>> saved = {k: os.environ.pop(k) for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
        ...                                          "HF_OIDC_RESOURCE") if k in os.environ}
        >>> os.environ["HF_TOKEN_PATH"] = "/nonexistent/token"
        >>> get_status(timeout=0).state
        'logged-out'
        >>> del os.environ["HF_TOKEN_PATH"]; os.environ.update(saved)
    """
    settings = _settings()
    timeout = settings.hub_timeout if timeout is None else max(0.0, float(timeout))
    src, token = _resolve(exchange_oidc=False)
    if src.name == "none":
        return AuthStatus(state="logged-out", source=src, checked_at=time.time())
    masked = _mask(token) if token else None
    key = _key(src, token)
    now = time.monotonic()
    with _LOCK:
        entry = _CACHE.get(key)
    if entry is not None and not refresh and entry.expires > now:
        return dataclasses.replace(entry.status, source=src)
    stall_after = max(_STALL_MIN, _STALL_FACTOR * settings.hub_timeout)
    with _LOCK:
        running = _INFLIGHT.get(key)
    stalled = running is not None and now - running[1] >= stall_after
    fut = _start_check(key, src, token, settings.status_ttl, stall_after)
    try:
        return dataclasses.replace(fut.result(timeout=timeout), source=src)
    except FutureTimeout:
        pass
    if entry is not None:
        return dataclasses.replace(entry.status, source=src, stale=True)
    if stalled:
        return AuthStatus(state="unreachable", source=src, masked_token=masked,
                          error=f"the Hub did not answer in {stall_after:.0f} s; still trying")
    return AuthStatus(state="checking", source=src, masked_token=masked,
                      error=f"waiting for the Hub (more than {timeout:g} s)")


def refresh_in_background(callback: Callable[[AuthStatus], None] | None = None) -> Future:
    """Ask the Hub again without waiting; ``callback(status)`` runs when it answers (in a worker thread,
    or right away when logged out). Returns a :class:`concurrent.futures.Future` of the status.

    Example:
        >>> import os
        >>> saved = {k: os.environ.pop(k) for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH",
        ...                                          "HF_OIDC_RESOURCE") if k in os.environ}
        >>> os.environ["HF_TOKEN_PATH"] = "/nonexistent/token"
        >>> got = []
        >>> refresh_in_background(got.append).result(timeout=1).state, got[0].state
        ('logged-out', 'logged-out')
        >>> del os.environ["HF_TOKEN_PATH"]; os.environ.update(saved)
    """
    settings = _settings()
    src, token = _resolve(exchange_oidc=False)
    if src.name == "none":
        out: Future = Future()
        status = AuthStatus(state="logged-out", source=src, checked_at=time.time())
        out.set_result(status)
        if callback is not None:
            callback(status)
        return out
    stall_after = max(_STALL_MIN, _STALL_FACTOR * settings.hub_timeout)
    fut = _start_check(_key(src, token), src, token, settings.status_ttl, stall_after)
    if callback is not None:
        def done(f: Future) -> None:
            try:
                callback(f.result())
            except Exception:
                log.exception("login status callback failed")

        fut.add_done_callback(done)
    return fut

"""Who is logged in to the Hugging Face Hub here, with which token, and what that token may do.

Two questions, answered without ever exposing a token value:

* :func:`token_source` - where the active token comes from (the same order as huggingface_hub 2.4.0's
  ``get_token()``: OIDC when ``HF_OIDC_RESOURCE`` is set, then ``HF_TOKEN`` / the legacy
  ``HUGGING_FACE_HUB_TOKEN``, then the token file ``HF_TOKEN_PATH`` (default ``$HF_HOME/token``), then the
  Google Colab secret ``HF_TOKEN``), which other sources it shadows, and the names of stored logins.
  Local files and environment only: never the network.
* :class:`AuthStatus` - what ``whoami-v2`` says of the token (who, which role, what it may do), never a
  value. Asking the Hub, with its cache, timeout and background refresh, is
  :class:`hfsecure_jupyter.hub.status.StatusService`'s job (one per owner of the settings).

Importing this module does not import huggingface_hub (the kernel imports it at load): the few calls into
huggingface_hub's private names live in :mod:`~hfsecure_jupyter.hub.client_internals`.

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
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..detect import mask_secret
from . import client_internals

__all__ = [
    "LoginState", "STATES", "AuthStatus", "Grant", "TokenSource", "current_token", "mask_token", "masked_token", "resolve_token",
    "stored_token_names", "stored_tokens_path", "summarize_scopes", "token_file_path", "token_source",
]

log = logging.getLogger(__name__)

#: The closed set of login states (one definition; AuthStatus.state is one of them).
LoginState = Literal["logged-out", "checking", "ok", "invalid", "unreachable", "rate-limited", "unknown"]
#: Every state an :class:`AuthStatus` can be in, in the order of ``LoginState``.
STATES: tuple[str, ...] = get_args(LoginState)



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


def stored_tokens_path() -> str:
    """The stored logins file (``hf auth login`` keeps it beside the token file).

    Example:
        >>> os.path.dirname(stored_tokens_path()) == os.path.dirname(token_file_path())
        True
    """
    return os.path.join(os.path.dirname(token_file_path()), "stored_tokens")


def _read_stored() -> dict[str, str]:
    path = stored_tokens_path()
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
    # Only inside Colab (google.colab already imported by the runtime).
    return _clean(client_internals.colab_token())


def resolve_token(exchange_oidc: bool = True) -> tuple[TokenSource, str | None]:
    """The active source and its token, in huggingface_hub 2.4.0's order: for use in this process only.

    ``exchange_oidc=False`` never touches the network (under OIDC the token is then None).
    """
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
                token = _clean(client_internals.oidc_token())
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
    return resolve_token(exchange_oidc=False)[0]


def current_token() -> str | None:
    """The active token, for use in this process only (pass it to huggingface_hub, never print it).

    Under OIDC this performs huggingface_hub's token exchange (a network call, cached by huggingface_hub).

    Example:
        >>> t = current_token()
        >>> t is None or isinstance(t, str)
        True
    """
    return resolve_token(exchange_oidc=True)[1]


def masked_token(settings: Any = None) -> str | None:
    """The active token as ``hf_****wxyz`` (None when logged out). Does not contact the Hub.

    Example:
        >>> import os
        >>> from hfsecure_jupyter.testing import fake_token
        >>> old = os.environ.get("HF_TOKEN"); tok = os.environ["HF_TOKEN"] = fake_token(seed=2)
        >>> masked_token() == "hf_****" + tok[-4:]
        True
        >>> _ = os.environ.pop("HF_TOKEN") if old is None else os.environ.update(HF_TOKEN=old)
    """
    src, token = resolve_token(exchange_oidc=False)
    return mask_token(token, settings) if token else None


def mask_token(token: str, settings: Any = None) -> str:
    """``token`` masked with the ``mask_fill`` / ``mask_show_last`` of ``settings`` (None: the defaults).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> tok = fake_token(seed=3)
        >>> mask_token(tok) == "hf_****" + tok[-4:]
        True
    """
    if settings is None:
        return mask_secret(token)
    return mask_secret(token, fill=settings.mask_fill, show_last=settings.mask_show_last)


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

    state: LoginState
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

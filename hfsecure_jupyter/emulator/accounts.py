"""Accounts of the offline Hub emulator: users, organizations and their access tokens.

The emulator reads the same shape as ``hfsecure hub-emulator --accounts FILE``::

    {"users": [{"name": "alice", "fullname": "Alice", "orgs": ["acme"],
                "tokens": [{"token": "...", "role": "write", "displayName": "laptop",
                            "createdAt": "2025-01-01T00:00:00.000Z"}]}]}

``orgs`` entries may also be ``{"name": "acme", "role": "admin"}`` to set the role in that org
(default ``"write"``); a fine-grained token carries ``"fineGrained": {"scoped": [...], "global": [...]}``
with scoped entries ``{"entity": {"type": "user"|"org"|"model"|..., "name": ...}, "permissions": [...]}``.

Token values never appear in a repr or an error message of this module.

Example:
    >>> accounts = Accounts.from_dict(test_accounts())
    >>> sorted(accounts.users)
    ['alice', 'bob', 'carol', 'dave']
    >>> accounts.users["alice"].orgs
    [('acme', 'admin')]
    >>> accounts.lookup(accounts.users["bob"].tokens[0].value)[1].role
    'read'
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..testing import fake_token
from ..errors import AccountsError

__all__ = ["Accounts", "AccountsError", "Token", "User", "test_accounts", "demo_accounts", "ROLES", "hex_id", "now_iso",
           "seed_repos", "write_private"]

ROLES = ("read", "write", "fineGrained")
ORG_ROLES = ("admin", "write", "contributor", "read")


def write_private(path: "str | os.PathLike[str]", text: str) -> None:
    """Write ``text`` (a token, a token store) to ``path``, readable by its owner alone (0600, also when
    the file was already there with a wider mode).

    Example:
        >>> import tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "token")
        >>> write_private(p, "secret")
        >>> oct(os.stat(p).st_mode & 0o777), open(p).read()
        ('0o600', 'secret')
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def _mask(value: str) -> str:
    # Local copy of the masking idea: the detection core's mask_secret is the public one.
    return value[:3] + "****" + value[-4:] if len(value) > 10 else "****"


def hex_id(kind: str, name: str) -> str:
    """Stable 24-hex id (the shape of the Hub's object ids) for a user, org or entity."""
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()[:24]


def now_iso() -> str:
    """The current UTC time in the Hub's format, e.g. ``2025-07-16T20:35:12.808Z``."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass(repr=False)
class Token:
    """One access token of a user; ``value`` stays in-process (repr shows a mask)."""

    value: str
    role: str
    display_name: str
    created_at: str
    fine_grained: dict | None = None

    def __repr__(self) -> str:
        return f"Token({_mask(self.value)!r}, role={self.role!r}, display_name={self.display_name!r})"

    def scopes_for(self, entity_type: str, name: str) -> set[str]:
        """Permissions this fine-grained token grants on ``entity_type``/``name`` (global ones included)."""
        fg = self.fine_grained or {}
        perms = set(fg.get("global") or [])
        for entry in fg.get("scoped") or []:
            entity = entry.get("entity") or {}
            if entity.get("type") == entity_type and entity.get("name") == name:
                perms.update(entry.get("permissions") or [])
        return perms

    def to_whoami(self) -> dict[str, Any]:
        """The ``auth.accessToken`` object of whoami-v2."""
        out: dict[str, Any] = {"displayName": self.display_name, "role": self.role, "createdAt": self.created_at}
        if self.role == "fineGrained":
            fg = self.fine_grained or {}
            scoped = []
            for entry in fg.get("scoped") or []:
                entity = dict(entry.get("entity") or {})
                entity.setdefault("_id", hex_id(entity.get("type", ""), entity.get("name", "")))
                scoped.append({"entity": entity, "permissions": list(entry.get("permissions") or [])})
            out["fineGrained"] = {
                "canReadGatedRepos": bool(fg.get("canReadGatedRepos", False)),
                "global": list(fg.get("global") or []),
                "scoped": scoped,
            }
        return out


@dataclass
class User:
    """A Hub user: name, full name, org memberships ``[(org, role)]`` and tokens."""

    name: str
    fullname: str
    orgs: list[tuple[str, str]] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)

    @property
    def id(self) -> str:
        return hex_id("user", self.name)

    def org_role(self, org: str) -> str | None:
        """This user's role in ``org`` or None when not a member."""
        return next((role for name, role in self.orgs if name == org), None)


class Accounts:
    """Users and tokens, indexed by token value for authentication."""

    def __init__(self, users: list[User], org_names: dict[str, str] | None = None) -> None:
        self.users: dict[str, User] = {u.name: u for u in users}
        self.org_fullnames: dict[str, str] = dict(org_names or {})
        for user in users:
            for org, _ in user.orgs:
                self.org_fullnames.setdefault(org, org.capitalize())
        self._by_token: dict[str, tuple[User, Token]] = {}
        for user in users:
            for tok in user.tokens:
                self._by_token[tok.value] = (user, tok)

    def __repr__(self) -> str:
        return f"Accounts(users={sorted(self.users)!r}, orgs={sorted(self.org_fullnames)!r})"

    def lookup(self, value: str | None) -> tuple[User, Token] | None:
        """The (user, token) a token value belongs to, or None."""
        return self._by_token.get(value) if value else None

    def add_token(self, user: str, token: Token) -> Token:
        """Give ``user`` one more token (device login, tests)."""
        self.users[user].tokens.append(token)
        self._by_token[token.value] = (self.users[user], token)
        return token

    def revoke(self, value: str) -> bool:
        """Forget a token value; True when it existed."""
        found = self._by_token.pop(value, None)
        if found is None:
            return False
        found[0].tokens = [t for t in found[0].tokens if t.value != value]
        return True

    @classmethod
    def from_dict(cls, data: Any) -> "Accounts":
        """Parse the accounts file shape; raise :class:`AccountsError` with a one-line reason."""
        if not isinstance(data, dict) or not isinstance(data.get("users"), list) or not data["users"]:
            raise AccountsError('accounts must be an object with a non-empty "users" list')
        org_names: dict[str, str] = {}
        for i, org in enumerate(data.get("orgs") or []):
            if not isinstance(org, dict) or not isinstance(org.get("name"), str):
                raise AccountsError(f'orgs[{i}] must be an object with a "name"')
            org_names[org["name"]] = str(org.get("fullname") or org["name"])
        users: list[User] = []
        seen_tokens: set[str] = set()
        for i, raw in enumerate(data["users"]):
            where = f"users[{i}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not _NAME_RE.match(raw["name"]):
                raise AccountsError(f'{where} needs a "name" made of letters, digits, ".", "_" or "-"')
            name = raw["name"]
            if name in {u.name for u in users}:
                raise AccountsError(f"{where}: user {name!r} is listed twice")
            orgs: list[tuple[str, str]] = []
            for j, org in enumerate(raw.get("orgs") or []):
                if isinstance(org, str):
                    org_name, role = org, "write"
                elif isinstance(org, dict) and isinstance(org.get("name"), str):
                    org_name, role = org["name"], str(org.get("role") or "write")
                else:
                    raise AccountsError(f"{where}.orgs[{j}] must be an org name or {{\"name\", \"role\"}}")
                if role not in ORG_ROLES:
                    raise AccountsError(f"{where}.orgs[{j}]: role must be one of {', '.join(ORG_ROLES)}")
                if not _NAME_RE.match(org_name):
                    raise AccountsError(f"{where}.orgs[{j}]: bad org name")
                orgs.append((org_name, role))
            tokens: list[Token] = []
            raw_tokens = raw.get("tokens")
            if not isinstance(raw_tokens, list) or not raw_tokens:
                raise AccountsError(f'{where} needs a non-empty "tokens" list')
            for j, t in enumerate(raw_tokens):
                twhere = f"{where}.tokens[{j}]"
                if not isinstance(t, dict) or not isinstance(t.get("token"), str) or len(t["token"]) < 8:
                    raise AccountsError(f'{twhere} needs a "token" string (8 characters or more)')
                if t["token"] in seen_tokens:
                    raise AccountsError(f"{twhere}: the same token is listed twice")
                seen_tokens.add(t["token"])
                role = t.get("role", "write")
                if role not in ROLES:
                    raise AccountsError(f"{twhere}: role must be one of {', '.join(ROLES)}")
                fg = t.get("fineGrained")
                if role == "fineGrained":
                    if fg is None:
                        fg = {"scoped": [], "global": []}
                    if not isinstance(fg, dict) or not isinstance(fg.get("scoped", []), list) \
                            or not isinstance(fg.get("global", []), list):
                        raise AccountsError(f'{twhere}: "fineGrained" must be {{"scoped": [...], "global": [...]}}')
                    for k, entry in enumerate(fg.get("scoped") or []):
                        ent = entry.get("entity") if isinstance(entry, dict) else None
                        if not isinstance(ent, dict) or not ent.get("type") or not ent.get("name") \
                                or not isinstance(entry.get("permissions"), list):
                            raise AccountsError(
                                f"{twhere}.fineGrained.scoped[{k}] needs entity {{type, name}} and permissions [...]")
                elif fg is not None:
                    raise AccountsError(f'{twhere}: "fineGrained" is only allowed with role "fineGrained"')
                created = t.get("createdAt") or now_iso()
                tokens.append(Token(t["token"], role, str(t.get("displayName") or f"{name}-token-{j + 1}"),
                                    str(created), fg))
            users.append(User(name, str(raw.get("fullname") or name.capitalize()), orgs, tokens))
        return cls(users, org_names)


_README = "---\nlicense: apache-2.0\n---\n# {name}\n\nA small repo served by the hfsecure hub emulator.\n"


def seed_repos(public: str, private_dataset: str, gated: str, *, accepted: list[str] | None = None,
               extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The ``repos`` entries of an accounts file: a public model, a private dataset, a gated model.

    Example:
        >>> [(r["id"], r["type"], r["private"], r["gated"]) for r in seed_repos("o/m", "u/d", "g/m")]
        [('o/m', 'model', False, False), ('u/d', 'dataset', True, False), ('g/m', 'model', False, 'manual')]
    """
    return [
        {"id": public, "type": "model", "private": False, "gated": False,
         "files": {"README.md": _README.format(name=public), "config.json": '{"model_type": "tiny", "hidden_size": 8}\n'}},
        {"id": private_dataset, "type": "dataset", "private": True, "gated": False,
         "files": {"README.md": _README.format(name=private_dataset), "data/train.csv": "text,label\nhello,1\n"}},
        {"id": gated, "type": "model", "private": False, "gated": "manual", "accepted": list(accepted or []),
         "files": {"README.md": _README.format(name=gated), "config.json": '{"model_type": "gated"}\n'}},
        *(extra or []),
    ]


def test_accounts() -> dict[str, Any]:
    """The four test users, with tokens made fresh now (never written anywhere), and the seeded repos.

    Repos: ``acme/tiny-model`` (public model), ``alice/private-data`` (alice's private dataset),
    ``acme/gated-model`` (gated, granted to carol only), ``acme/private-model`` (private model).

    alice: write token, admin of org ``acme``; bob: read token; carol: fine-grained token with
    ``job.write`` + ``repo.write`` on user carol and ``repo.content.read`` on model ``acme/private-model``;
    dave: fine-grained token with only ``repo.content.read`` (no ``job.write``).

    Example:
        >>> acc = test_accounts()
        >>> [u["tokens"][0]["role"] for u in acc["users"]]
        ['write', 'read', 'fineGrained', 'fineGrained']
    """
    created = "2025-01-15T10:00:00.000Z"
    return {
        "repos": seed_repos("acme/tiny-model", "alice/private-data", "acme/gated-model", accepted=["carol"],
                            extra=[{"id": "acme/private-model", "type": "model", "private": True,
                                    "files": {"config.json": '{"model_type": "private"}\n'}}]),
        "orgs": [{"name": "acme", "fullname": "Acme Corp"}],
        "users": [
            {"name": "alice", "fullname": "Alice Example", "orgs": [{"name": "acme", "role": "admin"}],
             "tokens": [{"token": fake_token(), "role": "write", "displayName": "alice-write",
                         "createdAt": created}]},
            {"name": "bob", "fullname": "Bob Example", "orgs": [],
             "tokens": [{"token": fake_token(), "role": "read", "displayName": "bob-read", "createdAt": created}]},
            {"name": "carol", "fullname": "Carol Example", "orgs": [],
             "tokens": [{"token": fake_token(), "role": "fineGrained", "displayName": "carol-jobs",
                         "createdAt": created,
                         "fineGrained": {
                             "global": [],
                             "scoped": [
                                 {"entity": {"type": "user", "name": "carol"},
                                  "permissions": ["job.write", "repo.write"]},
                                 {"entity": {"type": "model", "name": "acme/private-model"},
                                  "permissions": ["repo.content.read"]},
                             ]}}]},
            {"name": "dave", "fullname": "Dave Example", "orgs": [],
             "tokens": [{"token": fake_token(), "role": "fineGrained", "displayName": "dave-read-only",
                         "createdAt": created,
                         "fineGrained": {
                             "global": [],
                             "scoped": [
                                 {"entity": {"type": "user", "name": "dave"},
                                  "permissions": ["repo.content.read"]},
                             ]}}]},
        ],
    }


test_accounts.__test__ = False  # type: ignore[attr-defined]  # a factory, not a pytest test


def demo_accounts(name: str = "demo") -> dict[str, Any]:
    """One demo user with a fresh write token (what ``hfsecure hub-emulator`` serves without a file), and
    repos to meet the Hub's rules with: a public model ``open-lab/tiny-model``, another account's private
    dataset ``someone-else/private-data`` and a gated model ``gated-lab/gated-model`` (not granted).

    Example:
        >>> demo_accounts()["users"][0]["tokens"][0]["role"]
        'write'
    """
    return {"repos": seed_repos("open-lab/tiny-model", "someone-else/private-data", "gated-lab/gated-model"),
            "users": [{"name": name, "fullname": "Demo User", "orgs": [],
                       "tokens": [{"token": fake_token(), "role": "write", "displayName": "demo-write",
                                   "createdAt": now_iso()}]}]}

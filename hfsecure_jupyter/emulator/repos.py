"""Repositories of the offline Hub emulator: models, datasets and spaces with files, commits and the Hub's
access rules (private, gated, write scopes).

Files are small and stored whole, in memory, as regular git blobs (never LFS or Xet): the preupload
answer is always ``"regular"``, so the real client commits them inline. Ids follow git: a blob's id is
the sha1 of ``blob <size>\\0<content>``; a commit id is 40 hex digits.

The access decisions return a :class:`Denied` (status, error code, message) or None, so the HTTP layer
only copies them into an answer:

- read: a public repo is readable by anyone, anonymous included; a private one only by its owner (the
  user, or a member of the org) with a token that may read it, otherwise it *does not exist* (404, or
  401 without a token, both with ``X-Error-Code: RepoNotFound``, the client's ``RepositoryNotFoundError``);
- files of a gated repo also need the account to be granted access (``X-Error-Code: GatedRepo``, the
  client's ``GatedRepoError``); a fine-grained token also needs ``canReadGatedRepos`` or a read scope on it;
- write (create, commit, delete): the namespace must be the user or an org where the user may write, and
  the token a write token or a fine-grained token with ``repo.write`` on the repo or its namespace (403).

Example:
    >>> from .accounts import Accounts, test_accounts
    >>> accounts = Accounts.from_dict(test_accounts())
    >>> store = RepoStore.from_seeds(test_accounts().get("repos"))
    >>> repo = store.get("model", "acme/tiny-model")
    >>> sorted(repo.files)
    ['.gitattributes', 'README.md', 'config.json']
    >>> store.check_read(repo, None, None, files=True) is None   # anonymous read of a public repo
    True
    >>> bob = accounts.users["bob"]
    >>> store.check_read(store.get("dataset", "alice/private-data"), bob, bob.tokens[0]).code
    'RepoNotFound'
    >>> store.check_write("bob", "model", bob, bob.tokens[0]).status
    403
"""

from __future__ import annotations

import hashlib
import re
import secrets as _secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

from .accounts import Token, User, now_iso
from ..errors import RepoError

__all__ = ["Repo", "Commit", "RepoStore", "Denied", "RepoError", "REPO_TYPES", "blob_id", "parse_commit_ndjson"]

REPO_TYPES = ("model", "dataset", "space")
_REPO_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_WRITE_ORG_ROLES = ("admin", "write", "contributor")
#: Files larger than this are refused: the emulator commits small files only (no LFS/Xet).
MAX_FILE_BYTES = 10 * 1024 * 1024
_GITATTRIBUTES = b"*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"


@dataclass(frozen=True)
class Denied:
    """Why a call on a repo is refused: the HTTP status, the ``X-Error-Code`` (or None) and the message."""

    status: int
    code: str | None
    message: str


def blob_id(content: bytes) -> str:
    """The git blob id of ``content``.

    Example:
        >>> blob_id(b"")
        'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class Commit:
    """One commit: its id, title, author, date and the whole tree it leaves (path -> bytes)."""

    oid: str
    title: str
    description: str
    author: str
    date: str
    files: dict[str, bytes]
    parents: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Commit({self.oid[:8]}, {self.title!r}, {len(self.files)} files)"

    def to_dict(self) -> dict[str, Any]:
        """The shape of ``GET /api/{type}s/{id}/commits/{rev}`` entries."""
        return {"id": self.oid, "title": self.title, "message": self.description, "date": self.date,
                "authors": [{"user": self.author}] if self.author else [], "parents": list(self.parents)}


@dataclass
class Repo:
    """A repo: type, id, visibility, gating, the accounts granted access to it when gated, and its commits."""

    repo_type: str
    repo_id: str
    private: bool = False
    gated: bool | str = False  # False, "auto" or "manual"
    accepted: set[str] = field(default_factory=set)
    created_at: str = field(default_factory=now_iso)
    commits: list[Commit] = field(default_factory=list)
    sdk: str | None = None

    def __repr__(self) -> str:
        flags = ", private" if self.private else ""
        flags += f", gated={self.gated!r}" if self.gated else ""
        return f"Repo({self.repo_type} {self.repo_id}{flags}, {len(self.commits)} commits)"

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/", 1)[0]

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    @property
    def sha(self) -> str:
        return self.head.oid

    @property
    def files(self) -> dict[str, bytes]:
        return self.head.files

    @property
    def url_prefix(self) -> str:
        """The path prefix of this repo's web and resolve URLs (``""``, ``"datasets/"``, ``"spaces/"``)."""
        return "" if self.repo_type == "model" else f"{self.repo_type}s/"

    def commit_at(self, revision: str | None) -> Commit | None:
        """The commit a revision names: ``main`` (or None), a full commit id or a prefix of 7+ hex digits."""
        if revision in (None, "", "main", "refs/heads/main", "HEAD"):
            return self.head
        rev = str(revision).lower()
        if re.fullmatch(r"[0-9a-f]{7,40}", rev):
            for commit in reversed(self.commits):
                if commit.oid.startswith(rev):
                    return commit
        return None

    def info(self, endpoint: str, commit: Commit | None = None) -> dict[str, Any]:
        """The repo info object (``model_info`` / ``dataset_info`` / ``space_info`` read ``id``, ``sha``,
        ``private``, ``gated``, ``siblings`` ...)."""
        commit = commit or self.head
        author = self.namespace
        out: dict[str, Any] = {
            "_id": hashlib.sha256(f"repo:{self.repo_type}:{self.repo_id}".encode()).hexdigest()[:24],
            "id": self.repo_id, "author": author, "sha": commit.oid, "private": self.private,
            "gated": self.gated or False, "disabled": False, "downloads": 0, "likes": 0, "tags": [],
            "createdAt": self.created_at, "lastModified": commit.date,
            "siblings": [{"rfilename": p, "size": len(b), "blobId": blob_id(b)} for p, b in sorted(commit.files.items())],
            "usedStorage": sum(len(b) for b in commit.files.values()),
        }
        if self.repo_type == "model":
            out["modelId"] = self.repo_id
            out["library_name"] = None
        if self.repo_type == "space":
            out["sdk"] = self.sdk or "static"
            out["runtime"] = {"stage": "RUNNING", "hardware": {"current": "cpu-basic", "requested": "cpu-basic"},
                              "storage": None, "gcTimeout": None, "replicas": {"current": 1, "requested": 1}}
        if self.repo_type == "dataset":
            out["description"] = ""
        out["cardData"] = {}
        return out

    def tree(self, commit: Commit, path: str, recursive: bool) -> list[dict[str, Any]] | None:
        """``list_repo_tree`` entries under ``path`` (None when ``path`` is neither a folder nor a file)."""
        prefix = path.strip("/")
        files = commit.files
        if prefix and prefix in files:
            return [self._file_entry(prefix, files[prefix])]
        base = prefix + "/" if prefix else ""
        entries: dict[str, dict[str, Any]] = {}
        found = False
        for p, content in sorted(files.items()):
            if not p.startswith(base):
                continue
            found = True
            rest = p[len(base):]
            if "/" in rest and not recursive:
                folder = base + rest.split("/", 1)[0]
                entries.setdefault(folder, {"type": "directory", "oid": blob_id(folder.encode()), "size": 0,
                                            "path": folder})
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                for i in range(1, len(parts) + 1):
                    folder = base + "/".join(parts[:i])
                    entries.setdefault(folder, {"type": "directory", "oid": blob_id(folder.encode()), "size": 0,
                                                "path": folder})
            entries[p] = self._file_entry(p, content)
        if prefix and not found:
            return None
        return [entries[k] for k in sorted(entries)]

    @staticmethod
    def _file_entry(path: str, content: bytes) -> dict[str, Any]:
        return {"type": "file", "oid": blob_id(content), "size": len(content), "path": path}


def _can_read_scope(token: Token, repo: Repo, owner_kind: str) -> bool:
    perms = token.scopes_for(repo.repo_type, repo.repo_id) | token.scopes_for(owner_kind, repo.namespace)
    return bool(perms & {"repo.content.read", "repo.write"})


class RepoStore:
    """All repos, keyed by (type, id); thread-safe."""

    def __init__(self) -> None:
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lock = threading.RLock()

    def __repr__(self) -> str:
        return f"RepoStore({len(self.repos)} repos)"

    # -- seeds ---------------------------------------------------------------------------------------------
    @classmethod
    def from_seeds(cls, seeds: Iterable[dict] | None) -> "RepoStore":
        """Build the store from the accounts file's ``repos`` list (see :func:`validate_seeds`)."""
        store = cls()
        for seed in validate_seeds(seeds):
            repo = store.create(seed["type"], seed["id"], private=seed["private"], author=seed["id"].split("/")[0],
                                files=seed["files"], gated=seed["gated"])
            repo.accepted.update(seed["accepted"])
        return store

    # -- lookups -------------------------------------------------------------------------------------------
    def get(self, repo_type: str, repo_id: str) -> Repo | None:
        with self.lock:
            return self.repos.get((repo_type, repo_id))

    def create(self, repo_type: str, repo_id: str, *, private: bool = False, author: str = "",
               files: dict[str, bytes] | None = None, gated: bool | str = False, sdk: str | None = None) -> Repo:
        """Create a repo with its initial commit (``.gitattributes`` plus ``files``); RepoError 409 if it exists."""
        if repo_type not in REPO_TYPES:
            raise RepoError(400, f"Invalid repo type {repo_type!r}: one of model, dataset, space")
        check_repo_id(repo_id)
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                raise RepoError(409, "You already created this " + repo_type + " repo", None)
            repo = Repo(repo_type, repo_id, private=private, gated=gated, sdk=sdk)
            initial = {".gitattributes": _GITATTRIBUTES, **(files or {})}
            repo.commits.append(Commit(_new_oid(), "initial commit", "", author, now_iso(), initial))
            self.repos[(repo_type, repo_id)] = repo
            return repo

    def delete(self, repo_type: str, repo_id: str) -> bool:
        with self.lock:
            return self.repos.pop((repo_type, repo_id), None) is not None

    def commit(self, repo: Repo, operations: list[tuple[str, str, bytes | None]], *, summary: str,
               description: str = "", author: str, parent: str | None = None) -> Commit:
        """Apply ``[(op, path, content)]`` (op: ``file``, ``deletedFile``, ``deletedFolder``) as one new commit."""
        with self.lock:
            if parent and parent != repo.sha:
                raise RepoError(412, f"A commit has happened since {parent[:8]}: the parent commit is not the head")
            files = dict(repo.files)
            for op, path, content in operations:
                if op == "file":
                    assert content is not None
                    files[path] = content
                elif op == "deletedFile":
                    if path not in files:
                        raise RepoError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                    del files[path]
                elif op == "deletedFolder":
                    base = path.rstrip("/") + "/"
                    gone = [p for p in files if p.startswith(base)]
                    if not gone:
                        raise RepoError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                    for p in gone:
                        del files[p]
            commit = Commit(_new_oid(), summary or "Upload files", description, author, now_iso(), files,
                            [repo.sha])
            repo.commits.append(commit)
            return commit

    # -- access rules --------------------------------------------------------------------------------------
    @staticmethod
    def owner_kind(repo_namespace: str, user: User | None) -> str:
        return "org" if user is not None and user.org_role(repo_namespace) is not None else "user"

    def check_read(self, repo: Repo | None, user: User | None, token: Token | None, *,
                   files: bool = False, repo_type: str = "model", repo_id: str = "") -> Denied | None:
        """None when this caller may read ``repo`` (its files too when ``files``); else why not."""
        rid = repo.repo_id if repo is not None else repo_id
        rtype = repo.repo_type if repo is not None else repo_type
        not_found = Denied(401 if user is None else 404, "RepoNotFound",
                           f"Repository not found: {rtype} {rid} does not exist or you do not have access to it")
        if repo is None:
            return not_found
        is_member = user is not None and (repo.namespace == user.name or user.org_role(repo.namespace) is not None)
        kind = self.owner_kind(repo.namespace, user)
        # A fine-grained scope on the repo itself stands for access granted to that account (a collaborator).
        granted = token is not None and token.role == "fineGrained" and bool(
            token.scopes_for(repo.repo_type, repo.repo_id) & {"repo.content.read", "repo.write"})
        if repo.private:
            if token is None or not (is_member or granted):
                return not_found
            if token.role == "fineGrained" and not _can_read_scope(token, repo, kind):
                return not_found
        if files and repo.gated and not is_member:
            what = {"model": "model", "dataset": "dataset", "space": "space"}[repo.repo_type]
            if user is None or token is None:
                return Denied(401, "GatedRepo", f"Access to {what} {repo.repo_id} is restricted. You must have "
                              "access to it and be authenticated to access it. Please log in")
            if user.name not in repo.accepted:
                return Denied(403, "GatedRepo", f"Access to {what} {repo.repo_id} is restricted and you are not in "
                              f"the authorized list. Visit {repo.url_prefix}{repo.repo_id} to ask for access")
            if token.role == "fineGrained" and not (token.fine_grained or {}).get("canReadGatedRepos") \
                    and not _can_read_scope(token, repo, kind):
                return Denied(403, "GatedRepo", f"Access to {what} {repo.repo_id} is restricted: this fine-grained "
                              "token may not read gated repos (enable 'Read access to contents of all public gated "
                              "repos you can access')")
        return None

    def check_write(self, repo_id: str, repo_type: str, user: User, token: Token) -> Denied | None:
        """None when ``token`` may create, commit to or delete ``repo_id`` (a full id or just a namespace)."""
        namespace = repo_id.split("/", 1)[0]
        org_role = user.org_role(namespace)
        if namespace != user.name and org_role is None:
            return Denied(403, None, f"You don't have the rights to write to {repo_type} repos under the namespace "
                                     f"'{namespace}'")
        if org_role is not None and org_role not in _WRITE_ORG_ROLES:
            return Denied(403, None, f"Your role in '{namespace}' ({org_role}) cannot write to its repos")
        if token.role == "read":
            return Denied(403, None, f"You have read access but not the required permissions for this operation: "
                                     f"the token '{token.display_name}' has the 'read' role; writing to {repo_id} "
                                     "needs a write token or a fine-grained token with repo.write on it")
        if token.role == "fineGrained":
            kind = "org" if org_role is not None else "user"
            perms = token.scopes_for(kind, namespace)
            if "/" in repo_id:
                perms |= token.scopes_for(repo_type, repo_id)
            if "repo.write" not in perms:
                return Denied(403, None, f"This fine-grained token ('{token.display_name}') does not have the "
                                         f"permission repo.write on {repo_type} {repo_id}")
        return None


def _new_oid() -> str:
    return _secrets.token_hex(20)


def check_repo_id(repo_id: str) -> None:
    """RepoError 400 unless ``repo_id`` is ``namespace/name`` made of letters, digits, ``.``, ``_``, ``-``.

    Example:
        >>> check_repo_id("alice/model")
        >>> check_repo_id("alice/../x")
        Traceback (most recent call last):
        ...
        hfsecure_jupyter.errors.RepoError: Invalid repo id: use namespace/name with letters, digits, '.', '_' or '-'
    """
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(_REPO_NAME_RE.match(p) for p in parts) or ".." in repo_id:
        raise RepoError(400, "Invalid repo id: use namespace/name with letters, digits, '.', '_' or '-'")


def check_path(path: Any) -> str:
    """A safe path inside a repo, or RepoError 400 (no absolute path, ``..``, control character)."""
    if not isinstance(path, str) or not path or len(path) > 1000:
        raise RepoError(400, "Invalid path in repo")
    if path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")) \
            or any(ord(c) < 32 for c in path):
        raise RepoError(400, "Invalid path in repo: no empty, '.' or '..' part and no control character")
    return path


def validate_seeds(seeds: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Check the accounts file's ``repos`` list; return normalised seeds or raise ValueError (one line).

    Each seed: ``{"id": "ns/name", "type": "model"|"dataset"|"space", "private": bool,
    "gated": false|"auto"|"manual", "accepted": [user, ...], "files": {path: text}}``.

    Example:
        >>> validate_seeds([{"id": "a/b", "files": {"x.txt": "hi"}}])[0]["files"]
        {'x.txt': b'hi'}
    """
    out = []
    for i, seed in enumerate(seeds or []):
        where = f"repos[{i}]"
        if not isinstance(seed, dict) or not isinstance(seed.get("id"), str):
            raise ValueError(f'{where} must be an object with an "id"')
        try:
            check_repo_id(seed["id"])
        except RepoError as exc:
            raise ValueError(f"{where}: {exc.message}") from None
        rtype = seed.get("type", "model")
        if rtype not in REPO_TYPES:
            raise ValueError(f"{where}: type must be one of {', '.join(REPO_TYPES)}")
        gated = seed.get("gated", False)
        if gated not in (False, True, "auto", "manual"):
            raise ValueError(f'{where}: gated must be false, "auto" or "manual"')
        files_in = seed.get("files") or {}
        if not isinstance(files_in, dict):
            raise ValueError(f"{where}: files must be an object of path -> text")
        files: dict[str, bytes] = {}
        for path, text in files_in.items():
            try:
                check_path(path)
            except RepoError as exc:
                raise ValueError(f"{where}: {exc.message}") from None
            if not isinstance(text, str):
                raise ValueError(f"{where}: the content of {path!r} must be a string")
            files[path] = text.encode("utf-8")
        accepted = seed.get("accepted") or []
        if not isinstance(accepted, list) or not all(isinstance(a, str) for a in accepted):
            raise ValueError(f"{where}: accepted must be a list of user names")
        out.append({"id": seed["id"], "type": rtype, "private": bool(seed.get("private", False)),
                    "gated": "manual" if gated is True else gated, "accepted": accepted, "files": files})
    return out


def parse_commit_ndjson(body: bytes) -> tuple[dict[str, Any], list[tuple[str, str, bytes | None]]]:
    """The header and operations of a ``POST .../commit/{rev}`` body (one JSON object per line).

    Regular files arrive inline as base64; an ``lfsFile`` (which the emulator never asks for) is refused.

    Example:
        >>> import base64, json
        >>> body = "\\n".join(json.dumps(x) for x in [
        ...     {"key": "header", "value": {"summary": "add", "description": ""}},
        ...     {"key": "file", "value": {"path": "a.txt", "content": base64.b64encode(b"hi").decode(),
        ...                               "encoding": "base64"}}]).encode()
        >>> parse_commit_ndjson(body)
        ({'summary': 'add', 'description': ''}, [('file', 'a.txt', b'hi')])
    """
    import base64
    import binascii
    import json

    header: dict[str, Any] | None = None
    ops: list[tuple[str, str, bytes | None]] = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RepoError(400, "The commit payload is not UTF-8") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            raise RepoError(400, f"Line {n} of the commit payload is not valid JSON") from None
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise RepoError(400, f"Line {n} of the commit payload must be {{\"key\", \"value\"}}")
        key, value = item.get("key"), item["value"]
        if key == "header":
            header = value
        elif key == "file":
            path = check_path(value.get("path"))
            if value.get("encoding", "base64") != "base64" or not isinstance(value.get("content"), str):
                raise RepoError(400, f"File {path}: content must be base64")
            try:
                content = base64.b64decode(value["content"], validate=True)
            except (binascii.Error, ValueError):
                raise RepoError(400, f"File {path}: content is not valid base64") from None
            if len(content) > MAX_FILE_BYTES:
                raise RepoError(413, f"File {path} is larger than the emulator's {MAX_FILE_BYTES // 2**20} MB limit")
            ops.append(("file", path, content))
        elif key in ("deletedFile", "deletedFolder"):
            ops.append((key, check_path(str(value.get("path", "")).rstrip("/") or ""), None))
        elif key == "lfsFile":
            raise RepoError(501, "Not emulated: LFS uploads (the emulator stores small files as regular commits)")
        elif key == "copyFile":
            raise RepoError(501, "Not emulated: copying files inside a commit (copyFile)")
        else:
            raise RepoError(400, f"Unknown commit operation {key!r}")
    if header is None or not isinstance(header.get("summary", ""), str):
        raise RepoError(400, "The commit payload needs a header line with a summary")
    return header, ops

"""What Hub access a script needs, whether a login allows it, and the least-privilege token to use.

:func:`required_access` reads the code (its AST, with IPython ``!shell`` and ``%magic`` lines masked and
the shell lines scanned) and never runs it: Hub writes (``push_to_hub``, ``upload_file``,
``upload_folder``, ``create_repo``, ``create_commit``, ``delete_*``, ``TrainingArguments(push_to_hub=True)``,
``hf upload``), jobs (``run_job``, ``run_uv_job``: ``job.write``), calls that need a login but no scope
(``whoami()``, ``list_jobs()``: any valid token) and reads that need a token only for
private or gated repos (``from_pretrained``, ``load_dataset``, ``hf_hub_download``, ``snapshot_download``).
:func:`check_access` compares that need with an :class:`~hfsecure_jupyter.hub.auth.AuthStatus` (role,
fine-grained scopes, org membership) and answers True, False (with the fix) or None (cannot tell).

Example:
    >>> need = required_access('''
    ... from huggingface_hub import HfApi
    ... model = AutoModel.from_pretrained("acme/private-model")
    ... model.push_to_hub("carol/finetuned")
    ... ''')
    >>> need.level, need.repos
    ('write', ['acme/private-model', 'carol/finetuned'])
    >>> [(r.line, r.call, r.level) for r in need.reasons]
    [(3, 'from_pretrained', 'read'), (4, 'push_to_hub', 'write')]
    >>> print(recommend_token(need, "carol").split(". ")[0])  # doctest: +NORMALIZE_WHITESPACE
    A fine-grained token with repo.write on carol/finetuned and repo.content.read on acme/private-model
    (only if it is private or gated), rather than a broad write token
"""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..constants import HF_TOKEN_ENV_NAMES, HF_TOKEN_SETTINGS_URL

if TYPE_CHECKING:  # auth imports nothing heavy either, but keep this module standalone
    from .auth import AuthStatus

__all__ = ["LOGIN", "TOKEN_USE", "AccessNeed", "AccessVerdict", "Reason", "check_access", "recommend_token",
           "required_access"]

_LEVELS = {"none": 0, "read": 1, "write": 2}
_CONDITIONAL = "only if private or gated"
SETTINGS_URL = HF_TOKEN_SETTINGS_URL

# Call name -> index of the positional argument holding the repo id (None: keyword only), and the keyword.
# Checked against huggingface_hub's HfApi signatures in tests/hub/test_access.py.
_WRITE_CALLS: dict[str, tuple[int | None, str]] = {
    "push_to_hub": (0, "repo_id"),
    "upload_file": (None, "repo_id"),
    "upload_folder": (None, "repo_id"),
    "upload_large_folder": (None, "repo_id"),
    "create_repo": (0, "repo_id"),
    "create_commit": (0, "repo_id"),
    "delete_file": (1, "repo_id"),
    "delete_files": (0, "repo_id"),
    "delete_folder": (1, "repo_id"),
    "delete_repo": (0, "repo_id"),
    "delete_branch": (0, "repo_id"),
    "delete_tag": (0, "repo_id"),
    "create_branch": (0, "repo_id"),
    "create_tag": (0, "repo_id"),
    "update_repo_settings": (0, "repo_id"),
    "move_repo": (0, "from_id"),
    "super_squash_history": (0, "repo_id"),
    "add_space_secret": (0, "repo_id"),
    "delete_space_secret": (0, "repo_id"),
    "add_space_variable": (0, "repo_id"),
    "delete_space_variable": (0, "repo_id"),
    "restart_space": (0, "repo_id"),
    "pause_space": (0, "repo_id"),
    "duplicate_space": (None, "to_id"),
}
_READ_CALLS: dict[str, tuple[int | None, str]] = {
    "from_pretrained": (0, "pretrained_model_name_or_path"),
    "load_dataset": (0, "path"),
    "hf_hub_download": (0, "repo_id"),
    "snapshot_download": (0, "repo_id"),
    "model_info": (0, "repo_id"),
    "dataset_info": (0, "repo_id"),
    "space_info": (0, "repo_id"),
    "repo_info": (0, "repo_id"),
    "list_repo_files": (0, "repo_id"),
    "file_exists": (0, "repo_id"),
    "SentenceTransformer": (0, "model_name_or_path"),
    "pipeline": (None, "model"),
}
_JOB_CALLS = {"run_job", "run_uv_job", "create_scheduled_job", "create_scheduled_uv_job", "cancel_job",
              "delete_scheduled_job", "suspend_scheduled_job", "resume_scheduled_job"}
_DATASET_CALLS = {"load_dataset", "dataset_info"}
_SPACE_CALLS = {"space_info", "duplicate_space", "restart_space", "pause_space", "add_space_secret",
                "delete_space_secret", "add_space_variable", "delete_space_variable"}
# load_dataset("csv", data_files=...) and friends read local files, not the Hub.
_PACKAGED_BUILDERS = {"csv", "json", "parquet", "text", "arrow", "imagefolder", "audiofolder", "videofolder",
                      "webdataset", "pandas", "sql", "xml", "pdffolder", "niftifolder", "generator"}


#: The permission of a reason that is the script reading the token itself (no Hub scope implied).
TOKEN_USE = "token"
#: The permission of a call that needs a login but no scope (``whoami()``: any valid token).
LOGIN = "login"
# Calls that fail without a token whatever the repo (they name none): the job gets the login's token.
_LOGIN_CALLS = {"whoami", "list_jobs", "inspect_job", "fetch_job_logs",
                "list_scheduled_jobs", "inspect_scheduled_job"}
_TOKEN_ENV_NAMES = HF_TOKEN_ENV_NAMES


@dataclass(frozen=True)
class Reason:
    """One place in the code that needs Hub access.

    Attributes:
        line: 1-based line in the script.
        call: what was called (``push_to_hub``, ``hf upload``, ``TrainingArguments(push_to_hub=True)``).
        level: ``read`` or ``write``.
        repo_id: the target repo when it is a literal (or a variable assigned a literal), else None.
        permission: the fine-grained permission it needs: ``repo.write``, ``repo.content.read``, ``job.write``.
        repo_type: ``model``, ``dataset`` or ``space`` when the call says so.
        namespace: for jobs, the ``namespace=`` literal.
        conditional: True for reads that need a token only if the repo is private or gated.
    """

    line: int
    call: str
    level: str
    repo_id: str | None = None
    permission: str = "repo.write"
    repo_type: str | None = None
    namespace: str | None = None
    conditional: bool = False

    @property
    def why(self) -> str:
        """Why this needs access, in words.

        Example:
            >>> Reason(2, "load_dataset", "read", "acme/data", "repo.content.read", "dataset", conditional=True).why
            'line 2: load_dataset reads acme/data (a token only if private or gated)'
        """
        if self.permission == "job.write":
            where = f" in {self.namespace}" if self.namespace else ""
            return f"line {self.line}: {self.call} runs a job{where} (job.write)"
        if self.permission == TOKEN_USE:
            return f"line {self.line}: {self.call} reads the token itself"
        if self.permission == LOGIN:
            return f"line {self.line}: {self.call} needs a login (any valid token)"
        target = self.repo_id or "a repo"
        if self.level == "write":
            return f"line {self.line}: {self.call} writes to {target}"
        return f"line {self.line}: {self.call} reads {target} (a token {_CONDITIONAL})" if self.conditional else \
            f"line {self.line}: {self.call} reads {target}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["why"] = self.why
        return d


@dataclass(frozen=True)
class AccessNeed:
    """The Hub access a script needs: ``none``, ``read`` or ``write``, and why.

    ``repos`` lists the literal repo ids in order of first use; ``notes`` says when the answer is partial
    (the code did not parse, so calls were found by pattern only).
    """

    level: str = "none"
    reasons: list[Reason] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def permissions(self) -> set[str]:
        """The fine-grained permissions needed (``{"repo.write", "job.write"}``)."""
        return {r.permission for r in self.reasons}

    @property
    def needs_token(self) -> bool:
        """False when the code works without any token (nothing, or only reads of public repos)."""
        return any(not r.conditional for r in self.reasons)

    def summary(self) -> str:
        """One line for people.

        Example:
            >>> required_access("x = 1").summary()
            'no Hub access needed'
        """
        if not self.reasons:
            return "no Hub access needed"
        if not self.needs_token:
            return f"read access ({_CONDITIONAL}): " + "; ".join(r.why for r in self.reasons)
        return f"{self.level} access: " + "; ".join(r.why for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"level": self.level, "reasons": [r.to_dict() for r in self.reasons], "repos": list(self.repos),
                "notes": list(self.notes), "permissions": sorted(self.permissions), "summary": self.summary()}


@dataclass(frozen=True)
class AccessVerdict:
    """Whether a login allows a need: ``allowed`` is True, False or None (cannot tell), with the reason and fix."""

    allowed: bool | None
    reason: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


# --- reading the code ------------------------------------------------------------------------------

def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Consts:
    """Module-level ``NAME = "literal"`` assignments, so ``push_to_hub(repo_id)`` resolves."""

    def __init__(self, tree: ast.AST) -> None:
        self.values: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = self.literal(node.value)
                if value is not None:
                    self.values[node.targets[0].id] = value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                value = self.literal(node.value)
                if value is not None:
                    self.values[node.target.id] = value

    def literal(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.values.get(node.id)
        return None


def _arg(call: ast.Call, pos: int | None, kw: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == kw:
            return k.value
    if pos is not None and len(call.args) > pos and not any(isinstance(a, ast.Starred) for a in call.args[:pos + 1]):
        return call.args[pos]
    return None


def _kw_true(call: ast.Call, name: str) -> bool:
    return any(k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)


def _looks_local(value: str) -> bool:
    return (value.startswith(("./", "../", "/", "~", ".\\")) or value.count("/") > 1 or "\\" in value
            or value in (".", "..") or not value.strip())


def _repo_type(call: ast.Call, name: str, consts: _Consts) -> str | None:
    rt = consts.literal(_arg(call, None, "repo_type"))
    if rt:
        return rt
    if name in _DATASET_CALLS:
        return "dataset"
    if name in _SPACE_CALLS:
        return "space"
    if name in ("from_pretrained", "SentenceTransformer", "pipeline", "model_info"):
        return "model"
    return None


def _token_read(node: ast.AST) -> str | None:
    """``os.environ["HF_TOKEN"]``, ``os.getenv("HF_TOKEN")``, ``get_token()``...: the code that reads it."""
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "environ":
        key = node.slice
        if isinstance(key, ast.Constant) and key.value in _TOKEN_ENV_NAMES:
            return f'os.environ["{key.value}"]'
    if isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name == "get_token":
            return "get_token()"
        if name in ("getenv", "get") and node.args and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value in _TOKEN_ENV_NAMES:
            if name == "getenv" or (isinstance(node.func, ast.Attribute) and _call_name(node.func.value) == "environ"):
                return f'{name}("{node.args[0].value}")'
    return None


def _python_reasons(tree: ast.AST) -> list[Reason]:
    consts = _Consts(tree)
    out: list[Reason] = []
    for node in ast.walk(tree):
        read = _token_read(node)
        if read is not None:
            # The script uses the token itself (a library of its own, an HTTP header): it must get one.
            out.append(Reason(getattr(node, "lineno", 1), read, "read", None, TOKEN_USE))
            continue
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        line = node.lineno
        if _kw_true(node, "push_to_hub") and name != "push_to_hub":
            # TrainingArguments / SFTConfig(push_to_hub=True, hub_model_id=...), save_pretrained(push_to_hub=True)
            repo = consts.literal(_arg(node, None, "hub_model_id")) or consts.literal(_arg(node, None, "repo_id"))
            out.append(Reason(line, f"{name or 'call'}(push_to_hub=True)", "write", repo, "repo.write"))
            continue
        if name in _WRITE_CALLS or name.startswith("delete_") and name not in _JOB_CALLS:
            pos, kw = _WRITE_CALLS.get(name, (0, "repo_id"))
            repo = consts.literal(_arg(node, pos, kw))
            if name.startswith("delete_") and name not in _WRITE_CALLS and repo is not None and "/" not in repo:
                repo = None  # delete_webhook(id), delete_collection(slug): not a repo id
            out.append(Reason(line, name, "write", repo, "repo.write", _repo_type(node, name, consts)))
        elif name in _JOB_CALLS:
            ns = consts.literal(_arg(node, None, "namespace"))
            out.append(Reason(line, name, "write", None, "job.write", namespace=ns))
        elif name in _LOGIN_CALLS:
            out.append(Reason(line, f"{name}()", "read", None, LOGIN))
        elif name in _READ_CALLS:
            pos, kw = _READ_CALLS[name]
            arg = _arg(node, pos, kw)
            repo = consts.literal(arg)
            if repo is not None and (_looks_local(repo) or name == "load_dataset" and repo in _PACKAGED_BUILDERS):
                continue
            if name == "pipeline" and arg is None:
                continue  # pipeline("task") alone: a default public model
            out.append(Reason(line, name, "read", repo, "repo.content.read", _repo_type(node, name, consts),
                              conditional=True))
    return out


_SHELL_RULES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"\b(?P<cli>hf|huggingface-cli)\s+(?P<cmd>upload(?:-large-folder)?)(?P<rest>(?:\s+\S+)*)"),
     "write", "repo.write"),
    (re.compile(r"\b(?P<cli>hf|huggingface-cli)\s+(?P<cmd>repos?\s+(?:create|delete|move|settings|delete-files|"
                r"(?:branch|tag)\s+(?:create|delete)))(?P<rest>(?:\s+\S+)*)"), "write", "repo.write"),
    (re.compile(r"\b(?P<cli>hf|huggingface-cli)\s+(?P<cmd>repo-files)(?P<rest>\s+\S+)\s+delete"),
     "write", "repo.write"),
    (re.compile(r"\b(?P<cli>hf|huggingface-cli)\s+(?P<cmd>jobs\s+(?:uv\s+|scheduled\s+(?:uv\s+)?)?"
                r"(?:run|cancel|delete|suspend|resume))\b"), "write", "job.write"),
    (re.compile(r"\b(?P<cli>hf|huggingface-cli)\s+(?P<cmd>download)(?P<rest>(?:\s+\S+)*)"),
     "read", "repo.content.read"),
    (re.compile(r"\bgit\s+(?P<cmd>push)\b[^\n]*huggingface\.co/(?P<repo>[\w.\-]+/[\w.\-]+)"),
     "write", "repo.write"),
)
# Options of the hf CLI that take a value (so the value is not mistaken for the repo id).
_VALUE_OPTIONS = {"--repo-type", "--revision", "--commit-message", "--commit-description", "--token", "--include",
                  "--exclude", "--delete", "--every", "--local-dir", "--cache-dir", "--max-workers", "--type",
                  "--namespace", "--num-workers", "--resource-group-id", "--space-sdk", "--format", "--visibility"}
_REPO_TYPE_OPT = re.compile(r"--repo-type[= ](?P<t>model|dataset|space)")
_NAMESPACE_OPT = re.compile(r"--namespace[= ](?P<ns>[\w.\-]+)")


def _shell_repo(rest: str | None) -> str | None:
    """The first positional argument after the command: the repo id (None if it is a variable or a path)."""
    if not rest:
        return None
    words = rest.split()
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in _VALUE_OPTIONS
            continue
        if word in ("|", ";", "&&", "||", ">", "2>&1"):
            return None
        value = word.strip("'\"")
        if not value or value.startswith(("$", "{")) or _looks_local(value):
            return None
        return value
    return None


def _shell_reasons(text: str, line: int) -> list[Reason]:
    out = []
    for pat, level, perm in _SHELL_RULES:
        for m in pat.finditer(text):
            groups = m.groupdict()
            cmd = " ".join(m.group("cmd").split())
            call = f"{groups.get('cli') or 'git'} {cmd}"
            rt = _REPO_TYPE_OPT.search(text)
            ns = _NAMESPACE_OPT.search(text)
            if perm == "job.write":
                out.append(Reason(line, call, level, None, perm, namespace=ns.group("ns") if ns else None))
                continue
            repo = groups.get("repo") or _shell_repo(groups.get("rest"))
            out.append(Reason(line, call, level, repo, perm, rt.group("t") if rt else None,
                              conditional=level == "read"))
    return out


_FALLBACK_CALL = re.compile(r"\b(?P<name>[A-Za-z_]\w*)\s*\(")
_SHELL_MAGICS = {"bash", "sh", "script", "system", "sx"}
_HFJOB_NS = re.compile(r"--namespace[= ](?P<ns>[\w.\-]+)")


def required_access(script: str) -> AccessNeed:
    """The Hub access ``script`` (Python or an IPython cell) needs, from its code, without running it.

    Example:
        >>> required_access("!hf upload carol/demo ./out").reasons[0].why
        'line 1: hf upload writes to carol/demo'
        >>> need = required_access("from datasets import load_dataset\\nds = load_dataset('csv', data_files='a.csv')")
        >>> need.level
        'none'
        >>> required_access("api.run_uv_job('train.py', namespace='carol')").permissions
        {'job.write'}
    """
    if not isinstance(script, str):
        raise TypeError(f"required_access expects the script's text, not {type(script).__name__}")
    from ..detect import mask_ipython

    masked = mask_ipython(script)
    lines = script.split("\n")
    reasons: list[Reason] = []
    notes: list[str] = []
    if masked.magic == "hfjob":
        ns = _HFJOB_NS.search(lines[0] if lines else "")
        reasons.append(Reason(1, "%%hfjob", "write", None, "job.write", namespace=ns.group("ns") if ns else None))
    if masked.magic in _SHELL_MAGICS:
        for n, text in enumerate(lines[1:], start=2):
            reasons.extend(_shell_reasons(text, n))
    elif not masked.magic or masked.python:
        # Masked lines are !shell, x = !shell, %line magics (%sx, %system run shell too); a cell magic whose
        # body is not code (%%writefile, %%html) is not scanned.
        for n in masked.masked_lines:
            if n < len(lines):
                reasons.extend(_shell_reasons(lines[n], n + 1))
    python = masked.python
    if python.strip():
        try:
            tree = ast.parse(python)
        except (SyntaxError, ValueError) as exc:
            notes.append(f"the code does not parse as Python ({type(exc).__name__} on line "
                         f"{getattr(exc, 'lineno', '?')}); calls were found by pattern only and repo ids are unknown")
            for n, text in enumerate(python.split("\n"), start=1):
                for m in _FALLBACK_CALL.finditer(text):
                    name = m.group("name")
                    if name in _WRITE_CALLS or name.startswith("delete_") and name not in _JOB_CALLS:
                        reasons.append(Reason(n, name, "write", None, "repo.write"))
                    elif name in _JOB_CALLS:
                        reasons.append(Reason(n, name, "write", None, "job.write"))
                    elif name in _LOGIN_CALLS:
                        reasons.append(Reason(n, f"{name}()", "read", None, LOGIN))
                    elif name in _READ_CALLS and name != "pipeline":
                        reasons.append(Reason(n, name, "read", None, "repo.content.read", conditional=True))
                if re.search(r"\bpush_to_hub\s*=\s*True", text):
                    reasons.append(Reason(n, "push_to_hub=True", "write", None, "repo.write"))
        else:
            reasons.extend(_python_reasons(tree))
    seen = set()
    unique = []
    for r in sorted(reasons, key=lambda r: (r.line, r.call)):
        k = (r.line, r.call, r.repo_id, r.permission)
        if k not in seen:
            seen.add(k)
            unique.append(r)
    level = max((r.level for r in unique), key=_LEVELS.__getitem__, default="none")
    repos: list[str] = []
    for r in unique:
        if r.repo_id and r.repo_id not in repos:
            repos.append(r.repo_id)
    return AccessNeed(level, unique, repos, notes)


# --- does a login allow it ------------------------------------------------------------------------

def _qualify(repo_id: str | None, namespace: str | None) -> str | None:
    if repo_id is None:
        return None
    if "/" in repo_id or not namespace:
        return repo_id
    return f"{namespace}/{repo_id}"


def _owner(repo_id: str | None, namespace: str | None) -> str | None:
    if repo_id and "/" in repo_id:
        return repo_id.split("/", 1)[0]
    return namespace


def _grant_allows(status: AuthStatus, perm: str, owner: str | None, repo: str | None,
                  repo_type: str | None) -> bool:
    for g in status.grants:
        perms = set(g.permissions)
        ok = perm in perms or (perm == "repo.content.read" and "repo.write" in perms)
        if not ok:
            continue
        if g.entity_type in ("user", "org") and owner is not None and g.entity_name == owner:
            return True
        if (g.entity_type in ("model", "dataset", "space") and repo is not None and g.entity_name == repo
                and (repo_type is None or repo_type == g.entity_type)):
            return True
    return False


def _membership(status: AuthStatus, owner: str) -> tuple[bool | None, str]:
    """Can the account itself write in ``owner`` (its own name or an org)?"""
    if owner == status.user:
        return True, f"{owner} is your own namespace"
    role = status.org_role(owner)
    if role is None:
        return False, f"{owner} is neither your account ({status.user}) nor one of your orgs"
    if role in ("admin", "write"):
        return True, f"you are {role} in {owner}"
    if role == "read":
        return False, f"your role in {owner} is read"
    if role == "contributor":
        return None, f"you are a contributor in {owner}: you can create repos there but not write to others' repos"
    return None, f"you are a member of {owner} but the Hub did not say your role"


def _judge(status: AuthStatus, r: Reason, namespace: str | None) -> tuple[bool | None, str, str]:
    default_ns = namespace or status.user
    if r.permission == TOKEN_USE:
        return True, "the script reads the token itself; any valid token is passed", ""
    if r.permission == LOGIN:
        return True, f"{r.call} works with any valid token", ""
    if r.permission == "job.write":
        ns = r.namespace or default_ns
        what = f"run jobs in {ns}"
        fix = f"use a fine-grained token with job.write on {ns} (or a write token)"
        if status.role == "read":
            return False, f"a read token cannot {what}", fix
        if status.role == "fineGrained":
            if _grant_allows(status, "job.write", ns, None, None):
                return True, f"the token has job.write on {ns}", ""
            return False, f"the fine-grained token has no job.write on {ns}", f"add job.write on {ns} to the token"
        if ns is None:
            return None, "the job's namespace is unknown", "pass namespace= to the call"
        ok, why = _membership(status, ns)
        return ok, why, "" if ok else f"submit in your own namespace ({status.user}) or ask an admin of {ns}"
    repo = _qualify(r.repo_id, default_ns)
    owner = _owner(r.repo_id, default_ns)
    target = repo or (f"a repo in {owner}" if owner else "the target repo")
    if r.permission == "repo.write":
        fix = (f"use a fine-grained token with repo.write on {repo}" if repo else
               "use a fine-grained token with repo.write on the target repo") + " (rather than a broad write token)"
        if status.role == "read":
            return False, f"a read token cannot write to {target}", fix
        if status.role == "fineGrained":
            if _grant_allows(status, "repo.write", owner, repo, r.repo_type):
                return True, f"the token has repo.write on {target}", ""
            if repo is None and owner is None:
                return None, "the target repo is not a literal, so its scope cannot be checked", fix
            return (False, f"the fine-grained token has no repo.write on {target}",
                    fix.replace("use a", "add to the token a"))
        if owner is None:
            return None, "the target repo is not a literal", ""
        ok, why = _membership(status, owner)
        return ok, why, "" if ok else f"write to a repo in {status.user} instead, or use an account with access"
    # Conditional reads: public repos need no token at all.
    if status.role == "fineGrained":
        if _grant_allows(status, "repo.content.read", owner, repo, r.repo_type):
            return True, f"the token can read {target}", ""
        gated = " (or enable reading public gated repos)" if not status.can_read_gated else ""
        return None, (f"fine if {target} is public; the fine-grained token has no read scope on it, so a private "
                      f"or gated {target} would fail"), f"add repo.content.read on {target}{gated} if it is private"
    if owner is not None and (owner == status.user or status.org_role(owner) is not None):
        return True, f"{target} is in your account or one of your orgs", ""
    return True, f"the token reads {target} if it is public, or if your account has access (gated: accept it)", ""


def check_access(status: AuthStatus, need: AccessNeed, namespace: str | None = None) -> AccessVerdict:
    """Whether the login ``status`` allows ``need``; repo ids without an owner and jobs without
    ``namespace=`` go to ``namespace`` (default: the logged-in user).

    Example:
        >>> from hfsecure_jupyter.hub.auth import AuthStatus
        >>> bob = AuthStatus("ok", user="bob", role="read")
        >>> v = check_access(bob, required_access("model.push_to_hub('bob/m')"))
        >>> v.allowed, v.reason
        (False, 'a read token cannot write to bob/m (line 1: push_to_hub)')
        >>> check_access(AuthStatus("unreachable"), required_access("model.push_to_hub('bob/m')")).allowed is None
        True
    """
    if not need.reasons:
        return AccessVerdict(True, "the code needs no Hub access")
    state = status.state
    if state != "ok":
        if state == "logged-out":
            if not need.needs_token:
                return AccessVerdict(None, "not logged in: public repos work without a token, private or gated "
                                     "ones will fail",
                                     "log in (huggingface_hub.login()) if the repos are private or gated")
            return AccessVerdict(False, f"not logged in, and the code needs {need.level} access "
                                 f"({need.reasons[0].why})", "log in: huggingface_hub.login() or `hf auth login`; "
                                 + recommend_token(need, namespace))
        if state == "invalid":
            return AccessVerdict(False, "the token is invalid (revoked, expired or mistyped)",
                                 "log in again with a current token: " + recommend_token(need, namespace))
        return AccessVerdict(None, f"cannot tell: the login status is '{state}'"
                             + (f" ({status.error})" if status.error else ""), "retry when the Hub answers")
    results = [(r, *_judge(status, r, namespace)) for r in need.reasons]
    for r, ok, why, fix in results:
        if ok is False:
            return AccessVerdict(False, f"{why} ({r.why.split(': ', 1)[0]}: {r.call})", fix)
    unknown = [(r, why, fix) for r, ok, why, fix in results if ok is None]
    if unknown:
        r, why, fix = unknown[0]
        return AccessVerdict(None, f"{why} ({r.why.split(': ', 1)[0]}: {r.call})", fix)
    whys = sorted({why for _, _, why, _ in results})
    return AccessVerdict(True, "; ".join(whys))


def recommend_token(need: AccessNeed, namespace: str | None = None) -> str:
    """The least-privilege token for ``need``, as advice for people.

    Example:
        >>> recommend_token(required_access("x = 1"))
        'No token needed: the code does not use the Hub.'
        >>> recommend_token(required_access("snapshot_download('gpt2')")).startswith("No token needed for public repos")
        True
    """
    if not need.reasons:
        return "No token needed: the code does not use the Hub."
    if all(r.permission in (TOKEN_USE, LOGIN) for r in need.reasons):
        return (f"Any valid token: the code needs a login but no scope, so a fine-grained token with no "
                f"permission at all is enough. Create it at {SETTINGS_URL}; pass it to jobs as "
                'secrets={"HF_TOKEN": "$HF_TOKEN"}.')
    write = sorted({_qualify(r.repo_id, namespace) or "" for r in need.reasons if r.permission == "repo.write"})
    jobs = sorted({r.namespace or namespace or "" for r in need.reasons if r.permission == "job.write"})
    reads = sorted({_qualify(r.repo_id, namespace) or "" for r in need.reasons if r.permission == "repo.content.read"})
    if not write and not jobs:
        listed = ", ".join(x for x in reads if x)
        where = f" ({listed})" if listed else ""
        return (f"No token needed for public repos. For private or gated repos{where}, use a fine-grained token "
                f"with repo.content.read on {listed or 'those repos'} (or a read token); accept a gated repo's "
                f"conditions on its page first. Create it at {SETTINGS_URL}.")
    scopes = []
    if write:
        named = [x for x in write if x]
        if named and len(named) == len(write):
            scopes.append("repo.write on " + ", ".join(named))
        else:
            scopes.append("repo.write on just the target repo" + (f" ({', '.join(named)})" if named else "")
                          + (f" or namespace {namespace}" if namespace and not named else ""))
    if jobs:
        named = [x for x in jobs if x]
        scopes.append("job.write on " + (", ".join(named) if named else "your namespace"))
    reads_only = [x for x in reads if x and x not in write]
    if reads_only:
        scopes.append("repo.content.read on " + ", ".join(reads_only) + " (only if it is private or gated)")
    text = "A fine-grained token with " + " and ".join(scopes)
    if write:
        text += ", rather than a broad write token"
    return text + f". Create it at {SETTINGS_URL}; pass it to jobs as secrets={{\"HF_TOKEN\": \"$HF_TOKEN\"}}."

"""JobSpec: one immutable description of a Hugging Face Job, uv script or container, that holds no secret.

A spec keeps secrets as **placeholders** (``"$HF_TOKEN"``) that are resolved only when the job is
submitted (:func:`hfsecure_jupyter.jobs.submit`). Building a spec sorts what the user gave:

* a secret-looking ``env`` entry (a name like ``*TOKEN*``/``*KEY*``/``*SECRET*``/``*PASSWORD*``, a
  ``$VAR`` placeholder of such a name, or a literal Hugging Face token) moves to ``secrets`` with a
  warning: ``env`` is stored and shown in plain text in every job listing, ``secrets`` are encrypted;
* a literal Hugging Face token in ``env`` or ``secrets`` is replaced by the placeholder ``$HF_TOKEN``
  (the job gets the submitter's login token) and a warning says so;
* any other literal secret (in env, secrets, the script, the command, arguments, labels...) is refused
  with :class:`SecretValueError`, whose message shows a masked preview only.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     spec = JobSpec.uv("print('hi')", env={"HF_TOKEN": fake_token(seed=1), "MODE": "fast"})
    >>> spec.env, spec.secrets
    ({'MODE': 'fast'}, {'HF_TOKEN': '$HF_TOKEN'})
    >>> spec.timeout is None, JobSpec.uv("print(1)", timeout="1h").timeout
    (True, 3600)
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import math
import os
import re
import shlex
import warnings as _warnings
from base64 import b64encode
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from .. import detect
from ..constants import DEFAULT_UV_IMAGE, JOB_FLAVORS, JOB_KEY_RE as _KEY
from ..errors import SecretMovedWarning, SecretValueError
from .words import placeholder_name, uv_run_words

__all__ = [
    "DEFAULT_UV_IMAGE", "JOB_FLAVORS", "JobSpec", "SecretMovedWarning", "SecretValueError",
    "TOKEN_CHECK_MARKER", "add_token_check", "format_timeout", "parse_timeout", "placeholder_name",
    "uv_inline_command",
]

#: Comment that marks the line added by ``verify_token=True`` (so it is added once).
TOKEN_CHECK_MARKER = "# hfsecure: verify HF_TOKEN"
_TOKEN_CHECK = (
    'import os, sys; os.environ.get("HF_TOKEN") or sys.exit("HF_TOKEN is not set in this job: pass it '
    "through secrets, never env (hf_jobs: secrets={'HF_TOKEN': '$HF_TOKEN'}; Python: "
    "secrets={'HF_TOKEN': get_token()}; CLI: --secrets HF_TOKEN).\")  " + TOKEN_CHECK_MARKER
)

_INNOCUOUS = re.compile(r"^(?:-?\d+(?:\.\d+)?|true|false|yes|no|on|off|none)$", re.IGNORECASE)
_URL = re.compile(r"^https?://\S+$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIMEOUT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PEP723 = re.compile(r"(?m)^# /// script\s*$(?:\n^#(?: .*)?$)*?\n^# ///\s*$")


def _masked(text: str) -> str:
    """``text`` for an error message: secrets masked, and any long run of letters and digits too
    (a token glued to other characters, ``"1hf_..."``, is not a finding but must not be shown)."""
    return detect.redact_strict(text)


def _shown(value: Any) -> str:
    """``repr(value)`` for an error message, masked by :func:`_masked` (an error text never holds a secret)."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    return _masked(text)


def _check_utf8(text: str, what: str) -> None:
    """Raise ValueError when ``text`` cannot be encoded as UTF-8 (a lone surrogate), saying where."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        column = exc.start - (text.rfind("\n", 0, exc.start) + 1) + 1
        raise ValueError(f"{what} is not valid UTF-8 text (line {line}, column {column}: a lone surrogate "
                         f"{ascii(text[exc.start])}, often from bytes decoded with errors='surrogateescape'): "
                         "fix the text or read the file as UTF-8") from None


def parse_timeout(value: int | float | str | None) -> int | None:
    """Seconds from ``"30m"``, ``"1h"``, ``"90s"``, ``"2d"``, ``"1h30m"`` or a number of seconds.

    Example:
        >>> parse_timeout("30m"), parse_timeout("1h30m"), parse_timeout(90), parse_timeout("1.5h")
        (1800, 5400, 90, 5400)
        >>> parse_timeout("soon")
        Traceback (most recent call last):
        ...
        ValueError: timeout 'soon' is not a duration: use seconds (90) or a string like '90s', '30m', '2h', '1d'
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("timeout must be a number of seconds or a string like '30m'")
    if isinstance(value, (int, float)):
        seconds = math.ceil(value)
    elif isinstance(value, str):
        text = value.strip()
        parts = list(_TIMEOUT_PART.finditer(text))
        if not parts or "".join(p.group(0) for p in parts).replace(" ", "") != text.replace(" ", ""):
            raise ValueError(f"timeout {_shown(value)} is not a duration: use seconds (90) or a string like "
                             "'90s', '30m', '2h', '1d'")
        seconds = math.ceil(sum(float(p.group(1)) * _UNIT[p.group(2).lower()] for p in parts))
    else:
        raise TypeError(f"timeout must be a number of seconds or a string like '30m', not {type(value).__name__}")
    if seconds <= 0:
        raise ValueError("timeout must be positive")
    return seconds


def format_timeout(seconds: int) -> str:
    """The shortest string the Hub client, the CLI and the hf_jobs tool all read back to ``seconds``.

    Example:
        >>> format_timeout(1800), format_timeout(7200), format_timeout(5400), format_timeout(95)
        ('30m', '2h', '90m', '95s')
    """
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _check_key(name: Any, what: str) -> str:
    if isinstance(name, str):
        _refuse_literals(name, f"{'an' if what[0] in 'aeiou' else 'a'} {what} name")  # a name is shown everywhere: never a value
    if not isinstance(name, str) or not _KEY.match(name):
        raise ValueError(f"{what} name {_shown(name)} is not valid: use letters, digits and '_', starting with a letter")
    return name


def _is_hf_user_token(value: str) -> bool:
    """True when the whole value (quotes and blanks aside) is one Hugging Face user token."""
    hits = detect.find_secrets(value)
    return (len(hits) == 1 and hits[0].rule.id == "hf-user-token"
            and value.strip().strip("'\"") == hits[0].secret)


def _refuse_literals(text: str, where: str) -> None:
    """Raise SecretValueError when ``text`` holds a literal secret (message masked)."""
    if not text or not detect.might_contain_secret(text):
        return
    hits = detect.find_secrets(text)
    if not hits:
        return
    h = hits[0]
    preview = detect.mask_secret(h.secret, prefix_len=h.rule.prefix_len)
    line = text.count("\n", 0, h.start) + 1
    at = f"{where} line {line}" if "\n" in text.strip() else where
    if h.rule.provider == "Hugging Face":
        fix = ("remove it; in the job read os.environ['HF_TOKEN'] and pass the token as a secret "
               "(JobSpec.with_token_secret() adds secrets={'HF_TOKEN': '$HF_TOKEN'}, resolved at submission)")
    else:
        fix = (f"remove it; export it locally and pass it as a secret placeholder instead "
               f"(secrets={{'NAME': '$NAME'}}, resolved at submission), then revoke it at {h.rule.revoke_url} "
               "if it was real")
    raise SecretValueError(f"{at} holds a literal {h.rule.description} ({preview}): {fix}.", where=at,
                           preview=preview)


def _sort_env_and_secrets(env: Mapping[str, Any] | None, secrets: Mapping[str, Any] | None,
                          notes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Move secret-looking env entries to secrets; keep placeholders only in secrets."""
    out_env: dict[str, str] = {}
    out_secrets: dict[str, str] = {}

    def put_secret(name: str, placeholder: str, origin: str) -> None:
        old = out_secrets.get(name)
        if old is not None and old != placeholder:
            raise ValueError(_masked(f"{name} is given twice with different placeholders ({old} and {placeholder}, "
                             f"the second from {origin}): keep one"))
        out_secrets[name] = placeholder

    for name, value in dict(secrets or {}).items():
        _check_key(name, "secret")
        if value is None or value == "":
            put_secret(name, f"${name}", "secrets")
            continue
        if not isinstance(value, str):
            raise TypeError(f"secrets[{name!r}] must be a placeholder string like '${name}'")
        var = placeholder_name(value)
        if var is not None:
            _refuse_literals(var, f"the placeholder variable of secrets[{name!r}]")
            put_secret(name, f"${var}", "secrets")
        elif _is_hf_user_token(value):
            preview = detect.mask_secret(value.strip().strip("'\""))
            put_secret(name, "$HF_TOKEN", "secrets")
            notes.append(f"secrets[{name!r}] held a literal Hugging Face token ({preview}); it was replaced by "
                         "the placeholder '$HF_TOKEN', which takes the token of your login at submission.")
        else:
            hits = detect.find_secrets(value)
            preview = (detect.mask_secret(hits[0].secret, prefix_len=hits[0].rule.prefix_len) if hits
                       else detect.mask_secret(value))
            raise SecretValueError(
                f"secrets[{name!r}] holds a literal value ({preview}): a job spec holds placeholders only, so "
                f"nothing secret is ever rendered or shown. Use secrets={{{name!r}: '${name}'}} and set {name} in "
                "your environment (it is read at submission).", where=f"secrets[{name!r}]", preview=preview)

    for name, value in dict(env or {}).items():
        _check_key(name, "env")
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TypeError(f"env[{name!r}] must be a string")
        value = str(value)
        var = placeholder_name(value)
        secret_name = detect.is_secret_name(name)
        if value and detect.might_contain_secret(value) and detect.find_secrets(value):
            if _is_hf_user_token(value):
                preview = detect.mask_secret(value.strip().strip("'\""))
                put_secret(name, "$HF_TOKEN", "env")
                notes.append(f"env[{name!r}] held a literal Hugging Face token ({preview}): env is plain text in "
                             f"every job listing. Moved to secrets as {name}='$HF_TOKEN' (your login token, "
                             "resolved at submission).")
                continue
            _refuse_literals(value, f"env[{name!r}]")
        if var is not None and (secret_name or detect.is_secret_name(var)):
            put_secret(name, f"${var}", "env")
            notes.append(f"env[{name!r}] = '${var}' names a secret: env is plain text in every job listing (and "
                         f"the hf_jobs tool would substitute the real value there). Moved to secrets.")
        elif secret_name and value == "":
            put_secret(name, f"${name}", "env")
            notes.append(f"env[{name!r}] names a secret: moved to secrets as {name}='${name}' "
                         "(read from your environment at submission).")
        elif secret_name and not _INNOCUOUS.match(value):
            preview = detect.mask_secret(value)
            raise SecretValueError(
                f"env[{name!r}] looks like a secret and holds a literal value ({preview}): env is plain text in "
                f"every job listing. Export {name} locally and pass secrets={{{name!r}: '${name}'}} instead "
                "(resolved at submission).", where=f"env[{name!r}]", preview=preview)
        else:
            out_env[name] = value
    for name in out_secrets:
        out_env.pop(name, None)
    return out_env, out_secrets


def _check_flavor(flavor: str) -> str:
    if flavor in JOB_FLAVORS:
        return flavor
    if isinstance(flavor, str):
        _refuse_literals(flavor, "flavor")
    close = difflib.get_close_matches(str(flavor), JOB_FLAVORS, n=4, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"known flavors: {', '.join(JOB_FLAVORS)}"
    raise ValueError(f"unknown job flavor {_shown(flavor)}: {hint}")


def _header_end(lines: list[str]) -> int:
    """Index of the first line after a shebang, encoding cookie and leading PEP 723 block."""
    i = 0
    if lines and lines[0].startswith("#!"):
        i = 1
    text = "".join(lines)
    m = _PEP723.search(text)
    if m and all(not ln.strip() or ln.lstrip().startswith("#") for ln in text[:m.start()].splitlines()):
        i = max(i, text.count("\n", 0, m.end()) + 1)
    while i < len(lines) and i < 2 and re.match(r"^[ \t\f]*#.*coding[:=]", lines[i]):
        i += 1
    return i


def add_token_check(script: str) -> str:
    """``script`` with a first line that stops the job with a clear message when HF_TOKEN is missing.

    The line goes after a shebang, a PEP 723 ``# /// script`` block (uv must still see it first), a module
    docstring and ``from __future__`` imports; it is added once.

    Example:
        >>> s = add_token_check("# /// script\\n# dependencies = []\\n# ///\\nprint('hi')\\n")
        >>> s.splitlines()[3].startswith("import os, sys; os.environ.get(\\"HF_TOKEN\\")")
        True
        >>> add_token_check(s) == s
        True
    """
    if TOKEN_CHECK_MARKER in script:
        return script
    lines = script.splitlines(keepends=True)
    at = _header_end(lines)
    try:
        body = ast.parse(script).body
    except SyntaxError:
        body = []
    for k, node in enumerate(body):
        is_doc = k == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str)
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (is_doc or is_future):
            break
        at = max(at, node.end_lineno or 0)
    if at and at <= len(lines) and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    lines.insert(at, _TOKEN_CHECK + "\n")
    return "".join(lines)


def uv_inline_command(script: str, *, dependencies: Iterable[str] = (), python: str | None = None,
                      script_args: Iterable[str] = ()) -> list[str]:
    """The self-contained job command for an inline uv script: base64 in, decoded by the shell, piped to uv.

    It needs no upload (unlike ``run_uv_job`` with a local file, which goes through a bucket), so it works on
    the Hub and against the emulator alike.

    Example:
        >>> uv_inline_command("print(1)\\n", dependencies=["rich"], script_args=["a b"])
        ['/bin/sh', '-c', "echo cHJpbnQoMSkK | base64 -d | uv run --with rich - 'a b'"]
    """
    encoded = b64encode(script.encode("utf-8")).decode("ascii")
    return ["/bin/sh", "-c", f"echo {encoded} | base64 -d | " + uv_run_words(dependencies, python, ["-"],
                                                                            script_args, joined=True)]


def _pairs(mapping: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(mapping.items())


@dataclass(frozen=True, repr=False)
class JobSpec:
    """One Hugging Face Job, uv script or container, holding placeholders only (never a secret value).

    Build it with :meth:`uv` or :meth:`container`; every value is checked on construction (also when built
    directly or through :func:`dataclasses.replace`). Render it with :meth:`to_mcp`, :meth:`to_python` and
    :meth:`to_cli`; submit it with :func:`hfsecure_jupyter.jobs.submit`.

    Example:
        >>> spec = JobSpec.uv("import sys\\nprint(sys.version)", dependencies=["rich"], flavor="cpu-upgrade",
        ...                   timeout="30m", namespace="alice").with_token_secret()
        >>> spec
        JobSpec.uv(script=<inline, 2 lines>, dependencies=['rich'], flavor='cpu-upgrade', timeout='30m', secrets={'HF_TOKEN': '$HF_TOKEN'}, namespace='alice')
        >>> spec.command[:2], spec.image
        (['/bin/sh', '-c'], 'ghcr.io/astral-sh/uv:python3.12-bookworm')
    """

    kind: str
    image: str
    script: str | None = None
    argv: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    python: str | None = None
    script_args: tuple[str, ...] = ()
    flavor: str = "cpu-basic"
    timeout: int | None = None
    env_items: tuple[tuple[str, str], ...] = ()
    secret_items: tuple[tuple[str, str], ...] = ()
    label_items: tuple[tuple[str, str], ...] = ()
    namespace: str | None = None
    verify_token: bool = False
    script_path: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    # ----------------------------------------------------------------- construction
    @classmethod
    def uv(cls, script: str, *, dependencies: Iterable[str] = (), python: str | None = None,
           image: str | None = None, flavor: str = "cpu-basic", timeout: int | float | str | None = None,
           env: Mapping[str, Any] | None = None, secrets: Mapping[str, Any] | None = None,
           labels: Mapping[str, str] | None = None, namespace: str | None = None,
           script_args: Iterable[str] = (), verify_token: bool = False) -> "JobSpec":
        """A uv script job. ``script`` is code (travels inline), an ``https://`` URL, or a ``.py`` file path
        (read now, then travels inline like code).

        Raises:
            SecretValueError: a literal secret anywhere (masked in the message).
            ValueError: unknown flavor (with close matches), bad timeout, bad names.
            FileNotFoundError: ``script`` names a ``.py`` file that does not exist.

        Example:
            >>> JobSpec.uv("https://example.com/train.py", script_args=["--epochs", "1"]).command
            ['uv', 'run', 'https://example.com/train.py', '--epochs', '1']
        """
        if not isinstance(script, str) or not script.strip():
            raise ValueError("a uv job needs a script: Python code, an https:// URL or a .py file path")
        script_path = None
        text = script
        if "\n" not in script and script.strip().endswith(".py") and not _URL.match(script.strip()) \
                and " " not in script.strip() and "(" not in script:
            _refuse_literals(script.strip(), "the script path")  # before any message quotes it
            _check_utf8(script, "the script path")
            path = os.path.expanduser(script.strip())
            if not os.path.isfile(path):
                raise FileNotFoundError(f"uv script file not found: {_masked(script.strip())}")
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except UnicodeDecodeError as exc:
                raise ValueError(f"the script file {_masked(script.strip())} is not valid UTF-8 text (byte "
                                 f"{exc.start}): save it as UTF-8") from None
            script_path = script.strip()
        else:
            _check_utf8(script, "the script")
        if not _URL.match(text.strip()) and not text.endswith("\n"):
            text += "\n"  # the hf_jobs tool sends a script inline only when it holds a newline
        elif _URL.match(text.strip()):
            text = text.strip()
        notes: list[str] = []
        out_env, out_secrets = _sort_env_and_secrets(env, secrets, notes)
        spec = cls(kind="uv", image=image or DEFAULT_UV_IMAGE, script=text,
                   dependencies=tuple(dependencies), python=python, script_args=tuple(script_args),
                   flavor=flavor, timeout=parse_timeout(timeout), env_items=_pairs(out_env),
                   secret_items=_pairs(out_secrets), label_items=_pairs(dict(labels or {})),
                   namespace=namespace, verify_token=verify_token, script_path=script_path)
        return spec._noted(notes)

    @classmethod
    def container(cls, image: str, command: str | Iterable[str], *, flavor: str = "cpu-basic",
                  timeout: int | float | str | None = None, env: Mapping[str, Any] | None = None,
                  secrets: Mapping[str, Any] | None = None, labels: Mapping[str, str] | None = None,
                  namespace: str | None = None) -> "JobSpec":
        """A job running ``command`` (a list, or a string split like a shell would) in ``image``.

        Example:
            >>> JobSpec.container("python:3.12", "python -c 'print(1)'").command
            ['python', '-c', 'print(1)']
        """
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        notes: list[str] = []
        out_env, out_secrets = _sort_env_and_secrets(env, secrets, notes)
        spec = cls(kind="container", image=image, argv=tuple(argv), flavor=flavor, timeout=parse_timeout(timeout),
                   env_items=_pairs(out_env), secret_items=_pairs(out_secrets),
                   label_items=_pairs(dict(labels or {})), namespace=namespace)
        return spec._noted(notes)

    def _noted(self, notes: list[str]) -> "JobSpec":
        extra = list(notes)
        if self.kind == "uv" and self.verify_token and "HF_TOKEN" not in self.secrets:
            extra.append("verify_token is on but the job gets no HF_TOKEN secret: its first line will stop it. "
                         "Call .with_token_secret() to pass your login token as secrets={'HF_TOKEN': '$HF_TOKEN'}.")
        if self.kind == "uv" and self.is_inline:
            try:
                misuse = detect.scan_misuse(self.script or "")
            except Exception:  # a script that does not parse is the job's business, not ours
                misuse = []
            extra += [f"script line {f.line}: {f.message}" for f in misuse]
        for note in notes:
            _warnings.warn(note, SecretMovedWarning, stacklevel=3)
        if not extra:
            return self
        return dataclasses.replace(self, warnings=tuple(dict.fromkeys(self.warnings + tuple(extra))))

    def __post_init__(self) -> None:
        # The last line of defence: whatever built this object, it holds no secret value. Every text is
        # checked first, so that no later message can quote a secret.
        for where, text in self._texts():
            _refuse_literals(text, where)
        for where, text in self._texts():
            _check_utf8(text, where)
        if self.kind not in ("uv", "container"):
            raise ValueError(f"kind must be 'uv' or 'container', not {_shown(self.kind)}")
        if not isinstance(self.image, str) or not self.image.strip() or any(c.isspace() for c in self.image):
            raise ValueError("image must be a Docker image name like 'python:3.12'")
        _check_flavor(self.flavor)
        if self.timeout is not None and (not isinstance(self.timeout, int) or self.timeout <= 0):
            raise ValueError("timeout is stored in whole seconds (use JobSpec.uv(..., timeout='30m'))")
        if self.namespace is not None and not _NAMESPACE.match(self.namespace):
            raise ValueError(f"namespace {_shown(self.namespace)} is not a user or organization name")
        if self.kind == "uv":
            if not self.script:
                raise ValueError("a uv job needs a script")
            if self.verify_token and not self.is_inline:
                raise ValueError("verify_token needs an inline script (code or a local file), not a URL")
            if self.python is not None and (not self.python.strip() or any(c.isspace() for c in self.python)):
                raise ValueError(f"python {_shown(self.python)} is not a version like '3.12'")
            _refuse_literals(self.script, "script")
        elif not self.argv:
            raise ValueError("a container job needs a command, e.g. ['python', '-c', 'print(1)']")
        for dep in self.dependencies:
            if not isinstance(dep, str) or not dep.strip() or "\n" in dep:
                raise ValueError(f"dependency {_shown(dep)} is not a requirement like 'transformers>=4.40'")
            _refuse_literals(dep, "dependencies")
        for what, values in (("command", self.argv), ("script_args", self.script_args)):
            for value in values:
                if not isinstance(value, str):
                    raise TypeError(f"{what} items must be strings")
                _refuse_literals(value, what)
        _refuse_literals(self.image, "image")
        _refuse_literals(self.python or "", "python")
        for key, value in self.label_items:
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("labels map strings to strings")
            _refuse_literals(key, "labels")
            _refuse_literals(value, f"labels[{_shown(key)}]")
        for name, value in self.secret_items:
            _check_key(name, "secret")
            if not isinstance(value, str) or placeholder_name(value) is None:
                raise SecretValueError(f"secrets[{name!r}] must be a placeholder like '${name}', not a value",
                                       where=f"secrets[{name!r}]", preview=detect.mask_secret(str(value)))
        secret_names = {n for n, _ in self.secret_items}
        for name, value in self.env_items:
            _check_key(name, "env")
            if name in secret_names:
                raise ValueError(f"{name} is in both env and secrets: keep it in secrets only")
            _refuse_literals(value, f"env[{name!r}]")
            var = placeholder_name(value)
            if (detect.is_secret_name(name) and not _INNOCUOUS.match(value)) or (var and detect.is_secret_name(var)):
                raise SecretValueError(f"env[{name!r}] looks like a secret: build the spec with JobSpec.uv() or "
                                       "JobSpec.container(), which move it to secrets", where=f"env[{name!r}]",
                                       preview=detect.mask_secret(value))

    def _texts(self) -> Iterator[tuple[str, str]]:
        """Every text this spec holds, with where it is (names, placeholder variables and values alike)."""
        singles = (("kind", self.kind), ("image", self.image), ("script", self.script), ("python", self.python),
                   ("flavor", self.flavor), ("namespace", self.namespace), ("script_path", self.script_path))
        for where, value in singles:
            if isinstance(value, str):
                yield where, value
        for what, values in (("command", self.argv), ("dependencies", self.dependencies),
                             ("script_args", self.script_args), ("warnings", self.warnings)):
            for value in values if isinstance(values, (tuple, list)) else ():
                if isinstance(value, str):
                    yield what, value
        for what, items in (("env", self.env_items), ("secrets", self.secret_items), ("labels", self.label_items)):
            for pair in items if isinstance(items, (tuple, list)) else ():
                if not (isinstance(pair, tuple) and len(pair) == 2):
                    raise TypeError(f"{what} must be stored as (name, value) pairs")
                key, value = pair
                if isinstance(key, str):
                    yield {"env": "an env name", "secrets": "a secret name"}.get(what, "a label name"), key
                    if isinstance(value, str):
                        # the key was just yielded (and refused if secret) before it names where a value sits
                        yield f"{what}[{_shown(key)}]", value
                elif isinstance(value, str):
                    yield what, value

    # ----------------------------------------------------------------- views
    @property
    def env(self) -> dict[str, str]:
        """Plain environment variables (a copy; never secret)."""
        return dict(self.env_items)

    @property
    def secrets(self) -> dict[str, str]:
        """Secret names mapped to placeholders (``{"HF_TOKEN": "$HF_TOKEN"}``; a copy)."""
        return dict(self.secret_items)

    @property
    def labels(self) -> dict[str, str]:
        """Job labels (a copy)."""
        return dict(self.label_items)

    @property
    def secret_names(self) -> list[str]:
        """The names of the secrets the job receives."""
        return [n for n, _ in self.secret_items]

    @property
    def is_inline(self) -> bool:
        """True for a uv script that travels inline (code or a local file), False for a URL or a container."""
        return self.kind == "uv" and not _URL.match(self.script or "")

    @property
    def script_text(self) -> str | None:
        """The script exactly as the job runs it (with the token check line when ``verify_token``)."""
        if self.kind != "uv":
            return None
        return add_token_check(self.script or "") if self.verify_token and self.is_inline else self.script

    @property
    def command(self) -> list[str]:
        """The command the Hub receives for this job (``dockerImage`` is :attr:`image`).

        Example:
            >>> JobSpec.uv("https://example.com/a.py", dependencies=["rich"], python="3.11").command
            ['uv', 'run', '--with', 'rich', '--python', '3.11', 'https://example.com/a.py']
        """
        if self.kind == "container":
            return list(self.argv)
        if self.is_inline:
            return uv_inline_command(self.script_text or "", dependencies=self.dependencies, python=self.python,
                                     script_args=self.script_args)
        return uv_run_words(self.dependencies, self.python, [self.script or ""], self.script_args)

    @property
    def timeout_str(self) -> str | None:
        """The timeout as ``"30m"``/``"2h"``/``"95s"`` (None when unset: the Hub's default applies)."""
        return None if self.timeout is None else format_timeout(self.timeout)

    # ----------------------------------------------------------------- changes
    def with_token_secret(self, name: str = "HF_TOKEN") -> "JobSpec":
        """A copy whose job receives your login token as secret ``name`` (``$HF_TOKEN``, resolved at submission).

        Example:
            >>> JobSpec.uv("print(1)").with_token_secret().secrets
            {'HF_TOKEN': '$HF_TOKEN'}
        """
        _check_key(name, "secret")
        secrets = dict(self.secret_items)
        secrets[name] = "$HF_TOKEN"
        env = {k: v for k, v in self.env_items if k != name}
        return dataclasses.replace(self, secret_items=_pairs(secrets), env_items=_pairs(env),
                                   warnings=tuple(w for w in self.warnings if not w.startswith("verify_token is on")))

    def replace(self, **changes: Any) -> "JobSpec":
        """A copy with ``changes`` applied through the same checks as :meth:`uv` / :meth:`container`.

        Accepts the builders' keyword names (``env=``, ``secrets=``, ``labels=``, ``timeout='1h'``...).

        Example:
            >>> JobSpec.uv("print(1)").replace(flavor="t4-small", env={"A": "1"}).env
            {'A': '1'}
        """
        if self.kind == "uv":
            base: dict[str, Any] = dict(
                script=self.script, dependencies=self.dependencies, python=self.python, image=self.image,
                flavor=self.flavor, timeout=self.timeout, env=self.env, secrets=self.secrets, labels=self.labels,
                namespace=self.namespace, script_args=self.script_args, verify_token=self.verify_token)
            base.update(changes)
            spec = JobSpec.uv(**base)
            if "script" not in changes and self.script_path:
                spec = dataclasses.replace(spec, script_path=self.script_path)
            return spec
        base = dict(image=self.image, command=self.argv, flavor=self.flavor, timeout=self.timeout, env=self.env,
                    secrets=self.secrets, labels=self.labels, namespace=self.namespace)
        base.update(changes)
        return JobSpec.container(**base)

    # ----------------------------------------------------------------- renderings
    def to_mcp(self) -> dict[str, Any]:
        """The ``hf_jobs`` MCP tool call: ``{"operation": "uv"|"run", "args": {...}}`` (see :mod:`.render`)."""
        from .render import to_mcp

        return to_mcp(self)

    def to_python(self) -> str:
        """huggingface_hub code that submits this job, reading the token when it runs (see :mod:`.render`)."""
        from .render import to_python

        return to_python(self)

    def to_cli(self, script_path: str | None = None, *, multiline: bool = False) -> str:
        """The ``hf jobs ...`` command line, secrets as bare ``--secrets NAME`` (see :mod:`.render`)."""
        from .render import to_cli

        return to_cli(self, script_path=script_path, multiline=multiline)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (placeholders only), e.g. for a widget or a REST response.

        Example:
            >>> JobSpec.container("python:3.12", ["python", "-V"]).to_dict()["command"]
            ['python', '-V']
        """
        return {
            "kind": self.kind, "image": self.image, "command": self.command, "script": self.script_text,
            "script_url": None if self.is_inline or self.kind != "uv" else self.script,
            "script_path": self.script_path, "dependencies": list(self.dependencies), "python": self.python,
            "script_args": list(self.script_args), "flavor": self.flavor, "timeout": self.timeout_str,
            "timeout_seconds": self.timeout, "env": self.env, "secrets": self.secrets, "labels": self.labels,
            "namespace": self.namespace, "verify_token": self.verify_token, "warnings": list(self.warnings),
        }

    # ----------------------------------------------------------------- display
    def _describe_script(self) -> str:
        if not self.is_inline:
            return repr(self.script)
        digest = hashlib.sha256((self.script_text or "").encode("utf-8")).hexdigest()[:8]
        n = len((self.script or "").splitlines())
        where = f"{self.script_path!r}, " if self.script_path else ""
        return f"<{where}inline, {n} line{'s' if n != 1 else ''}>" if not self.verify_token else \
            f"<{where}inline, {n} line{'s' if n != 1 else ''} + token check, sha256 {digest}>"

    def __repr__(self) -> str:
        parts: list[str] = []
        if self.kind == "uv":
            parts.append(f"script={self._describe_script()}")
            if self.dependencies:
                parts.append(f"dependencies={list(self.dependencies)!r}")
            if self.python:
                parts.append(f"python={self.python!r}")
            if self.image != DEFAULT_UV_IMAGE:
                parts.append(f"image={self.image!r}")
            if self.script_args:
                parts.append(f"script_args={list(self.script_args)!r}")
        else:
            parts += [f"image={self.image!r}", f"command={list(self.argv)!r}"]
        parts.append(f"flavor={self.flavor!r}")
        if self.timeout is not None:
            parts.append(f"timeout={self.timeout_str!r}")
        for name, value in (("env", self.env), ("secrets", self.secrets), ("labels", self.labels)):
            if value:
                parts.append(f"{name}={value!r}")
        if self.namespace:
            parts.append(f"namespace={self.namespace!r}")
        if self.verify_token:
            parts.append("verify_token=True")
        # Belt and braces: whatever slipped through, a repr is redacted.
        return detect.redact(f"JobSpec.{self.kind}({', '.join(parts)})")

    def __str__(self) -> str:
        rows = [f"{'uv script' if self.kind == 'uv' else 'container'} job on {self.flavor}"
                + (f" in {self.namespace}" if self.namespace else "")]
        rows.append(f"  image:    {self.image}")
        if self.kind == "uv":
            rows.append(f"  script:   {self._describe_script()}")
            if self.dependencies:
                rows.append(f"  with:     {' '.join(self.dependencies)}")
            if self.python:
                rows.append(f"  python:   {self.python}")
            if self.script_args:
                rows.append(f"  args:     {shlex.join(self.script_args)}")
        else:
            rows.append(f"  command:  {shlex.join(self.argv)}")
        if self.timeout is not None:
            rows.append(f"  timeout:  {self.timeout_str}")
        for k, v in self.env_items:
            rows.append(f"  env:      {k}={v}")
        for k, v in self.secret_items:
            rows.append(f"  secret:   {k} <- {v} (resolved at submission)")
        for k, v in self.label_items:
            rows.append(f"  label:    {k}={v}")
        rows += [f"  warning:  {w}" for w in self.warnings]
        return detect.redact("\n".join(rows))

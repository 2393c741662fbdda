"""Misuse that leaks a secret without a literal in the code.

Reported as warnings with their fix (a consumer may choose to block on them):

* ``secret-in-job-env``: a token handed to a Hugging Face Job through ``env`` (plain text in every job
  listing) instead of ``secrets``: ``run_job(..., env={"HF_TOKEN": ...})``, and the MCP tool trap
  ``hf_jobs("uv", {"env": {"HF_TOKEN": "$HF_TOKEN"}})`` (the server substitutes the token there too).
* ``secret-in-job-cli-env``: ``hf jobs run -e HF_TOKEN ...`` (``--dry-run`` even prints it).
* ``token-printed-by-cli``: ``hf auth token`` prints the token into the output.
* ``secret-echoed``: ``print(get_token())``, ``os.environ["HF_TOKEN"]`` as a cell's last expression,
  ``%env HF_TOKEN``, ``!echo $HF_TOKEN``, ``print(os.environ)`` and friends.

Example:
    >>> [f.rule for f in scan_misuse('run_job(image="x", env={"HF_TOKEN": get_token()})')]
    ['secret-in-job-env']
"""

from __future__ import annotations

import re
import sys
from functools import cache, partial

from .engine import accelerated_ends, accelerated_search, find_secrets
from .findings import Finding, fingerprint, mask_secret
from .ipython import ast_line_starts, line_numbers, line_starts, mask_ipython
from .lazy import lazy_compile, lazy_import
from .rules import MisuseRule, is_secret_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from typing import Callable, Iterator

    from .ipython import MaskedSource
else:  # imported when first used: only a cell that may misuse a secret is parsed
    ast = lazy_import("ast", globals())

__all__ = ["is_secret_name", "might_misuse", "misuse_findings", "scan_misuse", "MISUSE_RULES", "MISUSE_RECORDS",
           "parse_or_none", "expressions_at"]

# A Python variable that holds a secret by its name alone (``hf_token``, ``api_key``), not NLP's
# ``token`` / ``pad_token``, which are everywhere in notebooks and hold nothing secret.
_SECRET_VAR = lazy_compile(r"(?i)^_*(?:hf|hub|huggingface|access|api|auth|bearer|secret|write|read|user|my|github|gh|"
                           r"openai|anthropic|wandb|aws|slack|private)_?(?:token|key|secret|password)$")
_JOB_FUNCS = lazy_compile(r"(?i)(?:^|_)(?:run_job|run_uv_job|create_scheduled_job|create_scheduled_uv_job|hf_jobs|"
                          r"jobs?|submit_job)$")
_ECHO_FUNCS = {"print", "display", "pprint", "repr", "str", "Markdown", "HTML", "write", "info", "debug",
               "warning", "error", "critical", "log", "exception"}
_TOKEN_GETTERS = {"get_token", "_get_token_from_environment", "_get_token_from_file"}

#: The misuse rules, as data (the Python analysis below decides; the shell forms are the records' patterns).
MISUSE_RECORDS: tuple[MisuseRule, ...] = (
    MisuseRule(
        "secret-in-job-env",
        "A secret is passed to a Hugging Face Job through env, which is stored and shown in plain text in "
        "every job listing and in the job's page.",
        'Pass it through secrets instead: secrets={"HF_TOKEN": "$HF_TOKEN"} with the hf_jobs tool, '
        'secrets={"HF_TOKEN": get_token()} in Python, --secrets HF_TOKEN on the command line.',
        true_samples=('run_job(image="python:3.12", command=["python"], env={"HF_TOKEN": get_token()})',
                      'hf_jobs("uv", {"script": "x.py", "env": {"HF_TOKEN": "$HF_TOKEN"}})'),
        false_samples=('run_job(image="x", command=["y"], secrets={"HF_TOKEN": get_token()})',
                       'run_job(image="x", command=["y"], env={"BATCH_SIZE": "8"})'),
    ),
    MisuseRule(
        "secret-in-job-cli-env",
        "hf jobs -e/--env puts the secret in the job's plain-text environment (and --dry-run prints it).",
        "Use --secrets HF_TOKEN (the value is taken from your login when the job is created).",
        shell=(lazy_compile(
            r"\b(?:hf|huggingface-cli)\s+jobs\s+(?:uv\s+|scheduled\s+(?:uv\s+)?)?run\b[^\n]*?(?:\s-e|\s--env)(?:\s+|=)"
            r"['\"]?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"),),
        true_samples=("!hf jobs run -e HF_TOKEN python:3.12 python -c 'print(1)'",),
        false_samples=("!hf jobs run --secrets HF_TOKEN python:3.12 python -c 'print(1)'",),
    ),
    MisuseRule(
        "token-printed-by-cli",
        "This command prints your token into the cell output, which is saved with the notebook.",
        "Use `hf auth whoami` to check who is logged in; copy a token only from the settings page.",
        shell=(lazy_compile(r"\b(?:hf|huggingface-cli)\s+auth\s+token\b"),),
        true_samples=("!hf auth token",), false_samples=("!hf auth whoami",),
    ),
    MisuseRule(
        "secret-echoed",
        "This shows a secret's value in the output, which is saved with the notebook and shared with it.",
        "Print whoami() or a masked form (hf_****abcd) instead of the value.",
        shell=(lazy_compile(r"\becho\b[^\n|;&]*\$\{?(?P<name>[A-Za-z_][A-Za-z0-9_]*)"),
               lazy_compile(r"\bprintenv\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)"),
               lazy_compile(r"^\s*[!%]?(?:printenv|env)\s*$", re.MULTILINE),
               lazy_compile(r"^\s*%env\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*$", re.MULTILINE)),
        true_samples=("print(get_token())", "!echo $HF_TOKEN", 'tok = get_token()\nprint(f"using {tok}")'),
        false_samples=('print("HF_TOKEN" in os.environ)', "!echo $HOME", 'login(token=os.environ["HF_TOKEN"])'),
    ),
)
#: id -> (message, fix), derived from :data:`MISUSE_RECORDS` (what reports list).
MISUSE_RULES: dict[str, tuple[str, str]] = {r.id: (r.description, r.fix) for r in MISUSE_RECORDS}

_SHELL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((r.id, p) for r in MISUSE_RECORDS for p in r.shell)


#: Words whose absence from a whole file's raw bytes rules out the common misuse (token names, secret
#: names, echo commands); few passes, as each costs ~3 ms per 10 MB. A file that has one is parsed and
#: each code cell is checked with :func:`might_misuse`. (Rarer forms, such as a job's env taking a
#: variable named ``api_key``, are seen by the kernel guard, which checks every cell in full.)
_TOKEN_VARS = (b"hf", b"hub", b"access", b"auth", b"api", b"user", b"my", b"write", b"read", b"github", b"gh",
               b"bearer", b"secret", b"private", b"wandb", b"openai")
RAW_MARKERS: tuple = (lazy_compile(b"TOKEN"),
                      # token( (get_token()), "auth token" (the CLI) and the token variables of _SECRET_VAR
                      # (hf_token, access_token...), not NLP's pad_token_id / mask_token / eos_token
                      lazy_compile(rb"token(?:\(|(?<=auth token)|(?:"
                                   + b"|".join(b"(?<=" + v + b"_token)" for v in _TOKEN_VARS)
                                   + rb")(?![A-Za-z0-9_]))"),
                      b"environ)", lazy_compile(b"_KEY"), lazy_compile(b"SECRET"),
                      # literal first: a leading character class makes re test every byte (5x slower)
                      lazy_compile(rb"env(?:(?<=%env)|(?<=!env)|(?<=printenv))\b"))


def might_misuse_bytes(data: bytes, start: int = 0) -> bool:
    """:func:`might_misuse` for a whole file's raw bytes (cheaper, coarser): a marker on a line of a code
    cell's source that may be what the checks look for (see :func:`_line_may_misuse`); from ``start``
    on when the caller knows no marker stands before it.

    Example:
        >>> might_misuse_bytes(b'{"source": ["print(get_token())"]}')
        True
        >>> md = b'{"cell_type": "markdown", "source": ["Set HF_TOKEN in your settings."]}'
        >>> might_misuse_bytes(md), might_misuse_bytes(md.replace(b"markdown", b"code"))
        (False, True)
    """
    lines = MarkerLines(data)
    search = accelerated_search(RAW_MARKERS_RE2, len(data))
    if search is not None:
        m = search(data, start)
        while m is not None:  # (RE2's marker starts on the same line as the standard-library one's)
            end = lines.clears(m.start())
            if end < 0:
                return True
            m = search(data, end)
        return False
    for marker in RAW_MARKERS:
        i = data.find(marker, start) if isinstance(marker, bytes) else _start(marker.search(data, start))
        while i >= 0:
            end = lines.clears(i)
            if end < 0:
                return True
            i = data.find(marker, end) if isinstance(marker, bytes) else _start(marker.search(data, end))
    return False


class MarkerLines:
    """:func:`might_misuse_bytes` one marker at a time, for a caller that finds the markers itself (the
    notebook gate's one pass): ``clears(i)`` is where the next line starts when the raw line holding
    ``data[i]`` cannot be misuse, else -1. Positions are asked in rising order.

    Example:
        >>> md = b'{"cell_type": "markdown", "source": ["Set HF_TOKEN here.\\n", "x"]}'
        >>> MarkerLines(md).clears(md.index(b"HF_TOKEN")) > 0
        True
    """

    def __init__(self, data: bytes) -> None:
        self.where = _Where(data)

    def clears(self, i: int) -> int:
        return _line_may_misuse(self.where, i)


def _start(m: "re.Match[bytes] | None") -> int:
    return -1 if m is None else m.start()


# On a raw line that holds a marker, what the checks need there (on one source line, in the layout
# nbformat writes: a JSON string per line): an echo call, a read of a secret, a shell or magic line, a
# job or its env, a cell written as one string. Else only a cell's last line matters (a shown value).
_RAW_LINE_CUES = lazy_compile(
    rb"\b(?:print|display|pprint|log|info|debug|warning|error|critical|exception|write|Markdown|HTML)\s*\("
    rb"|get_token\s*\(|environ\s*\[|environ\.get\s*\(|getenv\s*\(|userdata\.get\s*\("
    rb"|^[ \t]*[!%]|[\"'=][ \t]*[!%]|\becho\b|printenv|\benv\b|jobs?\b|\"source\": \"", re.MULTILINE)
_LIST_END = lazy_compile(rb"\n[ \t]*\]")


class _Where:
    """Which part of a notebook's raw JSON a position is in, read from the nearest keys before it
    (nbformat writes a cell's keys sorted: ``cell_type``, ..., ``outputs``, ``source``). Positions are
    asked in rising order, each key looked for once between them (linear), restarting for each marker."""

    _TYPE, _OUTPUTS, _SOURCE = b'"cell_type": "', b'"outputs": [', b'"source": '

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.memo: dict[bytes, tuple[int, int]] = {}

    def last(self, key: bytes, i: int) -> int:
        hi, at = self.memo.get(key, (0, -1))
        if i < hi:
            hi, at = 0, -1
        found = self.data.rfind(key, max(0, hi - len(key) + 1), i)
        at = found if found >= 0 else at
        self.memo[key] = (i, at)
        return at

    def in_code_source(self, i: int) -> bool:
        """False when ``i`` is in a markdown or raw cell, or in a cell's outputs (True when unsure)."""
        t = self.last(self._TYPE, i)
        if t >= 0 and not self.data.startswith(b'code"', t + len(self._TYPE)):
            return False
        o = self.last(self._OUTPUTS, i)
        return not (o > t and o > self.last(self._SOURCE, i))


def _line_may_misuse(where: _Where, i: int) -> int:
    """-1 when the raw line holding ``data[i]`` may be misuse: it is in a code cell's source (or the
    bytes do not say) and a cue is on it (``_RAW_LINE_CUES``), or it is a cell's last line (the file
    ends, or a list closes, after it); else where the next line starts."""
    data = where.data
    le = data.find(b"\n", i)
    if not where.in_code_source(i):
        return len(data) if le < 0 else le + 1
    ls = data.rfind(b"\n", 0, i) + 1
    if le < 0 or _LIST_END.match(data, le) is not None or _RAW_LINE_CUES.search(data, ls, le) is not None:
        return -1
    return le + 1


#: RAW_MARKERS in one pattern for the optional RE2 accelerator (no lookaround there: written out).
RAW_MARKERS_RE2 = (rb"TOKEN|token\(|auth token|(?:" + b"|".join(_TOKEN_VARS) + rb")_token(?:[^A-Za-z0-9_]|\z)"
                    rb"|environ\)|_KEY|SECRET|(?:%env|!env|printenv)\b")


_REF_WORD_LIST = ("get_token", "environ", "getenv", "userdata", "TOKEN", "_token", "api_key", "API_KEY", "SECRET",
                  "secret", "PASSWORD")
_REF_WORDS = tuple(lazy_compile(w) for w in _REF_WORD_LIST)
# All of them in one pattern for the accelerator: one pass over a cell's bytes finds the next line that
# holds any (a pass per word cost a clean 100-line cell ~40 us of its ~90).
_REF_WORDS_RE2 = "|".join(_REF_WORD_LIST).encode("ascii")
# Reading a secret's value (not testing for it: ``"HF_TOKEN" in os.environ`` is a bool).
_SECRET_SOURCE = lazy_compile(r"get_token\s*\(|environ\s*\[|environ\.get\s*\(|getenv\s*\(|userdata\.get\s*\(")
_ECHO_CALL = lazy_compile(r"\b(?:print|display|pprint|log|info|debug|warning|error|critical|exception|write|Markdown|"
                          r"HTML)\s*\(")
_ASSIGNMENT = lazy_compile(r"^\s*[A-Za-z_][\w, ]*=[^=]")
_MAGIC_PREFIX = lazy_compile(r"[ \t]*(?:[\w.,\t ]*=[\t ]*)?")
_SHELL_WORDS = ("hf ", "huggingface-cli", "echo", "printenv", "env", "TOKEN", "token")
# A call of a function named like a job's (``run_job (``, ``(api.run_job)(``): "job" alone turns up by
# chance in a megabyte of random token bodies, and would have every such file parsed.
_JOB_CALL = lazy_compile(r"jobs?(?:[\s\\)]|#[^\n]*\n)*\(")  # (one way to match: linear)


def might_misuse(text: str) -> bool:
    """Cheap test: False means none of the misuse checks can fire on ``text``.

    Looks line by line for what each check needs (a job call and ``env``; a shell or magic line; a
    secret reference on an echoing line, on the last line, or assigned to a name), so that ordinary
    cells that merely mention ``HF_TOKEN`` are not parsed.

    Example:
        >>> might_misuse("x = 1"), might_misuse("print(get_token())")
        (False, True)
        >>> might_misuse('login(token=os.environ["HF_TOKEN"])\\nmodel.fit()')
        False
    """
    # (No separate "any marker at all?" gate: the checks below look for the same words, so a gate
    # would only add passes for the cells that mention one.)
    if "job" in text and "env" in text and _JOB_CALL.search(text) is not None:
        return True
    head = text.lstrip()
    if head.startswith("%%") and not head.startswith(("%%time", "%%capture", "%%hfjob")) \
            and any(k in text for k in _SHELL_WORDS):
        return True  # a shell (or other non-Python) cell magic: its body is all shell lines
    for sigil in "!%":
        i = text.find(sigil)
        while i >= 0:  # a sigil that starts a line (or follows "x = ") opens a shell or magic line
            ls = text.rfind("\n", 0, i) + 1
            le = text.find("\n", i)
            le = le if le >= 0 else len(text)
            if _MAGIC_PREFIX.fullmatch(text, ls, i) and any(k in text[i:le] for k in _SHELL_WORDS):
                return True
            i = text.find(sigil, le)
    end = len(text.rstrip())
    last = text[text.rfind("\n", 0, end) + 1:end].strip()
    for line in _reference_lines(text):
        # (cheap character tests first: the regexes have no literal prefix)
        if ("(" in line and _ECHO_CALL.search(line)) or line.strip() == last:
            return True
        if "=" in line and ("(" in line or "[" in line):
            if _SECRET_SOURCE.search(line) and _ASSIGNMENT.match(line):
                return True
    return False


def _reference_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` that hold a secret reference word (``_REF_WORDS``), each once (in the order
    of the words without the accelerator, of the text with it: what is asked of a line does not depend
    on which word is on it)."""
    search = accelerated_search(_REF_WORDS_RE2, len(text))
    if search is not None:
        data = text.encode("utf-8", "surrogatepass")  # (ASCII words: found alike in the UTF-8 bytes)
        ends = accelerated_ends(_REF_WORDS_RE2, data)
        if ends is not None:  # (one hyperscan pass: a search through RE2's wrapper costs ~4 us a line)
            done = -1
            for end in ends:
                if end > done:  # (a word holds no line end: its line is its last byte's)
                    start = data.rfind(b"\n", 0, end) + 1
                    done = data.find(b"\n", end - 1)
                    done = done if done >= 0 else len(data)
                    yield data[start:done].decode("utf-8", "surrogatepass")
            return
        m = search(data)
        while m is not None:
            le = data.find(b"\n", m.start())
            le = le if le >= 0 else len(data)
            yield data[data.rfind(b"\n", 0, m.start()) + 1:le].decode("utf-8", "surrogatepass")
            m = search(data, le)
        return
    for word in _REF_WORDS:
        m = word.search(text)
        while m is not None:  # a regex per word: one alternation without a literal prefix is 10x slower
            i = m.start()
            le = text.find("\n", i)
            le = le if le >= 0 else len(text)
            yield text[text.rfind("\n", 0, i) + 1:le]
            m = word.search(text, le)


def _name_of(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _const_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _shows(func: ast.expr) -> bool:
    """Whether ``func`` (a ``write`` method) shows what it writes: ``sys.stdout.write``, ``st.write``; not
    ``f.write`` to a file handle."""
    target = func.value if isinstance(func, ast.Attribute) else None
    if isinstance(target, ast.Attribute):
        return target.attr in ("stdout", "stderr", "__stdout__", "__stderr__")
    return isinstance(target, ast.Name) and target.id in ("stdout", "stderr", "st", "console")


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


class _Analyzer:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.tainted: set[str] = set()

    def secretish(self, node: ast.expr | None) -> bool:
        """Does this expression evaluate to a secret value?"""
        if node is None:
            return False
        s = _const_str(node)
        if s is not None:
            m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", s.strip())
            return bool(m and is_secret_name(m.group(1)))
        if isinstance(node, ast.Name):
            return node.id in self.tainted or bool(_SECRET_VAR.match(node.id)) or (
                node.id.isupper() and is_secret_name(node.id))
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name in _TOKEN_GETTERS:
                return True
            if name in ("get", "getenv", "pop") and node.args:
                key = _const_str(node.args[0])
                target = node.func.value if isinstance(node.func, ast.Attribute) else None
                environ_like = target is not None and (_is_environ(target) or _name_of(target) in ("userdata", "os"))
                return bool(key and is_secret_name(key) and (environ_like or name == "getenv"))
            if name in ("dict", "str", "repr") and node.args and _is_environ(node.args[0]):
                return True
            return False
        if isinstance(node, ast.Subscript):
            key = _const_str(node.slice if not isinstance(node.slice, ast.Index) else node.slice.value)  # type: ignore[attr-defined]
            return bool(key and is_secret_name(key) and (_is_environ(node.value) or isinstance(node.value, ast.Name)
                                                         and node.value.id in ("userdata", "secrets")))
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(v, ast.FormattedValue) and self.secretish(v.value) for v in node.values)
        if isinstance(node, ast.BinOp):
            return self.secretish(node.left) or self.secretish(node.right)
        if _is_environ(node):
            return True  # the whole environment
        return False

    def run(self, sites: "list[int] | None" = None) -> Iterator[tuple[str, ast.AST]]:
        """The misuse found, as (rule id, node). With ``sites`` (sorted line numbers where a call to an echo
        or a job may stand, :func:`_call_sites`), only the expressions whose lines hold one are walked for
        calls; the statements are walked whole, in the same order (assignments taint names)."""
        # One walk (it is the slow part): assignments taint names first, then the calls are judged.
        assigns: list[ast.Assign] = []
        calls: list[ast.Call] = []
        if sites is None:
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Call):
                    calls.append(node)
                elif isinstance(node, ast.Assign):
                    assigns.append(node)
        else:
            self._walk_at(sites, assigns, calls)
        for node in assigns:
            if self.secretish(node.value):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                          self.tainted.add(t.id)
        for node in calls:
            yield from self._call(node)
        body = self.tree.body
        if body and isinstance(body[-1], ast.Expr) and self.secretish(body[-1].value) \
                and not isinstance(body[-1].value, ast.Call):
            yield "secret-echoed", body[-1]  # the cell's value is displayed as Out[n]

    def _walk_at(self, sites: list[int], assigns: list[ast.Assign], calls: list[ast.Call]) -> None:
        # The statements in ast.walk's order (assignments taint names in that order); the calls only in
        # the expressions whose lines hold a site (a walk of every node cost ~1 us a node: 0.3 s for a
        # 700 kB module).
        def visit(node: ast.AST) -> None:
            if isinstance(node, ast.Assign):
                assigns.append(node)

        for expr in expressions_at(self.tree, sites, visit):
            calls += [n for n in ast.walk(expr) if isinstance(n, ast.Call)]

    def _call(self, node: ast.Call) -> Iterator[tuple[str, ast.AST]]:
        name = _name_of(node.func)
        if _JOB_FUNCS.search(name):
            for kw in node.keywords:
                if kw.arg == "env":
                    yield from self._env_dict(kw.value)
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    yield from self._nested_env(arg)
        elif name in _ECHO_FUNCS and not (name == "str" or name == "repr") and (name != "write" or _shows(node.func)):
            if any(self.secretish(a) for a in node.args):
                yield "secret-echoed", node

    def _nested_env(self, d: ast.Dict) -> Iterator[tuple[str, ast.AST]]:
        for k, v in zip(d.keys, d.values):
            if _const_str(k) == "env":
                yield from self._env_dict(v)
            elif isinstance(v, ast.Dict):
                yield from self._nested_env(v)

    def _env_dict(self, value: ast.expr) -> Iterator[tuple[str, ast.AST]]:
        if not isinstance(value, ast.Dict):
            return
        for k, v in zip(value.keys, value.values):
            key = _const_str(k)
            if (key and is_secret_name(key)) or self.secretish(v):
                yield "secret-in-job-env", k if k is not None else v


def _finding(rule: str, source: str, start: int, end: int, location: str) -> Finding:
    from .engine import is_suppressed_line, line_col

    snippet = source[start:end]
    for h in reversed(find_secrets(snippet)):
        snippet = snippet[:h.start] + mask_secret(h.secret, prefix_len=h.rule.prefix_len) + snippet[h.end:]
    snippet = " ".join(snippet.split())
    if len(snippet) > 80:
        snippet = snippet[:77] + "..."
    message, fix = MISUSE_RULES[rule]
    line, col = line_col(source, start)
    eline, ecol = line_col(source, end)
    return Finding(rule=rule, kind="misuse", severity="warning", location=location, line=line, column=col,
                   end_line=eline, end_column=ecol, preview=snippet,
                   fingerprint=fingerprint(rule, snippet), suppressed=is_suppressed_line(source, start, end),
                   message=message, fix=fix)


# Commands that print what they read: ``echo $HF_TOKEN | tee log`` shows it, ``| docker login --password-stdin``
# does not.
_PRINTING_FILTERS = frozenset({
    "tee", "cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "sed", "awk", "cut", "tr", "rev",
    "base64", "xxd", "od", "hexdump", "sort", "uniq", "fold", "nl", "paste", "strings", "column", "fmt", "jq",
    "xargs", "python", "python3", "perl", "ruby", "printf", "echo", "envsubst", "sh", "bash"})
_PIPE = lazy_compile(r"(?<!\|)\|(?!\|)\s*(?:sudo\s+)?([\w./-]+)")
_REDIRECT = lazy_compile(r"(?<![0-9>&])(1?)>>?\s*(&?[^\s;&|]+)")


def _echo_shows(rest: str) -> bool:
    """Whether an ``echo`` whose argument list ends with ``rest`` shows its output: not when piped into a
    command that reads it (``| docker login --password-stdin``) or redirected to a file (``> .env``)."""
    seg = re.split(r"&&|\|\||;|\n", rest, maxsplit=1)[0]
    pipe = _PIPE.search(seg)
    if pipe is not None:
        return pipe.group(1).rsplit("/", 1)[-1] in _PRINTING_FILTERS
    for r in _REDIRECT.finditer(seg):
        if not r.group(2).startswith("&") and r.group(2) not in ("/dev/stdout", "/dev/stderr", "/dev/tty"):
            return False
    return True


def _shell_findings(text: str, base: int, source: str, location: str) -> list[Finding]:
    out = []
    for rule, pat in _SHELL_PATTERNS:
        for m in pat.finditer(text):
            name = m.groupdict().get("name")
            if name is not None and not is_secret_name(name):
                continue
            if pat.pattern.startswith(r"\becho") and not _echo_shows(text[m.end():]):
                continue
            out.append(_finding(rule, source, base + m.start(), base + m.end(), location))
    return out


def misuse_findings(source: str, masked: "MaskedSource", location: str = "",
                    parse: "Callable[[], ast.Module | None] | None" = None) -> list[Finding]:
    """Misuse warnings for one (I)Python cell, given its masked form (see ``mask_ipython``); ``parse``
    gives the syntax tree of ``masked.python`` (None when it does not parse) when a caller has one.

    Example:
        >>> from hfsecure_jupyter.detect.python import mask_ipython
        >>> src = "!hf jobs run -e HF_TOKEN python:3.12 true"
        >>> [(f.rule, f.severity) for f in misuse_findings(src, mask_ipython(src))]
        [('secret-in-job-cli-env', 'warning')]
    """
    findings: list[Finding] = []
    tables: list[tuple[list[int], list[str]]] = []

    def lines() -> tuple[list[int], list[str]]:  # (made only when something is found or a line is masked)
        if not tables:
            tables.append((line_starts(source), source.split("\n")))
        return tables[0]

    # Shell and magic lines, and whole non-Python cell-magic bodies (%%bash ...).
    for n in masked.masked_lines:
        starts, texts = lines()
        if n < len(texts):
            findings += _shell_findings(texts[n], starts[n], source, location)
    if masked.python.strip() and _tree_may_find(masked.python):
        tree = (parse or partial(parse_or_none, masked.python))()
        if tree is not None:
            for rule, node in _Analyzer(tree).run(_call_sites(masked.python)):
                starts, texts = lines()
                ln, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
                eln, ecol = getattr(node, "end_lineno", ln) or ln, getattr(node, "end_col_offset", col) or col
                s = starts[ln - 1] + _char_col(texts[ln - 1], col)
                e = starts[eln - 1] + _char_col(texts[eln - 1], ecol)
                findings.append(_finding(rule, source, s, e, location))
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


# The names a finding's call can have (:meth:`_Analyzer._call`): an echoing function or a job's.
_ECHO_WORDS = r"print|display|pprint|write|info|debug|warning|error|critical|log|exception|Markdown|HTML"
_ECHO_WORD = lazy_compile(_ECHO_WORDS)
_ECHO_NAME = lazy_compile(r"(?<![A-Za-z0-9_])(?:" + _ECHO_WORDS + r")(?![A-Za-z0-9_])")
# Strings and comments, blanked out (same length, no line ends left) before brackets are counted.
_STRING_OR_COMMENT = lazy_compile("|".join((
    r"(?P<s>'''(?:[^'\\]|\\.|'(?!''))*'''|" + r'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    + r"'(?:[^'\\\n]|\\.)*'|" + r'"(?:[^"\\\n]|\\.)*")',
    r"(?P<q>['\"])", r"#[^\n]*")), re.DOTALL)
_FSTRING_NESTS = sys.version_info >= (3, 12)  # an f-string's fields may hold its own quotes: not lexed here
# What a line that starts a top-level statement cannot start with (blank, indented, comment, the end).
_NOT_A_START = frozenset(("", " ", "\t", "\f", "\v", "\r", "\n", "#", "\\"))


def _last_statement_start(py: str) -> int | None:
    """Where the last top-level statement of a valid module ``py`` starts (the last line at column 0
    outside any string, bracket or continued line), or None when that is not known here.

    For an invalid module the answer may be wrong, which is harmless: its syntax tree finds nothing.

    Example:
        >>> py = "x = '''\\nprint(1)\\n'''\\ny = (1,\\n2)\\n# end\\n"
        >>> py[_last_statement_start(py):]
        'y = (1,\\n2)\\n# end\\n'
    """
    unknown = False

    def blank(m: "re.Match[str]") -> str:
        nonlocal unknown
        if m.lastgroup == "q" or (m.lastgroup == "s" and _FSTRING_NESTS
                                  and "f" in m.string[max(0, m.start() - 2):m.start()].lower()):
            unknown = True  # an unterminated string, or an f-string that may nest quotes
        return ("x" if m.lastgroup else " ") * (m.end() - m.start())

    # Without triple quotes and continued lines, no string spans lines: each line is blanked on its own,
    # and only the last statement's lines are read (else the whole text is blanked first, one pass).
    whole = "'''" in py or '"""' in py or "\\\n" in py or "\\\r" in py
    b = _STRING_OR_COMMENT.sub(blank, py) if whole else py
    # From the end: the depth at a line start is the closers less the openers after it (a valid module
    # balances its brackets), so only the last statement's lines are looked at.
    depth, end = 0, len(b)
    i = b.rfind("\n")
    while not unknown:
        start = i + 1
        seg = b[start:end]
        if not whole and ("'" in seg or '"' in seg or "#" in seg):
            seg = _STRING_OR_COMMENT.sub(blank, seg)
        depth += seg.count(")") + seg.count("]") + seg.count("}") - seg.count("(") - seg.count("[") - seg.count("{")
        continued = i > 0 and (b.endswith("\\", 0, i) or b.endswith("\\\r", 0, i))
        if depth == 0 and seg[:1] not in _NOT_A_START and not continued and not unknown:
            return start
        if i < 0:
            return None
        end = start
        i = b.rfind("\n", 0, i)
    return None


def _may_call_sink(py: str) -> bool:
    """Whether ``py`` (ASCII) may call a function named like an echo or a job's (see ``_Analyzer._call``)."""
    if "job" in py.lower():
        return True
    # (a literal search first: the exact pattern, with its look-arounds, tests every position: 4x slower)
    m = _ECHO_WORD.search(py)
    return m is not None and _ECHO_NAME.search(py, m.start()) is not None


def parse_or_none(py: str) -> "ast.Module | None":
    """``ast.parse(py)``, or None when ``py`` does not parse.

    Example:
        >>> parse_or_none("x = 1").body[0].lineno, parse_or_none("x = (")
        (1, None)
    """
    try:
        return ast.parse(py)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _call_sites(py: str) -> "list[int] | None":
    """The line numbers (ast's, sorted) of ``py`` where a call named like an echo or a job may stand: a
    word of :data:`_ECHO_NAME`, or ``job`` in any case; None when any line may. A text that is not ASCII is
    read NFKC-normalised, as the parser reads identifiers (``ｐｒｉｎｔ`` is ``print``).

    Example:
        >>> _call_sites("x = 1\\nprint(x)\\ny = f(\\n  x)\\nrun_job(env=e)\\nprinter(x)\\n")
        [2, 5]
        >>> _call_sites("x = 1\\n\uff50\uff52\uff49\uff4e\uff54(x)  # caf\u00e9\\n")
        [2]
    """
    if not py.isascii():
        import unicodedata

        normal = unicodedata.normalize("NFKC", py)
        if normal.count("\n") != py.count("\n") or normal.count("\r") != py.count("\r"):
            return None  # (no normalisation makes or takes a line end; should one, every line counts)
        py = normal
    found = [m.start() for m in _ECHO_NAME.finditer(py)]
    found += [m.start() for m in _JOB_WORD.finditer(py)]
    return line_numbers(found, ast_line_starts(py))


_JOB_WORD = lazy_compile(r"(?i)job")


def expressions_at(tree: "ast.AST", sites: list[int],
                   visit: "Callable[[ast.AST], None] | None" = None) -> "Iterator[ast.expr]":
    """The outermost expressions of ``tree`` whose lines hold one of ``sites`` (sorted line numbers),
    breadth first. With ``visit``, every statement is visited, in :func:`ast.walk`'s order (no statement
    stands inside an expression); without, a statement whose lines hold no site is skipped whole.

    Example:
        >>> tree = ast.parse("a = 1\\nif a:\\n    b = f(2)\\nc = 3\\n")
        >>> [ast.unparse(e) for e in expressions_at(tree, [3])]
        ['b', 'f(2)']
        >>> seen = []; _ = list(expressions_at(tree, [], seen.append))
        >>> [type(n).__name__ for n in seen]
        ['Module', 'Assign', 'If', 'Assign', 'Assign']
    """
    from bisect import bisect_left
    from collections import deque

    last = len(sites)
    compound = _compound()
    todo: "deque[ast.AST]" = deque([tree])
    if visit is not None:
        visit(tree)
    # (A node is visited as it is queued, which is the order it is taken in: first in, first out. A simple
    # statement whose lines hold no site holds no statement and no expression to yield: visited, not
    # walked; a walk of every node cost ~1 us a node.)
    while todo:
        node = todo.popleft()
        for child in ast.iter_child_nodes(node):
            lineno = getattr(child, "lineno", None)
            if lineno is not None:
                i = bisect_left(sites, lineno)
                holds = i < last and sites[i] <= (getattr(child, "end_lineno", None) or lineno)
                if isinstance(child, ast.expr):
                    if holds:
                        yield child
                    continue
                if not holds:
                    if visit is None:
                        continue
                    visit(child)
                    if type(child) in compound:
                        todo.append(child)
                    continue
            if visit is not None:
                visit(child)
            todo.append(child)


@cache
def _compound() -> "frozenset[type]":
    """The statements that hold statements (an assignment may stand inside them); made on first use (no
    ``ast`` at start-up)."""
    return frozenset(getattr(ast, name) for name in (
        "FunctionDef", "AsyncFunctionDef", "ClassDef", "For", "AsyncFor", "While", "If", "With", "AsyncWith", "Try",
        "TryStar", "Match", "ExceptHandler", "match_case") if hasattr(ast, name))


def _tree_may_find(py: str) -> bool:
    """False when the syntax-tree analysis of ``py`` surely finds nothing, so that the module need not
    be parsed: no call named like an echo or a job, and a last statement that is no displayed value.

    (Parsing and walking a megabyte of dense code takes about a second; this is one regex pass over
    it and the parse of its last statement.)

    Example:
        >>> _tree_may_find('os.environ["HF_TOKEN"] = get_token()'), _tree_may_find("tok = get_token()\\ntok")
        (False, True)
    """
    if not py.isascii() or _may_call_sink(py):
        return True  # (a non-ASCII identifier is NFKC-normalised by the parser: not looked for in the text)
    start = _last_statement_start(py)
    if start is None:
        return True
    try:
        tail = ast.parse(py[start:]).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # (an else: clause, say: the whole module decides)
    # The last statement is shown as Out[n] only when it is an expression (not a call: that is judged above).
    return bool(tail) and isinstance(tail[-1], ast.Expr) and not isinstance(tail[-1].value, ast.Call)


def _char_col(line: str, byte_col: int) -> int:
    # ast offsets are UTF-8 byte offsets
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "ignore"))


def scan_misuse(source: str, *, location: str = "") -> list[Finding]:
    """Misuse warnings for a piece of (I)Python source.

    Example:
        >>> [f.rule for f in scan_misuse("!hf auth token")]
        ['token-printed-by-cli']
    """
    if not might_misuse(source):
        return []
    return misuse_findings(source, mask_ipython(source), location)

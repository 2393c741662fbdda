"""Replace a literal secret in a cell with code that reads it: the sidebar's "replace with code" action.

The detection core says where the secret is (its edits give the exact span); this module widens that
span to the whole string literal (or the concatenation of literals) that spells it, with Python's own
tokenizer, and puts an expression in its place: ``get_token()`` where a Hugging Face API takes the token
(``token=...``, a ``huggingface_hub`` import), else ``os.environ["HF_TOKEN"]`` (``OPENAI_API_KEY`` ... for
other providers). A literal that holds more than the secret keeps the rest (``"Bearer " + ...``).

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> out = fix_source(f'api = HfApi(token="{tok}")', line=1, column=20)
    >>> out["source"], out["replacement"], out["imports"]
    ('from huggingface_hub import get_token\\napi = HfApi(token=get_token())', 'get_token()', ['from huggingface_hub import get_token'])
    >>> fix_source(f'key = "{tok}"', line=1, column=8)["source"]
    'import os\\nkey = os.environ["HF_TOKEN"]'
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any

from .. import detect
from .errors import CoreError

__all__ = ["fix_source", "ENV_NAMES"]

#: The environment variable each provider's libraries read their key from.
ENV_NAMES = {
    "Hugging Face": "HF_TOKEN", "OpenAI": "OPENAI_API_KEY", "Anthropic": "ANTHROPIC_API_KEY",
    "GitHub": "GITHUB_TOKEN", "AWS": "AWS_ACCESS_KEY_ID", "Google Cloud": "GOOGLE_API_KEY",
    "Slack": "SLACK_BOT_TOKEN",
}
_GET_TOKEN_IMPORT = "from huggingface_hub import get_token"
_HF_CONTEXT = re.compile(r"\btoken\s*=|\bhuggingface_hub\b")


def _offset(lines_start: list[int], row: int, col: int) -> int:
    return lines_start[row - 1] + col


def _literal_span(source: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the string literals (joined implicitly or by ``+``) that overlap ``[start, end)``."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    spans = []
    for t in toks:
        if t.type == tokenize.STRING:
            a, b = _offset(starts, *t.start), _offset(starts, *t.end)
            spans.append((a, b))
    hit = [s for s in spans if s[0] < end and s[1] > start]
    if not hit:
        return None
    return hit[0][0], hit[-1][1]


def _value(expr: str) -> str | None:
    """The string an expression of literals and ``+`` spells, or None (f-strings, names, bytes ...)."""
    try:
        node = ast.parse("(" + expr + "\n)", mode="eval").body  # parenthesised: literals may span lines
    except SyntaxError:
        return None

    def ev(n: ast.AST) -> str | None:
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            return n.value
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
            a, b = ev(n.left), ev(n.right)
            return None if a is None or b is None else a + b
        return None

    return ev(node)


def _add_import(source: str, line: str) -> tuple[str, list[str]]:
    module = line.split()[1]
    pattern = (rf"^\s*import\s+[^#\n]*\b{re.escape(module)}\b" if line.startswith("import ")
               else rf"^\s*from\s+{re.escape(module)}\s+import\s+[^#\n]*\bget_token\b")
    if re.search(pattern, source, re.M):
        return source, []
    # After a leading cell magic line (%%time) and a shebang / encoding comment, else at the top.
    head = ""
    rest = source
    if rest.startswith("%%") or rest.startswith("#!"):
        first, nl, rest = rest.partition("\n")
        head = first + nl
    return head + line + "\n" + rest, [line]


def fix_source(source: str, *, line: int, column: int, rule: str | None = None) -> dict[str, Any]:
    """Replace the secret found at ``line``:``column`` (1-based, as a finding gives them) of a cell.

    Returns ``{"source", "replacement", "imports"}``: the new cell text (with any import it needs added
    at the top), the expression now reading the secret, and the import lines added. Raises
    :class:`CoreError` (``no-secret-here``, ``cannot-fix``) when there is no secret there or it is not
    in a Python string literal (fix it by hand).

    Example:
        >>> fix_source("x = 1", line=1, column=1)
        Traceback (most recent call last):
        ...
        hfsecure_jupyter.errors.CoreError: no-secret-here: No secret at line 1, column 1 of this cell: scan it again and retry.
    """
    found = [f for f in detect.scan_python(source, misuse=False) if f.is_secret and f.edits]
    if rule:
        found = [f for f in found if f.rule == rule] or found
    exact = [f for f in found if (f.line, f.column) == (line, column)]
    near = exact or [f for f in found if (f.line, f.column) <= (line, column) <= (f.end_line, f.end_column)]
    if not near:
        raise CoreError(409, "no-secret-here", f"No secret at line {line}, column {column} of this cell: "
                        "scan it again and retry.")
    f = near[0]
    start, end = min(e.start for e in f.edits), max(e.end for e in f.edits)
    r = detect.rule_by_id(f.rule)
    provider = getattr(r, "provider", "") if r is not None else ""
    env = ENV_NAMES.get(provider, "HF_TOKEN")
    lines = source.splitlines()
    line_text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
    if env == "HF_TOKEN" and (_HF_CONTEXT.search(line_text) or "huggingface_hub" in source):
        expr, imp = "get_token()", _GET_TOKEN_IMPORT
    else:
        expr, imp = f'os.environ["{env}"]', "import os"
    span = _literal_span(source, start, end)
    if span is None:
        raise CoreError(422, "cannot-fix", "This secret is not in a Python string literal, so it cannot be "
                        "replaced automatically: delete it by hand.",
                        fix=f"Read it from the {env} environment variable (or log in with login()) instead.")
    a, b = span
    value = _value(source[a:b])
    hits = [h for h in detect.find_secrets(value)] if value is not None else []
    hit = next((h for h in hits if detect.fingerprint(h.rule.id, h.secret) == f.fingerprint), None)
    if value is None or hit is None:
        raise CoreError(422, "cannot-fix", "This secret is written in a form (an f-string, bytes or an "
                        "encoding) that cannot be replaced automatically: delete it by hand.",
                        fix=f"Read it from the {env} environment variable (or log in with login()) instead.")
    before, after = value[:hit.start], value[hit.end:]
    new_expr = " + ".join([*([repr(before)] if before else []), expr, *([repr(after)] if after else [])])
    new = source[:a] + new_expr + source[b:]
    new, imports = _add_import(new, imp)
    return {"source": new, "replacement": expr, "imports": imports}

"""Python and IPython source: string folding, identifiers, magics, shell lines.

A code cell is scanned three ways, and the results are merged:

* the raw text, as prose (comments, strings and shell lines included; a match that *is* an identifier
  is dropped);
* every string literal group, evaluated and folded the way Python would: implicit joins (also across
  lines), ``+`` between literals, ``"".join([...])`` of literals, escapes, bytes and raw strings,
  backslash continuations inside literals, and the literal parts of f-strings;
* the syntax tree, for misuse that leaks a token without writing it (see :mod:`.misuse`).

IPython syntax (``%magic``, ``!shell``, ``x = !cmd``, ``%%cell`` magics) is masked line by line so that
the rest parses; masked lines and non-Python cell-magic bodies are scanned as text.

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> a, b = tok[:12], tok[12:]
    >>> [f.encoding for f in scan_python(f'tok = "{a}" + "{b}"')]
    ['concatenation']
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from .engine import (Hit, find_secrets, find_secrets_unfiltered, hits_to_findings, may_continue_in_literal,
                     prefilter_mask)
from .findings import Edit, Finding, mask_secret
from .misuse import misuse_findings, might_misuse

__all__ = ["scan_python", "scan_cell", "mask_ipython", "MaskedSource", "PYTHON_CELL_MAGICS"]

#: Cell magics whose body is Python (everything else is scanned as text).
PYTHON_CELL_MAGICS = frozenset({
    "time", "timeit", "capture", "prun", "debug", "hfjob", "python", "python3", "pypy", "memit", "mprun",
    "cython", "px", "pyinstrument", "snakeviz", "scalene", "heat", "hfsecure",
})
_IPY_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:(?:[\w.,\s\[\]*]+?)\s*=\s*)?(?P<sigil>!!?|%%?)", re.ASCII)
_HELP_LINE = re.compile(r"^[ \t]*[\w.]+\s*\?\??\s*$|^[ \t]*\?\??[\w.]+\s*$")
_STRING_PREFIX = re.compile(r"^[A-Za-z]*")
# Escapes that can spell a token's characters inside a literal (\x68, \u0068, \N{...}, octal \150).
_LONE_CR = re.compile(r"\r(?!\n)")
_ESCAPE = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{|[0-7]{3})")


@dataclass(frozen=True)
class MaskedSource:
    """A cell with IPython-only lines replaced by ``pass`` (same indentation, same line count).

    Attributes:
        python: the parseable text.
        masked_lines: 0-based numbers of the lines replaced (their original text is scanned as text).
        magic: the cell magic name when the cell starts with ``%%``, else ``""``.
        body_offset: where the cell magic's body starts in the original text.
    """

    python: str
    masked_lines: tuple[int, ...]
    magic: str = ""
    body_offset: int = 0


def mask_ipython(source: str) -> MaskedSource:
    """Replace IPython-only lines so the cell parses as Python.

    Example:
        >>> m = mask_ipython("!pip install x\\nimport x")
        >>> m.python, m.masked_lines
        ('pass\\nimport x', (0,))
    """
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        head, _, _body = stripped.partition("\n")
        name = head[2:].split(None, 1)[0] if head[2:].strip() else ""
        lead = len(source) - len(stripped)
        body_offset = lead + len(head) + 1 if "\n" in stripped else len(source)
        if name in PYTHON_CELL_MAGICS:
            # Mask the header (keep line numbers), then the body like any other cell.
            inner = mask_ipython(source[body_offset:])
            header_lines = source[:body_offset].count("\n")
            python = "\n" * header_lines + inner.python
            return MaskedSource(python, tuple(range(header_lines)) + tuple(n + header_lines for n in inner.masked_lines),
                                name, body_offset)
        return MaskedSource("", tuple(range(source.count("\n") + 1)), name, body_offset)
    lines = source.split("\n")
    masked = []
    out = []
    cont = False
    for n, line in enumerate(lines):
        m = _IPY_LINE.match(line)
        if cont or (m and _is_ipython_line(line, m)) or _HELP_LINE.match(line):
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            out.append(indent + "pass")
            masked.append(n)
            cont = line.endswith("\\")
        else:
            out.append(line)
    return MaskedSource("\n".join(out), tuple(masked))


def _is_ipython_line(line: str, m: re.Match[str]) -> bool:
    rest = line[m.end("sigil"):]
    if m.group("sigil").startswith("%"):
        # "%matplotlib inline" but not "x = a % b" (that would not start the line with a sigil anyway)
        return bool(re.match(r"[A-Za-z_]", rest))
    if line.lstrip().startswith("!=") or rest.startswith("="):
        return False
    return True


def _line_starts(text: str) -> list[int]:
    starts = [0]
    i = text.find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = text.find("\n", i + 1)
    starts.append(len(text))  # tokenize's ENDMARKER sits on the line after the last
    return starts


@dataclass
class _Piece:
    start: int          # offset of the token in the source
    end: int
    content_start: int  # offset of the text between the quotes
    content_end: int
    value: str
    verbatim: bool      # value == source[content_start:content_end]


def _string_tokens(py: str, starts: list[int]) -> list[list[_Piece]] | None:
    """Groups of string pieces that Python joins into one value (None when it does not tokenize)."""
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(py).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError, ValueError):
        return None
    sig: list[tuple[str, str, int, int]] = []  # (kind, text, start, end) of significant tokens
    fstring_start = None
    depth = 0
    for t in toks:
        s = starts[t.start[0] - 1] + t.start[1]
        e = starts[t.end[0] - 1] + t.end[1]
        tname = tokenize.tok_name.get(t.type, "")
        if tname == "FSTRING_START":  # Python 3.12+: one f-string is many tokens
            if depth == 0:
                fstring_start = s
            depth += 1
            continue
        if tname == "FSTRING_END":
            depth -= 1
            if depth == 0 and fstring_start is not None:
                sig.append(("STRING", py[fstring_start:e], fstring_start, e))
            continue
        if depth:
            continue
        if t.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            continue
        kind = "STRING" if t.type == tokenize.STRING else ("OP" if t.type == tokenize.OP else tname)
        sig.append((kind, t.string, s, e))
    groups: list[list[_Piece]] = []
    i = 0
    while i < len(sig):
        kind, text, s, e = sig[i]
        if kind != "STRING":
            i += 1
            continue
        in_join = (i >= 3 and sig[i - 1][1] in "([" and (sig[i - 2][1] == "(" and sig[i - 3][1] == "join")) or (
            i >= 2 and sig[i - 1][1] == "(" and sig[i - 2][1] == "join")
        group = [p for p in (_piece(text, s, e),) if p]
        j = i + 1
        while j < len(sig):
            k2, t2, s2, e2 = sig[j]
            if k2 == "STRING":
                p = _piece(t2, s2, e2)
                if p:
                    group.append(p)
                j += 1
            elif k2 == "OP" and (t2 == "+" or (t2 == "," and in_join)) and j + 1 < len(sig) and sig[j + 1][0] == "STRING":
                j += 1
            else:
                break
        if group:
            groups.append(group)
        i = j
    return groups


def _piece(text: str, start: int, end: int) -> _Piece | None:
    prefix = _STRING_PREFIX.match(text).group(0)
    q = text[len(prefix):len(prefix) + 3]
    quote_len = 3 if q in ('"""', "'''") else 1
    cs, ce = start + len(prefix) + quote_len, end - quote_len
    raw_content = text[len(prefix) + quote_len: len(text) - quote_len]
    lower = prefix.lower()
    try:
        if "f" in lower:
            tree = ast.parse(text, mode="eval").body
            parts = []
            for v in getattr(tree, "values", []):
                parts.append(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "\x00")
            value = "".join(parts)
        else:
            v = ast.literal_eval(text)
            value = v.decode("latin-1") if isinstance(v, bytes) else str(v)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return _Piece(start, end, cs, ce, value, value == raw_content)


def _folded_hits(source: str, groups: list[list[_Piece]]) -> list[Hit]:
    hits: list[Hit] = []
    for group in groups:
        if len(group) == 1 and group[0].verbatim:
            continue  # the raw scan sees exactly this text
        value = "".join(p.value for p in group)
        found = find_secrets(value)  # (prefilters once; most groups stop there)
        if not found:
            continue
        bounds = []
        pos = 0
        for p in group:
            bounds.append((pos, pos + len(p.value), p))
            pos += len(p.value)
        for h in found:
            preview = mask_secret(h.secret, prefix_len=h.rule.prefix_len)
            edits = []
            for vs, ve, p in bounds:
                lo, hi = max(vs, h.start), min(ve, h.end)
                if lo >= hi:
                    continue
                if p.verbatim:
                    s, e = p.content_start + lo - vs, p.content_start + hi - vs
                else:
                    s, e = p.content_start, p.content_end
                edits.append(Edit(s, e, "" if edits else preview))
            if not edits:
                continue
            pieces = sum(1 for vs, ve, _ in bounds if max(vs, h.start) < min(ve, h.end))
            encoding = h.encoding or ("concatenation" if pieces > 1 else "escaped")
            hits.append(Hit(h.rule, edits[0].start, edits[-1].end, h.secret, encoding, tuple(edits)))
    return hits


def _merge_folded(raw: list[Hit], folded: list[Hit]) -> list[Hit]:
    """Add the folded hits the raw scan did not see, by bisection over the raw hits (which are sorted
    and do not overlap): a raw hit of the same secret inside a folded one, or a raw hit covering a
    folded one's start, wins (its position is exact).

    Example:
        >>> from hfsecure_jupyter.detect.rules import RULES
        >>> r = RULES[0]
        >>> [h.start for h in _merge_folded([Hit(r, 5, 9, "s")], [Hit(r, 4, 10, "s"), Hit(r, 12, 20, "t")])]
        [5, 12]
    """
    import bisect

    starts = [r.start for r in raw]
    added = []
    for h in folded:
        j = bisect.bisect_left(starts, h.start)
        if any(raw[k].secret == h.secret for k in range(j, bisect.bisect_left(starts, h.end))):
            continue  # already found as written
        k = bisect.bisect_right(starts, h.start) - 1
        if k >= 0 and raw[k].start <= h.start < raw[k].end:
            continue
        added.append(h)
    return sorted(raw + added, key=lambda h: h.start) if added else raw


def scan_python(source: str, *, location: str = "", misuse: bool = True) -> list[Finding]:
    """Scan Python or IPython source: literal secrets (folded and decoded) and, optionally, misuse.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> [f.rule for f in scan_python(f'login(token="{tok}")')]
        ['hf-user-token']
        >>> scan_python('login(token=os.environ["HF_TOKEN"])')
        []
    """
    if "\r" in source:
        # Python ends a line at a lone "\r" too: so do the line tables here (same length, same offsets).
        source = _LONE_CR.sub("\n", source)
    mask = prefilter_mask(source)
    misuse_possible = misuse and might_misuse(source)
    if not mask and not misuse_possible:
        return []
    masked: MaskedSource | None = None
    findings: list[Finding] = []
    if mask:
        raw = find_secrets_unfiltered(source, mask)
        # Tokenizing is the slow part: only when a literal may hold more than the raw text shows
        # (a piece ending at a quote, an escape). A raw match is kept even as an identifier: a token
        # pasted without quotes is still a token (word-like names are told apart by the validator).
        parsed = None
        if may_continue_in_literal(source, mask) or _ESCAPE.search(source) is not None:
            masked = mask_ipython(source)
            if masked.python.strip():
                parsed = _string_tokens(masked.python, _line_starts(source))
        if parsed is not None:
            raw = _merge_folded(raw, _folded_hits(source, parsed))
        findings = hits_to_findings(source, raw, location)
    if misuse_possible:
        findings += misuse_findings(source, masked or mask_ipython(source), location)
        findings.sort(key=lambda f: (f.line, f.column))
    return findings


def scan_cell(source: str, *, cell_type: str = "code", location: str = "", misuse: bool = True) -> list[Finding]:
    """Scan one notebook cell: code as (I)Python, markdown and raw cells as text.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> [f.line for f in scan_cell(f"Your token ({tok}) was saved", cell_type="markdown")]
        [1]
    """
    from .engine import scan_text

    if cell_type == "code":
        return scan_python(source, location=location, misuse=misuse)
    return scan_text(source, location=location)


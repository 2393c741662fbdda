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

import io
import re
import sys
from functools import partial
from itertools import accumulate

from .engine import (Hit, builds_view, find_secrets, find_secrets_unfiltered, hits_to_findings, literal_pieces,
                     prefilter_mask)
from .findings import Edit, Finding, mask_secret, masked_preview
from .ipython import PYTHON_CELL_MAGICS, MaskedSource, ast_line_starts, line_numbers, line_starts, mask_ipython
from .lazy import collector_paused, lazy_compile, lazy_import, record
from .misuse import expressions_at, misuse_findings, might_misuse, parse_or_none

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    import bisect
    import tokenize
    from typing import Callable
else:  # imported when first used: a file without a keyword or a literal to fold never pays for them
    ast = lazy_import("ast", globals())
    bisect = lazy_import("bisect", globals())
    tokenize = lazy_import("tokenize", globals())

__all__ = ["scan_python", "scan_cell", "mask_ipython", "MaskedSource", "PYTHON_CELL_MAGICS", "secrets_of_each"]

_STRING_PREFIX = lazy_compile(r"^[A-Za-z]*")
# Escapes that can spell a token's characters inside a literal (\x68, \u0068, \N{...}, octal \150).
_LONE_CR = lazy_compile(r"\r(?!\n)")
_ESCAPE = lazy_compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{|[0-7]{3})")


@record
class _Piece:
    start: int          # offset of the token in the source
    end: int
    content_start: int  # offset of the text between the quotes
    content_end: int
    value: str
    verbatim: bool      # value == source[content_start:content_end]


def _worth_folding(group: "list[_Piece]") -> bool:
    """Whether a group of literals may fold to more than the raw text shows: two or more, or one whose
    value is not its text (escapes, an f-string). A literal alone written as its value is no group."""
    return bool(group) and (len(group) > 1 or not group[0].verbatim)


_RESTART = -1  # token type of the marker _tolerant_tokens puts where it starts over


def _tolerant_tokens(py: str) -> list[tokenize.TokenInfo]:
    """The tokens of ``py``, also when it does not tokenize (a missing ``)``, a bad indent, an unterminated
    string): on an error the tokens so far are kept and tokenizing starts over at the failing line (or the
    one after it), so that literals on both sides of the error are still seen. Linear: tokenizing stops
    once it has read the text four times over (a hostile cell is then only partly folded; the raw scan
    still sees all of it)."""
    lines = io.StringIO(py).readlines()
    toks: list[tokenize.TokenInfo] = []
    budget = [4 * len(lines) + 8]
    k = 0
    while k < len(lines):
        pos = [k]

        def readline() -> str:
            i = pos[0]
            if i >= len(lines) or budget[0] <= 0:
                return ""
            pos[0] = i + 1
            budget[0] -= 1
            return lines[i]

        base = k
        try:
            for t in tokenize.generate_tokens(readline):
                toks.append(t._replace(start=(t.start[0] + base, t.start[1]), end=(t.end[0] + base, t.end[1])))
            break
        except IndentationError as exc:  # (a SyntaxError: first) raised before the line's tokens
            row = base + (exc.lineno or 1) - 1
        except tokenize.TokenError as exc:  # raised at the start of what is unterminated
            where = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (1, 0)
            row = base + where[0]
        except (SyntaxError, ValueError, SystemError):  # (3.12's C tokenizer: SystemError on a NUL)
            row = pos[0]
        if budget[0] <= 0:
            break
        k = max(row, k + 1)
        toks.append(tokenize.TokenInfo(_RESTART, "", (k + 1, 0), (k + 1, 0), ""))
    return toks


def _string_tokens(py: str, starts: list[int]) -> list[list[_Piece]] | None:
    """Groups of string pieces that Python joins into one value (also in a cell that does not tokenize),
    read from :mod:`tokenize` (slow: the fallback of :func:`_string_groups`). A literal alone whose value is
    its text is no group (the raw scan sees exactly that text)."""
    toks = _tolerant_tokens(py)
    sig: list[tuple[str, str, int, int]] = []  # (kind, text, start, end) of significant tokens
    fstring_start = None
    depth = 0
    last = len(starts) - 1
    for t in toks:
        if t.type == _RESTART:
            fstring_start, depth = None, 0
            continue
        s = starts[min(t.start[0] - 1, last)] + t.start[1]
        e = starts[min(t.end[0] - 1, last)] + t.end[1]
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
        group = [p for p in (_quick_piece(text, s, e),) if p]  # (evaluated only when its value is not its text)
        j = i + 1
        while j < len(sig):
            k2, t2, s2, e2 = sig[j]
            if k2 == "STRING":
                p = _quick_piece(t2, s2, e2)
                if p:
                    group.append(p)
                j += 1
            elif k2 == "OP" and (t2 == "+" or (t2 == "," and in_join)) and j + 1 < len(sig) and sig[j + 1][0] == "STRING":
                j += 1
            else:
                break
        if _worth_folding(group):
            groups.append(group)
        i = j
    return groups


def _piece(text: str, start: int, end: int) -> _Piece | None:
    prefix = _STRING_PREFIX.match(text).group(0)  # type: ignore[union-attr]  # matches empty
    q = text[len(prefix):len(prefix) + 3]
    quote_len = 3 if q in ('"""', "'''") else 1
    cs, ce = start + len(prefix) + quote_len, end - quote_len
    raw_content = text[len(prefix) + quote_len: len(text) - quote_len]
    lower = prefix.lower()
    try:
        fast = _named_fields_value(raw_content) if "f" in lower else None
        if fast is not None:
            value = fast
        elif "f" in lower:
            tree = ast.parse(text, mode="eval").body
            # The literal parts, and the replacement fields made of constants (f"{'hf_'}{'abc'}").
            folded = _constant_values(tree).get(id(tree))
            if isinstance(folded, str):
                value = folded
            else:
                parts = []
                for v in getattr(tree, "values", []):
                    c = _constant_values(v).get(id(v)) if isinstance(v, ast.FormattedValue) else None
                    parts.append(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str)
                                 else c if isinstance(c, str) else "\x00")
                value = "".join(parts)
        elif "r" in lower and raw_content.isascii() and "\r" not in raw_content and "\0" not in raw_content:
            value = raw_content  # (a raw literal is its text: no compile for a regex's r"\s+")
        elif "b" not in lower and raw_content.isascii() and "\r" not in raw_content and "\0" not in raw_content:
            # A str literal's escapes are the codec's (\N{...}, octal, an unknown escape kept): one C call
            # instead of ast.literal_eval's compile (~0.15 ms a literal); a bad escape raises as compile would.
            value = raw_content.encode("ascii").decode("unicode_escape")
        else:
            v = ast.literal_eval(text)
            value = v.decode("latin-1") if isinstance(v, bytes) else str(v)
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # (UnicodeDecodeError is a ValueError)
        return None
    return _Piece(start, end, cs, ce, value, value == raw_content)


# The pieces of an f-string's text: an escaped brace, a replacement field that is a (dotted) name with a
# conversion and a plain format spec, or another brace (then the field is something else).
_FSTRING_UNIT = lazy_compile(r"\{\{|\}\}|\{[A-Za-z_][\w.]*(?:![rsa])?(?::[^{}'\"]*)?\}|[{}]")


def _named_fields_value(content: str) -> str | None:
    """The value :func:`_piece` folds an f-string's ``content`` to when each of its fields is a name
    (``f"{repo_id}/{path!r:>10}"``: "\\x00" for each field, its braces unescaped), without parsing it
    (``ast.parse`` for every f-string of a module cost ~0.2 ms each); None for anything else.

    Example:
        >>> _named_fields_value("{{x}} {repo.id!r:>4} y"), _named_fields_value("{'hf_'}"), _named_fields_value("a{x=}")
        ('{x} \\x00 y', None, None)
    """
    if not content.isascii() or "\\" in content or "\r" in content or "\0" in content:
        return None
    out: list[str] = []
    at = 0
    for m in _FSTRING_UNIT.finditer(content):
        unit = m.group()
        if len(unit) == 1:
            return None  # (a field that is not a name, or a lone brace: the parser decides)
        out.append(content[at:m.start()])
        out.append(unit[0] if unit in ("{{", "}}") else "\x00")
        at = m.end()
    out.append(content[at:])
    return "".join(out)


# One pass of one regex finds what folding needs, in the order Python reads it: string literals (any
# prefix, escapes, backslash-newline inside a literal), comments, brackets (a line end inside brackets
# does not end the statement), backslash continuations and line ends. Whatever lies between two matches
# is code. The literal patterns are tokenize's own (unrolled, so that ``re`` loops in C). Every
# alternative starts with a literal character and none is a named group: ``re`` then skips to the next
# possible start in C (6x faster than trying each alternative at every position); the first character
# of a match tells its kind (:data:`_SCAN_KIND`).
_QUOTED = ("'''[^'\\\\]*(?:(?:\\\\.|'(?!''))[^'\\\\]*)*'''",
           '"""[^"\\\\]*(?:(?:\\\\.|"(?!""))[^"\\\\]*)*"""',
           "'(?!'')[^\\n'\\\\]*(?:\\\\(?:\\r\\n|.)[^\\n'\\\\]*)*'",
           '"(?!"")[^\\n"\\\\]*(?:\\\\(?:\\r\\n|.)[^\\n"\\\\]*)*"')
_PREFIXES = {"r": "[bBfF]?", "R": "[bBfF]?", "b": "[rR]?", "B": "[rR]?", "f": "[rR]?", "F": "[rR]?", "u": "", "U": ""}
_LITERAL_SCAN = lazy_compile(lambda: "|".join(
    list(_QUOTED)
    + [f"{c}(?<!\\w{c}){rest}(?:{'|'.join(_QUOTED)})" for c, rest in _PREFIXES.items()]
    + [r"#[^\r\n]*", "'", '"', r"\(", r"\[", r"\{", r"\)", r"\]", r"\}", r"\\\r\n", r"\\\n", r"\r\n", r"\n"]),
    re.DOTALL)
# The kind of a match by its first character: a string literal (a lone quote when one character long: an
# unterminated literal), a comment, an opening or closing bracket, a continuation, a line end.
_SCAN_KIND = {**dict.fromkeys("'\"rRbBfFuU", "s"), "#": "c", **dict.fromkeys("([{", "o"),
              **dict.fromkeys(")]}", "x"), "\\": "b", "\r": "n", "\n": "n"}
_JOIN_NAME = lazy_compile(r"(?<!\w)join\Z")
_BLANK = " \t\f"  # what tokenize skips between tokens
_TRIPLE = ('"""', "'''")
# Python 3.12+: an f-string's fields may hold its own quotes (PEP 701). (Its C tokenizer also stops at a NUL
# or a stray control character, where the tolerant reader starts again on the next line and loses the rest
# of the line; the regex reads on, so it folds more than tokenize there, never less.)
_FSTRING_NESTS = sys.version_info >= (3, 12)
# Python 3.12's tokenize stops at an unterminated literal (the tolerant reader starts again on the next line);
# 3.11's yields the quote as an error token and goes on (see _scan_literals).
_LONE_QUOTE_GOES_ON = sys.version_info < (3, 12)
_REST_OF_LINE = lazy_compile(r"[^\n\\]*(?:\n|\Z)")


def _quick_piece(text: str, start: int, end: int) -> _Piece | None:
    """:func:`_piece` without evaluating a literal whose value is its text (no escape, no f-string)."""
    p = 0 if text[0] in "'\"" else 1 if text[1] in "'\"" else 2
    q = 3 if text.startswith(('"""', "'''"), p) else 1
    content = text[p + q:len(text) - q]
    # (compile would turn "\r\n" into "\n" and refuse NUL; bytes must be ASCII)
    if (p and ("f" in text[:p] or "F" in text[:p])) or "\\" in content or "\r" in content or "\0" in content \
            or not content.isascii():
        return _piece(text, start, end)
    return _Piece(start, end, start + p + q, end - q, content, True)


def _string_groups(py: str, starts: list[int], same: bool = False) -> list[list[_Piece]] | None:
    """The groups of :func:`_string_tokens`, read by one regex pass (:data:`_LITERAL_SCAN`) instead of
    :mod:`tokenize`; tokenize is still used for a text the pass cannot read as tokenize would (an
    unterminated literal, unbalanced brackets, a nesting f-string), so the groups are the same. With
    ``same``, ``py`` is the text ``starts`` was made from (no line was masked).

    Two literals are joined when nothing but blanks, comments and line ends inside brackets separate
    them, or one ``+``, or one ``,`` in the argument of ``.join(`` (as tokenize's tokens say it). A literal
    alone whose value is its text is no group (the raw scan sees that text).

    Example:
        >>> [[p.value for p in g] for g in _string_groups('x = ("a"  # c\\n  "b") + "c"\\ny = "d" + "\\\\x65"', [0])]
        [['a', 'b'], ['d', 'e']]
        >>> [[p.value for p in g] for g in _string_groups('x = "\\\\x65"\\ny = "f"', [0])]
        [['e']]
    """
    groups = _scan_literals(py)
    if groups is None:
        return _string_tokens(py, starts)
    if same:
        return groups
    py_starts = line_starts(py)
    if py_starts == starts:
        return groups  # the offsets in ``py`` are the offsets in the source (no line was masked)
    last = len(starts) - 1

    def at(o: int) -> int:
        n = bisect.bisect_right(py_starts, o) - 1
        return starts[min(n, last)] + o - py_starts[n]

    return [[p2 for p in g for p2 in (_quick_piece(py[p.start:p.end], at(p.start), at(p.end)),) if p2]
            for g in groups]


def _scan_literals(py: str) -> list[list[_Piece]] | None:
    """The string groups of ``py`` at offsets in ``py``, or None when tokenize must decide."""
    groups: list[list[_Piece]] = []
    group: list[_Piece] = []
    # A plain literal that starts a group is kept as its match until another joins it: alone, its value is
    # its text, and no group is made (the raw scan sees it; most literals of real code stand alone).
    pending: re.Match[str] | None = None
    chained = False   # a literal was the last token: the next one may join its group
    joined = False    # the current group is the argument of .join(
    between = ""      # the one token since that literal ("" for none, "x" for two or more)
    r0 = r1 = r2 = "x"  # the last three tokens: "join", "(", "[" or another ("x", "+", ",", "{")
    depth = 0
    pos = 0
    kinds = _SCAN_KIND
    for m in _LITERAL_SCAN.finditer(py):
        text = m.group()
        at = m.start()
        kind = kinds[text[0]]
        if at > pos:  # code between two matches
            code = py[pos:at].strip(_BLANK)
            if code:
                tok = code if code == "+" or code == "," else "join" if "join" in code and _JOIN_NAME.search(code) \
                    else "x"
                between = tok if not between else "x"
                r0, r1, r2 = r1, r2, tok
        pos = at + len(text)
        if kind == "s" and pos > at + 1:
            if _FSTRING_NESTS and "{" in text and "f" in text[:text.find(text[-1])].lower() \
                    and not _plain_fstring(text):
                return None
            if at and py[at - 1] in "rRbBfFuU" and _after_number(py, at):
                return None
            plain = (text[0] == '"' or text[0] == "'") and not text.startswith(_TRIPLE) and text.isascii() \
                and "\\" not in text and "\r" not in text and "\0" not in text  # (_quick_piece's common case)
            if not (chained and (between == "" or between == "+" or (joined and between == ","))):
                if _worth_folding(group):
                    groups.append(group)
                group = []
                joined = (r2 in ("(", "[") and r1 == "(" and r0 == "join") or (r2 == "(" and r1 == "join")
                pending = m if plain else None
                if plain:
                    chained, between = True, ""
                    r0, r1, r2 = r1, r2, "x"
                    continue
            if pending is not None:
                p0, p1 = pending.span()
                group.append(_Piece(p0, p1, p0 + 1, p1 - 1, pending.group()[1:-1], True))
                pending = None
            piece = _Piece(at, pos, at + 1, pos - 1, text[1:-1], True) if plain else _quick_piece(text, at, pos)
            if piece:
                group.append(piece)
            chained, between = True, ""
            r0, r1, r2 = r1, r2, "x"
            continue
        if kind == "c" or kind == "b" or (kind == "n" and depth > 0):
            continue  # a comment, a continuation, a line end inside brackets: no token
        if kind == "o":
            depth += 1
        elif kind == "x":
            depth -= 1
            if depth < 0:
                return None
        elif kind == "s":  # a lone quote: an unterminated literal
            # Python 3.11's tokenize reads it as an error token and goes on past it, unless a literal
            # continued by a backslash-newline is open (then it reads on in the next lines): read so here.
            # (Without a backslash, at most one lone quote of each kind stands on a line: linear.)
            if not _LONE_QUOTE_GOES_ON or py[at + 1:at + 3] == text * 2 or _REST_OF_LINE.match(py, pos) is None:
                return None
        between = "x"  # (a bracket or the end of a statement joins nothing)
        r0, r1, r2 = r1, r2, (text if kind == "o" else "x")
    if depth:
        return None
    if _worth_folding(group):
        groups.append(group)
    return groups


def _after_number(py: str, i: int) -> bool:
    """True when the word before a literal at ``i`` starts with a digit (``1br"x"``): tokenize then reads a
    number and maybe a prefix, and only it knows where the number ends."""
    j = i
    while j and (py[j - 1].isalnum() or py[j - 1] == "_"):
        j -= 1
    return py[j].isdigit()


def _plain_fstring(text: str) -> bool:
    """An f-string whose end the regex found for sure: no quote or backslash inside, balanced braces."""
    body = text[text.index(text[-1]):]
    inner = body[1:-1] if not body.startswith(body[0] * 3) or len(body) < 6 else body[3:-3]
    return not any(c in inner for c in "'\"\\") and inner.count("{") == inner.count("}")


_FOLD_LIMIT = 4096  # characters: a longer constant is not folded further (no "%99999999s" % x, no huge joins)
_BIG_WIDTH = lazy_compile(r"[0-9]{4,}|__")  # a format spec with a huge width, or a dunder lookup, is not run
# In a whole format string only its specs count (a token's body is literal text: "...7080..." is no width):
# a %-conversion with a huge or a "*" width or precision; a {field} with a big number, a dunder or a
# nested field (its width comes from an argument).
_BIG_PERCENT = lazy_compile(r"%(?:\([^)]*\))?[#0 +\-]*(?:\*|[0-9]{4,}|[0-9]*\.(?:\*|[0-9]{4,}))")
_BIG_FIELD = lazy_compile(r"\{[^{}]*(?:[0-9]{4,}|__|\{)")
# (case-insensitive by hand, with the non-ASCII letters IGNORECASE folds to i and s, and each branch
# led by its first character: re.IGNORECASE and a leading \b made re try every position, 3x slower)
_FOLD_OPS = lazy_compile(r"%|\.[fF][oO][rR][mM][aA][tT]\s*\(|\.[jJ][oO][iI\u0131\u0130][nN]\s*\(|\[\s*:|"
                       r"[fF](?<!\w[fF])['\"]|[sS\u017f](?<!\w[sS\u017f])[tT][rR]\s*\(")
# The same test as several searches each led by a literal (``re`` finds a literal at memchr speed; the
# alternation above tries its letter classes at every position: ~30 ms per MB of tokens against ~3 ms).
_FOLD_DOT = lazy_compile(r"\.(?:[fF][oO][rR][mM][aA][tT]|[jJ][oO][iI\u0131\u0130][nN])\s*\(")
_FOLD_SLICE = lazy_compile(r"\[\s*:")
_FOLD_F = {lead: lazy_compile(lead[0] + r"(?<!\w" + lead[0] + ")" + lead[1]) for lead in ("f'", 'f"', "F'", 'F"')}
_FOLD_STR = {lead: lazy_compile(lead + r"(?<!\w" + lead + r")[rR]\s*\(")
             for lead in ("st", "sT", "St", "ST", "\u017ft", "\u017fT")}


def _runs_big_percent(fmt: str) -> bool:
    """Whether ``fmt % args`` could build a huge string (or look up a dunder): decided on its specs.

    Example:
        >>> _runs_big_percent("%s" + "7080" * 3), _runs_big_percent("%9999s"), _runs_big_percent("%*s")
        (False, True, True)
        >>> _runs_big_percent("%%5000d"), _runs_big_percent("%(a)s%.10000f")
        (False, True)
    """
    return _BIG_PERCENT.search(fmt.replace("%%", "")) is not None


def _runs_big_format(fmt: str) -> bool:
    """The same for ``fmt.format(...)``.

    Example:
        >>> _runs_big_format("{}7080"), _runs_big_format("{:9999}"), _runs_big_format("{:{}}")
        (False, True, True)
        >>> _runs_big_format("{0.__class__}"), _runs_big_format("{{9999}}{}")
        (True, False)
    """
    return _BIG_FIELD.search(fmt.replace("{{", "").replace("}}", "")) is not None


def _may_fold(source: str) -> bool:
    """``_FOLD_OPS.search(source) is not None``: % formatting, ``.format``, ``.join``, a slice, an f-string
    or ``str(`` may build a constant the string tokens do not show.

    Example:
        >>> _may_fold('x = "a" + "b"'), _may_fold('x = f"a{1}"'), _may_fold('x = elf"a"'), _may_fold("str (1)")
        (False, True, False, True)
    """
    if "%" in source or _FOLD_DOT.search(source) is not None or _FOLD_SLICE.search(source) is not None:
        return True
    if any(lead in source and rx.search(source) is not None for lead, rx in _FOLD_F.items()):
        return True
    return "(" in source and any(lead in source and rx.search(source) is not None for lead, rx in _FOLD_STR.items())


def _fits(v: object) -> bool:
    return not isinstance(v, (str, bytes, tuple, dict)) or len(v) <= _FOLD_LIMIT


def _constant_values(tree: ast.AST) -> dict[int, object]:
    """The value of every constant expression under ``tree`` (by ``id`` of its node), computed the way Python
    would for the forms that build a string from constants: ``+``, ``%`` formatting, ``.format``,
    ``sep.join``, slicing (``[::-1]``), ``str()`` and f-strings whose fields are constants. One pass,
    children first (linear: each node combines its children's values, each bounded by ``_FOLD_LIMIT``).
    """
    values: dict[int, object] = {}
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in ast.iter_child_nodes(node))
            continue
        try:
            v = _fold(node, values)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, MemoryError,
                RecursionError):
            v = None
        if v is not None and _fits(v):
            values[id(node)] = v
    return values


def _fold(node: ast.AST, values: dict[int, object]) -> object:
    def val(n: ast.AST | None) -> object:
        return values.get(id(n)) if n is not None else None

    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, (str, bytes, int, float)) and not isinstance(node.value, bool) \
            else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        n = val(node.operand)
        return (-n if isinstance(node.op, ast.USub) else n) if isinstance(n, int) else None
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [val(e) for e in node.elts]
        return tuple(items) if all(i is not None for i in items) else None
    if isinstance(node, ast.Dict):  # for "%(name)s" % {...}
        keys, items = [val(k) for k in node.keys], [val(v) for v in node.values]
        return dict(zip(keys, items)) if all(isinstance(k, str) for k in keys) and None not in items else None
    if isinstance(node, ast.BinOp):
        left, right = val(node.left), val(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, bytes)):
            return left + right  # type: ignore[operator]
        if isinstance(node.op, ast.Mod) and isinstance(left, (str, bytes)) and not _runs_big_percent(str(left)):
            return left % right  # type: ignore[operator]
        return None
    if isinstance(node, ast.Subscript):
        base, sl = val(node.value), node.slice
        if not isinstance(base, (str, bytes)) or not isinstance(sl, ast.Slice):
            return None
        parts = [val(x) if x is not None else None for x in (sl.lower, sl.upper, sl.step)]
        if any(x is not None and not isinstance(p, int) for x, p in zip((sl.lower, sl.upper, sl.step), parts)):
            return None
        return base[slice(*parts)]  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
        args = [val(a) for a in node.args]
        if any(a is None for a in args):
            return None
        if isinstance(node.func, ast.Name) and node.func.id == "str" and len(args) == 1 and not node.keywords:
            return args[0] if isinstance(args[0], str) else None
        if not isinstance(node.func, ast.Attribute):
            return None
        base, attr = val(node.func.value), node.func.attr
        if not isinstance(base, str):
            return None
        if attr == "format" and not _runs_big_format(base):
            kwargs = {k.arg: val(k.value) for k in node.keywords if k.arg is not None}
            if len(kwargs) != len(node.keywords) or any(v is None for v in kwargs.values()):
                return None
            return base.format(*args, **kwargs)
        if attr == "join" and len(args) == 1 and not node.keywords and isinstance(args[0], tuple) \
                and all(isinstance(a, str) for a in args[0]):
            return base.join(args[0])  # type: ignore[arg-type]
        return None
    if isinstance(node, ast.FormattedValue):
        v = val(node.value)
        if v is None:
            return None
        convert: dict[int, Callable[[object], str]] = {115: str, 114: repr, 97: ascii}
        v = convert[node.conversion](v) if node.conversion != -1 else v
        spec = val(node.format_spec) if node.format_spec is not None else ""
        if not isinstance(spec, str) or _BIG_WIDTH.search(spec):
            return None
        return format(v, spec)
    if isinstance(node, ast.JoinedStr):
        parts = [val(v) for v in node.values]
        return "".join(parts) if all(isinstance(p, str) for p in parts) else None  # type: ignore[arg-type]
    return None


def _is_built(node: ast.AST, values: dict[int, object]) -> bool:
    """A constant made by an operation the string tokens do not show (``%``, a call, a slice)."""
    return id(node) in values and isinstance(node, (ast.BinOp, ast.Call, ast.Subscript)) and not (
        isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)
        and not any(_is_built(c, values) for c in (node.left, node.right)))


# Where a string expression built from constants may stand: its operator (``%``, a subscript, ``.format``,
# ``.join``) after the end of its base (a string constant, or an expression of them, ends with a quote,
# ")" or "]") and any blanks, continuations or closers; or a ``str(`` call (``ſtr`` is ``str`` once Python
# has normalised the name). Only the expressions whose lines hold such a site are folded. The operator
# test reads the text reversed, each try from an operator over the run of blanks and closers before it
# (no operator is in such a run: linear). A quote inside a literal counts too (a superset), a comment
# between a base and its operator does not (the fold-operator gate never read one either).
_FOLD_SITE_REVERSED = lazy_compile(r"""(?:%|\[|tamrof[ \t\f\r\n\\]*\.|nioj[ \t\f\r\n\\]*\.)[ \t\f\r\n)\]\\]*["')\]]""")
_STR_CALLS = tuple(lazy_compile(name + r"(?<![\w.]" + name + r")\s*\(") for name in ("str", "\u017ftr"))


def _fold_sites(python: str, line_ends: list[int]) -> list[int]:
    """The line numbers (sorted; ast's, from ``line_ends``: where each line starts) of ``python`` that hold
    a site of :data:`_FOLD_SITE_REVERSED` or a ``str(`` call.

    Example:
        >>> src = 'a = "x"\\nb = "%s" % a\\nc = f(a) [0]\\nd = str(1)\\ne = x.join(y)\\n'
        >>> _fold_sites(src, [0, 8, 21, 34, 45])
        [2, 3, 4]
    """
    last = len(python) - 1
    found = [last - m.start() for m in _FOLD_SITE_REVERSED.finditer(python[::-1])]
    for rx in _STR_CALLS:
        found += [m.start() for m in rx.finditer(python)]
    return line_numbers(found, line_ends)


def _expression_hits(source: str, python: str, parse: "Callable[[], ast.Module | None] | None" = None) -> list[Hit]:
    """Secrets in string expressions made of constants that the token pass does not fold:
    ``"%s%s" % ("hf_...", "...")``, ``"{}{}".format(...)``, ``"...ab_fh"[::-1]``, ``"-".join(...)``.

    The whole expression is the finding, and its redaction replaces it with the masked value (quoted).
    ``parse`` gives the syntax tree of ``python`` when the caller has one (misuse reads the same tree).
    Only the outermost expressions whose lines hold a site (:func:`_fold_sites`) are folded: a file of
    ordinary code has few, and walking every node of its tree in Python cost ~1 us a node (0.5 s for a
    700 kB module).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> src = f'x = 1\\nkey = "%s%s" % ("{tok[:9]}", "{tok[9:]}")\\nprint(x)\\n'
        >>> [(h.rule.id, h.encoding, src[h.start:h.end][:6]) for h in _expression_hits(src, src)]
        [('hf-user-token', 'constant expression', '"%s%s"')]
    """
    # ast's lines end at \r\n, \r or \n; the masked source has the same "\n"-lines as the source.
    py_starts = ast_line_starts(python)
    sites = _fold_sites(python, py_starts)
    if not sites:
        return []
    tree = (parse or partial(parse_or_none, python))()
    if tree is None:
        return []
    tables: list[tuple[list[int], list[int]]] = []

    def offset(lineno: int, col: int) -> int:
        if not tables:  # (the "\n"-line tables, made at the first expression found)
            py_nl = line_starts(python)
            tables.append((py_nl, py_nl if python is source else line_starts(source)))  # (no line masked: one)
        py_nl, src_nl = tables[0]
        i = min(lineno - 1, len(py_starts) - 1)
        text_line = python[py_starts[i]:py_starts[i + 1] if i + 1 < len(py_starts) else len(python)]
        o = py_starts[i] + len(text_line.encode("utf-8")[:col].decode("utf-8", "ignore"))
        n = max(0, bisect.bisect_right(py_nl, o) - 1)
        n = min(n, len(src_nl) - 1)
        return min(len(source), src_nl[n] + o - py_nl[n])

    hits: list[Hit] = []
    for root in expressions_at(tree, sites):
        values = _constant_values(root)
        stack: list[ast.AST] = [root]
        while stack:
            node = stack.pop()
            if _is_built(node, values):
                v = values[id(node)]
                text = v.decode("latin-1") if isinstance(v, bytes) else v
                if isinstance(text, str):
                    found = find_secrets(text)
                    if found:
                        s = offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
                        e = offset(node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
                        # One edit for the expression, shared by the secrets in it (applied once).
                        edit = Edit(s, e, repr(" ".join(mask_secret(h.secret, prefix_len=h.rule.prefix_len)
                                                        for h in found)))
                        hits += [Hit(h.rule, s, e, h.secret, "constant expression", (edit,)) for h in found]
                        continue
            stack.extend(ast.iter_child_nodes(node))
    hits.sort(key=lambda h: h.start)
    return hits


def secrets_of_each(values: list[str]) -> list[list[Hit]]:
    """``[find_secrets(v) for v in values]``, from one engine pass over them all (a file of many folded
    literals pays the engine's per-call work once, not once per literal group).

    The values are joined by line ends: no rule's pattern, decoder (escapes, ANSI codes, base64 runs) or
    name context crosses one, and every boundary test reads one as a text's end. A value that a hit
    runs past (or one with edits of its own) is scanned again alone. When the joined text builds a
    decoded view (:func:`builds_view`), each value is scanned alone: the view decodes every escape of
    the joined text, also in a value whose own text would build none (``%88`` before a name).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> [[(h.start, h.end) for h in hs] for hs in secrets_of_each(["x", "a " + tok, "\\x68f_"])]
        [[], [(2, 39)], []]
    """
    out: list[list[Hit]] = [[] for _ in values]
    for i, base, found in _secrets_found(values):
        out[i] = [Hit(h.rule, h.start - base, h.end - base, h.secret, h.encoding) for h in found] if base else found
    return out


def _secrets_found(values: list[str]) -> list[tuple[int, int, list[Hit]]]:
    """The work of :func:`secrets_of_each`, without placing each hit in its value: for each value with
    secrets, its index, where it starts in the text its hits were found in (0: scanned alone) and those
    hits, by index."""
    joined = "\n".join(values)
    if len(values) < 2 or builds_view(joined):
        return [(i, 0, found) for i, v in enumerate(values) for found in (find_secrets(v),) if found]
    starts = [0]
    starts += accumulate([len(v) + 1 for v in values[:-1]])
    by_value: dict[int, list[Hit]] = {}
    again: set[int] = set()
    find_value = bisect.bisect_right
    for h in find_secrets(joined):
        i = find_value(starts, h.start) - 1
        if h.end > starts[i] + len(values[i]) or h.edits:
            again.update(range(i, find_value(starts, h.end)))
            continue
        found = by_value.get(i)
        if found is None:
            by_value[i] = [h]
        else:
            found.append(h)
    out = [(i, starts[i], found) for i, found in by_value.items() if i not in again]
    if again:
        out += [(i, 0, found) for i in again for found in (find_secrets(values[i]),) if found]
        out.sort(key=lambda t: t[0])
    return out


def _folded_hits(source: str, groups: list[list[_Piece]]) -> list[Hit]:
    hits: list[Hit] = []
    # (the groups come so; a remapped group may have lost a piece, see _string_groups)
    groups = [g for g in groups if _worth_folding(g)]
    for i, base, found in _secrets_found(["".join([p.value for p in g]) for g in groups]):
        group = groups[i]
        for h in found:
            rule, secret = h.rule, h.secret
            hs, he = h.start - base, h.end - base
            preview = masked_preview(secret, rule.prefix_len)
            # One edit per piece the hit overlaps: the pieces it was folded from.
            edits: list[Edit] = []
            vs = 0
            for p in group:
                ve = vs + len(p.value)
                lo, hi = (hs if hs > vs else vs), (he if he < ve else ve)
                if lo < hi:
                    if p.verbatim:
                        s, e = p.content_start + lo - vs, p.content_start + hi - vs
                    else:
                        s, e = p.content_start, p.content_end
                    edits.append(Edit(s, e, "" if edits else preview))
                vs = ve
            if not edits:
                continue
            encoding = h.encoding or ("concatenation" if len(edits) > 1 else "escaped")
            hits.append(Hit(rule, edits[0].start, edits[-1].end, secret, encoding, tuple(edits)))
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
    n = len(starts)
    added = []
    left = bisect.bisect_left
    for h in folded:
        start, secret = h.start, h.secret
        j = left(starts, start)
        inside = j
        end = left(starts, h.end, j)
        while inside < end and raw[inside].secret != secret:
            inside += 1
        if inside < end:
            continue  # already found as written
        k = j if j < n and starts[j] == start else j - 1  # (the raw hit starting last at or before it: starts differ)
        if k >= 0 and raw[k].start <= start < raw[k].end:
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
    # A literal reversed with [::-1] holds its keyword backwards ("...dcba_fh"[::-1]).
    reverse = "[::-1]" in source and prefilter_mask(source[::-1]) != 0
    misuse_possible = misuse and might_misuse(source)
    if not mask and not reverse and not misuse_possible:
        return []
    if len(source) < _BIG_SOURCE:
        return _scan_found(source, location, mask, reverse, misuse_possible)
    with collector_paused():  # (thousands of records, no cycle among them)
        return _scan_found(source, location, mask, reverse, misuse_possible)


_BIG_SOURCE = 1 << 16  # characters: a source this long may make thousands of findings


def _scan_found(source: str, location: str, mask: int, reverse: bool, misuse_possible: bool) -> list[Finding]:
    """:func:`scan_python` past its prefilters."""
    masked: MaskedSource | None = None
    findings: list[Finding] = []
    trees: list[ast.Module | None] = []

    def tree() -> "ast.Module | None":  # (the masked source's tree, parsed once for folding and misuse)
        if not trees:
            trees.append(parse_or_none(masked.python if masked is not None else ""))
        return trees[0]

    if mask or reverse:
        raw = find_secrets_unfiltered(source, mask)
        # Tokenizing is the slow part: only when a literal may hold more than the raw text shows
        # (a piece ending at a quote, an escape). A raw match is kept even as an identifier: a token
        # pasted without quotes is still a token (word-like names are told apart by the validator).
        # The token pass folds literals chained by "+", adjacency or a .join: only when a piece may be
        # continued by another literal (a "hf_" in startswith("hf_") cannot: real code is full of them).
        # The expression pass folds %, .format, slices (their arguments come in any order): when any piece
        # is there.
        if reverse or _ESCAPE.search(source) is not None:
            pieces = chains = True
        else:
            pieces, chains = literal_pieces(source, mask)
        if pieces:
            masked = mask_ipython(source)
        if masked is not None and masked.python.strip():
            groups = _string_groups(masked.python, line_starts(source), masked.python is source) if chains else None
            folded = _folded_hits(source, groups or [])
            if reverse or _may_fold(source):  # % formatting, .format, slices, f-strings
                folded += [h for h in _expression_hits(source, masked.python, tree) if not any(  # type: ignore[union-attr]
                    f.secret == h.secret and f.start < h.end and h.start < f.end for f in folded)]
            raw = _merge_folded(raw, sorted(folded, key=lambda h: h.start))
        findings = hits_to_findings(source, raw, location)
    if misuse_possible:
        if masked is None:
            masked = mask_ipython(source)
        findings += misuse_findings(source, masked, location, tree)
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


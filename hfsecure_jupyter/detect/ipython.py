"""IPython syntax: ``%magic``, ``!shell``, ``x = !cmd`` and ``%%cell`` magics masked line by line.

A cell's IPython-only lines are replaced by ``pass`` (same indentation, same line count) so that the rest
parses as Python; :mod:`.python` (literals) and :mod:`.misuse` (the syntax tree) both read that form.

Example:
    >>> m = mask_ipython("!pip install x\\nimport x")
    >>> m.python, m.masked_lines
    ('pass\\nimport x', (0,))
"""

from __future__ import annotations

import re

from .lazy import lazy_compile, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable

__all__ = ["mask_ipython", "MaskedSource", "PYTHON_CELL_MAGICS", "line_starts", "ast_line_starts", "line_numbers"]

#: Cell magics whose body is Python (everything else is scanned as text).
PYTHON_CELL_MAGICS = frozenset({
    "time", "timeit", "capture", "prun", "debug", "hfjob", "python", "python3", "pypy", "memit", "mprun",
    "cython", "px", "pyinstrument", "snakeviz", "scalene", "heat", "hfsecure",
})
# (The target of ``x = !cmd``: names, dots, commas, brackets and stars, split by blanks, each piece led by
# one that is not a blank; blanks other than the indent's may lead it. Written with blanks inside its class,
# a lazy target and the blanks around "=" split an indent k ways and backtracked ~k^3 steps: 9 us a line of
# indented code.)
_IPY_LINE = lazy_compile(r"^(?P<indent>[ \t]*)(?:(?:[\f\v\r][ \t\f\v\r]*)?[\w.,\[\]*]+(?:[ \t\f\v\r]+[\w.,\[\]*]+)*"
                         r"[ \t\f\v\r]*=[ \t\f\v\r]*)?"
                         r"(?P<sigil>!!?|%%?)", re.ASCII)
_HELP_LINE = lazy_compile(r"^[ \t]*[\w.]+\s*\?\??\s*$|^[ \t]*\?\??[\w.]+\s*$")


@record(frozen=True)
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
    if "!" not in source and "%" not in source and "?" not in source:
        return MaskedSource(source, ())  # (no sigil, no help line: no line to mask)
    lines = source.split("\n")
    masked = []
    out = []
    cont = False
    for n, line in enumerate(lines):
        # (a line without a sigil, or without a "?", cannot be a shell, magic or help line)
        m = _IPY_LINE.match(line) if "!" in line or "%" in line else None
        if cont or (m and _is_ipython_line(line, m)) or ("?" in line and _HELP_LINE.match(line)):
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


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts, and one past the end (a line table for ast offsets).

    Example:
        >>> line_starts("a\\nbc")
        [0, 2, 4]
    """
    from itertools import accumulate

    # (each line's length plus its "\n", summed in C: a find per line in Python cost 3x as much)
    starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
    starts[-1] = len(text)  # tokenize's ENDMARKER sits on the line after the last
    return starts


_AST_LINE_END = lazy_compile(r"\r\n|\r|\n")


def ast_line_starts(text: str) -> list[int]:
    """Where each line of ``text`` starts as :mod:`ast` counts lines (they end at ``\\r\\n``, ``\\r`` or
    ``\\n``): ``ast_line_starts(text)[lineno - 1]``.

    Example:
        >>> ast_line_starts("a\\rb\\r\\nc")
        [0, 2, 5]
    """
    if "\r" not in text:
        return line_starts(text)[:-1]  # (the "\n"-lines: summed in C)
    starts = [0]
    starts += [m.end() for m in _AST_LINE_END.finditer(text)]
    return starts


def line_numbers(offsets: "Iterable[int]", starts: list[int]) -> list[int]:
    """The 1-based line numbers (sorted, each once) that ``offsets`` fall on, given where lines start.

    Example:
        >>> line_numbers([0, 3, 1, 7], [0, 2, 5])
        [1, 2, 3]
    """
    from bisect import bisect_right

    return sorted({bisect_right(starts, o) for o in offsets})

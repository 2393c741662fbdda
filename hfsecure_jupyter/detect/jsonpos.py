"""Where a notebook field's text sits in the raw ``.ipynb`` file: line and column in the file.

Findings in a notebook are placed inside a field (``cells[3].source``, line 2, column 14 of that cell);
a code-scanning dashboard shows the file, so a SARIF region needs the line of the file. This module reads
the JSON text once (iteratively, linear in its size), records where each string value starts and ends,
under the same location names as :func:`hfsecure_jupyter.detect.iter_fields`, and maps a position in a
field's text back to a line and column of the file.

Example:
    >>> raw = '{\\n "cells": [\\n  {"source": [\\n    "import os\\\\n",\\n    "x = 1"\\n  ]}\\n ]\\n}\\n'
    >>> FilePositions(raw).file_position("cells[0].source", 2, 3)
    (5, 8)
"""

from __future__ import annotations

from .lazy import lazy_import

TYPE_CHECKING = False
if TYPE_CHECKING:
    import bisect
else:  # (imported when a position is first asked for)
    bisect = lazy_import("bisect", globals())

__all__ = ["FilePositions"]

_Span = tuple[int, int]  # raw offsets: just after the opening quote, at the closing quote
_WS = " \t\r\n"


class FilePositions:
    """The string values of one JSON document and where they are in its text.

    Args:
        raw: the document's text (decoded; a leading BOM is allowed).

    Raises nothing on malformed input: what was read up to the error is kept.
    """

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._strings: dict[str, _Span] = {}
        self._lists: dict[str, list[_Span]] = {}
        self._line_starts = [0] + [i + 1 for i, c in enumerate(raw) if c == "\n"]
        try:
            self._parse()
        except (IndexError, ValueError):
            pass  # not JSON after some point: positions known so far still serve

    # -- parsing ------------------------------------------------------------------------------------------

    def _string_end(self, i: int) -> int:
        """Offset of the closing quote of the string whose content starts at ``i``."""
        raw = self.raw
        while True:
            j = raw.index('"', i)
            k = j - 1
            while raw[k] == "\\":
                k -= 1
            if (j - 1 - k) % 2 == 0:  # an even run of backslashes: the quote is not escaped
                return j
            i = j + 1

    def _parse(self) -> None:
        raw, n = self.raw, len(self.raw)
        i = 1 if raw[:1] == "\ufeff" else 0
        # A stack of open containers: [location, kind, index or pending key, string-element spans]
        stack: list[list] = []
        loc = ""
        expect_key = False
        while i < n:
            c = raw[i]
            if c in _WS or c in ",:":
                i += 1
                continue
            if stack and stack[-1][1] == "object" and expect_key:
                if c == "}":
                    stack.pop()
                    self._after_value(stack)
                    expect_key = bool(stack) and stack[-1][1] == "object"
                    i += 1
                    continue
                end = self._string_end(i + 1)
                stack[-1][2] = _decode(raw[i + 1:end])
                expect_key = False
                i = end + 1
                continue
            if c in "]}":
                top = stack.pop()
                if top[1] == "list" and top[3] is not None:
                    self._lists[top[0]] = top[3]
                self._after_value(stack)
                expect_key = bool(stack) and stack[-1][1] == "object"
                i += 1
                continue
            # a value: its location from the container it is in
            if stack:
                top = stack[-1]
                if top[1] == "object":
                    loc = f"{top[0]}.{top[2]}" if top[0] else str(top[2])
                else:
                    loc = f"{top[0]}[{top[2]}]"
            else:
                loc = ""
            if c == '"':
                end = self._string_end(i + 1)
                self._strings[loc] = (i + 1, end)
                if stack and stack[-1][1] == "list" and stack[-1][3] is not None:
                    stack[-1][3].append((i + 1, end))
                i = end + 1
                self._after_value(stack)
                expect_key = bool(stack) and stack[-1][1] == "object"
                continue
            if stack and stack[-1][1] == "list":
                stack[-1][3] = None  # not a list of strings only
            if c == "{":
                stack.append([loc, "object", None, None])
                expect_key = True
                i += 1
                continue
            if c == "[":
                stack.append([loc, "list", 0, []])  # the index of the next element
                i += 1
                expect_key = False
                continue
            # number, true, false, null
            j = i
            while j < n and raw[j] not in _WS and raw[j] not in ",]}":
                j += 1
            i = j
            self._after_value(stack)
            expect_key = bool(stack) and stack[-1][1] == "object"

    @staticmethod
    def _after_value(stack: list[list]) -> None:
        if stack and stack[-1][1] == "list":
            stack[-1][2] += 1

    # -- mapping ------------------------------------------------------------------------------------------

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def file_position(self, location: str, line: int, column: int) -> tuple[int, int] | None:
        """Line and column in the file (1-based) of ``line``:``column`` of the field at ``location``,
        or None when the document has no such string field (or the field no such position)."""
        return self.file_positions(location, [(line, column)])[0]

    def file_positions(self, location: str, points: list[tuple[int, int]]) -> list[tuple[int, int] | None]:
        """:meth:`file_position` for many ``(line, column)`` points of one field, in one pass over it
        (linear in the field's size however many points there are)."""
        spans: list[_Span] | None = self._lists.get(location)
        if spans is None:
            span = self._strings.get(location)
            spans = [span] if span is not None else []
        out: list[tuple[int, int] | None] = [None] * len(points)
        order = sorted(range(len(points)), key=lambda k: points[k])
        if not spans or not order:
            return out
        raw, nxt = self.raw, 0
        cur = (1, 1)
        for n, (start, end) in enumerate(spans):
            i = start
            while nxt < len(order):
                while nxt < len(order) and points[order[nxt]] < cur:
                    nxt += 1  # a point the field does not have (past a line's end)
                if i >= end and n < len(spans) - 1:
                    break  # a point here is the next element's first character
                while nxt < len(order) and points[order[nxt]] == cur:
                    out[order[nxt]] = self._line_col(i)
                    nxt += 1
                if i >= end:
                    break
                ch, i = _next_char(raw, i)
                cur = (cur[0] + 1, 1) if ch == "\n" else (cur[0], cur[1] + 1)
        return out


def _next_char(raw: str, i: int) -> tuple[str, int]:
    """The decoded character of a JSON string at raw offset ``i`` and the offset after it."""
    c = raw[i]
    if c != "\\":
        return c, i + 1
    e = raw[i + 1]
    if e == "u":
        code = int(raw[i + 2:i + 6], 16)
        if 0xD800 <= code < 0xDC00 and raw[i + 6:i + 8] == "\\u":
            low = int(raw[i + 8:i + 12], 16)
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), i + 12
        return chr(code), i + 6
    return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(e, e), i + 2


def _decode(content: str) -> str:
    """A key's text (escapes decoded)."""
    if "\\" not in content:
        return content
    out, i = [], 0
    while i < len(content):
        ch, i = _next_char(content, i)
        out.append(ch)
    return "".join(out)

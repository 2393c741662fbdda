"""detect.jsonpos: a position in a notebook field's text -> its line and column in the raw JSON file."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect.jsonpos import FilePositions, _next_char

_text = st.text(st.characters(codec="utf-8"), max_size=12)
_json = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), _text),
                     lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
                     max_leaves=20)


def _fields(value, location=""):
    """(location, text) of every string and every list of strings, named as notebook fields are."""
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield location, "".join(value)
        for i, v in enumerate(value):
            yield from _fields(v, f"{location}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _fields(v, f"{location}.{k}" if location else str(k))


def _offset(raw: str, line: int, column: int) -> int:
    lines = raw.split("\n")
    return sum(len(x) + 1 for x in lines[:line - 1]) + column - 1


@settings(max_examples=150, deadline=None)
@given(doc=st.dictionaries(st.sampled_from(["cells", "metadata", "a.b", "x"]), _json, max_size=4),
       indent=st.sampled_from([None, 1, 2]), ascii_only=st.booleans())
def test_every_character_of_every_field_maps_to_itself_in_the_file(doc, indent, ascii_only):
    raw = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    pos = FilePositions(raw)
    fields = dict(_fields(doc))  # a later field of the same name (a dotted key) wins, as in the parser
    for location, text in fields.items():
        if not text:
            continue
        points, chars = [], []
        line, col = 1, 1
        for ch in text:
            points.append((line, col))
            chars.append(ch)
            line, col = (line + 1, 1) if ch == "\n" else (line, col + 1)
        got = pos.file_positions(location, points)
        for (fl, fc), ch in zip(got, chars):  # type: ignore[misc]
            assert _next_char(raw, _offset(raw, fl, fc))[0] == ch, (location, text)


def test_a_cell_line_in_a_list_source_is_its_own_line_of_the_file():
    nb = {"cells": [{"source": ["import os\n", "x = 'secret'\n"]}, {"source": "a\nb = 1"}]}
    raw = json.dumps(nb, indent=1)
    pos = FilePositions(raw)
    lines = raw.splitlines()
    l, c = pos.file_position("cells[0].source", 2, 6)
    assert lines[l - 1][c - 1:c + 5] == "secret"
    l, c = pos.file_position("cells[1].source", 2, 1)
    assert lines[l - 1][c - 1:c + 5] == "b = 1\""
    assert pos.file_position("cells[0].source", 9, 1) is None and pos.file_position("nope", 1, 1) is None


@pytest.mark.parametrize("raw", ["", "{", '{"cells": [{"source": ["abc', "[1, 2", "\ufeff{\"a\": \"b\"}", "nul"])
def test_malformed_json_never_raises(raw):
    FilePositions(raw).file_position("cells[0].source", 1, 1)

"""Recall: a secret right after an escape (percent-encoding, JSON / Python escapes, HTML references),
HTML references inside a secret, and secrets built from constants (``%``, ``.format``, ``[::-1]``,
f-strings of constants), in text, Python and notebook outputs."""

from __future__ import annotations

import json
import urllib.parse as up

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.testing import fake_token


def _as_output(text: str) -> bytes:
    out = {"output_type": "stream", "name": "stdout", "text": [text]}
    cell = {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "outputs": [out], "source": "x"}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _everywhere(text: str, tok: str) -> None:
    """``text`` holds ``tok``: found as text, in a Python literal, and in a notebook output; redacted."""
    [f] = detect.scan_text(text)
    assert f.rule == "hf-user-token" and f.preview == detect.mask_secret(tok)
    assert tok not in detect.redact(text)
    [g] = detect.scan_python(f"url = {text!r}")
    assert g.rule == "hf-user-token"
    [h] = detect.scan_notebook(_as_output(text)).secrets
    assert h.location == "cells[0].outputs[0].text"
    out, _ = detect.redact_notebook(_as_output(text))
    assert tok.encode() not in out


# The standard urllib encodings of a URL, a query and a JSON body that hold a token.
URLLIB = {
    "quote": lambda t: up.quote(f"https://huggingface.co/api/whoami?token={t}"),
    "quote-safe-empty": lambda t: up.quote(f"?token={t}", safe=""),
    "quote_plus": lambda t: up.quote_plus(f"Authorization: Bearer {t}"),
    "quote_from_bytes": lambda t: up.quote_from_bytes(f'{{"token": "{t}"}}'.encode()),
    "urlencode": lambda t: up.urlencode({"q": f"a={t}", "x": 1}),
    "urlencode-quote_via-quote": lambda t: up.urlencode({"body": json.dumps({"token": t})}, quote_via=up.quote),
    "encoded-twice": lambda t: up.quote(up.quote(f"?token={t}", safe=""), safe=""),
}


@pytest.mark.parametrize("name", list(URLLIB))
def test_token_after_percent_encoding_of_every_urllib_encoding(tok, name):
    text = URLLIB[name](tok)
    assert tok in text  # the token itself is left as is: only what precedes it is encoded
    _everywhere(text, tok)


@pytest.mark.parametrize("shape", ["%3Ftoken%3D{t}", "Bearer%20{t}", "%22{t}%22", "q=a%3D{t}&x=1",
                                   "{{\\u0022token\\u0022: \\u003e{t}}}", "\\x3d{t}", "\\075{t}",
                                   "&quot;{t}&quot;", "<td>&#34;{t}&#34;</td>", "&gt;{t}&lt;"])
def test_token_after_an_escape_is_found(tok, shape):
    _everywhere(shape.format(t=tok), tok)


@pytest.mark.parametrize("shape", ["hf&#95;{b}", "hf&#x5f;{b}", "hf&#X5F;{b}", "hf&lowbar;{b}", "{all}"])
def test_html_character_references_inside_a_token(tok, shape):
    text = shape.format(b=tok[3:], all="".join(f"&#{ord(c)};" for c in tok))
    [f] = detect.scan_text(f"<p>{text}</p>")
    assert f.encoding == "html-entity" and (f.column, f.end_column) == (4, 4 + len(text))
    assert detect.redact(f"<p>{text}</p>") == f"<p>{detect.mask_secret(tok)}</p>"
    [h] = detect.scan_notebook(_as_output(text)).secrets
    assert h.encoding == "html-entity"


def test_an_escape_is_no_boundary_for_an_identifier():
    # Still a longer identifier when no escape precedes it.
    body = fake_token()[3:]
    assert detect.scan_text(f"xhf_{body}") == [] and detect.scan_text(f"3Dhf_{body}") == []


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=20), st.sampled_from([up.quote, up.quote_plus]))
def test_any_percent_encoded_prefix_is_a_boundary(prefix, enc):
    tok = fake_token(seed=11)
    text = enc(prefix + " ", safe="") + tok  # the prefix always ends in an encoded character
    assert [f.preview for f in detect.scan_text(text)][-1:] == [detect.mask_secret(tok)]


def _constant_forms(t: str) -> dict[str, str]:
    a, b = t[:12], t[12:]
    return {
        "percent-tuple": f'x = "%s%s" % ("{a}", "{b}")',
        "percent-single": f'x = "%s{b}" % "{a}"',
        "percent-dict": f'x = "%(a)s%(b)s" % {{"a": "{a}", "b": "{b}"}}',
        "format-positional": f'x = "{{}}{{}}".format("{a}", "{b}")',
        "format-keywords": f'x = "{{p}}{{q}}".format(p="{a}", q="{b}")',
        "reversed-slice": f"x = {t[::-1]!r}[::-1]",
        "fstring-constants": f"x = f\"{{'{a}'}}{{'{b}'}}\"",
        "fstring-constant-and-text": f"x = f\"{{'{a}'}}{b}\"",
        "fstring-conversion-spec": f"x = f\"{{'{a}'!s:>5}}{{'{b}'}}\"",
        "nested": f'x = ("%s" % "{a}") + "{{}}".format("{b}")',
    }


FORMS = list(_constant_forms("hf_" + "A" * 34))


@pytest.mark.parametrize("name", FORMS)
def test_secrets_built_from_constants_are_folded(tok, name):
    src = _constant_forms(tok)[name] + "\nprint(x)"
    [f] = [f for f in detect.scan_python(src) if f.is_secret]
    assert f.preview == detect.mask_secret(tok) and f.line == 1 and f.column in (5, 7)
    # The redaction removes every piece of it and leaves valid Python.
    redacted = detect.apply_edits(src, f.edits)
    compile(redacted, "<cell>", "exec")
    for piece in (tok[:12], tok[12:], tok[::-1][:12]):
        assert piece not in redacted
    assert detect.scan_python(redacted) == [] or all(not g.is_secret for g in detect.scan_python(redacted))


def test_constant_folding_is_bounded_and_leaves_other_code_alone(tok):
    # Huge widths and repetitions are not evaluated; names and calls are not guessed.
    assert detect.scan_python('x = "%99999999999s" % "hf_"\ny = "{:99999999999}".format("hf_")') == []
    assert detect.scan_python(f'x = "%s%s" % (prefix, "{tok[12:]}")\nz = "hf_"[::-1]') == []
    assert detect.scan_python('print("hello"[::-1], "%d items" % 3, "{}".format(name))') == []

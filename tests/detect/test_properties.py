"""Property-based: scan and redact never raise; redacted text has no findings and keeps every
other character."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.testing import fake_token

# Pieces that steer the engine into its decoders, mixed with any characters.
PIECES = st.characters(codec="utf-8") | st.sampled_from(
    list("hf_api_org_sk-ghpAKIA\"'\\\n\u200b%5F=+/") + ["hf_", "aGZf", "hmX", "\\u0068", "\x1b[0m", "%5F"])
TEXT = st.lists(PIECES, max_size=120).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(TEXT)
def test_scans_never_raise(text):
    for fn in (detect.scan_text, detect.scan_python, detect.scan_cell, detect.redact):
        fn(text)
    detect.scan_notebook(text.encode("utf-8", "surrogatepass"))
    detect.scan_bytes(text.encode("utf-8", "surrogatepass"), path="x.py")


@SETTINGS
@given(st.binary(max_size=400))
def test_bytes_never_raise(data):
    detect.scan_notebook(data)
    detect.scan_bytes(data, path="x.txt")
    detect.redact_notebook(data)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=20)


@SETTINGS
@given(JSON)
def test_any_json_document_never_raises(doc):
    data = json.dumps(doc).encode()
    detect.scan_notebook(data)
    detect.redact_notebook(data)


@SETTINGS
@given(st.lists(st.tuples(TEXT, st.booleans()), min_size=1, max_size=5), st.integers(0, 2**32))
def test_redaction_removes_secrets_and_keeps_the_rest(parts, seed):
    tokens = []
    text = ""
    for i, (chunk, with_token) in enumerate(parts):
        text += chunk
        if with_token:
            t = fake_token(seed=seed + i)
            tokens.append(t)
            text += f" {t} "
    out = detect.redact(text)
    assert detect.scan_text(out) == [] or all(f.preview not in tokens for f in detect.scan_text(out))
    for t in tokens:
        assert t not in out
    # every character that was not part of a secret is kept, in order
    hits = detect.find_secrets(text)
    rebuilt, pos = [], 0
    for h in hits:
        rebuilt.append(text[pos:h.start])
        pos = h.end
    rebuilt.append(text[pos:])
    kept = "".join(rebuilt)
    it = iter(out)
    assert all(c in it for c in kept)


@SETTINGS
@given(TEXT, st.integers(0, 2**32), st.lists(st.integers(0, 400), max_size=6))
def test_stream_redaction_equals_whole_redaction(text, seed, cuts):
    t = fake_token(seed=seed)
    full = text + " " + t + " " + text
    s = detect.StreamRedactor()
    out, prev = [], 0
    for c in sorted(set(min(c, len(full)) for c in cuts)):
        out.append(s.feed(full[prev:c]))
        prev = c
    out.append(s.feed(full[prev:]))
    out.append(s.flush())
    assert t not in "".join(out)


# Any text with tokens glued to anything (a token followed by "_backup", an OpenAI key holding "sk-"),
# cut anywhere: the stream shows exactly what redacting the whole text shows.
GLUE = st.sampled_from(["", " ", "_backup", "_", "0", "hf", "hf_", "sk-", "\n", "'", "aGZf", "\\u0068", "x"])


@SETTINGS
@given(st.lists(st.tuples(TEXT, GLUE, st.sampled_from(["hf", "openai", "github", "none"]), GLUE), min_size=1,
                max_size=4), st.integers(0, 2**32), st.lists(st.integers(0, 800), max_size=8),
       st.sampled_from([(), ("kn0wn-secret-value",)]))
def test_stream_equals_whole_text_redaction(parts, seed, cuts, known):
    full, tokens = "", []
    for i, (text, before, kind, after) in enumerate(parts):
        full += text + before
        if kind != "none":
            t = fake_token(kind, seed=seed + i)
            if kind == "openai" and i % 2:
                t = t[:20] + "sk-" + t[20:]  # a keyword inside the body
            tokens.append(t)
            full += t
        full += after + (known[0] if known and i == 0 else "")
    redactor = detect.Redactor(known=known)
    s = detect.StreamRedactor(redactor)
    out, prev = [], 0
    for c in sorted(set(min(c, len(full)) for c in cuts)):
        out.append(s.feed(full[prev:c]))
        prev = c
    out.append(s.feed(full[prev:]))
    out.append(s.flush())
    whole = redactor.redact(full)
    assert "".join(out) == whole
    for h in detect.find_secrets(full):
        assert full[h.start:h.end] not in whole
    assert not known or known[0] not in whole


# Generated notebooks: nbformat's shape with any field of any type, tokens in some strings, and
# odd encodings (BOM, escaped lone surrogates).
_TOKEN_SLOT = "\x00TOKEN\x00"
_STR = st.one_of(TEXT, st.just(_TOKEN_SLOT), st.sampled_from(["\ud800", "\udfff x", "\u00e9"]))
_SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
# (Keys, ids and cell types get no token: whether those are scanned is another issue's question.)
_PLAIN = st.recursive(_SCALAR | TEXT, lambda inner: st.lists(inner, max_size=3), max_leaves=4)
_ANY = st.recursive(_SCALAR | _STR,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
_CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw"]) | _PLAIN},
                              optional={"source": st.lists(_STR, max_size=3) | _ANY, "metadata": _ANY,
                                        "outputs": st.lists(st.dictionaries(st.sampled_from(
                                            ["text", "data", "output_type", "traceback", "evalue"]), _ANY),
                                            max_size=2) | _ANY, "id": _PLAIN, "attachments": _ANY})
_NOTEBOOK = st.fixed_dictionaries({}, optional={"cells": st.lists(_CELL, max_size=3) | _ANY, "metadata": _ANY,
                                                "nbformat": _ANY}) | _ANY


@SETTINGS
@given(_NOTEBOOK, st.integers(0, 2**32), st.booleans(), st.booleans())
def test_redact_notebook_never_raises_and_removes_tokens(doc, seed, bom, ascii_only):
    tok = fake_token(seed=seed)
    text = json.dumps(doc, ensure_ascii=ascii_only).replace(json.dumps(_TOKEN_SLOT)[1:-1], f" {tok} ")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass")
    out, report = detect.redact_notebook(data)
    assert isinstance(out, bytes)
    # (A "cells" that is not a list is not walked: another issue's item, left to iter_fields.)
    walked = not isinstance(doc, dict) or isinstance(doc.get("cells", []), list)
    if tok in text and out != data and walked:
        assert tok.encode() not in out
        json.loads(out.decode("utf-8-sig", "surrogatepass"))

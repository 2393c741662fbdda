"""Findings never hold or print the secret; fingerprints are stable; masks are short."""

from __future__ import annotations

import json

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.findings import fingerprint, mask_secret


def test_finding_never_holds_the_secret(tok):
    [f] = detect.scan_text(f"token: {tok}")
    dumped = [repr(f), str(f), json.dumps(f.to_dict()), repr(f.to_dict()), f.message, f.fix, f.preview,
              repr(f.edits)]
    for text in dumped:
        assert tok not in text and tok[3:] not in text
    assert f.preview == "hf_****" + tok[-4:]
    assert "edits" not in f.to_dict()


def test_fingerprint_is_stable_and_depends_on_the_secret(tok, make_token):
    a = detect.scan_text(f"a {tok}")[0].fingerprint
    b = detect.scan_cell(f"x = '{tok}'")[0].fingerprint
    c = detect.scan_text(f"a {make_token()}")[0].fingerprint
    assert a == b == fingerprint("hf-user-token", tok) and a != c and len(a) == 16


def test_mask_variants(tok):
    assert mask_secret(tok) == "hf_****" + tok[-4:]
    assert mask_secret(tok, show_last=0) == "hf_****"
    assert mask_secret(tok, fill="[hidden]") == "hf_[hidden]" + tok[-4:]
    assert mask_secret("short-secret") == "****"


def test_str_of_finding_says_where(tok):
    [f] = detect.scan_cell(f"x = 1\ny = '{tok}'")
    assert str(f) == f"2:6: hf-user-token: hf_****{tok[-4:]}"
    assert str(f.with_location("cells[1].source")).startswith("cells[1].source:2:6:")


def test_masked_as_uses_the_settings_from_the_source_or_from_the_preview(tok):
    from hfsecure_jupyter import detect

    src = f'x = "{tok}"'
    [f] = detect.scan_python(src)
    assert f.masked_as(fill="~", show_last=8, source=src).preview == "hf_~" + tok[-8:]
    assert f.masked_as(fill="~", show_last=8).preview == "hf_~" + tok[-4:]  # never more than it has
    g = f.masked_as(fill="[x]", show_last=1, source=src)
    assert g.preview == "hf_[x]" + tok[-1:] and detect.apply_edits(src, list(g.edits)) == f'x = "{g.preview}"'
    assert f.masked_as() is f

"""Redaction of whole texts and of streams split at every possible point."""

from __future__ import annotations

import pytest

from hfsecure_jupyter import detect


def test_redact_masks_detected_and_known(tok):
    r = detect.Redactor(known=["correct-horse-battery-staple"])
    out = r.redact(f"a={tok} b=correct-horse-battery-staple c")
    assert out == f"a=hf_****{tok[-4:]} b=****aple c"
    assert r.known_count == 1 and "correct" not in repr(r.__dict__.get("fill"))


def test_short_known_values_are_ignored():
    assert detect.Redactor(known=["1234", "true"]).redact("1234 true") == "1234 true"


def test_configurable_mask(tok):
    assert detect.redact(tok, fill="[redacted]", show_last=0) == "hf_[redacted]"


@pytest.mark.parametrize("known", [False, True])
def test_stream_split_at_every_point(tok, known):
    text = f"before {tok} after\n"
    expected = f"before hf_****{tok[-4:]} after\n"
    redactor = detect.Redactor(known=[tok] if known else [])
    for i in range(len(text) + 1):
        s = detect.StreamRedactor(redactor)
        out = s.feed(text[:i]) + s.feed(text[i:]) + s.flush()
        assert out == expected, i


def test_stream_char_by_char(tok):
    s = detect.StreamRedactor()
    # (not "x{tok}": glued to a letter it is no token, and the stream cannot unsay it when a later
    # copy shows it was one)
    out = "".join(s.feed(c) for c in f"x={tok} y {tok}\n") + s.flush()
    assert tok not in out and out.count("hf_****") == 2


def test_stream_does_not_hold_ordinary_output():
    s = detect.StreamRedactor()
    assert s.feed("epoch 1 loss 0.25\n") == "epoch 1 loss 0.25\n" and s.pending == 0
    assert s.feed("progress: h") == "progress: " and s.pending == 1
    assert s.feed("ello\n") == "hello\n"


def test_known_value_split_in_stream():
    secret = "Zq9-unusual-db-password-77"
    s = detect.StreamRedactor(detect.Redactor(known=[secret]))
    out = s.feed("pw " + secret[:7]) + s.feed(secret[7:] + "\n") + s.flush()
    assert secret not in out and out == "pw ****d-77\n"

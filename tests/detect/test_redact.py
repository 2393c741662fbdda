"""Redaction of whole texts and of streams split at every possible point."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.testing import fake_token


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


def _known_cost(size: int) -> int:
    """Peak memory (bytes) of building a Redactor for one known value and streaming it through."""
    import random
    import tracemalloc

    rng = random.Random(size)
    value = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(size))
    tracemalloc.start()
    r = detect.Redactor(known=[value])
    s = detect.StreamRedactor(r)
    out = s.feed("v=" + value[: size // 2]) + s.feed(value[size // 2:] + "\n") + s.flush()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert value not in out and out.startswith("v=****")
    return peak


def test_known_value_memory_is_linear():
    # Was every prefix of every value: 10x the value took ~100x the memory (a 1 MB value: 23.8 GB).
    small, large = _known_cost(2_000), _known_cost(20_000)
    assert large < 25 * max(small, 20_000), (small, large)


def test_known_values_are_not_rebuilt_when_unchanged():
    r = detect.Redactor(known=["a-long-known-secret-1"])
    r._failure_of("a-long-known-secret-1")
    r.set_known(["a-long-known-secret-1"])
    assert "a-long-known-secret-1" in r._failures


def test_periodic_known_value_overlapping_copies():
    value = "ab" * 10
    r = detect.Redactor(known=[value])
    assert r.redact("x" + "ab" * 25 + "a y") == "x****abab y"  # one span: the union of the copies
    assert r.redact("ab" * 9) == "ab" * 9


@pytest.mark.parametrize("after", ["_backup", "_", "-x", "_hf_x"])
def test_stream_token_followed_by_keyword_chars(tok, after):
    # The holdback looked at the last "hf_" only: a token whose body ends in "hf", then "_backup",
    # released its first part.
    tok = tok[:-2] + "hf"
    assert detect.find_secrets(tok)
    text = f"{tok}{after}\n"
    expected = detect.redact(text)
    assert tok not in expected
    for i in range(len(text) + 1):
        s = detect.StreamRedactor()
        assert s.feed(text[:i]) + s.feed(text[i:]) + s.flush() == expected, i


def test_stream_openai_key_holding_sk_in_its_body():
    from hfsecure_jupyter.testing import fake_token

    key = fake_token("openai", seed=3)
    key = key[:20] + "sk-" + key[20:]
    assert [h.rule.id for h in detect.find_secrets(key)] == ["openai-api-key"]
    text = f"key: {key} done\n"
    expected = detect.redact(text)
    for i in range(len(text) + 1):
        s = detect.StreamRedactor()
        out = s.feed(text[:i]) + s.feed(text[i:]) + s.flush()
        assert out == expected and key[5:25] not in out, i


def test_pause_flush_masks_a_token_still_being_written(tok):
    # A cell ends while a thread writes a token one character at a time: what was held back at the
    # end of the cell was sent unmasked, then the rest.
    for cut in (1, 2, 3, 9, 20, 36):
        s = detect.StreamRedactor()
        out = s.feed("tok: ") + "".join(s.feed(c) for c in tok[:cut]) + s.flush(final=False)
        out += "".join(s.feed(c) for c in tok[cut:]) + s.feed(" end\n") + s.flush(final=False)
        for k in range(0, len(tok) - 6):
            assert tok[k:k + 6] not in out or k == 0 and cut < 6, (cut, out)
        assert out.endswith(" end\n")


def test_pause_flush_keeps_ordinary_text():
    s = detect.StreamRedactor()
    assert s.feed("loading h") == "loading " and s.flush(final=False) == "h"
    assert s.feed("ello\n") == "ello\n"


def test_every_copy_of_a_found_secret_is_masked(tok):
    # "{tok}0" is not a token by itself (a longer run), but once the value is known, it is a secret.
    out = detect.redact(f"{tok}0 {tok}")
    assert tok not in out and out.count("hf_****") == 2


_RUN = st.sampled_from(["ACGT" * 90, "ACCA" * 80, "AIza" * 70, "Qk" * 200, "hf" * 150, "-" * 300, "x" * 700])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_RUN, st.sampled_from(["", " ", "_", "\n", "hf_", "sk-"]), st.booleans()), min_size=1,
                max_size=5),
       st.integers(0, 2**32), st.integers(1, 300))
def test_a_long_run_streamed_in_small_writes_is_redacted_as_a_whole(parts, seed, step):
    # A run held back for 256 characters or more is emitted in batches (see StreamRedactor.feed); what
    # comes out is still exactly the whole text's redaction, however the writes are cut.
    full, tokens = "", []
    for i, (run, glue, token) in enumerate(parts):
        full += run + glue
        if token:
            tokens.append(fake_token(seed=seed + i))
            full += tokens[-1] + glue
    s = detect.StreamRedactor()
    out = [s.feed(full[i:i + step]) for i in range(0, len(full), step)] + [s.flush()]
    assert "".join(out) == detect.redact(full)
    assert not any(full[h.start:h.end] in "".join(out) for h in detect.find_secrets(full))


def test_a_long_run_in_small_writes_is_scanned_about_once(monkeypatch):
    # Each emit scans what is held again: a 2 kB run fed 80 characters at a time was scanned ~26 times
    # over (one scan a write); it is now emitted in batches as long as what is held.
    import importlib

    R = importlib.import_module("hfsecure_jupyter.detect.redact")  # (detect.redact is the function)
    scans = []
    edits = R.Redactor.edits
    monkeypatch.setattr(R.Redactor, "edits", lambda self, text: scans.append(len(text)) or edits(self, text))
    run = "ACGT" * 5000 + "ACCA" * 5000  # (keywords in it: the prefilter alone cannot clear it)
    s = detect.StreamRedactor()
    out = "".join(s.feed(run[i:i + 80]) for i in range(0, len(run), 80)) + s.flush()
    assert out == run
    assert sum(scans) < 3 * len(run), (len(scans), sum(scans))


def test_a_pause_shows_a_run_whose_keywords_stand_inside_words():
    # The last 2 kB of DNA written without a line end, held at the end of a cell, went out as "****"
    # ("ACCA" is a keyword); no secret can start inside a word, so they are shown.
    dna = ("GATTACCAGT" * 400)[:3999]
    s = detect.StreamRedactor()
    out = "".join(s.feed(dna[i:i + 80]) for i in range(0, len(dna), 80)) + s.flush(final=False)
    assert out == dna
    # A keyword that may start one is still masked, and so is what follows it.
    s = detect.StreamRedactor()
    out = s.feed("GATTACA-ACCA") + s.flush(final=False) + s.feed("IOSFODNN7QWERTYX end\n") + s.flush()
    assert "ACCA" not in out and "QWERTYX" not in out and out.endswith(" end\n")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["ACGT" * 50, "x" * 30, "task-", "-", " ", "\\n", "_", "0", "é", ""]), st.integers(0, 2**32),
       st.integers(1, 40), st.sampled_from(["hf", "openai", "github", "aws"]))
def test_a_pause_inside_a_token_never_shows_it(before, seed, cut, kind):
    # Whatever stands before it, a token found in the whole text is never shown after a pause inside it.
    tok = fake_token(kind, seed=seed)
    cut = min(cut, len(tok) - 1)
    s = detect.StreamRedactor()
    out = s.feed(before + tok[:cut]) + s.flush(final=False) + s.feed(tok[cut:] + " end\n") + s.flush()
    full = before + tok + " end\n"
    for h in detect.find_secrets(full):
        secret = full[h.start:h.end]
        for k in range(len(secret) - 7):
            assert secret[k:k + 8] not in out, (secret, out)

"""Cost grows linearly with the number of findings: ratios of two sizes in one process (wide margins,
no wall-clock bound) and counts of work done."""

from __future__ import annotations

import base64
import json
import time

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect import engine
from hfsecure_jupyter.testing import fake_token


def _best(fn, runs: int = 3) -> float:
    # CPU time of this process, best of a few runs: another process on the machine does not inflate it
    # (wall-clock ratios failed on a loaded 2-core machine).
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _log(tokens: int) -> str:
    # One line, a token every kilobyte.
    return "".join(f"step={i} " + "x" * 960 + f" tok={fake_token(seed=i)} " for i in range(tokens))


def test_one_line_log_with_many_tokens_is_linear():
    # line_col counted newlines from 0 and is_suppressed_line scanned the whole line, per finding.
    small, large = _log(150), _log(1200)
    assert len(detect.scan_text(large)) == 1200
    ratio = _best(lambda: detect.scan_text(large)) / _best(lambda: detect.scan_text(small))
    assert ratio < 24, ratio  # linear: ~8; quadratic: ~64


def test_suppression_and_positions_match_a_line_by_line_reading():
    tok = [fake_token(seed=i) for i in range(4)]
    text = f"a {tok[0]}\nb {tok[1]}  # hfsecure: allow\r\nc {tok[2]} {tok[3]}\n# hfsecure: allow"
    got = [(f.line, f.column, f.suppressed) for f in detect.scan_text(text)]
    assert got == [(1, 3, False), (2, 3, True), (3, 3, False), (3, 41, False)]


def test_python_file_of_concatenated_tokens_is_linear():
    # The merge of folded and raw hits compared every pair.
    def source(n: int) -> str:
        return "".join(f't{i} = "{fake_token(seed=i)[:12]}" + "{fake_token(seed=i)[12:]}"; u{i} = "{fake_token(seed=-i)}"\n'
                       for i in range(n))

    small, large = source(500), source(4000)
    assert len(detect.scan_python(large, misuse=False)) == 8000
    ratio = _best(lambda: detect.scan_python(large, misuse=False)) / _best(lambda: detect.scan_python(small, misuse=False))
    assert ratio < 24, ratio  # linear: ~8; pairwise: ~64 (the old merge measured 27 at these sizes)


def test_base64_marker_runs_are_decoded_once(monkeypatch):
    # Each marker of a notebook's base64 run decoded its own 1 kB window (a marker every 4 characters).
    runs = [base64.b64encode(b"hf_" * k).decode() for k in range(1, 300)]
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": [" ".join(runs)]}], "metadata": {}}
    data = json.dumps(nb).encode()
    calls = []
    real = engine.base64.b64decode
    monkeypatch.setattr(engine.base64, "b64decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    detect.scan_bytes(data, path="x.ipynb")
    markers = sum(r.count("aGZf") for r in runs)
    assert markers > 40_000
    # Four alignments per run and per 1 kB window, in the raw prefilter and again in the fields.
    assert len(calls) <= 2 * 4 * (len(runs) + len(data) // 900), (len(calls), markers)


def test_base64_token_in_a_marker_dense_run_is_still_found():
    tok = fake_token(seed=5)
    blob = base64.b64encode(b"hf_" * 200 + b" " + tok.encode() + b" " + b"hf_" * 300).decode()
    assert [h.secret for h in detect.find_secrets(blob)] == [tok]
    nb = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": [blob]}], "metadata": {}})
    assert [f.rule for f in detect.scan_bytes(nb.encode(), path="x.ipynb").findings] == ["hf-user-token"]


def test_redacting_a_log_with_many_distinct_tokens_is_linear():
    # Every copy of every found secret is masked: one pass for all of them, not one per token.
    small, large = _log(150), _log(1200)
    out = detect.redact(large)
    assert "tok=hf_****" in out and all(fake_token(seed=i) not in out for i in (0, 599, 1199))
    ratio = _best(lambda: detect.redact(large)) / _best(lambda: detect.redact(small))
    assert ratio < 24, ratio


def _dense(word: str, sep: str, size: int = 120_000) -> str:
    return (word + sep) * (size // (len(word) + len(sep)))


def test_a_keyword_inside_long_runs_costs_what_a_keyword_between_words_costs():
    # The piece check read up to a whole secret after every "sk-" (OpenAI's bodies run to 336 characters
    # and hold "-"), and so did the OpenAI pattern before its marker: ~100x the spaced text.
    runs, spaced = _dense("sk-", "a"), _dense("sk-", " ")
    assert detect.scan_python(runs, misuse=False) == []
    ratio = _best(lambda: detect.scan_python(runs, misuse=False)) / _best(lambda: detect.scan_python(spaced, misuse=False))
    assert ratio < 10, ratio


def test_keywords_inside_words_are_skipped_without_a_python_step_each(monkeypatch):
    # Each keyword with a letter before it was refused by _may_start_secret, one call at a time (30,000
    # calls for this notebook); the search's lookbehinds now skip them in C.
    calls = []
    may_start = engine._may_start_secret
    monkeypatch.setattr(engine, "_may_start_secret", lambda data, i: calls.append(i) or may_start(data, i))
    text = _dense("ABIA", "") + " ABIA."
    data = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5}).encode()
    assert not engine._raw_prefix_exact(data, None)
    assert 0 < len(calls) <= 2, len(calls)  # (the one at a boundary)


def test_json_of_hashes_reads_no_name_in_python_per_value(monkeypatch):
    # "sha": "<40 hex digits>" on every line: the name before each value was read by a Python loop
    # (_NameContext.search, ~9 us a value: 17 MB/s); past a few, one C match per value turns it down.
    import random

    from hfsecure_jupyter.detect import rules

    calls = []
    real = rules._NameContext.search
    monkeypatch.setattr(rules._NameContext, "search", lambda self, *a: calls.append(a) or real(self, *a))
    rng = random.Random(5)
    secret = rules.rule_by_id("keyed-secret").make_fake(rng)
    lines = [json.dumps({"id": f"user/model-{i}", "sha": f"{rng.getrandbits(160):040x}", "token": None})
             for i in range(2000)]
    lines[1500] = json.dumps({"id": "x", "api_key": secret})
    found = detect.scan_text("\n".join(lines))
    assert [f.rule for f in found] == ["keyed-secret"] and found[0].line == 1501
    assert len(calls) <= 2 * rules._MANY_MATCHES, len(calls)

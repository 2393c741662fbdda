"""The per-finding work, made cheaper for texts dense in tokens (issue 8), gives the same answers.

Each fast form is compared with the plain one it replaced (kept here as the reference).
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect import engine, rules
from hfsecure_jupyter.detect import python as detect_python
from hfsecure_jupyter.detect.findings import Finding, fingerprint, mask_secret
from hfsecure_jupyter.testing import fake_token

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bodies near the thresholds: typing sequences, words, digit groups, fills, random characters.
_BITS = ["abcdefg", "abcd", "ZYXWVUT", "qwertyu", "0123456", "6543210", "Auto", "Model", "For", "bert", "12",
         "2024", "12345", "Sequence", "Classification", "tokenizer", "xxxxxx", "a", "Z", "9", "_", "-", "\u00c9", "\u0663", "\u00b2", "example", "Token"]
_body = st.lists(st.one_of(st.sampled_from(_BITS), st.text(max_size=6)), max_size=8).map("".join)


def _wordlike_reference(body: str) -> bool:
    runs = rules._RUNS.findall(body)
    if len(body) < 5 * len(runs):
        return False
    for i, run in enumerate(runs):
        if run[0].isupper():
            if len(run) < 3:
                return False
        elif run[0].islower():
            if i > 0 or len(run) < 3:
                return False
        elif run[0].isdigit():
            if len(run) > 4:
                return False
        else:
            return False
    return True


@SETTINGS
@given(_body)
@example("AutoModelForSequenceClassification")
@example("bertForSequence12")
@example("xxabcdefgq")
@example("\n")  # (a line end is no run of the reference: the one-regex test must not reject it first)
def test_sequence_and_word_tests_match_their_references(body):
    assert rules._has_sequence_7(body) == (rules._longest_sequence(body) >= 7)
    assert rules._wordlike(body) == _wordlike_reference(body)


_FOLD_OPS_REFERENCE = re.compile(r"%|\.format\s*\(|\.join\s*\(|\[\s*:|\bf['\"]|\bstr\s*\(", re.IGNORECASE)


@SETTINGS
@given(st.lists(st.sampled_from(["%", ".", "format", "FORMAT", "jo", "\u0131", "\u0130", "n", "(", "[", ":",
                                 "f", "F", "'", '"', "s", "\u017f", "tr", "STR", " ", "\n", "x", "_", "\u00e9", "1"]),
                max_size=12).map("".join))
def test_fold_ops_matches_the_case_insensitive_pattern(text):
    ref = _FOLD_OPS_REFERENCE.search(text)
    new = detect_python._FOLD_OPS.search(text)
    assert (new and new.span()) == (ref and ref.span())


def _findings_reference(text, hits, location=""):
    index = engine.LineIndex(text) if hits else None
    out = []
    for h in hits:
        preview = mask_secret(h.secret, prefix_len=h.rule.prefix_len)
        line, col = index.line_col(h.start)
        eline, ecol = index.line_col(h.end)
        what = h.rule.description + (f" ({h.encoding})" if h.encoding else "")
        out.append(Finding(
            rule=h.rule.id, kind="secret", severity="error", location=location, line=line, column=col,
            end_line=eline, end_column=ecol, preview=preview, fingerprint=fingerprint(h.rule.id, h.secret),
            suppressed=index.suppressed(h.start, h.end), message=f"{what}: {preview}",
            fix=engine._fix_for(h.rule), encoding=h.encoding, edits=h.redaction_edits(preview)))
    return out


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 50), st.sampled_from(["", "\n", " + \\\n", "  # hfsecure: allow\n",
                                                                "'\n'", "\"\"\"\n"]),
                          st.sampled_from(["{t}", '"{a}" + "{b}"', "'{a}' '{b}'", "x{t}x", "{t}\n{t}"])),
                max_size=6))
def test_findings_match_the_plain_construction(parts):
    text = ""
    for seed, sep, shape in parts:
        tok = fake_token(seed=seed)
        text += shape.format(t=tok, a=tok[:10], b=tok[10:]) + sep
    hits = engine.find_secrets(text)
    assert engine.hits_to_findings(text, hits, "cells[0].source") == _findings_reference(text, hits, "cells[0].source")


@SETTINGS
@given(st.text(alphabet="ab\n#", max_size=40), st.lists(st.tuples(st.integers(0, 45), st.integers(0, 12),
                                                                  st.sampled_from(["", "base64", "escaped"])),
                                                        max_size=5))
def test_findings_of_spans_across_lines(text, spans):
    """Hits that start or end anywhere (a folded hit spans lines), under any rule and encoding."""
    text += "  # hfsecure: allow" if "#" in text else ""
    hits = [engine.Hit(rules.RULES[(s + n) % len(rules.RULES)], min(s, len(text)), min(s + n, len(text)),
                       fake_token(seed=s), enc) for s, n, enc in spans]
    assert engine.hits_to_findings(text, hits) == _findings_reference(text, hits)

"""The regex literal scanner (``python._string_groups``) folds exactly as the tokenize reading did."""

from __future__ import annotations

import tokenize

import pytest

from hypothesis import example, HealthCheck, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect import python as P
from hfsecure_jupyter.detect.findings import mask_secret
from hfsecure_jupyter.detect.ipython import line_starts, mask_ipython
from hfsecure_jupyter.testing import fake_token

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# What a literal holds: plain text, escapes (also of a token's characters), quotes of the other kind,
# braces (f-strings), line ends (valid in triple-quoted literals only) and a placeholder for a token part.
CONTENT = st.lists(st.sampled_from(
    ["ab", "hf_", "TOK", " ", "\\n", "\\x68", "\\u0066", "\\150", "\\N{LOW LINE}", "\\\\", "\\'", '\\"', "'", '"',
     "{", "}", "{x}", "{{", "#", "\n", "\\\n", "\r\n", "é", "\0", "\\q"]), max_size=6).map("".join)
PREFIX = st.sampled_from(["", "", "", "r", "b", "f", "rb", "Rb", "fr", "u", "U", "F", "br", "x", "ur"])
QUOTE = st.sampled_from(["'", '"', "'''", '"""'])


@st.composite
def literal(draw: st.DrawFn) -> str:
    q = draw(QUOTE)
    body = draw(CONTENT)
    if draw(st.booleans()):
        body = body.replace("TOK", "{tok%d}" % draw(st.integers(0, 3)))
    return draw(PREFIX) + q + body + q


@st.composite
def split_token(draw: st.DrawFn) -> str:
    """A placeholder token split over two literals, and what may stand between them."""
    i = draw(st.integers(0, 3))
    q1, q2 = draw(QUOTE), draw(QUOTE)
    sep = draw(st.sampled_from([" + ", " ", "", "\n", ", ", "  # c\n  ", " \\\n ", "+\n", " - ", "\r\n"]))
    head = draw(st.sampled_from(["", "x = ", "(", '"".join([', '"".join((', "f(", "print(("]))
    return head + draw(PREFIX) + q1 + "{tok%d}" % i + q1 + sep + draw(PREFIX) + q2 + "{tok%d}" % i + q2


CODE = st.sampled_from(
    [" ", " + ", "+", ", ", ",", "\n", "\n    ", "\\\n", "(", ")", "[", "]", "{", "}", "x", "x = ", ".join(",
     '"".join([', '"-".join((', "join", "  # c\n", "#", "\t", "\f", "\r\n", "1", "!ls\n", "%time ", "print(",
     "'", '"', "'''", "  \n\n", "if x:\n  ", "\n  ", "\n\t", "$", "\v", "\\"])


# Code that keeps brackets balanced and quotes closed (the texts the regex scanner reads alone).
CLEAN_CODE = st.sampled_from([" ", " + ", ", ", "\n", "\\\n", "x", "x = ", "  # c\n", "\t", "1", "!ls\n",
                              "\r\n", "if x:\n  ", "\n  ", "or", "1if", "$"])


@st.composite
def python_source(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        parts = draw(st.lists(literal() | split_token() | CODE, max_size=30))
    else:  # balanced: each split token closes the brackets its head opened
        parts = []
        for part in draw(st.lists(literal() | split_token() | CLEAN_CODE, max_size=20)):
            opened = [c for c in part[:part.find("{tok")] if c in "(["] if "{tok" in part else []
            parts.append(part + "".join({"(": ")", "[": "]"}[c] for c in reversed(opened)))
    text = "".join(parts)
    tokens = [fake_token(seed=draw(st.integers(0, 10**6))) for _ in range(4)]
    for i, t in enumerate(tokens):  # a token: its head in the first literal, its tail in the later ones
        cut = draw(st.integers(0, len(t)))
        text = text.replace("{tok%d}" % i, t[:cut], 1).replace("{tok%d}" % i, t[cut:])
    return text


def _pieces(groups):
    return None if groups is None else [[(p.start, p.end, p.content_start, p.content_end, p.value, p.verbatim)
                                         for p in g] for g in groups]


@SETTINGS
@given(python_source())
def test_regex_scanner_groups_literals_as_tokenize_does(src):
    src = P._LONE_CR.sub("\n", src)
    masked = mask_ipython(src)
    starts = line_starts(src)
    assert _pieces(P._string_groups(masked.python, starts)) == _pieces(P._string_tokens(masked.python, starts))


@SETTINGS
@given(python_source())
def test_scan_python_finds_the_same_with_either_fold_path(src):
    fast = P.scan_python(src)
    saved = P._scan_literals
    P._scan_literals = lambda py: None  # every text through tokenize, as before
    try:
        slow = P.scan_python(src)
    finally:
        P._scan_literals = saved
    assert [(f, f.edits) for f in fast] == [(f, f.edits) for f in slow]


def _count_tokenize(monkeypatch) -> list[int]:
    calls = [0]
    real = tokenize.generate_tokens

    def counting(readline):
        calls[0] += 1
        return real(readline)

    monkeypatch.setattr(tokenize, "generate_tokens", counting)
    return calls


def test_concatenated_tokens_are_folded_without_tokenize(monkeypatch):
    calls = _count_tokenize(monkeypatch)
    toks = [fake_token(seed=i) for i in range(40)]
    src = "".join(f't{i} = "{t[:12]}" + "{t[12:]}"  # note\nu{i} = ("{t[:5]}"\n    "{t[5:]}")\n'
                  for i, t in enumerate(toks))
    found = P.scan_python(src)
    assert calls[0] == 0
    assert [f.encoding for f in found] == ["concatenation"] * 80
    assert [len(f.edits) for f in found] == [2, 2] * 40  # both halves of each token are masked


def test_a_text_the_regex_cannot_read_goes_through_tokenize(monkeypatch):
    calls = _count_tokenize(monkeypatch)
    t = fake_token(seed=3)
    src = f'x = "{t[:12]}" + "{t[12:]}"\ny = "unterminated\nz = (1, 2\n'
    found = P.scan_python(src)
    assert calls[0] >= 1
    assert [f.encoding for f in found] == ["concatenation"]


def test_offsets_are_mapped_past_masked_ipython_lines():
    from hfsecure_jupyter.detect.redact import apply_edits

    t = fake_token(seed=4)
    # "!pip ..." is masked to "pass" (shorter): the literals after it sit at other offsets in the source
    src = f'!pip install -q transformers datasets\nx = ("{t[:12]}"  # a\n     "{t[12:]}")\n'
    [f] = P.scan_python(src)
    assert f.encoding == "concatenation"
    assert apply_edits(src, list(f.edits)) == src.replace(t[:12], mask_secret(t)).replace(t[12:], "")
    assert [(x, x.edits) for x in _slow_scan(src)] == [(f, f.edits)]


def test_fstrings_that_may_nest_quotes_go_through_tokenize_on_python_312(monkeypatch):
    monkeypatch.setattr(P, "_FSTRING_NESTS", True)
    assert P._scan_literals('x = f"{d["k"]}" + "b"') is None  # the regex would end it at d[
    assert P._scan_literals("x = f'{a}-{b!r:>{w}}' 'c' + \"{not_f}\"") is not None
    assert P._plain_fstring('f"{a}"') and not P._plain_fstring("f'{x[\"k\"]}'")


def _slow_scan(src):
    saved = P._scan_literals
    P._scan_literals = lambda py: None
    try:
        return P.scan_python(src)
    finally:
        P._scan_literals = saved


# -- one engine pass for every folded value ------------------------------------------------------------------

@st.composite
def folded_value(draw: st.DrawFn) -> str:
    """A text a literal group folds to: tokens plain, escaped, base64'd, percent-encoded or zero-width split,
    assignments and headers, with what the engine's decoders and boundary tests look at around them."""
    import base64

    t = fake_token(seed=draw(st.integers(0, 10**6)))
    forms = [t, t[:10], t[10:], "\\x68\\x66_" + t[3:], base64.b64encode(t.encode()).decode(), t.replace("_", "%5F"),
             t[:6] + "\u200b" + t[6:], "\x1b[31m" + t + "\x1b[0m", f'api_key = "{t[3:]}1"', "Bearer " + t[3:] * 2,
             "hf_", "\\", "%", "&#104;", "x", " ", "\n", "=", '"', "aGZf", "\x1b[", "\u200b"]
    return "".join(draw(st.lists(st.sampled_from(forms), max_size=6)))


_T = fake_token(seed=11)


@SETTINGS
@given(st.lists(folded_value(), max_size=8))
# (hypothesis found it: an escape in one value turned the joined text's decoded view on, which decoded
# "%88" in another value and made its long name end at "api_key")
@example(["\\x68\\x66_" + _T[3:], f'%88{_T[3:28]}api_key = "{_T[3:]}1"'])
def test_one_engine_pass_over_all_folded_values_finds_what_one_pass_each_does(values):
    from hfsecure_jupyter.detect.engine import find_secrets

    assert P.secrets_of_each(values) == [find_secrets(v) for v in values]


def test_a_hit_that_runs_past_its_value_is_found_in_the_value_alone(monkeypatch):
    # (no rule crosses a line end today: a fake engine hit that does makes both values scanned alone)
    from hfsecure_jupyter.detect import engine

    t = fake_token(seed=9)
    real = P.find_secrets
    seen = []

    def spy(text):
        seen.append(text)
        hits = real(text)
        if "\n" in text:  # the joined pass: pretend its first hit runs into the next value
            hits[0] = engine.Hit(hits[0].rule, hits[0].start, hits[0].end + 2, hits[0].secret)
        return hits

    monkeypatch.setattr(P, "find_secrets", spy)
    out = P.secrets_of_each([t, "ab", t])
    assert [[h.start for h in hs] for hs in out] == [[0], [], [0]]
    assert sorted(seen[1:]) == sorted([t, "ab"])  # the two it ran past, alone


@pytest.mark.skipif(not P._LONE_QUOTE_GOES_ON, reason="Python 3.12's tokenize stops at an unterminated literal")
def test_an_unterminated_literal_is_read_without_tokenize(monkeypatch):
    # 3.11's tokenize reads a lone quote as an error token and goes on; so does the regex scanner now (a
    # cell of 'sk-"' repeated with one quote open went through tokenize: 5 s per MB).
    calls = _count_tokenize(monkeypatch)
    t = fake_token(seed=5)
    src = f'x = "open\ny = "{t[:12]}" + "{t[12:]}"\nz = \'also open "{t[:9]}" "{t[9:]}"\n'
    found = P.scan_python(src)
    assert calls[0] == 0
    assert [(f.line, f.encoding) for f in found] == [(2, "concatenation"), (3, "concatenation")]
    assert P._scan_literals('x = "a\\\nb\ny = 1\n') is None  # (an open literal continued: tokenize decides)

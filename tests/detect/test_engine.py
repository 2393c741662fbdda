"""The text engine: prefilter, decoded views, positions, suppression, linear time."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect import engine
from hfsecure_jupyter.detect.engine import KEYWORDS, might_contain_secret, raw_candidates


def test_prefilter_says_no_for_plain_code_and_yes_for_every_keyword():
    assert not might_contain_secret("import torch\nmodel = AutoModel.from_pretrained('gpt2')\n")
    assert not might_contain_secret(b"import torch\n")
    for kw in KEYWORDS:
        assert might_contain_secret(f"x {kw} y"), kw


def test_prefilter_is_exact_for_clean_text_of_every_kind(tok):
    assert might_contain_secret(tok) and might_contain_secret(tok.encode())


def test_raw_candidates_ignore_names_but_see_pieces(tok):
    assert not raw_candidates(b'"from huggingface_hub import hf_hub_download\\n"')
    assert raw_candidates(f'"{tok}"'.encode())
    assert raw_candidates(f'"x = \\"{tok[:10]}\\" + \\"{tok[10:]}\\""'.encode())


def test_position_is_line_and_column_of_the_start(tok):
    [f] = detect.scan_text(f"first\nsecond line {tok} end")
    assert (f.line, f.column, f.end_line, f.end_column) == (2, 13, 2, 13 + len(tok))


def test_multiple_tokens_in_order(make_token):
    a, b = make_token(), make_token("github")
    found = detect.scan_text(f"{b} and {a}")
    assert [f.rule for f in found] == ["github-token", "hf-user-token"]


def test_suppression_is_reported_not_dropped(tok):
    [f] = detect.scan_text(f"{tok}  # hfsecure: allow")
    assert f.suppressed
    [g] = detect.scan_text(f"{tok}\n# hfsecure: allow")
    assert not g.suppressed


@pytest.mark.parametrize("wrap", ["\\u{:04x}", "\\x{:02x}"])
def test_escaped_characters(tok, wrap):
    text = "".join(wrap.format(ord(c)) for c in tok)
    [f] = detect.scan_text(f'"{text}"')
    assert f.encoding == "escaped" and f.column == 2 and f.end_column == 2 + len(text)


def test_zero_width_inside_body_only(tok):
    hidden = tok[:10] + "\u200d" + tok[10:]
    [f] = detect.scan_text(hidden)
    assert f.encoding == "zero-width"


def test_url_safe_and_offset_base64(tok):
    import base64
    for prefix in (b"", b"Bearer ", b"user:", b"Authorization: Basic "):
        enc = base64.urlsafe_b64encode(prefix + tok.encode() + b"\n").decode()
        [f] = detect.scan_text(f"data={enc};")
        assert f.encoding == "base64" and f.preview.endswith(tok[-4:]), prefix


def test_base64_of_plain_text_is_not_a_finding():
    import base64
    enc = base64.b64encode(b"hf_hub_download is a function of huggingface_hub " * 5).decode()
    assert detect.scan_text(enc) == []


def _cpu_seconds(fn, text: str, repeats: int) -> float:
    """The least CPU time of ``repeats`` calls: CPU time of this process, not wall time, so other work on
    the machine does not count, and the least of a few so a one-off pause does not either."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        fn(text)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("name,unit,count", [
    ("repeated hf_", "hf_", 176_000),
    ("whitespace", " ", 512_000),
    ("long keyword runs", "hf_" + "a" * 33 + " ", 13_600),
    ("base64 markers", "aGZf", 128_000),
    ("escapes", "\\u0068", 84_000),
    ("zero width", "h\u200b", 256_000),
])
def test_hostile_input_is_linear(name, unit, count):
    # A ratio of two sizes in one process (absolute figures: benchmarks/): 8 times the input must cost
    # well under 64 times (quadratic) the time; linear is 8, the margin is 3x for noise.
    small, large = unit * (count // 8), unit * count
    for fn in (detect.scan_text, detect.scan_python, detect.redact):
        fn(small)  # warm caches (compiled patterns, imports) before measuring
        t_small, t_large = _cpu_seconds(fn, small, 3), _cpu_seconds(fn, large, 2)
        assert t_large < 24 * t_small + 0.002, (name, fn.__name__, t_small, t_large)


def test_raw_candidates_see_encoded_prefixes_only_where_they_decode(tok):
    import base64

    assert raw_candidates(("x h\u200bf\u200b_" + tok[3:]).encode())
    assert not raw_candidates("placeholder \u200b and h\u200bello".encode())
    assert raw_candidates(base64.b64encode(("Bearer " + tok).encode()))
    assert not raw_candidates(b"aGZf" + b"Q" * 60)  # a marker whose run decodes to no secret


@pytest.mark.parametrize("before", ["\\n", "\\t", "\\r", "\\0"])
def test_a_token_right_after_an_escape_is_found(tok, before):
    # reprs and JSON text write a newline as backslash-n, glued to what follows
    text = f"'line one{before}{tok}'"
    [f] = detect.scan_text(text)
    assert f.column == text.index(tok) + 1
    assert detect.redact(text) == f"'line one{before}hf_****{tok[-4:]}'"
    assert detect.scan_text(f"x{tok}") == [] and detect.scan_text(f"\\q{tok}") == []


def test_repr_of_a_multiline_value_is_redacted(tok):
    assert tok not in detect.redact(repr(f"header\n{tok}\n"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["aGZf", "hmX", "oZl", "YXBpX29y", "A" * 20, "Qk" * 30, " ", "\"", "-", "_", "="]),
                max_size=60).map("".join), st.integers(0, 40))
def test_the_next_long_marker_is_the_regexs_next_one(text, start):
    # str.find per marker, then the regex once short runs pile up: the same positions as the regex alone.
    from hfsecure_jupyter.detect import engine as e

    nxt = [text.find(m) for m in e._B64_MARKERS] + [0]
    got, pos = [], start
    while (i := e._next_long_marker(text, pos, nxt)) >= 0:
        got.append(i)
        pos = i + 1
    want, pos = [], start
    while (m := e._B64_MARKER_LONG.search(text, pos)) is not None:
        want.append(m.start())
        pos = m.start() + 1
    assert got == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["\\u0068", "\\x66", "%5F", "%5f", "&#95;", "&#x5F;", "&lowbar;", "\u200b", "\ufeff",
                                 "\x1b[31m", "\\u00", "%", "&", "&#", "\\", "hf_", "x", " "]) | st.text(max_size=3),
                max_size=30).map("".join))
def test_the_decoded_view_is_the_unit_by_unit_decoding(text):
    # (Split at the units and looked up in a cache: the same text as re.sub with a decoder per unit.)
    assert engine._decoded(text) == engine._NORMALISE.sub(engine._decode_unit, text)


# Fragments a keyword-dense text is made of: keywords, pieces of them, body characters, quotes,
# backslashes and escapes, so that pieces end at quotes and keywords touch words or escapes.
_DENSE = st.lists(st.sampled_from(["hf_", "sk-", "sk-ant-", "api_org_", "AKIA", "ABIA", "lsv2_pt_", "gh", "p_",
                                   "a", "Z9", "-", "_", "x" * 20, '"', "'", "\\", "\\n", "\\x41", "%5F", " ", "\n"]),
                  max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_DENSE)
def test_a_piece_is_found_backwards_exactly_where_it_is_found_forwards(text):
    # may_continue_in_literal reads the text backwards (linear); the forward pattern read up to a whole
    # secret after every keyword ("sk-sk-sk-...": 0.44 s for 300 kB, 1.6 ms now).
    import re

    from hfsecure_jupyter.detect.rules import group_piece, group_piece_reversed

    for _check, group, _piece in engine._GROUPS:
        forwards = re.search(group_piece(group), text) is not None
        assert (re.search(group_piece_reversed(group), text[::-1]) is not None) == forwards, group[0].id
    forwards = any(re.search(group_piece(g), text) for _c, g, _p in engine._GROUPS if not g[0].check)
    assert engine.may_continue_in_literal(text) == forwards


def test_a_piece_as_long_as_a_secret_allows_is_found_backwards_too():
    # (The lengths at the edge of each rule's bound, which random fragments rarely build.)
    import re

    from hfsecure_jupyter.detect.rules import group_piece, group_piece_reversed

    for _check, group, _piece in engine._GROUPS:
        for rule in group:
            for n in range(rule.max_len - 2, rule.max_len + 2):
                for text in (rule.keywords[0] + "7" * n + '"', "x" + rule.keywords[-1] + "7" * n + "\\"):
                    forwards = re.search(group_piece(group), text) is not None
                    assert (re.search(group_piece_reversed(group), text[::-1]) is not None) == forwards, (rule.id, n)


@settings(max_examples=300, deadline=None)
@given(_DENSE)
def test_the_raw_keyword_search_skips_only_what_may_not_start_a_secret(text):
    # _raw_prefix_exact's search looks behind each keyword in C; what it skips, _may_start_secret (which
    # it walked to in Python, a keyword at a time) refuses.
    data = text.encode()
    for (_first, rx), group in zip(engine._RAW_PARTS_FIRST, [g for g in engine._RULE_GROUPS if g[0].context is None]):
        for word in engine.group_keywords(group):
            i = data.find(word.encode())
            while i >= 0:
                if engine._may_start_secret(data, i):
                    assert rx.match(data, i) is not None, (group[0].id, data, i)
                i = data.find(word.encode(), i + 1)


_BOUNDARY_TEXT = st.lists(st.sampled_from(["ghp_", "ghr_", "github_pat_", "hf_", "sk-", "sk-ant-", "AIza", "a", "Z9", "_", "-",
                                           " ", '"', "\\", "\\n", "\\x41", "%5F", "%", "7" * 20, "x" * 40]),
                          max_size=40).map("".join)


def _prefix_by_hand(data: bytes, plain: list) -> bool:
    """What the prefix check says, read at every keyword that stands at a boundary."""
    import re

    for (_first, pattern), group in zip(plain, [g for g in engine._RULE_GROUPS if g[0].context is None]):
        words = {w for r in group for w in r.keywords}
        starts = sorted({m.start() for w in words for m in re.finditer(re.escape(w.encode()), data)})
        for i in starts:
            m = pattern.match(data, i)
            if m is None or not engine._may_start_secret(data, i):
                continue
            nxt = m.group(2)
            if nxt in engine._PIECE_ENDS or (nxt in engine._ZW_LEADS and engine._RAW_ZW.match(data, m.end() - 1)):
                return True
            if len(m.group(1)) >= 16 and engine._plain_hits(m.group(0).decode("latin-1")):
                return True
    return False


@settings(max_examples=300, deadline=None)
@given(_BOUNDARY_TEXT)
def test_the_prefix_check_at_boundaries_says_no_less_than_a_check_of_every_keyword(text):
    # Each prefix group's raw pattern is matched only where a keyword may start a secret (lookbehinds after
    # each keyword length) and its body may be taken (16 characters, or a piece's end after it):
    # "ghr_aghr_a..." and "hf_hf_hf_..." were walked a keyword at a time in Python (0.5 s a MB). It says yes
    # wherever the walk of every keyword with the whole pattern said yes (which passed over a keyword inside
    # a match it did not take: "hf_hf_\""), and only where a keyword at a boundary is read as a piece.
    data = text.encode("utf-8", "surrogatepass")
    fast = engine._raw_prefix_exact(data, None)
    plain = [(first, pattern) for first, pattern, group in zip(engine._RAW_FIRST, engine._RAW_RULES, engine._RULE_GROUPS)
             if group[0].context is None]
    saved, bits = engine._RAW_PARTS_TAKEN, engine._PREFIX_GROUP_BITS
    try:
        engine._RAW_PARTS_TAKEN = plain
        walked = engine._raw_prefix_exact(data, None)
        # A long match is validated by its group's rules: every group's rules say the same.
        engine._PREFIX_GROUP_BITS = tuple((1 << len(engine._GROUPS)) - 1 for _ in bits)
        assert engine._raw_prefix_exact(data, None) == walked
    finally:
        engine._RAW_PARTS_TAKEN, engine._PREFIX_GROUP_BITS = saved, bits
    assert fast or not walked
    assert _prefix_by_hand(data, plain) or not fast


def test_every_prefix_group_is_matched_at_its_boundaries_only():
    # (None of them falls back to the keyword-at-a-time walk, whatever its keywords' lengths.)
    for (_first, rx), group in zip(engine._RAW_PARTS_FIRST, [g for g in engine._RULE_GROUPS if g[0].context is None]):
        words = sorted({w for r in group for w in r.keywords})
        for w in words:
            assert rx.search(b"x" + w.encode() + b"abc") is None, (group[0].id, w)
            assert rx.search(b" " + w.encode() + b"abc") is not None or rx.search(b" " + w.encode() + b'"') is not None, w

"""The fast paths of a file dense in findings (concatenated tokens) give what the plain code gives.

Each fast path is checked against a plain reference written here (or the one it replaced, kept in the
package): the bulk validation (``rules.valid_bodies``, its run and sequence screen), the placeholder test,
the literal-led fold-operator test (``python._may_fold``) and the findings built in one loop
(``engine.hits_to_findings``); then the whole Python scan, all fast paths against all references.
"""

from __future__ import annotations

import gc

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect import engine
from hfsecure_jupyter.detect import python as P
from hfsecure_jupyter.detect import rules as R
from hfsecure_jupyter.detect.findings import Edit, Finding, fingerprint, mask_secret
from hfsecure_jupyter.detect.lazy import collector_paused
from hfsecure_jupyter.testing import fake_token
from tests.detect.test_literal_scan import python_source

# (monkeypatch is used through monkeypatch.context(): each example undoes its own patches)
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# What a body is made of: random pieces of tokens, runs, typing sequences (also across the boundaries the
# bulk screen joins at), words, non-ASCII letters, line ends and NULs (the screen's separators and fills).
PIECES = ["a", "b", "x", "A", "Z", "0", "9", "abcdefg", "abcdef", "qwertyu", "QWERTYU", "zyxwvut", "9876543",
          "XYZ0123", "456789ab", "aaaaaa", "aaaaa", "Example", "token", "Auto", "Model", "For", "é", "ß", "_", "-",
          "\n", "\0"]


@st.composite
def body(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=6)))
    if draw(st.booleans()):
        tok = fake_token(seed=draw(st.integers(0, 10**6)))[3:]
        cut = draw(st.integers(0, len(tok)))
        text = tok[:cut] + text if draw(st.booleans()) else text + tok[cut:]
    return text[::-1] if draw(st.booleans()) else text


BODIES = st.lists(body(), max_size=40)


def _sequence_7(b: str) -> bool:
    # (every 7-character window looked up: _longest_sequence would also count a NUL after a sequence's end)
    return not R._SEQUENCE_7.isdisjoint(b[i:i + 7] for i in range(len(b) - 6))


def _reference_placeholder(b: str) -> bool:
    """looks_like_placeholder as first written: each threshold by its plain definition."""
    return (not b or any(w in b for w in R._PLACEHOLDER_WORDS) or R._longest_run(b) >= 6
            or _sequence_7(b) or len(set(b)) < min(12, max(4, len(b) // 3))
            or (len(b) >= 16 and R._wordlike(b)))


@SETTINGS
@given(BODIES)
@example(["xxabcdefgq"] * 8 + ["a1B2c3d4e5f6g7h8i9", "a1B2c3D4e5F" * 3 + "a", "a1B2c3D4e5" * 3 + "abcd", "fedcba\0"])
def test_looks_like_placeholder_is_its_plain_definition(bodies):
    assert [R.looks_like_placeholder(b) for b in bodies] == [_reference_placeholder(b) for b in bodies]


@SETTINGS
@given(BODIES)
def test_the_run_screen_misses_no_body_with_a_run_or_a_sequence(bodies):
    suspects = R._run_suspects(bodies)
    if suspects is None:
        assert not "\n".join(bodies).isascii() or len("\n".join(bodies)) < 2
        return
    for i, b in enumerate(bodies):
        if R._longest_run(b) >= 6 or _sequence_7(b):
            assert i in suspects


@SETTINGS
@given(BODIES)
@example([fake_token(seed=i)[3:] for i in range(20)] + ["abcdefgh"])
def test_valid_bodies_is_each_validator_called_on_each_body(bodies):
    for validator in (R._valid_hf, R._valid_generic, R._valid_aws, R._valid_value):
        assert R.valid_bodies(validator, bodies) == [validator(b) for b in bodies]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="fFsStTrR'\"%.([:{ \n\u017fjoinJOINformat_x1\u0131\u0130\t", max_size=14))
@example("elf'x'")
@example("str (1)")
@example("\u017ftr(")
@example(".JOIN (")
def test_may_fold_is_the_fold_operator_regex(text):
    assert P._may_fold(text) == (P._FOLD_OPS.search(text) is not None)


def _reference_findings(text, hits, location=""):
    """engine.hits_to_findings as first written (each finding by keyword, its own mask and fingerprint)."""
    index = engine.LineIndex(text)
    out = []
    for h in hits:
        preview = mask_secret(h.secret, prefix_len=h.rule.prefix_len)
        line, column = index.line_col(h.start)
        end_line, end_column = index.line_col(h.end)
        out.append(Finding(
            rule=h.rule.id, kind="secret", severity="error", location=location, line=line, column=column,
            end_line=end_line, end_column=end_column, preview=preview, fingerprint=fingerprint(h.rule.id, h.secret),
            suppressed=index.suppressed(h.start, h.end),
            message=f"{h.rule.description}{f' ({h.encoding})' if h.encoding else ''}: {preview}",
            fix=engine._fix_for(h.rule), encoding=h.encoding, edits=h.edits or (Edit(h.start, h.end, preview),)))
    return out


def _reference_folded_hits(source, groups):
    """python._folded_hits as first written (each value's hits moved into it, then each piece's edit)."""
    hits = []
    groups = [g for g in groups if len(g) > 1 or not g[0].verbatim]
    for group, found in zip(groups, P.secrets_of_each(["".join(p.value for p in g) for g in groups])):
        bounds, pos = [], 0
        for p in group:
            bounds.append((pos, pos + len(p.value), p))
            pos += len(p.value)
        for h in found:
            preview = mask_secret(h.secret, prefix_len=h.rule.prefix_len)
            edits = []
            for vs, ve, p in bounds:
                lo, hi = max(vs, h.start), min(ve, h.end)
                if lo < hi:
                    s, e = (p.content_start + lo - vs, p.content_start + hi - vs) if p.verbatim else (
                        p.content_start, p.content_end)
                    edits.append(Edit(s, e, "" if edits else preview))
            if edits:
                encoding = h.encoding or ("concatenation" if len(edits) > 1 else "escaped")
                hits.append(engine.Hit(h.rule, edits[0].start, edits[-1].end, h.secret, encoding, tuple(edits)))
    return hits


def _reference_plain_hits(text, encoding="", mask=None):
    """engine._plain_hits as first written: every rule through Rule.finditer."""
    hits = []
    for _check, rules, _piece in engine._present_groups(text, mask):
        for rule in rules:
            g = rule.secret_group or 0
            hits += [engine.Hit(rule, m.start(g), m.end(g), m.group(g), encoding) for m in rule.finditer(text)]
    return hits


def _reference_finditer(self, text):
    """Rule.finditer as first written: the name before a context rule's value is read first."""
    for m in self.pattern.finditer(text):
        if (self.context is None or self.context.search(text, max(0, m.start() - 96), m.start()) is not None) \
                and self.validator(m.group("body")):
            yield m


def _reference_unfiltered(text, mask=None):
    """engine.find_secrets_unfiltered as first written: the hits always sorted and deduplicated."""
    hits = engine._plain_hits(text, mask=mask) + engine._view_hits(text, mask)
    if (mask & engine._B64_BITS) if mask is not None else any(m in text for m in engine._B64_MARKERS):
        hits += engine._b64_hits(text)
    return engine._dedupe(hits)


def _reference_merge(raw, folded):
    """python._merge_folded as first written."""
    import bisect

    starts = [r.start for r in raw]
    added = []
    for h in folded:
        j = bisect.bisect_left(starts, h.start)
        if any(raw[k].secret == h.secret for k in range(j, bisect.bisect_left(starts, h.end))):
            continue
        k = bisect.bisect_right(starts, h.start) - 1
        if k >= 0 and raw[k].start <= h.start < raw[k].end:
            continue
        added.append(h)
    return sorted(raw + added, key=lambda h: h.start) if added else raw


def _plain_scan(src: str, monkeypatch) -> list:
    """scan_python with every fast path replaced by its plain reference."""
    real_groups = P._string_groups
    with monkeypatch.context() as m:
        m.setattr(P, "_folded_hits", _reference_folded_hits)
        m.setattr(P, "_merge_folded", _reference_merge)
        m.setattr(P, "_string_groups", lambda py, starts, same=False: real_groups(py, starts))
        m.setattr(engine, "_plain_hits", _reference_plain_hits)
        m.setattr(R.Rule, "finditer", _reference_finditer)
        m.setattr(engine, "find_secrets_unfiltered", _reference_unfiltered)
        m.setattr(P, "find_secrets_unfiltered", _reference_unfiltered)
        m.setattr(engine, "valid_bodies", lambda validator, bodies: [validator(b) for b in bodies])
        m.setattr(R, "_run_suspects", lambda bodies: None)
        m.setattr(P, "_may_fold", lambda source: P._FOLD_OPS.search(source) is not None)
        m.setattr(P, "hits_to_findings", _reference_findings)
        m.setattr(P, "_BIG_SOURCE", 10**12)
        return P.scan_python(src)


@st.composite
def concatenated(draw: st.DrawFn) -> str:
    """Lines of tokens split over literals (``+``, implicit joins, brackets, escapes), plain ones, fills."""
    lines = []
    for i in range(draw(st.integers(1, 24))):
        t = fake_token(draw(st.sampled_from(["hf", "hf-org", "github", "aws", "openai"])),
                       seed=draw(st.integers(0, 10**6)))
        cut = draw(st.integers(0, len(t)))
        a, b = t[:cut], t[cut:]
        form = draw(st.sampled_from([
            f't{i} = "{a}" + "{b}"', f'u{i} = "{t}"', f'v{i} = ("{a}"\n    "{b}")', f"w{i} = '{a}' '{b}'  # {i}",
            f'x{i} = "{a}" + "{b}"; y{i} = "{t}"', f'z{i} = "{t[:3]}" + "' + "x" * 34 + '"',
            f'e{i} = "{a.replace("_", chr(92) + "x5f")}" + "{b}"', f'api_key = "{b}1a"', f'"{t}"  # hfsecure: allow',
            f'k{i} = "{t}" + "{t}"']))
        lines.append(form)
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@SETTINGS
@given(concatenated() | python_source())
def test_scan_python_fast_paths_find_what_the_plain_ones_find(monkeypatch, src):
    fast = P.scan_python(src)
    plain = _plain_scan(src, monkeypatch)
    assert [(f, f.edits) for f in fast] == [(f, f.edits) for f in plain]


def test_a_big_file_of_tokens_is_scanned_like_a_small_one_and_leaves_the_collector_as_it_was(monkeypatch):
    toks = [fake_token(seed=i) for i in range(2000)]
    src = "".join(f't{i} = "{t[:12]}" + "{t[12:]}"; u{i} = "{toks[-1 - i]}"\n' for i, t in enumerate(toks))
    assert len(src) > P._BIG_SOURCE
    fast = P.scan_python(src)
    assert len(fast) == 4000 and gc.isenabled()
    assert [(f, f.edits) for f in fast] == [(f, f.edits) for f in _plain_scan(src, monkeypatch)]
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # (a collector the caller had turned off stays off)
    finally:
        gc.enable()


CONTEXT_RULES = [r for r in R.RULES if r.context is not None]
NAMES = ["api_key", "password", "WANDB_API_KEY", "model_id", 'os.environ["HF_TOKEN"]', '{"secret"', "x"]


@SETTINGS
@given(st.sampled_from(NAMES), st.sampled_from(["", "a", "Z", "7", "x_"] + list(R.RULE_KEYWORDS)),
       st.integers(0, 10**6), st.sampled_from([" = ", "=", ": ", ":"]))
def test_a_context_rule_finds_what_it_found_reading_the_name_first(name, lead, seed, op):
    value = lead + fake_token(seed=seed)[3:] + "1a"
    text = f'{name}{op}"{value}"\nBearer {value}\n'
    for rule in CONTEXT_RULES:
        assert [m.span() for m in rule.finditer(text)] == [m.span() for m in _reference_finditer(rule, text)]

"""The text engine: prefilter, candidates, decoded views, validation, findings.

Every scan goes through :func:`find_secrets`:

1. **Prefilter**: :func:`might_contain_secret` looks for the rules' keywords and a few encoding markers
   with ``str.find``. Most texts stop here, which is what makes cells and notebooks cheap to check.
2. **Candidates**: each keyword occurrence is matched by its rule's anchored pattern and validated.
3. **Decoded views**: when the text holds zero-width characters, ANSI colour codes, ``\\uXXXX`` /
   ``\\xXX`` escapes or percent-encoding, a normalised copy is scanned too and its matches are mapped
   back to the original characters; base64 runs that hold an encoded token prefix are decoded locally.

With the optional ``google-re2`` (the ``fast`` extra) the prefilters of step 1 run as RE2 passes, once a
quarter of a megabyte of text has gone through them; the answers are the same (see :func:`use_accelerator`).

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> [f.rule for f in scan_text(f"token = {tok}")]
    ['hf-user-token']
"""

from __future__ import annotations

import re
from functools import cache, cached_property, partial, wraps

from .findings import Edit, Finding, fingerprint, masked_preview
from .hsdb import Databases, load_hyperscan
from .lazy import lazy_compile, lazy_import, lazy_tuple, record
from .rules import (RULE_KEYWORDS, RULES, ZERO_WIDTH, Rule, base64_markers, group_check, group_keywords, group_literal,
                    group_piece, group_piece_is_linear, group_piece_reversed, group_raw_regex, keyword_regex,
                    rule_groups, valid_bodies)

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing costs a hook's start-up ~3 ms: only for the type checker)
    import base64
    import binascii
    import bisect
    from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

    _T = TypeVar("_T")
else:  # imported on first use: base64 when a marker is decoded, bisect to place a finding or a view
    base64, binascii, bisect = (lazy_import(m, globals()) for m in ("base64", "binascii", "bisect"))

__all__ = ["Hit", "builds_view", "find_secrets", "might_contain_secret", "raw_candidates", "scan_text", "hits_to_findings", "KEYWORDS",
           "line_col", "is_suppressed_line", "LineIndex", "accelerated_search", "use_accelerator",
           "raw_superset", "raw_candidates_stripped", "without_images", "expect_input", "accelerated_ends"]

# base64 of the keywords of the rules that ask for it ("hf_", "api_org_") at the three byte alignments
# (only the characters fixed by the prefix); the raw-bytes prefilter looks for the "raw" ones only.
_B64_MARKERS = base64_markers()
_B64_RAW_MARKERS = base64_markers(raw=True)
_ZERO_WIDTH = ZERO_WIDTH
# Markers that call for the normalised view. Escapes are keyed on the escaped forms of 'h', 'f', '_'
# and 'a' so that ordinary escapes (``\n``, ``\x00``, ANSI in tracebacks) do not trigger it alone.
_ESCAPE_MARKERS = ("\\u0068", "\\x68", "\\u0066", "\\x66", "\\u005f", "\\u005F", "\\x5f", "\\x5F",
                   "\\u0061", "\\x61", "%5F", "%5f", "%68", "%66")
# HTML character references of the same characters ("hf&#95;..." in a text/html output or markdown).
_ENTITY_MARKERS = ("&#95;", "&#x5f;", "&#X5F;", "&#104;", "&#x68;", "&#102;", "&#97;", "&lowbar;", "&UnderBar;")
_ENTITY_RE = r"&(?:#(?:0*(?:95|104|102|97)|[xX]0*(?:5[fF]|68|66|61));|lowbar;|UnderBar;)"
_RULE_KEYWORDS = RULE_KEYWORDS
# The rules by prefilter group (one check, one pass over the text, per group).
_RULE_GROUPS = rule_groups()
#: Everything the prefilter looks for, as plain strings (documentation and tests).
KEYWORDS: tuple[str, ...] = _RULE_KEYWORDS + _B64_MARKERS + _ESCAPE_MARKERS + _ENTITY_MARKERS + tuple(_ZERO_WIDTH)


def _check_sources(kind: type) -> tuple[tuple, tuple]:
    """The prefilter's checks as (source, is a regex) pairs of ``kind`` (str or bytes): the rule checks,
    then the encoded forms (what RE2 patterns are built from, with nothing compiled)."""
    def b(x: str) -> Any:
        return x.encode("utf-8") if kind is bytes else x

    zw_escaped = r"\\u(?:200[bcdBCD]|2060|[fF][eE][fF][fF]|00[aA][dD]|180[eE])"
    escapes = r"\\(?:u00(?:68|66|5[fF]|61)|x(?:68|66|5[fF]|61)|1(?:50|46|37|41))|" + zw_escaped
    rules: list = []
    for group in _RULE_GROUPS:
        literal = group_literal(group)
        rules.append((b(literal), False) if literal is not None else (b(group_check(group)), True))
    encoded: list = [(b(escapes), True), (b(r"%(?:5[fF]|6[68])"), True)]
    if kind is bytes:
        # Raw files: each pass costs ~3 ms per 10 MB, so only the likely encodings of a token's prefix:
        # U+200B-U+200D, U+2060, U+FEFF and base64 of "hf_" (still found inside parsed fields: soft
        # hyphen, U+180E and base64 of "api_org_").
        encoded += [(b"\xe2(?:\x80[\x8b-\x8d]|\x81\xa0)", True), (b"\xef\xbb\xbf", False)]
        encoded += [(b(m), False) for m in _B64_RAW_MARKERS]
    else:
        encoded += [(z, False) for z in _ZERO_WIDTH]
        encoded += [(b(m), False) for m in _B64_MARKERS]
    # Last, so that the other checks keep their places (and bits): HTML character references.
    encoded.append((b(_ENTITY_RE), True))
    return tuple(rules), tuple(encoded)


def _checks(kind: type, sources: "tuple[tuple, tuple]") -> tuple[tuple, tuple]:
    """The prefilter as few passes as possible (from :func:`_check_sources` of ``kind``): literals (``in``)
    and regexes sharing a literal prefix.

    Each pass over the data costs about the same whatever it looks for, so keywords with a common
    prefix are grouped into one regex (``re`` scans for a literal prefix at memchr speed).
    """
    # re's literal search beats ``in``: on str for every needle, on bytes for needles of up to 6 bytes
    # (measured on the notebook corpus: 1.6-2.7 ms vs 3.0-3.9 ms per pass).
    longest = 10**9 if kind is str else 6

    def fast(c: Any, regex: bool) -> Any:
        if regex:
            return re.compile(c)
        if isinstance(c, bytes) and len(c) > 1:
            return _rotated(c)[0]  # any length: a rare first byte beats ``in`` too
        if isinstance(c, str) and 1 < len(c) <= longest:
            return re.compile(re.escape(c))
        return c

    rules, encoded = sources
    return tuple(fast(*c) for c in rules), tuple(fast(*c) for c in encoded)


# Bytes by how often they occur in notebooks, commonest first (measured on the notebook corpus; bytes not
# listed are rarer still). ``re`` looks for a literal's first byte in a tight loop and stops at each one,
# so a literal search costs 2-4x less when it starts at its rarest byte (``lsv2_`` as ``v2_`` behind ``ls``).
_COMMON_BYTES = (b' e"tnaoilsr,udcmp:_\\ghf/ybw0v1.xk2453}{97[86]ATIMzj-PEDLSCq=RBFOGHY)V(NU+QWXJK\'Z`#>*<@!|?;&%$^~')


def _rotated(word: bytes) -> tuple["re.Pattern[bytes]", int]:
    """A search for the literal ``word`` that starts at its rarest byte, and that byte's offset in it
    (``m.start() - offset`` is where ``word`` starts). The lookbehind checks the bytes before.

    Example:
        >>> rx, back = _rotated(b"lsv2_"); rx.pattern, back, rx.search(b"x lsv2_").start() - back
        (b'2_(?<=lsv2_)', 3, 2)
    """
    def rank(b: int) -> int:
        i = _COMMON_BYTES.find(bytes([b]))
        return len(_COMMON_BYTES) if i < 0 else i
    i = max(range(len(word)), key=lambda k: (rank(word[k]), -k))
    if i == 0:
        return re.compile(re.escape(word)), 0
    return re.compile(re.escape(word[i:]) + b"(?<=" + re.escape(word) + b")"), i


_RULE_CHECKS_STR, _ENCODED_CHECKS_STR = _checks(str, _check_sources(str))
_CHECKS_STR = _RULE_CHECKS_STR + _ENCODED_CHECKS_STR
_VIEW_TRIGGERS = _ENCODED_CHECKS_STR[:2] + _ENCODED_CHECKS_STR[-1:]  # escapes, percent-encoding, entities
# (Built when raw bytes are first checked: a run over Python files only never checks them.)
_BYTES_SOURCE_PARTS = lazy_tuple(partial(_check_sources, bytes))
_BYTES_CHECKS = lazy_tuple(lambda: _checks(bytes, _BYTES_SOURCE_PARTS))
_BYTES_SOURCES = lazy_tuple(lambda: _BYTES_SOURCE_PARTS[0] + _BYTES_SOURCE_PARTS[1])
_RULE_CHECKS_BYTES, _ENCODED_CHECKS_BYTES = lazy_tuple(lambda: _BYTES_CHECKS[0]), lazy_tuple(lambda: _BYTES_CHECKS[1])
_CHECKS_BYTES = _RULE_CHECKS_BYTES + _ENCODED_CHECKS_BYTES
# Base64 image payloads in notebooks (a third of a typical notebook's bytes) cannot hold a token as
# text; the raw prefilter skips them when they are plain base64: outputs and attachments, and images
# inlined in markdown or HTML as data: URIs.
_IMAGE_PAYLOAD = lazy_compile(rb'"image/(?:png|jpeg|gif|webp|bmp)": "')
_DATA_URI = lazy_compile(rb"data:image/(?:png|jpeg|gif|webp|bmp);base64,")
_B64_JSON_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\\"
_B64_BYTES = _B64_JSON_BYTES[:-1]


def without_images(data: bytes) -> bytes:
    """``data`` with plain base64 image payloads of a notebook cut out (for raw-bytes prefilters).

    Example:
        >>> without_images(b'{"image/png": "iVBORw0KGgo=", "text/plain": "x"}')
        b'{"image/png": "", "text/plain": "x"}'
        >>> without_images(b'["![a](data:image/png;base64,iVBORw0KGgo=)"]')
        b'["![a](data:image/png;base64,)"]'
    """
    return _without_images(data)


def _image_spans(data: bytes) -> list[tuple[int, int]]:
    """Where the plain base64 payloads of images are, in order (a payload ends at the first quote, or,
    in a data: URI, at a closing parenthesis before it; a quote escaped in its string does not end it)."""
    spans = []
    for m in _matches(_IMAGE_PAYLOAD, b'"image/', data):
        end = _payload_end(data, m.end(), False)
        if end == -1:
            break
        if end >= 0:
            spans.append((m.end(), end))
    more = False
    for m in _matches(_DATA_URI, b"data:image/", data):
        end = _payload_end(data, m.end(), True)
        if end == -1:
            break
        if end >= 0:
            spans.append((m.end(), end))
            more = True
    if more:
        spans.sort()
    return spans


def _payload_end(data: bytes, start: int, uri: bool, multi: "Databases | None" = None) -> int:
    """Where the image payload from ``start`` ends: -1 when no quote follows, -2 when it is no plain base64
    (told by hyperscan when ``multi`` is given: ~10 times faster than ``bytes.translate``)."""
    quote = data.find(b'"', start)
    if quote < 0:
        return -1
    if uri:
        end = data.find(b")", start, quote)
        end = quote - (data[quote - 1] == 0x5C) if end < 0 else end  # (an HTML attribute: src=\\"...\\")
    elif data[quote - 1] == 0x5C:
        return -2
    else:
        end = quote
    if multi is not None:  # (a byte that is no base64 in the payload: hyperscan's pass, no copy)
        other = multi.hits(_NOT_PLAIN_URI if uri else _NOT_PLAIN_JSON, memoryview(data)[start:end])
        if other is not None:
            return -2 if other else end
    return end if not data[start:end].translate(None, _B64_BYTES if uri else _B64_JSON_BYTES) else -2


class _AcceleratorLost(Exception):
    """RE2, imported only when a pass first needs it, failed to import: the accelerator is off now."""


def _pure_if_lost(fn: "Callable[..., _T]") -> "Callable[..., _T]":
    """``fn`` run again on the standard-library path when the accelerator is lost while it runs (each such
    function is pure: running it again is safe), so that a broken RE2 build costs speed, never a scan."""

    def run(*args: Any, **kwargs: Any) -> "_T":
        try:
            return fn(*args, **kwargs)
        except _AcceleratorLost:
            return fn(*args, **kwargs)

    return wraps(fn)(run)


@_pure_if_lost
def raw_gate(data: bytes, extra: bytes = b"", start: int = 0, *, where: bool = True) -> "int | None":
    """With the accelerator, where the first match of :func:`raw_superset` or ``extra`` (RE2 syntax) in
    ``data`` from ``start`` on stands outside the image payloads (as :func:`without_images` cuts them), or
    -1, in one pass: only the payloads a match falls in are checked and skipped, so a large notebook
    whose images alone match costs no copy. None when the accelerator is off (the caller runs its exact
    tests). ``where=False``, for a caller that asks only whether there is one: a place at or before it
    may be given instead (hyperscan's pass then settles it alone; rarely, when a match runs from a
    payload to its closing quote, it says there is one where RE2 would find none: the exact tests then
    look for nothing more than they would have).

    (No alternative of the superset can match across a cut: ``"image/png": ""`` holds no keyword, and a
    value starts with no quote.)

    Example:
        >>> raw_gate(b'{"image/png": "' + b"aGZf" * 12 + b'"}') in (None, -1)
        True
        >>> raw_gate(b'{"image/png": "' + b"aGZf" * 12 + b'-"}') in (None, 15)  # (no plain base64)
        True
    """
    accel = _accelerator(len(data))
    if accel is None:
        return None
    # (An alternative for a payload that is no plain base64, to skip the check below, made RE2 read each
    # payload back from every match in it to find where the match starts.)
    pattern = raw_superset() + (b"|" + extra if extra else b"")
    pos = start
    if not start and accel.multi is not None:
        found = _multi_gate(accel.multi, pattern, data)
        if found is not None:
            if found < 0 or not where:
                return found
            pos = found
    search = accel.search(pattern)
    while True:
        m = search(data, pos)
        if m is None:
            return -1
        at = m.start()
        # The last payload header before the match (a payload holds no quote or colon: the match is in
        # that payload or in none); the search from pos on is linear, as pos passes each payload.
        hm, uri = _payload_header(data, pos, at)
        if not hm or hm.end() > at:
            return at
        end = _payload_end(data, hm.end(), uri, accel.multi)
        if end <= at:  # (-1, -2 too: no quote, or no plain base64: the payload is not cut)
            return at
        pos = end


def _payload_header(data: bytes, pos: int, at: int) -> "tuple[re.Match[bytes] | None, bool]":
    """The last image payload header between ``pos`` and ``at`` (its match, or None), and whether it is a
    data: URI's."""
    head, uri = max((data.rfind(b'"image/', pos, at), False), (data.rfind(b"data:image/", pos, at), True))
    return (head >= 0 and (_DATA_URI if uri else _IMAGE_PAYLOAD).match(data, head)) or None, uri


def _multi_gate(multi: "Databases", pattern: bytes, data: bytes) -> "int | None":
    """Hyperscan's pass of ``pattern`` over ``data``: -1 when every match lies inside a plain image
    payload, else where RE2 must look from (the end of the last payload passed over) to say where the
    first match outside them starts. Hyperscan reports where matches end, not where they start: a match
    whose last byte is in a payload starts in it (none spans a payload's header), or at its opening quote
    when a keyword opens it (RE2 looks then). None when hyperscan failed (RE2 alone then)."""
    state = [0, -1, -1]  # the end of the last payload passed over, the current payload's start and end

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: Any) -> int:
        last = to - 1
        if state[1] <= last < state[2]:
            return 0
        hm, uri = _payload_header(data, state[0], last)
        if not hm or hm.end() > last or data.startswith(_PAYLOAD_OPENERS, hm.end()):
            return 1
        end = _payload_end(data, hm.end(), uri, multi)
        if end <= last:
            return 1
        state[:] = [end, hm.end(), end]
        return 0

    for _attempt in range(2):  # (a database from the cache that fails is compiled again, once)
        state[:] = [0, -1, -1]
        done = multi.scan(pattern, data, on_match)
        if done is not None:
            return -1 if done else state[0]
    return None


# What may open a payload as a secret's keyword, its opening quote the left boundary.
_PAYLOAD_OPENERS = tuple(k.encode("ascii") for k in RULE_KEYWORDS)


_NOT_PLAIN_JSON = b"[^A-Za-z0-9+/=\\\\]"  # a byte that is no base64 in a JSON string
_NOT_PLAIN_URI = b"[^A-Za-z0-9+/=]"


@_pure_if_lost
def raw_superset_at(data: bytes, pos: int) -> bool:
    """With the accelerator, whether a match of :func:`raw_superset` starts at ``pos`` (False without it).

    Example:
        >>> raw_superset_at(b'x = "hf_"', 5) in (True, False)
        True
    """
    accel = _accelerator(len(data))
    return accel is not None and accel.raw.match(data, pos) is not None


def _matches(pattern: "re.Pattern[bytes]", literal: bytes, data: bytes) -> Iterator["re.Match[bytes]"]:
    """``pattern.finditer(data)`` for a pattern that starts with ``literal``, each start found by
    ``bytes.find`` (``re`` stops at every quote of a JSON text when a pattern starts with one)."""
    i = data.find(literal)
    while i >= 0:
        m = pattern.match(data, i)
        if m is not None:
            yield m
            i = data.find(literal, m.end())
        else:
            i = data.find(literal, i + 1)


def _without_images(data: bytes) -> bytes:
    spans = _image_spans(data)
    if not spans:
        return data
    parts = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue
        parts.append(data[pos:start])
        pos = end
    parts.append(data[pos:])
    return b"".join(parts)


def _hit(checks: tuple, data) -> bool:
    for c in checks:
        if c.__class__ is re.Pattern:
            if c.search(data) is not None:
                return True
        elif c in data:
            return True
    return False


# Every alternative starts with a literal character, so that ``re`` skips to the next one of them at
# C speed (a leading class made it try each alternative at every position: 4.5x slower on plain text).
_NORMALISE_SOURCE = (
    "|".join(re.escape(c) for c in _ZERO_WIDTH) +
    r"|\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\\u(?P<u>[0-9a-fA-F]{4})|\\x(?P<x>[0-9a-fA-F]{2})|%(?P<p>[0-9a-fA-F]{2})"
    r"|&#(?P<d>[0-9]{1,6});|&#[xX](?P<h>[0-9a-fA-F]{1,5});|&(?:lowbar|UnderBar);"
)
_NORMALISE = lazy_compile(_NORMALISE_SOURCE)
# The same units as one group, for re.split: the text between them and the units themselves, in turn.
_NORMALISE_UNITS = lazy_compile(lambda: "(" + re.sub(r"\(\?P<\w+>", "(?:", _NORMALISE_SOURCE) + ")")
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=")
_B64_WINDOW = 1024  # characters decoded around a marker (long runs are walked in steps of this)
_SUPPRESS = lazy_compile(r"hfsecure:\s*allow")


@record(frozen=True)
class Hit:
    """A validated secret inside one text (internal: it holds the value; never leaves the process)."""

    rule: Rule
    start: int
    end: int
    secret: str
    encoding: str = ""
    edits: tuple[Edit, ...] = ()

    def redaction_edits(self, preview: str) -> tuple[Edit, ...]:
        return self.edits or (Edit(self.start, self.end, preview),)


@_pure_if_lost
def might_contain_secret(text: str | bytes) -> bool:
    """Cheap test: False means no rule can match anywhere in ``text`` (str or raw bytes).

    For raw bytes, plain base64 image payloads of a notebook are skipped.

    Example:
        >>> might_contain_secret("x = 1")
        False
        >>> might_contain_secret(b'{"source": ["hf_"]}')
        True
    """
    if isinstance(text, str):
        if _accelerator(len(text)) is not None:
            return prefilter_mask(text) != 0
        for _bit, search in _STR_SEARCHES:
            if search(text) is not None:
                return True
        for _bit, ch, search in _STR_GUARDED:
            if ch in text and search(text) is not None:
                return True
        return not text.isascii() and any(ch in text for _bit, ch in _STR_CHARS)
    accel = _accelerator(len(text))
    if accel is not None:
        return accel.any_bytes.search(_without_images(bytes(text))) is not None
    return _hit(_CHECKS_BYTES, _without_images(bytes(text)))


# -- optional accelerator: google-re2 ---------------------------------------------------------------------
# With the ``re2`` module (``pip install hfsecure-jupyter[fast]``), the raw-bytes gate first asks one DFA
# pass for a superset of what the exact test accepts (most files stop there), and the prefilter mask of a
# text is one RE2::Set pass. Without it (or with HFSECURE_PURE_PYTHON=1) the standard-library path runs;
# both give the same answers (tests/detect/test_accel.py runs both).
# An escape (JSON, Python, URL): what ends right before a keyword at its left boundary (rules._start).
_ESCAPE_END = rb"(?:\\[nrtfvb0]|\\[0-7]{3}|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|%[0-9A-Fa-f]{2}|%25[0-9A-Fa-f]{2})"
# What may stand right before a keyword that starts a secret, for RE2 (no lookbehind: the byte is matched):
# the start, a byte that is no letter or digit, or an escape (exactly _may_start_secret).
_BOUNDARY_RE2 = "(?:^|[^A-Za-z0-9]|" + _ESCAPE_END.decode("ascii") + ")"
_VALUE_CLASS = "[A-Za-z0-9+/_.~=@#%^&*!-]"
# The value bytes a context check ends with after its digit lookahead, which its relaxed form keeps (see
# _relaxed; hyperscan's ends are read back from them).
_RELAXED_VALUE = 16
_DIGIT_AHEAD = "(?=" + _VALUE_CLASS + "{0,199}[0-9])" + _VALUE_CLASS + "{" + str(_RELAXED_VALUE) + "}"


def _relaxed(check: str) -> str:
    """A superset of a context check for RE2, with few DFA states: 16 value characters (the digit the
    check also asks for is left to the exact test: written out, it made the pattern four times as slow
    to compile and its DFA slower to build, for one notebook fewer flagged in 253)."""
    assert check.endswith(_DIGIT_AHEAD), check
    return check[:-len(_DIGIT_AHEAD)] + _VALUE_CLASS + "{" + str(_RELAXED_VALUE) + "}"


def _without_lookahead(check: str) -> str:
    """A context check with its digit lookahead written out (RE2 has no lookaround): 16 value characters
    of which one within the first 200 is a digit."""
    v = _VALUE_CLASS
    digit = "|".join(f"{v}{{{k}}}[0-9]{v}{{{15 - k}}}" for k in range(16)) + f"|{v}{{16,199}}[0-9]"
    assert check.endswith(_DIGIT_AHEAD), check
    return check[:-len(_DIGIT_AHEAD)] + "(?:" + digit + ")"


def raw_superset() -> bytes:
    """One regex (RE2 syntax, Latin-1 bytes) that matches wherever :func:`raw_candidates` could say True,
    and more: no match there, nothing to look at in those bytes, image payloads included.

    Example:
        >>> import re
        >>> bool(re.search(raw_superset(), b'"from huggingface_hub import hf_hub_download"'))
        False
        >>> bool(re.search(raw_superset(), b'"model_id": "bert-base-uncased-0123456789"'))
        False
        >>> bool(re.search(raw_superset(), b'"api_key": "bert-base-uncased-0123456789"'))
        True
    """
    if not _SUPERSET:
        context, prefixes, others = _raw_superset_alts()
        # The prefixes share their left boundary: one alternative for all (written before each, it made
        # the DFA's cold pass over the corpus ~10 ms slower).
        alts = context + [_BOUNDARY_RE2 + "(?:" + "|".join(prefixes) + ")"] + others
        _SUPERSET.append("|".join("(?:" + a + ")" for a in alts).encode("latin-1"))
    return _SUPERSET[0]


_SUPERSET: list[bytes] = []


def _raw_superset_alts() -> tuple[list[str], list[str], list[str]]:
    """The alternatives of :func:`raw_superset`: the context groups', the prefix groups' (each after the
    left boundary they share) and the rest (escapes, %, entities, zero-width, base64, [::-1])."""
    context, prefixes = [], []
    for group in _RULE_GROUPS:
        if group[0].check:  # an assignment-like place
            # The name run before the operator holds a secret word or an escape (as _name_run_may_be_secret
            # reads it), unbounded: a bounded window makes the DFA blow up.
            context.append(_NAME_RUN_RE2 + _relaxed(group_raw_regex(group).decode("ascii")))
            continue
        m = re.fullmatch(r"(.*)\((\[.*\])\{0,(\d+)\}\)\(\.\?\)", group_raw_regex(group).decode("ascii"))
        assert m is not None, group_raw_regex(group)
        kw, cls, longest = m.groups()
        # After a left boundary (as _may_start_secret reads it: "k0shQr8_" in a cell id, "ACCA" in a DNA
        # sequence, "task-" are none), a piece that ends at a quote, a backslash or a zero-width character,
        # or 16+ characters of a body (unbounded: a superset with few DFA states, which a single pass over
        # cold data builds quickly).
        prefixes.append(f"{kw}(?:{cls}*(?:[\"'\\\\]|{_ZW_BYTES.decode('latin-1')})|{cls}{{16}})")
    # (From the sources: compiling the standard-library checks to read their patterns cost a run ~5 ms.)
    encoded = [src.decode("latin-1") for src, _ in _BYTES_SOURCE_PARTS[1]]
    others = [encoded[0], encoded[1], encoded[-1], _RAW_ZW_SPLIT_SRC.decode("latin-1"),
              "(?:" + "|".join(_B64_RAW_MARKERS) + ")[A-Za-z0-9+/=_-]{42}", r"\[::-1\]"]
    return context, prefixes, others


def _raw_parts() -> list[str]:
    """The alternatives of :func:`raw_superset` but the context ones, one by one (an RE2::Set of them tells which
    parts of the exact test can say True)."""
    _context, prefixes, others = _raw_superset_alts()
    return [_BOUNDARY_RE2 + p for p in prefixes] + others


def _re2_form(pattern: Any) -> Any:
    """``pattern`` (str or bytes) as RE2 reads it: a rotated literal's lookbehind written as the literal
    itself, the digit lookahead of a context check written out."""
    text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
    m = re.fullmatch(r"(.*)\(\?<=(.*)\)", text)
    if m is not None and m.group(2).endswith(m.group(1)):  # "v2_(?<=lsv2_)" is "lsv2_"
        text = m.group(2)
    if text.endswith(_DIGIT_AHEAD):
        text = _without_lookahead(text)
    return text.encode("latin-1") if isinstance(pattern, bytes) else text


def _loose_form(source: bytes, regex: bool) -> bytes:
    """A bytes prefilter check's source as RE2 reads it, a context check with 16 value characters and no
    digit."""
    if not regex:
        return re.escape(source)
    text = source.decode("latin-1")
    return _relaxed(text).encode("latin-1") if text.endswith(_DIGIT_AHEAD) else _re2_form(source)


class _Accel:
    """The compiled RE2 forms: ``raw`` (bytes, Latin-1) and ``mask`` (an RE2::Set of the str checks), and
    hyperscan's databases (``multi``) where it is installed.

    Without hyperscan, ``raw`` is compiled at once (about a millisecond, and its DFA is built as it runs);
    the sets, which take ~20 ms, on first use: most files are settled by one pass of ``raw`` alone. With
    it, hyperscan's passes settle most files and RE2 is imported only when one needs it (``re2=None``:
    importing it and compiling ``raw`` were ~7 % of a folder scan's instructions)."""

    def __init__(self, re2: Any = None) -> None:
        if re2 is not None:
            self.__dict__["re2"] = re2
        self._mask_asks = 0  # (see mask_pays)
        hs = load_hyperscan()
        self.multi = None if hs is None else Databases(hs)
        if self.multi is None:
            self.raw  # noqa: B018 - (a build that cannot compile these patterns fails here: the pure path)

    @cached_property
    def re2(self) -> Any:
        import importlib

        try:
            return importlib.import_module("re2")
        except Exception as exc:  # (found at load, broken now: the standard-library path from here on)
            _ACCEL[:] = [None]
            raise _AcceleratorLost from exc

    @cached_property
    def options(self) -> Any:
        options = self.re2.Options()
        options.encoding = self.re2.Options.Encoding.LATIN1
        options.max_mem = 64 << 20
        return options

    @cached_property
    def raw(self) -> Any:
        return self.re2.compile(raw_superset(), self.options)

    @cached_property
    def _searches(self) -> "dict[bytes, Any]":
        return {raw_superset(): self.raw.search}

    def search(self, pattern: bytes) -> Any:
        """The bound ``search`` of ``pattern``, compiled once (``raw`` is one of them)."""
        found = self._searches.get(pattern)
        if found is None:
            found = self._searches[pattern] = self.re2.compile(pattern, self.options).search
        return found

    def has(self, pattern: bytes, data: bytes) -> bool:
        """Whether ``pattern`` (RE2 syntax) matches somewhere in ``data``: one hyperscan pass when it is
        installed (no DFA to build for each new pattern and text), else RE2's search."""
        if self.multi is not None:
            hit = self.multi.hits(pattern, data)
            if hit is not None:
                return hit
        return self.search(pattern)(data) is not None

    def parts_found(self, data: bytes) -> "frozenset[int]":
        """Which alternatives of :func:`_raw_parts` match in ``data`` (hyperscan's pass, else RE2::Set's)."""
        if self.multi is not None:
            found = self.multi.found(_RAW_PARTS_BYTES(), data)
            if found is not None:
                return found
        return frozenset(self.parts.Match(data) or ())

    @cached_property
    def parts(self) -> Any:
        parts = self.re2.Set.SearchSet(self.options)
        for alt in _raw_parts():
            parts.Add(alt.encode("latin-1"))
        parts.Compile()
        return parts

    @cached_property
    def context(self) -> dict:
        # Per context group index: where a name run and a check may stand (a superset of the places
        # _raw_context_exact looks closer at; the standard-library pattern confirms each).
        return {i: self.re2.compile((_NAME_RUN_RE2 + _relaxed(group_raw_regex(g).decode("ascii"))).encode("latin-1"),
                                    self.options).search
                for i, g in enumerate(_RULE_GROUPS) if g[0].check}

    @cached_property
    def any_bytes(self) -> Any:
        # might_contain_secret on bytes: any of its checks, exactly.
        return self.re2.compile(b"|".join(b"(?:" + _re2_form(c.pattern) + b")" for c in _CHECKS_BYTES), self.options)

    def mask_pays(self, size: int) -> bool:
        """Whether ``mask`` is worth using for a text of ``size``: once built, always; before, for a large
        text or once many texts have asked (building it takes ~6 ms, more than a short run's few texts
        spend in the standard-library checks: a command line over a folder rarely asks at all)."""
        if "mask" in self.__dict__:
            return True
        self._mask_asks += 1
        return size >= _MASK_NOW or self._mask_asks > _MASK_AFTER

    @cached_property
    def mask(self) -> Any:
        # The context checks go in relaxed (no digit): written out, their counted alternatives, times the
        # pattern ids a set carries in each state, made the DFA build ~3,000 states on a file with many
        # assignments (90 ms for 1 MB of them, against 9). prefilter_mask confirms those bits.
        mask = self.re2.Set.SearchSet()
        for source in _mask_sources():
            mask.Add(source)
        mask.Compile()
        return mask


@cache
def _mask_sources() -> "tuple[str, ...]":
    # prefilter_mask's checks in RE2 syntax, in bit order, the context ones relaxed (see _Accel.mask).
    sources = (c.pattern if c.__class__ is re.Pattern else re.escape(c) for c in _CHECKS_STR)
    return tuple(_relaxed(src) if src.endswith(_DIGIT_AHEAD) else _re2_form(src) for src in sources)


@cache
def _MASK_PATTERNS() -> "tuple[bytes, ...]":  # noqa: N802 - (a constant, built on first use)
    # The same for hyperscan, on UTF-8 bytes.
    return tuple(src.encode("utf-8") for src in _mask_sources())


# A relaxed context check's match ends 16 value characters after its quote: the exact check also asks
# for a digit among the value's first 200 characters.
_DIGIT_IN_VALUE = lazy_compile(("(?:" + _VALUE_CLASS + "){0,199}[0-9]").encode("ascii"))


def _confirmed(multi: "Databases", relaxed: bytes, data: bytes, exact: Any) -> bool:
    """Whether the exact check behind ``relaxed`` matches ``data``: a match of ``relaxed`` whose value
    has a digit in reach (``exact()``, the check's own search, when hyperscan fails)."""
    found: list[bool] = []
    tries = [_CONFIRM_TRIES]

    def on_match(_id: int, _from: int, to: int, _flags: int, _ctx: Any) -> int:
        if _DIGIT_IN_VALUE.match(data, to - _RELAXED_VALUE) is not None:
            found.append(True)
            return 1
        tries[0] -= 1
        if not tries[0]:  # (many values without a digit: the exact check's own search, in C, decides)
            found.append(False)
            return 1
        return 0

    done = multi.scan(relaxed, data, on_match)
    return exact() if done is None or found == [False] else bool(found)


# How many of a relaxed check's matches are confirmed one by one (a Python call each) before the exact
# check's search decides instead: ``filename='model.safetensors'`` on every line of a log costs 1.5 us a
# match called back, against ~0.3 us for re to try one.
_CONFIRM_TRIES = 32


@cache
def _any_loose_pattern() -> bytes:
    # A superset of _Accel.any_bytes that compiles in a fraction of a millisecond, not ~10 ms: the context
    # checks without their digit.
    return b"|".join(b"(?:" + _loose_form(*c) + b")" for c in _BYTES_SOURCES)


@cache
def _context_pattern() -> bytes:
    # The context alternatives of the raw superset: where any of _Accel.context's searches can match.
    return "|".join(f"(?:{c})" for c in _raw_superset_alts()[0]).encode("latin-1")


@cache
def _RAW_PARTS_BYTES() -> "tuple[bytes, ...]":  # noqa: N802 - (a constant, built on first use)
    return tuple(alt.encode("latin-1") for alt in _raw_parts())


_MASK_NOW, _MASK_AFTER = 64 << 10, 500  # (see _Accel.mask_pays)
_ACCEL: list = []  # [] not tried yet, [None] unavailable or off, [_Accel]
# Loaded once this much text has gone through the prefilters: importing it and building its first
# pattern take ~7 ms, more than a short run (a pre-commit hook over a few files) spends scanning without it.
_ACCEL_AFTER = 256 << 10
_SEEN = [0]


def _accelerator(size: int = 0) -> "_Accel | None":
    if not _ACCEL:
        _SEEN[0] += size
        if _SEEN[0] < _ACCEL_AFTER:
            return None
        _ACCEL.append(_load_accel())
    return _ACCEL[0]


def expect_input(size: int) -> None:
    """A hint that about ``size`` bytes are about to be scanned: the accelerator is loaded now when that
    is more than the text it waits for (a caller about to fork workers shares it with them).

    Example:
        >>> expect_input(0)
    """
    if not _ACCEL and size >= _ACCEL_AFTER - _SEEN[0]:
        _ACCEL.append(_load_accel())


def _load_accel() -> "_Accel | None":
    import importlib
    import importlib.machinery
    import os

    if os.environ.get("HFSECURE_PURE_PYTHON"):
        return None
    try:
        if load_hyperscan() is not None and importlib.machinery.PathFinder.find_spec("re2") is not None:
            return _Accel()  # (RE2 imported when a pass needs it: most scans need hyperscan's alone)
        return _Accel(importlib.import_module("re2"))
    except Exception:  # absent, or a build that cannot compile these patterns: the pure path
        return None


@_pure_if_lost
def accelerated_search(pattern: bytes, size: int = 0) -> Any:
    """The ``search`` of ``pattern`` (RE2 syntax, Latin-1 bytes) compiled by the accelerator, or None
    when it is off (callers then run their standard-library checks; the two must agree, and are tested).

    Example:
        >>> search = accelerated_search(b"TOKEN"); search is None or search(b"x TOKEN") is not None
        True
    """
    accel = _accelerator(size)
    return None if accel is None else accel.search(pattern)


def accelerated_ends(pattern: bytes, data: bytes) -> "list[int] | None":
    """Where the matches of ``pattern`` (RE2 syntax) end in ``data``, in order, by one hyperscan pass; None
    when hyperscan is not in use (callers then search with :func:`accelerated_search` or their own
    checks). Every match is reported, overlapping ones too.

    Example:
        >>> accelerated_ends(b"ab", b"xabab") in (None, [3, 5])
        True
    """
    accel = _accelerator(len(data))
    if accel is None or accel.multi is None:
        return None
    ends: list[int] = []
    done = accel.multi.scan(pattern, data, lambda _id, _from, to, _flags, _ctx: ends.append(to))
    return None if done is None else ends


def use_accelerator(on: bool) -> bool:
    """Turn the optional ``re2`` accelerator on (when installed) or off; True when it is now in use.

    Example:
        >>> saved = list(_ACCEL)
        >>> use_accelerator(False)
        False
        >>> _ACCEL[:] = saved  # (as it was: loaded later, once enough text has been scanned)
    """
    _ACCEL[:] = [_load_accel() if on else None]
    return _ACCEL[0] is not None


# Per rule check (same order as the rule checks of _checks): the keyword, the body, the next byte.
_RAW_RULES = tuple(lazy_compile(partial(group_raw_regex, g), re.DOTALL) for g in _RULE_GROUPS)
_ZW_BYTES = rb"(?:\xe2\x80[\x8b-\x8d]|\xe2\x81\xa0|\xef\xbb\xbf)"
_RAW_ZW = lazy_compile(_ZW_BYTES)
_PIECE_ENDS = (b'"', b"'", b"\\")
_ZW_LEADS = (b"\xe2", b"\xef")  # the first bytes of the zero-width characters
# A zero-width character matters in raw bytes only where it splits a prefix (else "hf_" is intact) or a
# piece of a body (the piece check above).
_RAW_ZW_SPLIT_SRC = rb"h" + _ZW_BYTES + rb"+f" + _ZW_BYTES + rb"*_|hf" + _ZW_BYTES + rb"+_"
_RAW_ZW_SPLIT = lazy_compile(_RAW_ZW_SPLIT_SRC)


def raw_candidates(data: bytes) -> bool:
    """Finer test than :func:`might_contain_secret` on raw bytes (and as cheap when nothing is there: each
    prefilter check runs once, and only a hit is looked at closer): is there a place that could hold a
    secret? A keyword counts when a valid secret follows it, or a piece of one that ends at a quote (it
    may continue in a concatenated literal); an escape or percent-encoding of a prefix always counts; a
    zero-width character only where it splits a prefix; a base64 marker only where its window decodes
    to a secret.

    Example:
        >>> raw_candidates(b'"from huggingface_hub import hf_hub_download"')
        False
        >>> raw_candidates('"placeholder": "\u200b"'.encode())
        False
    """
    return raw_candidates_stripped(_without_images(bytes(data)))


# What may stand between a name's start and its operator in raw bytes: the name, its closer (a quote, a
# bracket, a JSON-escaped quote) and spaces or tabs (``\t``); a name character JSON-escaped as ``\uXXXX``.
_NAME_RUN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-\\\"'] \t"
# A word that ends a segment of a secret name (rules._SECRET_NAME: ``API_KEY``, ``TOKENS``, ``AUTH``; not
# ``authorship_tag`` or ``tokenizer``): no letter or digit follows it.
_SEGMENT_WORD = "(?i:tokens?|secrets?|password|passwd|pwd|key|credentials?|auth)"
_SECRET_SEGMENT = lazy_compile(_SEGMENT_WORD.encode("ascii") + rb"(?![A-Za-z0-9])")
# The same for RE2 (no lookahead: the word, then nothing or a class byte that is not a letter or digit)
# before the rest of the run; or a run with an escape, which may decode to anything.
_NAME_RUN_RE2 = ("(?:" + _SEGMENT_WORD + r"""(?:[_\-\\"'\] \t][A-Za-z0-9_\-\\"'\] \t]*)?"""
                 + r"""|\\u[A-Za-z0-9_\-\\"'\] \t]*)""")


def _name_run_may_be_secret(data: bytes, op: int) -> bool:
    """Whether the run of name, closer and space bytes right before the operator at ``op`` (at most
    ``_CTX_BACK``) holds a word that ends a secret name's segment, or an escape that may decode to one:
    the context rules read the name just before the operator, so a word further back (``tokenizer`` on
    the line before) is no reason to look closer."""
    seg = data[max(0, op - _CTX_BACK):op]
    run = seg[len(seg.rstrip(_NAME_RUN_BYTES)):]
    return b"\\u" in run or _SECRET_SEGMENT.search(run) is not None


@_pure_if_lost
def raw_candidates_stripped(data: bytes, *, superset_seen: bool = False) -> bool:
    """:func:`raw_candidates` for bytes whose image payloads are cut out already (:func:`without_images`).
    ``superset_seen``: the caller's own pass found :func:`raw_superset` (the notebook gate's): it is not
    run again. The answer is the same either way (the exact tests accept nothing the superset does not
    match); only the time differs, a pass over the bytes (~80 ms a MB of ``hf_hf_hf_...``).

    Example:
        >>> raw_candidates_stripped(b'{"image/png": ""}')
        False
    """
    accel = _accelerator(len(data))
    if accel is not None and not superset_seen:
        # One DFA pass for a superset of every place the exact test accepts: nothing there, nothing to do.
        if not accel.has(raw_superset(), data):
            return False
    return _raw_candidates_exact(data, accel)


# Per prefix group, where its first keyword is (a search from the rarest byte of a literal, with how far
# the keyword starts before the match), so that its raw rule scans from there, once.
def _first_search(group: tuple[Rule, ...]) -> tuple["re.Pattern[bytes]", int]:
    literal = group_literal(group)
    if literal is None:
        return re.compile(group_check(group).encode("ascii")), 0
    return _rotated(literal.encode("ascii"))


_RAW_FIRST = lazy_tuple(lambda: [_first_search(g) for g in _RULE_GROUPS])
_B64_RAW_SEARCH = lazy_tuple(lambda: [_rotated(m.encode("ascii")) for m in _B64_RAW_MARKERS])


# How far before an operator a secret-named word may start in raw bytes: a name as long as a rule's context
# reads (96 characters), its closers and spaces, some of them escaped (longer in raw bytes).
_CTX_BACK = 128
_JSON_ESCAPE = lazy_compile(r'\\(?:u[0-9a-fA-F]{4}|["\\/bfnrt])')
_JSON_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _json_char(m: "re.Match[str]") -> str:
    c = m.group(0)[1]
    return chr(int(m.group(0)[2:], 16)) if c == "u" else _JSON_CHARS.get(c, c)


def _context_ops(i: int, pattern: "re.Pattern[bytes]", data: bytes, accel: "_Accel | None",
                 by_ends: "dict[int, list[int]] | None" = None) -> Iterator[int]:
    """Every position where ``pattern``, the raw check of context group ``i`` (its operator and value),
    matches, overlapping ones included, in order; with the accelerator, only those after a name run led by
    a secret word or an escape, which the others fail in :func:`_name_run_may_be_secret` anyway (from
    ``by_ends``, hyperscan's :func:`_context_ops_by_ends`, when given)."""
    if accel is None:
        m = pattern.search(data)
        while m is not None:
            yield m.start()
            m = pattern.search(data, m.start() + 1)
        return
    op = _RULE_GROUPS[i][0].keywords[0].encode("ascii")
    if by_ends is not None:
        yield from (at for at in by_ends.get(op[0], ()) if pattern.match(data, at) is not None)
        return
    search = accel.context[i]
    m = search(data)
    while m is not None:
        at = data.find(op, m.start())  # a name run holds no operator: the first one after it is its own
        if pattern.match(data, at) is not None:
            yield at
        m = search(data, at + 1)


def _context_ops_by_ends(multi: "Databases", data: bytes) -> "dict[int, list[int]] | None":
    """Where the operators of :func:`_context_pattern`'s matches in ``data`` stand, by operator byte, in
    order: hyperscan reports where each match ends (16 value bytes after its quote), and the operator is
    read back from the quote over what the relaxed check allows between them (an ``r``/``b``/``f``
    prefix, a backslash, spaces, tabs and ``\\t``). Every end has its own quote, and the way back from
    it is one way: linear. None when hyperscan failed."""
    ends: list[int] = []
    if multi.scan(_context_pattern(), data, lambda _id, _from, to, _flags, _ctx: ends.append(to)) is None:
        return None
    found: dict[int, set[int]] = {}
    for to in ends:
        quote = to - _RELAXED_VALUE - 1
        for j in (quote, quote - 1) if quote > 0 and data[quote - 1] == 0x5C else (quote,):
            for k in (j, j - 1) if j > 0 and data[j - 1] in _STRING_PREFIXES else (j,):
                while True:  # (a space or tab, or "\t": the last byte tells which, so the way back is one)
                    if k > 0 and data[k - 1] in (0x20, 0x09):
                        k -= 1
                    elif k > 1 and data[k - 1] == 0x74 and data[k - 2] == 0x5C:
                        k -= 2
                    else:
                        break
                if k > 0 and data[k - 1] in _CONTEXT_OPS:
                    found.setdefault(data[k - 1], set()).add(k - 1)
    return {op: sorted(at) for op, at in found.items()}


_STRING_PREFIXES = b"rbfRBF"
_CONTEXT_OPS = frozenset(g[0].keywords[0].encode("ascii")[0] for g in _RULE_GROUPS if g[0].check)


def _raw_context_exact(data: bytes, accel: "_Accel | None" = None) -> bool:
    """The groups found by context: look around each hit of the check that follows a secret-named name."""
    # (Hyperscan's pass of their union, where it is installed: no RE2 to import and compile for them.)
    by_ends = None if accel is None or accel.multi is None else _context_ops_by_ends(accel.multi, data)
    if by_ends == {}:
        return False  # (none of accel.context's searches can match)
    for i, (pattern, group) in enumerate(zip(_RAW_RULES, _RULE_GROUPS)):
        if group[0].context is None:
            continue
        for op in _context_ops(i, pattern, data, accel, by_ends):
            if not _name_run_may_be_secret(data, op):
                continue  # no secret-named name before the operator (cell ids, names, paths)
            around = data[max(0, op - _CTX_BACK):op + 260].decode("latin-1")
            # As the rules read a parsed field: JSON's escapes decoded ("\\npassword = ..." is a new line).
            view = around.replace('\\"', '"')
            if any(True for r in group for _ in r.finditer(view)):
                return True
            if "\\" in view:  # other escapes: also as a parsed field reads them
                view = _JSON_ESCAPE.sub(_json_char, around)
                if any(True for r in group for _ in r.finditer(view)):
                    return True
    return False


_N_PREFIX_GROUPS = sum(1 for g in _RULE_GROUPS if g[0].context is None)


def _raw_prefix_exact(data: bytes, found: "frozenset[int] | None") -> bool:
    """The prefix groups (those in ``found``): a keyword at a left boundary followed by a piece that ends
    at a quote, a backslash or a zero-width character, or by a valid secret."""
    for j, ((first, back), pattern) in enumerate(_RAW_PARTS_TAKEN):
        if found is not None and j not in found:
            continue
        fm = first.search(data)
        if fm is None:
            continue
        # No keyword of the group starts before ``fm.start() - back``: the matches from there are those from 0.
        rm = pattern.search(data, max(0, fm.start() - back))
        while rm is not None:
            if not _may_start_secret(data, rm.start()):
                # No rule takes a keyword there; one may start inside this match ("xsk-sk-...").
                rm = pattern.search(data, rm.start() + 1)
                continue
            nxt = rm.group(2)
            # A piece that ends at a quote or a backslash, or at a zero-width character (the text's view
            # drops it: the body goes on after it).
            if nxt in _PIECE_ENDS or (nxt in _ZW_LEADS and _RAW_ZW.match(data, rm.end() - 1) is not None):
                return True
            # (the group's own rules: a rule of another group inside the match is met by that group's turn;
            # all of them read for each match cost ~40 us: AIza- repeated, 25,000 a MB)
            if len(rm.group(1)) >= 16 and _plain_hits(rm.group(0).decode("latin-1"), mask=_PREFIX_GROUP_BITS[j]):
                return True
            rm = pattern.search(data, rm.end())
    return False


def may_start_secret(text: str) -> bool:
    """Whether a secret may start in ``text`` and go on past its end: a prefix rule's keyword where that
    rule takes one (no letter or digit before it, or an escape), or any encoded form or assignment the
    prefilter sees. A keyword inside a word (``ACCA`` in DNA, ``sk-`` in ``task-``) starts none, whatever
    follows.

    Example:
        >>> may_start_secret("loss 0.1 hf_ab"), may_start_secret("GATTACCAGT"), may_start_secret("x=\\\\x68")
        (True, False, True)
    """
    mask = prefilter_mask(text)
    if not mask:
        return False
    if mask & ~_PREFIX_BITS:
        return True  # (escapes, zero-width, base64, entities, an assignment: no boundary to read)
    data = text.encode("utf-8", "surrogatepass")
    for bit, (_first, search) in zip(_PREFIX_GROUP_BITS, _RAW_PARTS_FIRST):
        if mask & bit:
            m = search.search(data)
            while m is not None:
                if _may_start_secret(data, m.start()):
                    return True
                m = search.search(data, m.start() + 1)
    return False


# prefilter_mask's bits of the prefix groups, in the order of _RAW_PARTS_FIRST.
_PREFIX_GROUP_BITS = tuple(1 << i for i, g in enumerate(_RULE_GROUPS) if g[0].context is None)
_PREFIX_BITS = sum(_PREFIX_GROUP_BITS)


def _raw_candidates_exact(data: bytes, accel: "_Accel | None" = None) -> bool:
    # With the accelerator, only the parts whose superset (an alternative of _raw_parts()) is there (and
    # only their checks are compiled: a [::-1] alone needs none of them).
    found = None if accel is None else accel.parts_found(data)
    if _raw_context_exact(data, accel):
        return True
    k = _N_PREFIX_GROUPS  # then: escapes, %, entities, zero-width, base64, [::-1]
    if (found is None or min(found, default=k) < k) and _raw_prefix_exact(data, found):
        return True
    if found is None or not found.isdisjoint(range(k, k + 4)):
        encoded = _ENCODED_CHECKS_BYTES
        for j, check in enumerate((encoded[0], encoded[1], encoded[-1])):  # escapes, %, entities
            if (found is None or k + j in found) and check.search(data):
                return True
        for zw in encoded[2:4] if found is None or k + 3 in found else ():  # where one splits a prefix ("h\u200bf_")
            m: Any = zw.search(data)
            while m is not None:
                window = data[max(0, m.start() - 8):m.end() + 8]
                if _RAW_ZW_SPLIT.search(window):
                    return True
                m = zw.search(data, m.end())
    if (found is None or k + 4 in found) and _raw_b64_decodes_to_secret(data):  # where base64 decodes to one
        return True
    # A literal reversed with [::-1] holds its keyword backwards: the Python scan looks at the reversed
    # source, so must this (only when the bytes hold "[::-1]": an argsort in a tenth of notebooks).
    return (found is None or k + 5 in found) and b"[::-1]" in data and _reversed_may_hold_secret(data, accel)


def _reversed_may_hold_secret(data: bytes, accel: "_Accel | None") -> bool:
    """Whether ``data`` read backwards hits a prefilter check; with the accelerator, after one pass of a
    superset over the reversed bytes (the standard-library checks take ~1.3 ms for a 37 kB notebook)."""
    text = data.decode("utf-8", "surrogateescape")[::-1]
    if accel is not None and not accel.has(_any_loose_pattern(), text.encode("utf-8", "surrogateescape")):
        return False
    return prefilter_mask(text) != 0


# An escape that ends right before a keyword: a boundary in the text it encodes (as rules._start reads it).
_ESCAPE_ENDS = lazy_compile(_ESCAPE_END + rb"\Z")


def _may_start_secret(data: bytes, i: int) -> bool:
    """Whether a keyword at ``i`` stands at a secret's left boundary: no prefix rule takes a keyword right
    after a letter or digit (``"id": "k0shQr8_pu2s"`` holds no Replicate key), unless that character ends
    an escape (``\\nr8_``), which the rules read as a boundary."""
    if i == 0 or not data[i - 1:i].isalnum():
        return True
    return _ESCAPE_ENDS.search(data, max(0, i - 6), i) is not None


def _raw_b64_decodes_to_secret(data: bytes) -> bool:
    """Whether a base64 run after a marker decodes to a secret: a window from the first marker of any
    kind (as _b64_hits decodes one: matching a megabyte-long run of an inline image to its end costs
    more than the decoding), and the markers it covers are skipped, whatever their kind (else marker-dense
    runs are quadratic, and each kind would decode the windows again)."""
    searches = _B64_RAW_SEARCH
    nxt = []
    for rx, back in searches:
        m = rx.search(data)
        nxt.append(-1 if m is None else m.start() - back)
    while True:
        i = min((p for p in nxt if p >= 0), default=-1)
        if i < 0:
            return False
        end = _B64_RUN_BYTES.match(data, i, i + _B64_WINDOW).end()  # type: ignore[union-attr]  # matches empty
        if end - i >= _B64_MIN_RUN and _b64_hits(data[max(0, i - 4):end].decode("latin-1")):
            return True
        capped = end == i + _B64_WINDOW and end < len(data)
        resume = max(i + 1, end - 64) if capped else max(end, i + 1)
        for j, (rx, back) in enumerate(searches):
            if 0 <= nxt[j] < resume:
                m = rx.search(data, resume + back)
                nxt[j] = -1 if m is None else m.start() - back


# The prefix groups of the exact test, in the order of their alternatives in _raw_parts().
_RAW_PARTS_FIRST = lazy_tuple(lambda: [(first, _at_boundary(group))
                                       for first, group in zip(_RAW_FIRST, _RULE_GROUPS) if group[0].context is None])
# The same, matched only where _raw_prefix_exact may take the match (see _at_boundary's ``taken``).
_RAW_PARTS_TAKEN = lazy_tuple(lambda: [(first, _at_boundary(group, taken=True))
                                       for first, group in zip(_RAW_FIRST, _RULE_GROUPS) if group[0].context is None])


def _at_boundary(group: "tuple[Rule, ...]", taken: bool = False) -> "re.Pattern[bytes]":
    """:func:`group_raw_regex` of a prefix group, matched only where :func:`_may_start_secret` may say
    True: no letter or digit before the keyword, or a backslash or ``%`` close enough before it to start an
    escape that ends there. The lookbehinds follow the keyword (those of each keyword length after the
    keywords of that length), so ``re`` still scans for it in C; a text dense with the keyword inside words
    (``ABIAABIA...``, ``ghr_aghr_a...``) was walked a keyword at a time in Python. With ``taken``, only
    where :func:`_raw_prefix_exact` may take the match, too.

    Example:
        >>> rx = _at_boundary(_RULE_GROUPS[0]); [m.start() for m in rx.finditer(b"hf_a xhf_b \\\\nhf_c")]
        [0, 13]
    """
    words = group_keywords(group)
    lead = keyword_regex(words).encode("ascii")
    source = group_raw_regex(group)
    assert source.startswith(lead), group
    by_length: dict[int, list[str]] = {}
    for w in words:
        by_length.setdefault(len(w), []).append(w)
    leads = []
    for n, same in sorted(by_length.items(), reverse=True):  # (the longest first, as the keyword tree reads)
        behind = [b"(?<![A-Za-z0-9].{%d})" % n] + [b"(?<=[\\\\%%].{%d})" % (k + n) for k in range(1, 6)]
        leads.append(keyword_regex(same).encode("ascii") + b"(?:" + b"|".join(behind) + b")")
    head = leads[0] if len(leads) == 1 else b"(?:" + b"|".join(leads) + b")"
    if not taken:
        return re.compile(head + source[len(lead):], re.DOTALL)
    # Only a keyword that _raw_prefix_exact may take: 16 body characters or more, or a body that ends at a
    # piece's end (a quote, a backslash, a zero-width character's first byte). "hf_hf_hf_..." (every
    # keyword at a boundary, none of them either) was read a keyword at a time in Python.
    rest = source[len(lead):]
    body = rest[1:rest.rindex(b")(.?)")]  # (the body's class and bound, group_raw_regex's shape)
    cls = body[:body.rindex(b"{")]
    ends = b"".join(re.escape(e) for e in _PIECE_ENDS + _ZW_LEADS)
    ahead = b"(?=" + cls + b"{16}|" + body + b"[" + ends + b"])"
    return re.compile(head + ahead + rest, re.DOTALL)


_B64_RUN_BYTES = lazy_compile(rb"[A-Za-z0-9+/=_-]*")


# The rule checks of the prefilter, each with the rules it gates and the search for a piece of a secret
# that ends at a quote or backslash (the rest may follow in a concatenated literal or an escape): a regex,
# and whether it reads the text backwards (where reading forwards is not linear, see group_piece_is_linear).
# (Shorter than a whole secret: a complete one ending at a quote is found by the raw scan already.)
_GROUPS = tuple((check, group, (lazy_compile(partial(group_piece, group)), False) if group_piece_is_linear(group)
                 else (lazy_compile(partial(group_piece_reversed, group)), True))
                for check, group in zip(_RULE_CHECKS_STR, _RULE_GROUPS))
assert {r.id for g in _GROUPS for r in g[1]} == {r.id for r in RULES}, "every rule belongs to a prefilter group"


# Bits of prefilter_mask(): one per check of _CHECKS_STR, in order.
_N_RULE = len(_RULE_CHECKS_STR)
_ESC_BITS = 0b11 << _N_RULE  # escapes, percent-encoding
_ZW_BITS = ((1 << len(_ZERO_WIDTH)) - 1) << (_N_RULE + 2)
_B64_BITS = ((1 << len(_B64_MARKERS)) - 1) << (_N_RULE + 2 + len(_ZERO_WIDTH))
_ENT_BIT = 1 << (len(_CHECKS_STR) - 1)


# prefilter_mask's checks, prepared: (bit, bound search) for the regexes, (bit, char) for single characters.
# A regex that starts with a rare character (the escapes, percent-encoding, character references) is tried
# only when that character is there: ``ch in text`` is a memchr, many times cheaper than a regex pass.
_GUARD_CHARS = {"\\": "\\", "%": "%", "&": "&"}
_STR_GUARDED = tuple((1 << i, _GUARD_CHARS[c.pattern[:1]], c.search) for i, c in enumerate(_CHECKS_STR)
                     if c.__class__ is re.Pattern and c.pattern[:1] in _GUARD_CHARS)
_STR_SEARCHES = tuple((1 << i, c.search) for i, c in enumerate(_CHECKS_STR)
                      if c.__class__ is re.Pattern and c.pattern[:1] not in _GUARD_CHARS)
_STR_CHARS = tuple((1 << i, c) for i, c in enumerate(_CHECKS_STR) if c.__class__ is not re.Pattern)
assert all(not ch.isascii() for _, ch in _STR_CHARS), "ASCII single-character checks would be skipped"
# The checks the accelerator's mask holds relaxed, confirmed by their standard-library search.
_STR_RELAXED = tuple((1 << i, c.search) for i, c in enumerate(_CHECKS_STR)
                     if c.__class__ is re.Pattern and c.pattern.endswith(_DIGIT_AHEAD))
_RELAXED_BITS = sum(bit for bit, _search in _STR_RELAXED)


@_pure_if_lost
def prefilter_mask(text: str) -> int:
    """Which prefilter checks hit ``text`` (0: no rule can match). Later steps use it instead of
    looking for the same keywords again.

    Example:
        >>> prefilter_mask("x = 1"), prefilter_mask("hf_") & 1
        (0, 1)
    """
    accel = _accelerator(len(text))
    if accel is not None and accel.multi is not None:
        # One hyperscan pass over the UTF-8 bytes (every check is ASCII but the zero-width characters,
        # which are found as their bytes: the same checks hit), the context checks relaxed as in the
        # set (written out, they cost hyperscan ~5 ns a byte); each of those confirmed where it matched.
        data = text.encode("utf-8", "surrogatepass")
        hit = accel.multi.found(_MASK_PATTERNS(), data)
        if hit is not None:
            mask = sum(1 << i for i in hit)
            for bit, search in _STR_RELAXED if mask & _RELAXED_BITS else ():
                if mask & bit and not _confirmed(accel.multi, _MASK_PATTERNS()[bit.bit_length() - 1], data,
                                                 lambda: search(text) is not None):
                    mask ^= bit
            return mask
    if accel is not None and accel.mask_pays(len(text)):  # one Set pass (1.4 us for 10 characters, 2 us for
        try:                                               # 400: 2.5-4x the checks below)
            found = accel.mask.Match(text)
        except UnicodeEncodeError:  # a lone surrogate: the standard-library checks
            pass
        else:
            if not found:
                return 0
            mask = sum(1 << i for i in found)
            if mask & _RELAXED_BITS:  # (see _Accel.mask)
                for bit, search in _STR_RELAXED:
                    if mask & bit and search(text) is None:
                        mask ^= bit
            return mask
    mask = 0
    for bit, search in _STR_SEARCHES:
        if search(text) is not None:
            mask |= bit
    for bit, ch, search in _STR_GUARDED:
        if ch in text and search(text) is not None:
            mask |= bit
    if not text.isascii():  # the single-character checks (zero-width characters) are never ASCII
        for bit, ch in _STR_CHARS:
            if ch in text:
                mask |= bit
    return mask


def _present_groups(text: str, mask: int | None = None) -> list[tuple]:
    if mask is not None:
        return [g for i, g in enumerate(_GROUPS) if mask >> i & 1]
    return [g for g in _GROUPS if _hit((g[0],), text)]


def may_continue_in_literal(text: str, mask: int | None = None, *, chained: bool = False) -> bool:
    """True when a keyword in ``text`` is followed by a short body that ends at a quote or a backslash:
    the rest of a secret may follow in a concatenated literal, or after an escape. With ``chained``, only
    a piece that ends at a backslash, or at a quote that another literal may continue (see
    :func:`literal_pieces`), counts.

    Example:
        >>> may_continue_in_literal('"hf_abc" + "def"'), may_continue_in_literal("hf_hub_download(x)")
        (True, False)
        >>> may_continue_in_literal('s.startswith("hf_")', chained=True)
        False
    """
    found, chain = literal_pieces(text, mask)
    return chain if chained else found


# What may stand between a literal's closing quote and the next piece of a concatenation, as the token
# pass chains literals (python._scan_literals): blanks, line ends, continuations and comments, then "+",
# "," (an argument of .join) or the next literal (any prefix); or, in an f-string's field, what ends the
# field (its value is folded with the f-string's). The run is taken whole by a look-ahead
# (atomic in ``re``: no backtracking into a comment), and read at most _CHAIN_WINDOW characters: a run as
# long as that may chain (it is not read further).
_CHAIN_RUN = r"""(?=((?:[ \t\f\r\n]|\\\r?\n|#[^\r\n]*)*))\1(?:[+,}!:]|[rRbBfFuU]{0,2}["']|\Z)"""
_CHAIN_FOLLOW = lazy_compile(_CHAIN_RUN)
_CHAIN_FOLLOW_BYTES = lazy_compile(_CHAIN_RUN.encode("ascii"))
_CHAIN_WINDOW = 256
_CHAIN_TRIES = 1024  # pieces whose run is read (~2 ms at most); past them, the text may chain (the token pass decides)


def _chains_at(text: "str | bytes", end: int) -> bool:
    """Whether a piece ending at ``end`` (just past its quote or backslash) may be continued: it ends at a
    backslash, or its quote is followed by a chaining run (:data:`_CHAIN_RUN`)."""
    if text[end - 1:end] in ("\\", b"\\"):
        return True
    follow = _CHAIN_FOLLOW_BYTES if isinstance(text, bytes) else _CHAIN_FOLLOW
    m = follow.match(text, end, end + _CHAIN_WINDOW)  # type: ignore[arg-type]
    # (the run went on to the window's end, or something chains after it; not: the text ended)
    return m is not None and (m.end() > m.end(1) or m.end() < len(text))


def literal_pieces(text: str, mask: int | None = None) -> tuple[bool, bool]:
    """Whether ``text`` holds a piece of a secret shorter than a whole one that ends at a quote or a
    backslash (:func:`rules.group_piece`), and whether one of them may be continued by another literal: it
    ends at a backslash, or its quote is followed (past blanks, line ends, continuations and comments) by
    ``+``, ``,``, another literal or the end of an f-string's field. Only then can concatenating literals build a secret from it (a
    ``startswith("hf_")`` cannot); after :data:`_CHAIN_TRIES` pieces that are not, the answer is yes.

    Example:
        >>> literal_pieces('s.startswith("hf_")'), literal_pieces('t = ("hf_abc"  # c\\n  "def")')
        ((True, False), (True, True))
        >>> literal_pieces("hf_hub_download(x)")
        (False, False)
    """
    groups = [g for g in _present_groups(text, mask) if not g[1][0].check]  # (an assignment has no pieces)
    if not groups:
        return False, False
    found, tries = False, 0  # a piece was found; how many runs were read

    def chains(data: "str | bytes", end: int) -> bool:
        nonlocal found, tries
        found, tries = True, tries + 1
        return tries > _CHAIN_TRIES or _chains_at(data, end)

    accel = _accelerator()  # (prefilter_mask counted this text already)
    if accel is not None and accel.multi is not None:
        # One hyperscan pass for every group (a few ms a MB, whatever the text holds): each group's piece,
        # and the same piece with what chains it, each reported once, stopped at a wanted piece that chains.
        # No Python call a piece, so no window and no cap: the answer is exact ('"hf_" ' * 100,000 chains
        # nowhere; a callback a piece read its run and gave up after _CHAIN_TRIES of them).
        wanted = {_PIECE_INDEX[g[1][0].id] for g in groups}
        n = len(_PIECE_INDEX)

        def on_match(i: int, _from: int, _to: int, _flags: int, _ctx: Any) -> bool:
            nonlocal found
            if i % n not in wanted:
                return False
            found = True
            return i >= n  # (a chained piece: stop)

        done = accel.multi.scan(_CHAINED_PATTERNS(), text.encode("utf-8", "surrogatepass"), on_match)
        if done is not None:
            return found, not done
        found = False
    backwards = None
    for _check, _rules, (search, reads_backwards) in groups:
        if reads_backwards:
            if backwards is None:
                backwards = text[::-1]
            n = len(text)
            if any(chains(text, n - m.start()) for m in search.finditer(backwards)):
                return True, True
        elif any(chains(text, m.end()) for m in search.finditer(text)):
            return True, True
    return found, False


# The piece searches for hyperscan, one per prefix group (an assignment has none), by the group's first rule.
_PIECE_INDEX = {g[0].id: i for i, g in enumerate(g for g in _RULE_GROUPS if not g[0].check)}


@cache
def _PIECE_PATTERNS() -> "tuple[bytes, ...]":  # noqa: N802 - (a constant, built on first use)
    return tuple(group_piece(g).encode("ascii") for g in _RULE_GROUPS if not g[0].check)


# _CHAIN_RUN for hyperscan, after a piece's closing quote (or a backslash, which always chains): no window, and
# no look-ahead there, so a comment is read to its line end (the look-ahead takes it whole: "# x + y" does not
# chain); where the comment ends the text, nothing chains.
_CHAIN_RUN_HS = rb"""(?:\\|["'](?:[ \t\f\r\n]|\\\r?\n|#[^\r\n]*[\r\n])*(?:[+,}!:]|[rRbBfFuU]{0,2}["']))"""


@cache
def _CHAINED_PATTERNS() -> "tuple[bytes, ...]":  # noqa: N802 - (a constant, built on first use)
    """The piece of each prefix group (:func:`_PIECE_PATTERNS`), then the same pieces each followed by what
    chains it: pattern ``i + n`` is pattern ``i`` chained."""
    end = b"[\"'\\\\]"
    pieces = _PIECE_PATTERNS()
    assert all(p.endswith(end) for p in pieces)
    return pieces + tuple(p[:-len(end)] + _CHAIN_RUN_HS for p in pieces)


def _plain_hits(text: str, encoding: str = "", mask: int | None = None) -> list[Hit]:
    hits: list[Hit] = []
    for _check, rules, _piece in _present_groups(text, mask):
        for rule in rules:
            if rule.context is None and not rule.secret_group:  # (rule.finditer, its bodies validated at once)
                if rule.marker and rule.marker not in text:
                    continue
                found = list(rule.pattern.finditer(text))
                if found:
                    valid = valid_bodies(rule.validator, [m.group("body") for m in found])
                    hits += [Hit(rule, m.start(), m.end(), m.group(), encoding) for m, ok in zip(found, valid) if ok]
                continue
            g = rule.secret_group or 0
            hits += [Hit(rule, m.start(g), m.end(g), m.group(g), encoding) for m in rule.finditer(text)]
    return hits


class _ViewMap:
    """Maps characters of a normalised view back to the text: a list of segments, each either copied
    one to one or a single decoded character that stands for a span (``\\u0068`` -> ``h``)."""

    __slots__ = ("views", "origs", "ends")

    def __init__(self) -> None:
        self.views: list[int] = []  # view offset where each segment starts
        self.origs: list[int] = []  # text offset where it starts
        self.ends: list[int] = []   # -1 for a copied segment, else the text offset where the unit ends

    def add(self, view: int, orig: int, end: int = -1) -> None:
        self.views.append(view)
        self.origs.append(orig)
        self.ends.append(end)

    def start(self, v: int) -> int:
        i = bisect.bisect_right(self.views, v) - 1
        return self.origs[i] + (v - self.views[i] if self.ends[i] < 0 else 0)

    def end(self, v: int) -> int:
        """Where the text of the view character ``v`` ends."""
        i = bisect.bisect_right(self.views, v) - 1
        return self.origs[i] + (v - self.views[i]) + 1 if self.ends[i] < 0 else self.ends[i]


_UNITS: dict[str, str] = {}  # decoded units by their text (a hostile text repeats a few thousand times over)


def _decoded(text: str) -> str:
    """``text`` with every unit of :data:`_NORMALISE` decoded (an escape to its character, a zero-width
    character or an ANSI code to nothing): split at the units and each looked up in a cache, so that a
    text of 100,000 escapes costs no Python call per escape (``re.sub`` with a function made one).

    Example:
        >>> _decoded("\\u0068\\x66%5F\u200bx &#95;")
        'hf_x _'
    """
    parts = _NORMALISE_UNITS.split(text)
    if len(parts) == 1:
        return text
    units = parts[1::2]
    decoded = list(map(_UNITS.get, units))
    if None in decoded:
        if len(_UNITS) > 4096:
            _UNITS.clear()
        for i, unit in enumerate(units):
            if decoded[i] is None:
                decoded[i] = _UNITS[unit] = _decode_unit(_NORMALISE.fullmatch(unit))  # type: ignore[arg-type]
    parts[1::2] = decoded
    return "".join(parts)


def _decode_unit(m: "re.Match[str]") -> str:
    code = m.group("u") or m.group("x") or m.group("p") or m.group("h")
    if code is None:
        if m.group("d") is not None:
            code = m.group("d")
            ch = chr(int(code))
            return "" if ch in _ZERO_WIDTH else ch
        return "_" if m.group(0)[0] == "&" else ""  # &lowbar; / a zero-width character or an ANSI code
    ch = chr(int(code, 16))
    return "" if ch in _ZERO_WIDTH else ch


def _view_map(text: str) -> _ViewMap:
    """The map of :func:`_normalised_view`'s view back to ``text`` (built only when a view has a hit)."""
    vmap = _ViewMap()
    pos = vpos = 0
    for m in _NORMALISE.finditer(text):
        if m.start() > pos:
            vmap.add(vpos, pos)
            vpos += m.start() - pos
        if _decode_unit(m):
            vmap.add(vpos, m.start(), m.end())
            vpos += 1
        pos = m.end()
    if pos < len(text):
        vmap.add(vpos, pos)
    return vmap


def builds_view(text: str) -> bool:
    """True when :func:`find_secrets` also scans a decoded view of ``text`` (it holds an ANSI code, a
    zero-width character, or an escape, percent-encoding or character reference of a token's prefix).
    The view decodes every escape in the text, so a text built by joining others may find in one of
    them what that one alone does not.

    Example:
        >>> builds_view("x = 1"), builds_view("\\\\x68f_"), builds_view("%88")
        (False, True, False)
    """
    return "\x1b" in text or any(z in text for z in _ZERO_WIDTH) or any(c.search(text) for c in _VIEW_TRIGGERS)


def _normalised_view(text: str) -> str | None:
    """Decode escapes, drop zero-width characters and ANSI codes (None when there are none)."""
    return _decoded(text) if builds_view(text) else None


def _encoding_of(original: str) -> str:
    if any(z in original for z in _ZERO_WIDTH):
        return "zero-width"
    if "%" in original:
        return "percent-encoded"
    if "\\" in original:
        return "escaped"
    if "&" in original:
        return "html-entity"
    return "ansi-coloured" if "\x1b" in original else ""


def _view_hits(text: str, mask: int | None = None) -> list[Hit]:
    if mask is None:
        view = _normalised_view(text)
    elif mask & (_ESC_BITS | _ZW_BITS | _ENT_BIT) or "\x1b" in text:
        view = _decoded(text)
    else:
        view = None
    if view is None:
        return []
    found = _plain_hits(view)
    if not found:
        return []
    vmap = _view_map(text)
    hits = []
    for h in found:
        s, e = vmap.start(h.start), vmap.end(h.end - 1)
        hits.append(Hit(h.rule, s, e, h.secret, _encoding_of(text[s:e])))
    return hits


_B64_RUN_FWD = lazy_compile(r"[A-Za-z0-9+/=_-]*")
_B64_MARKER_RE = lazy_compile("|".join(_B64_MARKERS))
_B64_MIN_RUN = 46  # from its marker, base64 of the shortest token (37 bytes) runs 47+ characters
# Only a marker whose run is long enough to hold an encoded token (the others were skipped one by one).
_B64_MARKER_LONG = lazy_compile("|".join(f"{m}(?=[A-Za-z0-9+/=_-]{{{_B64_MIN_RUN - len(m)}}})" for m in _B64_MARKERS))
_SHORT_RUNS = 16  # markers with a short run met before the regex takes over from str.find


def _next_long_marker(text: str, pos: int, nxt: list[int]) -> int:
    """Where the first marker at or after ``pos`` starts whose base64 run is long enough to hold an
    encoded token (-1: none). ``nxt`` holds each marker's next occurrence, found by ``str.find`` (a
    fast search: an alternation of the markers is a slow pass of ``re`` over a long base64 run), and is
    kept between calls with rising ``pos``, so each marker is looked for once per occurrence. Its last
    item counts the markers met with a short run: a text dense with them goes to the regex, which skips
    those in C."""
    if nxt[-1] > _SHORT_RUNS:
        found = _B64_MARKER_LONG.search(text, pos)
        return -1 if found is None else found.start()
    while True:
        best = -1
        for j, m in enumerate(_B64_MARKERS):
            at = nxt[j]
            if -1 < at < pos:
                at = nxt[j] = text.find(m, pos)
            if at >= 0 and (best < 0 or at < best):
                best = at
        if best < 0:
            return -1
        if _B64_RUN_FWD.match(text, best, best + _B64_MIN_RUN).end() == best + _B64_MIN_RUN:  # type: ignore[union-attr]
            return best
        nxt[-1] += 1
        if nxt[-1] > _SHORT_RUNS:
            return _next_long_marker(text, best + 1, nxt)
        pos = best + 1  # too short a run: the next one


@_pure_if_lost
def _b64_hits(text: str) -> list[Hit]:
    """Decode the base64 after each marker of an encoded prefix ("hf_", "api_org_").

    A marker pins the prefix to within three characters, so decoding from the four starts just before
    it covers every alignment; the run after it must be long enough to hold a whole token. Windows
    advance past each other, so a long run of markers costs linear time.
    """
    hits: list[Hit] = []
    accel = _accelerator()
    nxt = [text.find(m) for m in _B64_MARKERS] + [0]
    i = _next_long_marker(text, 0, nxt)
    while i >= 0:
        b = _B64_RUN_FWD.match(text, i, min(len(text), i + _B64_WINDOW)).end()  # type: ignore[union-attr]  # matches empty
        # A run that ended inside the window is done: its four alignments are decoded below, so the
        # markers left in it need no window of their own. A longer run goes on in the next window,
        # which overlaps this one by more than an encoded token.
        capped = b == i + _B64_WINDOW and b < len(text)
        here, i = i, _next_long_marker(text, max(i + 1, b - 64) if capped else b, nxt)
        for k in range(4):
            start = here - k
            if start < 0 or text[start] not in _B64_CHARS:
                break
            n = ((b - start) // 4) * 4
            chunk = text[start:start + n].replace("=", "A")
            try:
                alt = b"-_" if ("-" in chunk or "_" in chunk) else None
                raw = base64.b64decode(chunk, altchars=alt)
            except (binascii.Error, ValueError):
                continue
            # (With the accelerator, one pass of the raw superset, where every plain hit has a match, says
            # whether to look, and one Set pass which groups to try: a marker-dense run decodes thousands
            # of windows, and "hf_hf_hf_" holds keywords but no secret. RE2's DFA, not hyperscan: hyperscan
            # pays for every keyword it meets, ~80 ns a byte of "hf_hf_...", 10x RE2's pass.)
            if accel is not None and accel.search(raw_superset())(raw) is None:
                continue
            decoded = raw.decode("latin-1")
            if not any(kw in decoded for kw in _RULE_KEYWORDS):
                continue
            for h in _plain_hits(decoded, mask=prefilter_mask(decoded) if accel is not None else None):
                s = start + (h.start // 3) * 4
                e = min(start + n, start + -(-h.end // 3) * 4)
                hits.append(Hit(h.rule, s, e, h.secret, "base64"))
    return hits


def _dedupe(hits: Iterable[Hit]) -> list[Hit]:
    """Keep one hit per place: the first found (plain before decoded), no overlaps."""
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if out and h.start < out[-1].end:
            continue
        out.append(h)
    return out


def find_secrets(text: str) -> list[Hit]:
    """All validated secrets in ``text``, plain and decoded, in order, without overlaps.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> [(h.rule.id, h.start) for h in find_secrets("a " + tok)]
        [('hf-user-token', 2)]
    """
    mask = prefilter_mask(text)
    return find_secrets_unfiltered(text, mask) if mask else []


def find_secrets_unfiltered(text: str, mask: int | None = None) -> list[Hit]:
    """:func:`find_secrets` for a text that already passed the prefilter; with ``mask`` (from
    :func:`prefilter_mask`) no keyword is looked for twice."""
    hits = _plain_hits(text, mask=mask)
    hits += _view_hits(text, mask)
    if (mask & _B64_BITS) if mask is not None else any(m in text for m in _B64_MARKERS):
        hits += _b64_hits(text)
    # (One rule's matches are in order and apart already: a text of many tokens need not be sorted.)
    return hits if all(a.end <= b.start for a, b in zip(hits, hits[1:])) else _dedupe(hits)


class LineIndex:
    """Line starts and suppression comments of one text, found once: each position is then looked up
    by bisection (a text with many findings costs linear time, not one pass per finding).

    Example:
        >>> ix = LineIndex("ab\\ncd  # hfsecure: allow")
        >>> ix.line_col(4), ix.suppressed(0, 1), ix.suppressed(3, 5)
        ((2, 2), False, True)
    """

    __slots__ = ("text", "starts", "_marks", "_mark_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        pos = 0
        for line in text.split("\n")[:-1]:
            pos += len(line) + 1
            starts.append(pos)
        self.starts = starts
        self._marks: list[tuple[int, int]] | None = None
        self._mark_starts: list[int] = []

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def suppressed(self, start: int, end: int) -> bool:
        """True when a line touched by ``text[start:end]`` carries ``hfsecure: allow``."""
        if self._marks is None:
            self._marks = [m.span() for m in _SUPPRESS.finditer(self.text)] if "hfsecure" in self.text else []
            self._mark_starts = [a for a, _ in self._marks]
        if not self._marks:
            return False
        ls = self.starts[bisect.bisect_right(self.starts, start) - 1]
        k = bisect.bisect_right(self.starts, end)  # the line holding ``end`` ends where the next starts
        le = self.starts[k] - 1 if k < len(self.starts) else len(self.text)
        j = bisect.bisect_left(self._mark_starts, ls)
        return j < len(self._marks) and self._marks[j][1] <= le


_LAST_INDEX: list[LineIndex] = []  # the index of the last text asked about (callers ask per finding)


def _index(text: str) -> LineIndex:
    last = _LAST_INDEX[0] if _LAST_INDEX else None
    if last is not None and last.text is text:
        return last
    ix = LineIndex(text)
    _LAST_INDEX[:] = [ix]
    return ix


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text`` (the line table of the last text is kept, so
    asking for every finding of one text is linear overall).

    Example:
        >>> line_col("ab\\ncd", 4)
        (2, 2)
    """
    return _index(text).line_col(offset)


def is_suppressed_line(text: str, start: int, end: int) -> bool:
    """True when a line touched by ``text[start:end]`` carries ``hfsecure: allow``.

    Example:
        >>> text = "a = 1\\nb = 2  # hfsecure: allow"
        >>> is_suppressed_line(text, 0, 5), is_suppressed_line(text, 6, 11)
        (False, True)
    """
    return _index(text).suppressed(start, end)


def hits_to_findings(text: str, hits: Sequence[Hit], location: str = "") -> list[Finding]:
    """Turn internal hits into public findings (masked, fingerprinted, suppression applied).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> text = f"x\\ny = '{tok}'"
        >>> [(f.line, f.column, f.preview) for f in hits_to_findings(text, find_secrets(text), "cells[0].source")]
        [(2, 6, 'hf_****oOOL')]
    """
    findings: list[Finding] = []
    if not hits:
        return findings
    index = LineIndex(text)
    starts = index.starts
    last = len(starts) - 1
    marked = "hfsecure" in text  # (else no line carries a suppression comment)
    # What repeats across findings is made once per rule (and encoding): a text of many tokens has one
    # or two rules, and the per-finding work is then the preview, the position and the fingerprint
    # (~20,000 findings per MB of tokens: no call here that is not needed).
    fixes: dict[str, str] = {}
    whats: dict[tuple[str, str], str] = {}
    find_line = bisect.bisect_right
    add = findings.append
    for h in hits:
        rule = h.rule
        rid = rule.id
        secret, start, end, encoding = h.secret, h.start, h.end, h.encoding
        preview = masked_preview(secret, rule.prefix_len)
        i = find_line(starts, start) - 1
        j = i if i == last or end < starts[i + 1] else find_line(starts, end) - 1
        what = whats.get((rid, encoding))
        if what is None:
            what = whats[(rid, encoding)] = rule.description + (f" ({encoding})" if encoding else "")
        fix = fixes.get(rid)
        if fix is None:
            fix = fixes[rid] = _fix_for(rule)
        add(Finding(rid, "secret", "error", location, i + 1, start - starts[i] + 1, j + 1, end - starts[j] + 1,
                    preview, fingerprint(rid, secret), marked and index.suppressed(start, end),
                    f"{what}: {preview}", fix, encoding, h.edits or (Edit(start, end, preview),)))
    return findings


def _fix_for(rule: Rule) -> str:
    if rule.provider == "Hugging Face":
        return ("Remove it from the text; authenticate with huggingface_hub.login() or the HF_TOKEN "
                "environment variable, pass it to Jobs through secrets={'HF_TOKEN': '$HF_TOKEN'}, and "
                f"revoke it at {rule.revoke_url} if it was real.")
    if not rule.provider:
        return ("Remove it; read it from an environment variable or a secret store instead, and revoke it where "
                "it was issued if it was real.")
    return (f"Remove it; read it from an environment variable or a secret store instead, and revoke it at "
            f"{rule.revoke_url} if it was real.")


def scan_text(text: str, *, location: str = "") -> list[Finding]:
    """Scan plain text (prose, an output, a shell line) for secrets.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> f = scan_text("Bearer " + tok)[0]
        >>> (f.rule, f.preview, f.line, f.column)
        ('hf-user-token', 'hf_****oOOL', 1, 8)
    """
    return hits_to_findings(text, find_secrets(text), location)

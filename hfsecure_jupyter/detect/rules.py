"""Detection rules, as data.

A :class:`Rule` says what a secret of one kind looks like: the literal keywords that must be present for
the (more expensive) pattern to be tried, the pattern itself, and a validator that tells a real secret
from a placeholder, a fill pattern or an identifier. Every consumer (guard, redaction, save hook, CLI)
uses the same :data:`RULES`.

Patterns are anchored on their keyword and use bounded quantifiers only, so matching stays linear on
hostile input (Python's ``re`` backtracks).

Example:
    >>> from hfsecure_jupyter.detect.rules import RULES, rule_by_id
    >>> rule_by_id("hf-user-token").keywords
    ('hf_',)
"""

from __future__ import annotations

import os
import re
try:  # the regex parser gives a pattern's widest match (the longest secret a rule can find)
    from re import _parser as _sre_parser  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse as _sre_parser

from .advice import HF_TOKEN_SETTINGS_URL
from .lazy import field, lazy_compile, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing, random, string and math are not imported by a scan: start-up time)
    import random
    from typing import Any, Callable, ClassVar, Iterator, Pattern, Tuple, Union

__all__ = ["Rule", "MisuseRule", "RULES", "RULE_KEYWORDS", "MASK_PREFIXES", "ZERO_WIDTH", "rule_by_id",
           "token_rule", "looks_like_placeholder", "keyword_regex", "rule_groups", "group_keywords", "group_check",
           "group_literal",
           "group_raw_regex", "group_piece", "group_piece_is_linear", "group_piece_reversed", "base64_markers", "valid_bodies"]

_DIGITS = "0123456789"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
# Orders in which people type "fill" bodies: abcdef..., ABCDEF..., 012345..., qwerty...
_SEQUENCES = (_LOWER + _UPPER + _DIGITS, _DIGITS + _LOWER + _UPPER, _LOWER[::-1], _UPPER[::-1], _DIGITS[::-1],
              "qwertyuiopasdfghjklzxcvbnm", "QWERTYUIOPASDFGHJKLZXCVBNM")
# Words of 5+ letters only: a 4-letter word turns up by chance in about 1 random body in 250,000.
_PLACEHOLDER_WORDS = ("EXAMPLE", "example", "Example", "REDACTED", "redacted", "Redacted", "PLACEHOLDER",
                      "placeholder", "Placeholder", "DUMMY", "dummy", "Dummy", "TOKEN", "token", "Token",
                      "SECRET", "secret", "Secret")
_RUNS = lazy_compile(r"[A-Z][a-z]*|[a-z]+|[0-9]+|.")
# A word-like body is a lower-case word, then capitalised words and digit groups (the runs _wordlike accepts).
_WORDLIKE_SHAPE = lazy_compile(r"(?:[a-z]{3,})?(?:[A-Z][a-z]{2,}|[0-9]{1,4})*")


def _wordlike(body: str) -> bool:
    """CamelCase words and short digit groups (``AutoModelForSequenceClassification``), not random.

    Every run must be a word of 3+ letters (or 1-4 digits) and the words must average 5+ characters:
    a random body passes both about once in ten million. Scans maximal runs once (no backtracking).
    """
    if body.isascii() and "\n" not in body and _WORDLIKE_SHAPE.fullmatch(body) is None:  # (the runs below, as one C-speed test)
        return False
    runs = _RUNS.findall(body)
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


def _longest_run(body: str) -> int:
    best = run = 1
    for prev, cur in zip(body, body[1:]):
        run = run + 1 if cur == prev else 1
        best = max(best, run)
    return best if body else 0


# Per typing sequence, a table mapping each ASCII character to the one after it (others to NUL).
_SUCCESSORS = tuple({**{c: 0 for c in range(128)}, **{ord(a): ord(b) for a, b in zip(seq, seq[1:])}}
                    for seq in _SEQUENCES)
_ZERO_MARKS = b"1" + b"0" * 255


def _longest_sequence(body: str) -> int:
    """Length of the longest stretch of ``body`` that follows one of the typing sequences.

    Each sequence maps the body to its successors with one ``translate`` (C speed): a character
    follows its predecessor where the mapped body equals the body shifted by one.

    Example:
        >>> _longest_sequence("xxabcdq"), _longest_sequence("a")
        (4, 1)
    """
    if not body:
        return 0
    if not body.isascii():
        return _longest_sequence_slow(body)
    best = 1
    prev, nxt = body[:-1], body[1:]
    n = len(nxt)
    want = int.from_bytes(nxt.encode("ascii"), "big")
    for table in _SUCCESSORS:
        mapped = prev.translate(table)
        if mapped == nxt:
            return len(body)
        # b"1" where the mapped character equals the next one (XOR is zero there), else b"0".
        marks = (int.from_bytes(mapped.encode("ascii"), "big") ^ want).to_bytes(n, "big").translate(_ZERO_MARKS)
        if b"1" in marks:
            best = max(best, 1 + max(map(len, marks.split(b"0"))))
    return best


def _longest_sequence_slow(body: str) -> int:
    best = 1 if body else 0
    for seq in _SEQUENCES:
        run = 1
        for prev, cur in zip(body, body[1:]):
            i = seq.find(prev)
            run = run + 1 if i >= 0 and i + 1 < len(seq) and seq[i + 1] == cur else 1
            best = max(best, run)
    return best


# The thresholds of looks_like_placeholder as C-speed tests (it runs once per candidate: 20,000 times in a
# megabyte of tokens): six equal characters in a row; seven that follow a typing sequence (the sequences
# repeat no character, so such a stretch is a 7-character piece of one of them).
_RUN_OF_6 = lazy_compile(r"(.)\1{5}", re.DOTALL)
_SEQUENCE_7 = frozenset(seq[i:i + 7] for seq in _SEQUENCES for i in range(len(seq) - 6))
_SEQUENCE_4 = frozenset(seq[i:i + 4] for seq in _SEQUENCES for i in range(len(seq) - 3))
_PLACEHOLDER_WORD = lazy_compile("|".join(_PLACEHOLDER_WORDS))


def _has_sequence_7(body: str) -> bool:
    """``_longest_sequence(body) >= 7``, by looking up each 7-character window.

    Example:
        >>> _has_sequence_7("xxabcdefgq"), _has_sequence_7("xxabcdeq")
        (True, False)
    """
    # Every 7-character window holds an aligned 4-character one (at a multiple of 4), which is then a
    # piece of the same sequence: a random body has none, and is told apart with 1/4 of the slices.
    if _SEQUENCE_4.isdisjoint([body[i:i + 4] for i in range(0, len(body) - 3, 4)]):
        return False
    return not _SEQUENCE_7.isdisjoint([body[i:i + 7] for i in range(len(body) - 6)])


_PIECES_3 = frozenset([seq[i:i + 3] for seq in _SEQUENCES for i in range(len(seq) - 2)] + [chr(c) * 3 for c in range(128)])
_ALIGNED_3: dict[int, tuple[slice, ...]] = {}


def _aligned_3(n: int) -> tuple[slice, ...]:
    """The slices of the 3-character windows at multiples of 3 in a text of ``n`` characters."""
    slices = _ALIGNED_3.get(n)
    if slices is None:
        slices = tuple(slice(i, i + 3) for i in range(0, n - 2, 3))
        if n <= 1024:
            _ALIGNED_3[n] = slices
    return slices


def looks_like_placeholder(body: str) -> bool:
    """True when ``body`` (the part after a prefix) is a fill, a sequence or words, not random.

    The thresholds are chosen so that a uniformly random body of 20+ characters passes with a
    probability below one in a million (a missed real token is worse than a false alarm here).

    Example:
        >>> looks_like_placeholder("x" * 34)
        True
        >>> looks_like_placeholder("AutoModelForSequenceClassification")
        True
    """
    return _placeholder(body, None)


def _placeholder(body: str, suspect: bool | None) -> bool:
    """:func:`looks_like_placeholder`; ``suspect`` False when ``body`` is known to hold no run of six
    and no sequence of seven (:func:`_run_suspects`), None when not known."""
    if not body:
        return True
    if _PLACEHOLDER_WORD.search(body) is not None:  # any(w in body for w in _PLACEHOLDER_WORDS)
        return True
    # Six equal characters, or seven of a typing sequence, hold an aligned 3-character window that is a
    # run or a piece of a sequence: a random body (98% of them) has none, told by one C-level test.
    if suspect is None:
        suspect = not body.isascii() or not _PIECES_3.isdisjoint(map(body.__getitem__, _aligned_3(len(body))))
    if suspect:
        if _RUN_OF_6.search(body) is not None:  # _longest_run(body) >= 6
            return True
        if _has_sequence_7(body):  # _longest_sequence(body) >= 7
            return True
    n = len(body)
    if len(set(body)) < (12 if n >= 36 else 4 if n < 12 else n // 3):  # min(12, max(4, n // 3)) distinct
        return True
    if n >= 16 and not (_WORDLIKE_SHAPE.fullmatch(body) is None and body.isascii() and "\n" not in body) \
            and _wordlike(body):  # (the test _wordlike starts with, without the call)
        return True
    return False


def _screen_tables() -> list[tuple[bytes, int]]:
    """Byte tables for :func:`_run_suspects`, each with how many neighbours in a row it looks for: the
    identity (a run of six is five equal neighbours) and the typing sequences' successors (seven of one
    sequence are six successors), sequences with no successor in conflict sharing one table."""
    groups = ((0, 1), (2, 3, 4), (5, 6))  # (abc...ABC...012..., 012...abc...ABC...), the reversed ones, qwerty
    tables = [(bytes(range(256)), 5)]
    for group in groups:
        table = bytearray(256)
        for k in group:
            for a, b in zip(_SEQUENCES[k], _SEQUENCES[k][1:]):
                table[ord(a)] = ord(b)
        tables.append((bytes(table), 6))
    return tables


_SCREEN_TABLES: list[tuple[bytes, int]] = []


def _run_suspects(bodies: list[str]) -> set[int] | None:
    """The indexes of the ``bodies`` that may hold six equal characters or seven of a typing sequence (a
    superset: the others hold none), from a few passes over all of them at C speed; None when they are
    not all ASCII. Per table, one XOR of big integers marks the characters whose next one is their
    successor (a zero byte); a body is a suspect where enough zeros in a row touch it.

    Example:
        >>> sorted(_run_suspects(["a1B2c3", "xxxxxxx", "Q9qwertyu", "zyxwvut", "k", "a5b6"]))
        [1, 2, 3]
    """
    from bisect import bisect_right
    from itertools import accumulate

    joined = "\n".join(bodies)
    if not joined.isascii() or len(joined) < 2:
        return None
    if not _SCREEN_TABLES:
        _SCREEN_TABLES[:] = _screen_tables()
    data = joined.encode("ascii")
    n = len(data) - 1
    head, nxt = data[:-1], int.from_bytes(data[1:], "big")
    starts = [0]
    starts += accumulate([len(b) + 1 for b in bodies[:-1]])
    out: set[int] = set()
    for table, width in _SCREEN_TABLES:
        marks = (int.from_bytes(head.translate(table), "big") ^ nxt).to_bytes(n, "big")
        zeros = b"\0" * width
        i = marks.find(zeros)
        while i >= 0:  # characters i .. i + width follow each other: the bodies they are in are suspects
            first, last = bisect_right(starts, i) - 1, bisect_right(starts, i + width) - 1
            out.update(range(first, last + 1))
            i = marks.find(zeros, max(i + 1, starts[last] + len(bodies[last])))
    return out


def valid_bodies(validator: Callable[[str], bool], bodies: list[str]) -> list[bool]:
    """``[validator(b) for b in bodies]``: for the prefix rules' validators, with the run and sequence
    tests of :func:`looks_like_placeholder` done for all the bodies at once (a file of 20,000 tokens
    validates 20,000 bodies).

    Example:
        >>> valid_bodies(_valid_generic, ["a1B2c3d4e5f6g7h8i9", "x" * 18] * 8)[:2]
        [True, False]
    """
    if len(bodies) < 8 or validator not in _SCREENED:
        return [validator(b) for b in bodies]
    suspects = _run_suspects(bodies)
    if suspects is None:
        return [validator(b) for b in bodies]
    if validator is _valid_hf:
        return [_mixed_case(b) and not _placeholder(b, i in suspects) for i, b in enumerate(bodies)]
    if validator is _valid_aws:
        return [not _placeholder(b, i in suspects) and len(set(b)) >= 8 for i, b in enumerate(bodies)]
    return [not _placeholder(b, i in suspects) for i, b in enumerate(bodies)]


def _mixed_case(body: str) -> bool:
    if body.isascii():  # (C speed: an ASCII text has a lower-case letter iff upper-casing changes it)
        return body.upper() != body and body.lower() != body
    return any(c.islower() for c in body) and any(c.isupper() for c in body)


def _valid_hf(body: str) -> bool:
    # Real HF tokens are random over [A-Za-z] or [A-Za-z0-9]; a single-case body is a name or a fill.
    return _mixed_case(body) and not looks_like_placeholder(body)


def _valid_generic(body: str) -> bool:
    return not looks_like_placeholder(body)


def _valid_aws(body: str) -> bool:
    return not looks_like_placeholder(body) and len(set(body)) >= 8


_SCREENED = (_valid_hf, _valid_generic, _valid_aws)  # (the validators valid_bodies knows by heart)


#: A sample text of a rule: a string (``{token}`` stands for a fake token of the rule, made at run time)
#: or a function of that fake token (so that no token-shaped literal is written in the tree).
if TYPE_CHECKING:
    Sample = Union[str, Callable[[str], str]]
#: A part of a fake token: a literal, or ``(alphabet, length)`` drawn at random, or
#: ``(alphabet, length, True)`` when ``digits=False`` may draw letters only.
    FakePart = Union[str, Tuple[Any, ...]]

_ALNUM = _LOWER + _UPPER + _DIGITS


def _draw(rng: random.Random, n: int, alphabet: str) -> str:
    # Guarantee the mixed case a real body has (a random 34-letter body lacks it once in 10^10).
    mixed = any(c.islower() for c in alphabet) and any(c.isupper() for c in alphabet)
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(n))
        if not mixed or (any(c.islower() for c in body) and any(c.isupper() for c in body)):
            return body


def _build_sample(sample: Sample, token: str) -> str:
    return sample(token) if callable(sample) else sample.replace("{token}", token)


@record(frozen=True)
class Rule:
    """One kind of secret, as data: everything the engine, the redactor and the tests need is derived
    from this record (build one with :func:`token_rule`).

    Attributes:
        id: stable identifier used in reports and suppression (``hf-user-token``).
        description: what the secret is, for people.
        keywords: literal prefixes one of which must occur for the pattern to be tried; each is also
            what a masked preview keeps (``hf_`` -> ``hf_****wxyz``).
        pattern: regular expression matched *at* a keyword occurrence; group ``body`` is validated.
        validator: returns False for placeholders and fills.
        prefix_len: characters of the prefix kept in a masked preview (``hf_`` -> 3).
        provider: who issued it, for messages.
        revoke_url: where the owner revokes it.
        group: rules with the same group share one prefilter check (one pass over the text); ``""``
            gives the rule a check of its own.
        alphabet: the characters (a regex class's contents) that follow the keyword in a secret.
        max_len: the most characters that follow the keyword in a secret.
        check: for a rule not found by a prefix (an assignment), the prefilter regex itself.
        context: then, a regex that must end where the match starts (the secret-named variable).
        secret_group: then, the match group that is the secret (the value, not the name).
        fake_kind: the name :func:`hfsecure_jupyter.testing.fake_token` knows the fake by (``"hf"``).
        fake: how a fake secret is made (see :data:`FakePart`).
        mask_prefixes: longer prefixes a preview keeps when the rule is not known (``sk-proj-``).
        marker: a literal every secret of the rule holds after its keyword (``T3BlbkFJ``): a text
            without it is not matched at all (the pattern's gap before it costs up to ~300 steps at
            each keyword, and text dense with the keyword, ``sk-sk-...``, paid that at every one).
        base64: ``"fields"`` when base64 of a keyword is looked for in parsed text, ``"raw"`` when also
            in raw file bytes.
        true_samples, false_samples: texts that must and must not be found as this rule (checked for
            every rule by one test).
    """

    id: str
    description: str
    keywords: tuple[str, ...]
    pattern: Pattern[str]
    validator: Callable[[str], bool] = _valid_generic
    prefix_len: int = 3
    provider: str = ""
    revoke_url: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    group: str = ""
    alphabet: str = "A-Za-z0-9"
    max_len: int = 0
    fake_kind: str = ""
    fake: tuple[FakePart, ...] = ()
    mask_prefixes: tuple[str, ...] = ()
    marker: str = ""
    base64: str = ""
    true_samples: tuple[Sample, ...] = ()
    false_samples: tuple[Sample, ...] = ()
    check: str = ""
    context: "Pattern[str] | _NameContext | None" = None
    secret_group: str = ""
    kind: ClassVar[str] = "secret"

    @property
    def check_group(self) -> str:
        """The prefilter group this rule belongs to."""
        return self.group or self.id

    def match_at(self, text: str, pos: int) -> "re.Match[str] | None":
        """Match this rule at ``pos`` (a keyword occurrence), validator included."""
        m = self.pattern.match(text, pos)  # (no marker test: it would read the whole text for one match)
        if m is None or not self.validator(m.group("body")):
            return None
        return m

    def finditer(self, text: str) -> "Iterator[re.Match[str]]":
        """Every valid match in ``text``, in order."""
        if self.marker and self.marker not in text:
            return
        context = self.context
        # (A context rule skips a value led by a prefix rule's keyword: that rule reports it. _valid_value
        # says so itself, after the longer look at the name before it.)
        keyword_led = context is not None and self.validator is _valid_value
        may_name: "Callable[[int], bool] | None" = None
        for n, m in enumerate(self.pattern.finditer(text), 1):
            if context is not None:
                at = m.start()
                if may_name is None and n > _MANY_MATCHES and isinstance(context, _NameContext):
                    # (JSON of hashes, ``"sha": "..."`` on every line: past the first few matches, a match
                    # is turned down in C when no secret word stands before its operator)
                    may_name = context.name_test(text)
                if may_name is not None and not may_name(at):
                    continue
                if context.search(text, max(0, at - 96), at) is None:
                    continue
            if keyword_led and m.group("body").startswith(RULE_KEYWORDS):
                continue
            if self.validator(m.group("body")):
                yield m

    def make_fake(self, rng: random.Random, digits: bool = True) -> str:
        """A random secret of this kind, made now from :attr:`fake`.

        Example:
            >>> import random
            >>> rule_by_id("hf-org-token").make_fake(random.Random(1))[:8]
            'api_org_'
        """
        out = []
        for part in self.fake:
            if isinstance(part, str):
                out.append(part)
            else:
                alphabet, n = part[0], part[1]
                if not digits and len(part) > 2 and part[2]:
                    alphabet = "".join(c for c in alphabet if not c.isdigit())
                out.append(_draw(rng, n, alphabet))
        return "".join(out)

    def samples(self, seed: int = 0) -> tuple[list[str], list[str]]:
        """The rule's true and false samples, with a fake secret of ``seed`` put in.

        Example:
            >>> true, false = rule_by_id("hf-user-token").samples()
            >>> len(true) > 0 and len(false) > 0
            True
        """
        import random

        token = self.make_fake(random.Random(seed))
        return ([_build_sample(s, token) for s in self.true_samples],
                [_build_sample(s, token) for s in self.false_samples])


@record(frozen=True)
class MisuseRule:
    """One kind of code that leaks a secret without a literal (reported as a warning with its fix).

    The matching itself is the Python analysis of :mod:`.misuse` (it needs the syntax tree); the
    shell forms are :attr:`shell` patterns. Samples are checked for every rule by one test, as for
    :class:`Rule`.
    """

    id: str
    description: str
    fix: str
    shell: tuple[Pattern[str], ...] = ()
    true_samples: tuple[Sample, ...] = ()
    false_samples: tuple[Sample, ...] = ()
    kind: ClassVar[str] = "misuse"

    def samples(self, seed: int = 0) -> tuple[list[str], list[str]]:
        """The true and false samples (misuse samples hold no secret)."""
        return [_build_sample(s, "") for s in self.true_samples], [_build_sample(s, "") for s in self.false_samples]


# Characters that may not touch a token on the left or the right (otherwise it is part of a longer
# identifier or blob). Quotes, backslashes (JSON's \"), '@', '/', ':' and whitespace are fine.
# Each pattern starts with its literal keyword, then looks behind it: ``re`` then scans for the
# literal in C instead of trying the lookbehind at every position.
_NA = r"(?![A-Za-z0-9])"
_NA_DASH = r"(?![A-Za-z0-9_-])"


def _start(kw: str, before: str = "A-Za-z0-9_", width: int = 0) -> str:
    """The left boundary of a secret whose prefix is ``kw``, written right after ``kw`` in a pattern (with
    ``width``: right after a keyword of that many characters, whatever it is).

    Nothing from ``before`` may precede the prefix, unless it is the end of an escape: ``\\n``-style,
    octal ``\\076``, ``\\x3e``, ``\\u003e`` (JSON), or percent-encoding ``%3D`` / ``%253D`` (URLs, also
    encoded twice). An escape is a boundary in the text it encodes (``?token=hf_...`` as ``%3Ftoken%3Dhf_...``).
    """
    k = ".{%d}" % width if width else re.escape(kw)
    behind = (r"\\[nrtfvb0]", r"\\[0-7]{3}", r"\\x[0-9A-Fa-f]{2}", r"\\u[0-9A-Fa-f]{4}", r"%[0-9A-Fa-f]{2}",
              r"%25[0-9A-Fa-f]{2}")
    # Every escape ends in a hex digit or one of "nrtfvb": that one-character test first, so that a prefix
    # inside an identifier ("x_hf_...") costs one lookbehind more, not six.
    return ("(?:(?<![" + before + "]" + k + ")|(?<=[0-9A-Fa-fnrtv]" + k + ")(?:"
            + "|".join("(?<=" + b + k + ")" for b in behind) + "))")


def keyword_regex(words: "tuple[str, ...] | list[str]") -> str:
    """One regex for literal ``words``, written as a tree of their common prefixes (``re`` scans for a
    leading literal at memchr speed, then tries only the branches that can follow).

    Example:
        >>> keyword_regex(["xoxb-", "xoxp-"])
        'xox(?:b\\\\-|p\\\\-)'
        >>> keyword_regex(["ghp_", "gho_", "github_pat_"])
        'g(?:h(?:p_|o_)|ithub_pat_)'
    """
    words = list(dict.fromkeys(words))
    common = os.path.commonprefix(words)
    if len(words) == 1:
        return re.escape(common)
    by_first: dict[str, list[str]] = {}
    for w in words:
        if len(w) > len(common):
            by_first.setdefault(w[len(common)], []).append(w[len(common):])
    alts = [keyword_regex(g) for g in by_first.values()]
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    optional = any(len(w) == len(common) for w in words)
    return re.escape(common) + ("(?:" + body + ")?" if optional else body)


_CHARS: dict[str, frozenset[str]] = {}
_PRINTABLE = "".join(map(chr, range(32, 127)))


def _chars(alphabet: str) -> frozenset[str]:
    # The printable ASCII characters of a regex class's contents (cached: rules share their alphabets).
    chars = _CHARS.get(alphabet)
    if chars is None:
        chars = _class_members(alphabet)
        if chars is None:
            chars = frozenset(re.findall("[" + alphabet + "]", _PRINTABLE))
        _CHARS[alphabet] = chars
    return chars


def _class_members(contents: str) -> "frozenset[str] | None":
    """The printable ASCII characters of a class's contents made of characters, escaped characters and
    ranges (None for anything else: ``\\d``, a negation), without compiling it (start-up time).

    Example:
        >>> sorted(_class_members(r"a-c_\\-"))
        ['-', '_', 'a', 'b', 'c']
        >>> _class_members("^a") is None, _class_members(r"\\d") is None
        (True, True)
    """
    items: list[tuple[str, bool]] = []  # (character, written escaped)
    i = 0
    while i < len(contents):
        c = contents[i]
        if c == "\\":
            if i + 1 >= len(contents) or contents[i + 1].isalnum():
                return None
            items.append((contents[i + 1], True))
            i += 2
            continue
        if c in "[]" or (c == "^" and i == 0):
            return None
        items.append((c, False))
        i += 1
    out: set[str] = set()
    k = 0
    while k < len(items):
        if k + 2 < len(items) and items[k + 1] == ("-", False):
            lo, hi = ord(items[k][0]), ord(items[k + 2][0])
            if lo > hi:
                return None
            out.update(map(chr, range(lo, hi + 1)))
            k += 3
        else:
            out.add(items[k][0])
            k += 1
    return frozenset(c for c in out if c in _PRINTABLE)


def _char_class(chars: "set[str] | frozenset[str]") -> str:
    """A regex class for ``chars``, runs written as ranges (``[0-9A-Za-z]``)."""
    codes = sorted(map(ord, chars))
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(lo if i == j else lo + hi if j == i + 1 else lo + "-" + hi)
        i = j + 1
    return "[" + "".join(parts) + "]"


def _max_width(rx: str) -> "int | None":
    """The longest text ``rx`` matches, for a regex of characters, escapes, classes, ``(?:...)`` groups,
    ``|`` and ``?`` or ``{m,n}`` repeats (None for anything else: the regex parser answers then). Reading
    it here saves a run parsing every rule's pattern at start-up.

    Example:
        >>> _max_width(r"(?:b\\-|p\\-)(?:ant-)?[A-Za-z0-9]{20,34}"), _max_width("a*") is None
        (40, True)
    """
    width, end = _alternatives(rx, 0)
    return width if end == len(rx) else None


def _alternatives(rx: str, i: int) -> "tuple[int | None, int]":
    # Branches up to a ")" or the end: the widest, and where they stop.
    best: "int | None" = 0
    while True:
        width, i = _sequence(rx, i)
        best = None if width is None or best is None else max(best, width)
        if i < len(rx) and rx[i] == "|":
            i += 1
            continue
        return best, i


def _sequence(rx: str, i: int) -> "tuple[int | None, int]":
    total = 0
    while i < len(rx) and rx[i] not in "|)":
        c = rx[i]
        if c == "(":
            if not rx.startswith("(?:", i):
                return None, i
            width, i = _alternatives(rx, i + 3)
            if width is None or i >= len(rx):
                return None, i
            i += 1
        elif c == "[":
            close = rx.find("]", i + 2)
            while close > 0 and rx[close - 1] == "\\":
                close = rx.find("]", close + 1)
            if close < 0:
                return None, i
            width, i = 1, close + 1
        elif c == "\\":
            width, i = 1, i + 2
        elif c in "*+.^$":
            return None, i
        else:
            width, i = 1, i + 1
        if i < len(rx) and rx[i] == "?":
            i += 1
        elif i < len(rx) and rx[i] == "{":
            close = rx.find("}", i)
            counts = rx[i + 1:close].split(",") if close > 0 else []
            if not 1 <= len(counts) <= 2 or not all(n.isdigit() for n in counts):
                return None, i
            width *= int(counts[-1])
            i = close + 1
        total += width
    return total, i


def token_rule(id: str, description: str, keywords: tuple[str, ...], body: str, *, head: str = "",
               before: str = "A-Za-z0-9_", after: str = _NA, not_after: tuple[str, ...] = (),
               alphabet: str = "A-Za-z0-9", true_samples: tuple[Sample, ...] | None = None,
               false_samples: tuple[Sample, ...] | None = None, **fields: Any) -> Rule:
    """A :class:`Rule` for a secret that starts with one of ``keywords``: the one place that writes a
    rule's pattern (the left boundary, the keywords, ``head``, the validated ``body``, the right
    boundary ``after``) and derives its preview prefix and longest length.

    Args:
        head: regex between the keyword and the body (``ant-api03-``).
        before: characters that may not stand right before the keyword.
        not_after: texts (case-insensitive) after which the keyword is not a secret (a presigned URL).
        alphabet: what the secret is made of after the keyword (for the raw-bytes prefilter).
        true_samples, false_samples: default to a few forms every rule must handle.

    Example:
        >>> r = token_rule("acme-key", "Acme key", ("acme_",), "[a-z0-9]{20}", fake=("acme_", ("abc123", 20)))
        >>> r.prefix_len, r.max_len, bool(r.match_at("acme_" + "a1b2c3d4e5" * 2, 0))
        (5, 20, True)
    """
    anchor = os.path.commonprefix(list(keywords))
    if len({len(k) for k in keywords}) != 1:
        raise ValueError(f"{id}: keywords of one rule have one length (the preview keeps that many characters)")
    rest = [k[len(anchor):] for k in keywords]
    lead = keyword_regex(rest) if any(rest) else ""
    if lead:
        # Keywords past a shared start ("A" of "AKIA", "ASIA"...): the whole keyword first, then the
        # lookbehinds, so that each "A" of a text costs one comparison, not the boundary's eight.
        n = len(keywords[0])
        guards = "".join(f"(?<!(?i:{p}).{{{n}}})" for p in not_after)
        start = re.escape(anchor) + lead + _start(anchor, before, width=n) + guards
    else:
        guards = "".join(f"(?<!(?i:{p}){re.escape(anchor)})" for p in not_after)
        start = re.escape(anchor) + _start(anchor, before) + guards
    source = start + head + "(?P<body>" + body + ")" + after
    width = _max_width(lead + head + body)
    if width is None:
        width = _sre_parser.parse(lead + head + body).getwidth()[1]
    # What ``head`` may write ("dev-", "api03-") is part of the secret for the raw-bytes prefilter too.
    extra = sorted({c for c in re.sub(r"\\.", "", head) if c in "-_"} - _chars(alphabet))
    alphabet += "".join(re.escape(c) for c in extra)
    if true_samples is None:
        true_samples = ("{token}", 'key = "{token}"', "use {token} here", "Bearer {token}\n")
    if false_samples is None:
        false_samples = (lambda t: "x" + t, lambda t: t[:len(keywords[0])] + "x" * (len(t) - len(keywords[0])),
                         keywords[0] + "<your key>")
    return Rule(id=id, description=description, keywords=tuple(keywords), pattern=lazy_compile(source),
                prefix_len=len(keywords[0]), alphabet=alphabet, max_len=len(anchor) - len(keywords[0]) + width,
                fake_kind=fields.pop("fake_kind", id), true_samples=true_samples, false_samples=false_samples,
                **fields)


# The words a secret name holds as one of its segments (``HF_TOKEN``, ``WANDB_API_KEY``, ``DB_PASSWORD``).
_SECRET_WORDS = ("TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PWD", "APIKEY", "API_KEY", "KEY",
                 "CREDENTIAL", "CREDENTIALS", "AUTH")
_SECRET_NAME = lazy_compile(r"(?:^|_)(?:" + "|".join(_SECRET_WORDS) + r")(?:$|_)", re.IGNORECASE)
# What a secret-looking name holds instead when it ends so: a name, an id, a path... (``HF_TOKEN_SECRET_NAME``,
# ``AWS_ACCESS_KEY_ID``), and NLP's special tokens (``EOS_TOKENS`` holds token ids, ``MAX_NEW_TOKENS`` a count).
_NOT_A_SECRET = lazy_compile(
    r"(?:_(?:NAMES?|IDS?|PATHS?|FILES?|FILENAMES?|URLS?|ENV))$"
    r"|(?:^|_)(?:EOS|BOS|PAD|UNK|SEP|CLS|MASK|EOT|EOM|SPECIAL|ADDED|ADDITIONAL|EXTRA|STOP|START|END|BEGIN|"
    r"MAX|MIN|NUM|N|NEW|TOTAL|IMAGE|IMG|AUDIO|VIDEO|VISION|PROMPT|INPUT|OUTPUT|CONTEXT|GEN|SYSTEM|ASSISTANT|TOOL|"
    r"THINK|PLACEHOLDER|DECODER|ENCODER|LABEL|TARGET|BLANK|SPACE|NEWLINE|ANSWER|QUESTION|RESPONSE|BREAK)_TOKENS?$",
    re.IGNORECASE)

def is_secret_name(name: str) -> bool:
    """True for environment or key names that hold secrets (``HF_TOKEN``, ``WANDB_API_KEY``).

    Example:
        >>> is_secret_name("HF_TOKEN"), is_secret_name("TOKENIZERS_PARALLELISM")
        (True, False)
        >>> is_secret_name("HF_TOKEN_SECRET_NAME"), is_secret_name("EOS_TOKENS"), is_secret_name("AWS_ACCESS_KEY_ID")
        (False, False, False)
    """
    return bool(_SECRET_NAME.search(name)) and not _NOT_A_SECRET.search(name)



_VALUE = r"[A-Za-z0-9+/_.~=@#%^&*!-]"


def _entropy(body: str) -> float:
    from math import log2

    counts: dict[str, int] = {}
    for c in body:
        counts[c] = counts.get(c, 0) + 1
    return -sum(n / len(body) * log2(n / len(body)) for n in counts.values())


def _valid_assigned(body: str) -> bool:
    """A value assigned to a secret-named variable that looks like a key: long enough, letters and
    digits, random (3+ bits per character), no placeholder, no path or URL, not another rule's."""
    if not 16 <= len(body) <= 200 or body.startswith(RULE_KEYWORDS) or body[0] in "./~" or "//" in body:
        return False
    if not any(c.isdigit() for c in body) or not any(c.isalpha() for c in body):
        return False
    return _entropy(body) >= 3.0 and not looks_like_placeholder(body.replace("-", "").replace("_", ""))


def _assigned_name(m: "re.Match[str]") -> bool:
    return is_secret_name(m.group("name"))


class _NameContext:
    """The context of an assignment: the name just before the operator must be secret-named
    (``api_key``, ``WANDB_API_KEY``, ``password``; not ``model_id``, ``pad_token``). Read backwards from
    the operator, at most one name long (linear: no regex tried at every position of the window)."""

    _CLOSERS = ('\\"]', '"]', "']", "]", '\\"', '"', "'")
    _NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

    # Read from an operator backwards, in C, in the reversed text: its spaces, a closer, then a name that
    # holds a secret word followed by "_", "-" or the name's end. A superset of what :meth:`search` accepts
    # (no left boundary, no exclusions, no length bound). One anchored match per operator reads at most the
    # run of name characters before it, and the runs before two operators do not overlap (no operator is a
    # name character): linear. (The words tried only where one may start, and case-folded as ASCII: the
    # names are ASCII, and re's Unicode folding is slower.)
    _REVERSED = lazy_compile(r"[ \t]*(?:\]\"\\|\]\"|\]'|\]|\"\\|\"|')?(?:[A-Za-z0-9_-]*?[_-])?(?=["
                             + "".join(sorted({c for w in _SECRET_WORDS for c in (w[-1], w[-1].lower())}))
                             + "])(?ai:" + "|".join(w[::-1] for w in _SECRET_WORDS) + ")")

    def name_test(self, text: str) -> "Callable[[int], bool]":
        """For operators in ``text``: False when :meth:`search` ending at one surely finds no secret name
        (``text`` reversed once, then a C match per operator instead of the Python loop of :meth:`search`).

        Example:
            >>> t = '{"sha": "x", "api_key" : "y", "auth": 1}'; may_name = _NameContext().name_test(t)
            >>> [may_name(t.index(op)) for op in (': "x', ' : "y', ': 1')]
            [False, True, True]
        """
        reversed_text, size, match = text[::-1], len(text), self._REVERSED.match
        return lambda endpos: match(reversed_text, size - endpos) is not None

    def search(self, text: str, pos: int, endpos: int) -> "str | None":
        i = endpos
        while i > pos and text[i - 1] in " \t":
            i -= 1
        for closer in self._CLOSERS:
            if text.endswith(closer, pos, i):
                i -= len(closer)
                break
        j = i
        while j > pos and text[j - 1] in self._NAME_CHARS:
            j -= 1
        name = text[j:i]
        return name if name and not name[0].isdigit() and is_secret_name(name.replace("-", "_")) else None


_MANY_MATCHES = 8  # a context rule's matches in one text past which the text is reversed for the C test

_PLACEHOLDER_PARTS = ("your", "here", "xxxx", "change", "example", "test", "dummy", "fake", "sample", "placeholder",
                      "insert", "enter", "replace", "redacted", "secret", "password", "token", "value")


def _valid_value(body: str) -> bool:
    """A value that looks like a key (an assignment's or a header's): long enough, letters and digits,
    random (3+ bits per character), no placeholder, no path or URL, and not another rule's."""
    if not 16 <= len(body) <= 500 or body.startswith(RULE_KEYWORDS) or body[0] in "./~" or "//" in body:
        return False
    if not any(c.isdigit() for c in body) or not any(c.isalpha() for c in body):
        return False
    low = body.lower()
    if any(w in low for w in _PLACEHOLDER_PARTS):
        return False
    return _entropy(body) >= 3.0 and not looks_like_placeholder(body.replace("-", "").replace("_", ""))


_HARDCODED_URL = "https://owasp.org/www-community/vulnerabilities/Use_of_hard-coded_password"
_HEX = "0123456789abcdef"


def _context_rules(prefix_rules: "tuple[Rule, ...]") -> "tuple[Rule, ...]":
    """The rules found by their context, not a prefix: a bearer header, and a literal assigned to a
    secret-named variable, argument, environment variable or key. They skip values that start with a
    prefix rule's keyword (that rule reports them, or knows them for placeholders)."""
    bearer = token_rule(
        "bearer-token", "Bearer token in an Authorization header", ("Bearer ",), _VALUE + "{16,500}",
        after=r"(?![A-Za-z0-9+/_.~=@#%^&*!-])", validator=_valid_value, alphabet=_VALUE[1:-1],
        revoke_url=_HARDCODED_URL, fake=("Bea" + "rer ", (_ALNUM, 40)),
        true_samples=('headers = {"Authorization": "{token}"}', "curl -H 'Authorization: {token}' https://x"),
        false_samples=('"Authorization": "Bearer " + token', "Bearer ${TOKEN}", "Bearer <token>",
                       'f"Bearer {os.environ[\'KEY\']}"', lambda t: t[:7] + "x" * 40),
    )
    def assigned(id: str, op: str, description: str, true: tuple[Sample, ...], false: tuple[Sample, ...]) -> Rule:
        # One rule per operator: a regex led by a literal searches twice as fast as one led by a class.
        value = r"[ \t]*[rbfRBF]?(?P<q>\\?[\"'])(?P<body>(?=" + _VALUE + "{0,199}[0-9])" + _VALUE + r"{16,200})(?P=q)"
        return Rule(
            id=id, description=description, keywords=(op,), pattern=lazy_compile(re.escape(op) + value),
            validator=_valid_value, prefix_len=0, revoke_url=_HARDCODED_URL, alphabet=_VALUE[1:-1], max_len=200,
            # (A key has a digit: the lookahead drops names and words in C, before any Python runs.)
            check=re.escape(op) + r"[ \t]*[rbfRBF]?\\?[\"'](?=" + _VALUE + "{0,199}[0-9])" + _VALUE + "{16}",
            context=_NameContext(), secret_group="body", fake_kind=id, fake=((_HEX, 40),),
            true_samples=true, false_samples=false)

    common_false: tuple[Sample, ...] = ("<your key>", "xxxxxxxxxxxxxxxxxxxxxxxx", "${API_KEY}", "hunter2",
                                        "YOUR_API_KEY_HERE_1234", "sk-...")
    return bearer, assigned(
        "assigned-secret", "=", "Secret literal assigned to a secret-named variable, argument or environment variable",
        ('wandb.login(key="{token}")', 'os.environ["WANDB_API_KEY"] = "{token}"',
         'co = cohere.Client(api_key="{token}")', "password = '{token}'", 'os.environ["COHERE_API_KEY"] = "{token}"',
         "WANDB_API_KEY='{token}'\n", lambda t: 'client = Client(api_key="' + t[:20] + "QxZ" + t[20:] + '")'),
        tuple(f'api_key = "{v}"' for v in common_false) + (
            'api_key = os.getenv("API_KEY")', 'model_id = "{token}"', 'pad_token = "{token}"',
            'key = "input_ids_and_mask_1"', 'HF_TOKEN_SECRET_NAME = "{token}"', 'token = "./models/ckpt_0012345"'),
    ), assigned(
        "keyed-secret", ":", "Secret literal under a secret-named key of a dict, JSON or YAML document",
        ('{"api_key": "{token}"}', "WANDB_API_KEY: '{token}'\n", 'config = {"password": "{token}"}'),
        tuple(f'{{"api_key": "{v}"}}' for v in common_false) + (
            '{"model_id": "{token}"}', '{"eos_token": "{token}"}', 'x = {"key_path": "{token}"}'),
    )


# An access key id alone in a presigned URL is public by design (the signature, not the id, grants access).
_PRESIGNED = ("X-Amz-Credential=", "X-Amz-Credential%3D", "AWSAccessKeyId=", "AWSAccessKeyId%3D")

HF_TOKEN_URL = HF_TOKEN_SETTINGS_URL
_HF_FALSE: tuple[Sample, ...] = (
    lambda t: "x" + t, lambda t: t + "Q7", lambda t: "x_" + t,
    lambda t: t.lower(), lambda t: t[:3] + t[3:].upper(),
    lambda t: t[:-34] + "x" * 34, lambda t: t[:-34] + "AutoModel" + "ForSequenceClassification",
    lambda t: t[:-34] + "0123456789" * 3 + "abcd", "from huggingface_hub import hf_hub_download",
    'login(token="hf_...")', "HF_TOKEN = os.environ['HF_TOKEN']",
)

RULES: tuple[Rule, ...] = (
    token_rule(
        "hf-user-token", "Hugging Face user access token", ("hf_",), "[A-Za-z0-9]{34}",
        validator=_valid_hf, provider="Hugging Face", revoke_url=HF_TOKEN_URL, tags=("huggingface",),
        fake_kind="hf", fake=("hf_", (_ALNUM, 34, True)), base64="raw",
        true_samples=("{token}", 'login(token="{token}")', "Bearer {token}", "?token={token}&x=1",
                      lambda t: t.replace("_", "\\u005f"), lambda t: t[:4] + "\u200b" + t[4:]),
        false_samples=_HF_FALSE,
    ),
    token_rule(
        "hf-org-token", "Hugging Face organization API token (legacy)", ("api_org_",), "[A-Za-z0-9]{34}",
        validator=_valid_hf, provider="Hugging Face", revoke_url=HF_TOKEN_URL, tags=("huggingface",),
        fake_kind="hf-org", fake=("api" + "_org_", (_ALNUM, 34, True)), base64="raw",
        false_samples=(lambda t: "x" + t, lambda t: t + "Q7", lambda t: t.lower(), "api_org_name = 'acme'"),
    ),
    token_rule(
        "anthropic-api-key", "Anthropic API key", ("sk-ant-",), "[A-Za-z0-9_-]{80,110}",
        head=r"(?:api|admin|sid)\d\d-", after=_NA_DASH, alphabet="A-Za-z0-9_-", group="sk",
        provider="Anthropic", revoke_url="https://console.anthropic.com/settings/keys",
        fake_kind="anthropic", fake=("sk-" + "ant-api03-", (_ALNUM + "-_", 93), "AA"),
    ),
    token_rule(
        # Every OpenAI key carries "T3BlbkFJ" (base64 of "OpenAI"): no false alarms on code.
        "openai-api-key", "OpenAI API key", ("sk-",), "[A-Za-z0-9_-]{16,160}T3BlbkFJ[A-Za-z0-9_-]{16,160}",
        head="(?:(?:proj|svcacct|admin)-)?", after=_NA_DASH, alphabet="A-Za-z0-9_-", group="sk",
        provider="OpenAI", revoke_url="https://platform.openai.com/api-keys",
        mask_prefixes=("sk-proj-", "sk-svcacct-", "sk-admin-"), marker="T3Blbk" + "FJ",
        fake_kind="openai", fake=("sk-" + "proj-", (_ALNUM, 40), "T3Blbk" + "FJ", (_ALNUM, 40)),
        false_samples=(lambda t: "x" + t, lambda t: t.replace("T3Blbk" + "FJ", "T3Blbk" + "XX"),
                       "sk-learn is scikit-learn"),
    ),
    token_rule(
        "github-token", "GitHub personal access, OAuth, app or refresh token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        "[A-Za-z0-9]{36}", validator=_valid_hf, group="gh", provider="GitHub",
        revoke_url="https://github.com/settings/tokens", fake_kind="github", fake=("gh" + "p_", (_ALNUM, 36)),
        false_samples=(lambda t: "x" + t, lambda t: t + "Q7", lambda t: t.lower(), "ghp_" + "<your token>"),
    ),
    token_rule(
        "github-fine-grained-token", "GitHub fine-grained personal access token", ("github_pat_",),
        "[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", validator=lambda b: _valid_generic(b.replace("_", "")),
        alphabet="A-Za-z0-9_", group="gh", provider="GitHub", revoke_url="https://github.com/settings/tokens",
        fake_kind="github-fine-grained", fake=("github" + "_pat_", (_ALNUM, 22), "_", (_ALNUM, 59)),
        false_samples=(lambda t: "x" + t, lambda t: t + "Q7", lambda t: t[:11] + "x" * 22 + "_" + "y" * 59),
    ),
    token_rule(
        "aws-access-key-id", "AWS access key id", ("AKIA", "ASIA", "ABIA", "ACCA"), "[A-Z2-7]{16}",
        before="A-Za-z0-9", not_after=_PRESIGNED, validator=_valid_aws, alphabet="A-Z2-7", group="A",
        provider="AWS", revoke_url="https://console.aws.amazon.com/iam/home#/security_credentials",
        fake_kind="aws", fake=("AK" + "IA", (_UPPER + "234567", 16)),
        false_samples=(lambda t: "x" + t, lambda t: t + "Q7", lambda t: "AKIA" + "IOSFODNN7" + "EXAMPLE",
                       lambda t: "https://b.s3.amazonaws.com/k?X-Amz-Credential=" + t + "%2F20240101"),
    ),
    token_rule(
        "google-api-key", "Google API key", ("AIza",), "[0-9A-Za-z_-]{35}", before="A-Za-z0-9_-", after=_NA_DASH,
        alphabet="A-Za-z0-9_-", group="A", provider="Google Cloud",
        revoke_url="https://console.cloud.google.com/apis/credentials",
        fake_kind="google", fake=("AI" + "za", (_ALNUM + "-_", 35)),
        false_samples=(lambda t: "x" + t, lambda t: t + "Q7", lambda t: t[:4] + "x" * 35),
    ),
    token_rule(
        "slack-token", "Slack bot, user or app token", ("xoxb-", "xoxp-", "xoxa-", "xoxe-"),
        "[0-9]{8,14}-[0-9]{8,14}(?:-[0-9]{8,14})?-[A-Za-z0-9]{24,34}", alphabet="A-Za-z0-9-",
        validator=lambda b: _valid_generic(b.rsplit("-", 1)[-1]), provider="Slack",
        revoke_url="https://api.slack.com/apps", fake_kind="slack",
        fake=("xox" + "b-", (_DIGITS, 12), "-", (_DIGITS, 13), "-", (_ALNUM, 24)),
        false_samples=(lambda t: "x" + t, lambda t: t.rsplit("-", 1)[0] + "-" + "x" * 24, "xoxb-" + "<token>"),
    ),
    token_rule(
        "replicate-api-token", "Replicate API token", ("r8_",), "[A-Za-z0-9]{37}", validator=_valid_hf,
        provider="Replicate", revoke_url="https://replicate.com/account/api-tokens",
        fake=("r8" + "_", (_ALNUM, 37)),
        true_samples=("{token}", 'os.environ["REPLICATE_API_TOKEN"] = "{token}"', "Bearer {token}"),
    ),
    token_rule(
        # Groq documents 52 characters after the prefix; some published rules use 48: accept both.
        "groq-api-key", "Groq API key", ("gsk_",), "[A-Za-z0-9]{48,52}", validator=_valid_hf,
        provider="Groq", revoke_url="https://console.groq.com/keys", fake=("gs" + "k_", (_ALNUM, 52)),
        true_samples=("{token}", 'Groq(api_key="{token}")', "GROQ_API_KEY={token}\n"),
    ),
    token_rule(
        "langsmith-api-key", "LangSmith API key (personal access token or service key)", ("lsv2_pt_", "lsv2_sk_"),
        "[0-9a-f]{32}_[0-9a-f]{10}", alphabet="0-9a-f_", provider="LangSmith",
        validator=lambda b: _valid_generic(b.replace("_", "")),
        revoke_url="https://smith.langchain.com/settings", fake=("lsv2" + "_pt_", ("0123456789abcdef", 32), "_",
                                                                 ("0123456789abcdef", 10)),
        true_samples=("{token}", 'os.environ["LANGCHAIN_API_KEY"] = "{token}"'),
        false_samples=(lambda t: "x" + t, lambda t: t[:8] + "0" * 32 + "_" + "0" * 10, "lsv2_xx_" + "0123456789abcdef" * 2),
    ),
    token_rule(
        "tavily-api-key", "Tavily API key", ("tvly-",), "[A-Za-z0-9]{32}", head="(?:(?:dev|prod)-)?",
        validator=_valid_hf, provider="Tavily", revoke_url="https://app.tavily.com/home",
        fake=("tvly" + "-dev-", (_ALNUM, 32)),
        true_samples=("{token}", 'TavilyClient(api_key="{token}")', lambda t: t[:5] + t[9:]),
        false_samples=(lambda t: "x" + t, "tvly-xxxxx", "tvly-your-api-key", "tvly-" + "<your key>"),
    ),
    token_rule(
        "pinecone-api-key", "Pinecone API key", ("pcsk_",), "[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}", alphabet="A-Za-z0-9_",
        validator=lambda b: _valid_hf(b.replace("_", "")), provider="Pinecone",
        revoke_url="https://app.pinecone.io", fake=("pc" + "sk_", (_ALNUM, 6), "_", (_ALNUM, 63)),
        true_samples=("{token}", 'Pinecone(api_key="{token}")'),
        false_samples=(lambda t: "x" + t, "pcsk_...", lambda t: t[:12] + "x" * 63),
    ),
    token_rule(
        "perplexity-api-key", "Perplexity API key", ("pplx-",), "[A-Za-z0-9]{48}", validator=_valid_hf,
        provider="Perplexity", revoke_url="https://www.perplexity.ai/settings/api", fake=("pp" + "lx-", (_ALNUM, 48)),
    ),
)
# Rules found by their context, after the prefix rules (whose keywords they skip).
RULES += _context_rules(RULES)


def rule_groups(rules: "tuple[Rule, ...] | None" = None) -> tuple[tuple[Rule, ...], ...]:
    """The rules by prefilter group, in the order of their first rule.

    Example:
        >>> [tuple(r.id for r in g) for g in rule_groups()][2]
        ('anthropic-api-key', 'openai-api-key')
    """
    groups: dict[str, list[Rule]] = {}
    for r in RULES if rules is None else rules:
        groups.setdefault(r.check_group, []).append(r)
    return tuple(tuple(g) for g in groups.values())


def group_keywords(group: "tuple[Rule, ...]") -> tuple[str, ...]:
    """The fewest keywords that a text holding any secret of ``group`` holds (``sk-`` covers ``sk-ant-``).

    Example:
        >>> group_keywords(rule_groups()[2])
        ('sk-',)
    """
    words = list(dict.fromkeys(k for r in group for k in r.keywords))
    return tuple(w for w in words if not any(o != w and w.startswith(o) for o in words))


def group_literal(group: "tuple[Rule, ...]") -> "str | None":
    """The literal that the prefilter of ``group`` looks for, when one literal will do: its one
    keyword, or the common prefix of its keywords when it has 3+ characters (``xox``: a literal search
    is twice as fast as any regex, and the rules look closer).

    Example:
        >>> group_literal(rule_groups()[0]), group_literal(rule_groups()[5]), group_literal(rule_groups()[3])
        ('hf_', 'xox', None)
    """
    if group[0].check:
        return None
    words = group_keywords(group)
    common = os.path.commonprefix(list(words))
    return common if len(words) == 1 or len(common) >= 3 else None


def group_check(group: "tuple[Rule, ...]") -> str:
    """The prefilter check of ``group`` as a regex (:func:`group_literal` escaped, or its keywords).

    Example:
        >>> group_check(rule_groups()[3])
        'g(?:h(?:p_|o_|u_|s_|r_)|ithub_pat_)'
    """
    if group[0].check:
        return group[0].check
    literal = group_literal(group)
    return re.escape(literal) if literal is not None else keyword_regex(group_keywords(group))


def group_raw_regex(group: "tuple[Rule, ...]") -> bytes:
    """For raw bytes: a keyword of ``group``, what may follow it in a secret (group 1), the next byte
    (group 2). Long enough for the longest secret of the group, so the next byte is past its end.

    Example:
        >>> group_raw_regex(rule_groups()[0])
        b'hf_([0-9A-Za-z]{0,34})(.?)'
    """
    if group[0].check:  # found by context: the engine looks around each hit of the check
        # (in a notebook's raw JSON a tab after the operator is written ``\\t``)
        return group[0].check.replace(r"[ \t]*", r"(?:[ \t]|\\t)*", 1).encode("ascii")
    words = group_keywords(group)
    chars: set[str] = set()
    longest = 0
    for r in group:
        chars |= _chars(r.alphabet)
        for k in r.keywords:
            base = next(w for w in words if k.startswith(w))
            chars |= set(k[len(base):])
            longest = max(longest, len(k) - len(base) + r.max_len)
    return (keyword_regex(words) + "(" + _char_class(chars) + "{0," + str(longest) + "})(.?)").encode("ascii")


def group_piece(group: "tuple[Rule, ...]") -> str:
    """A piece of a secret of ``group`` shorter than a whole one, ending at a quote or backslash (the
    rest may follow in a concatenated literal or after an escape).

    Example:
        >>> group_piece(rule_groups()[0])
        '(?:hf_[0-9A-Za-z]{0,33})["\\'\\\\\\\\]'
    """
    if group[0].check:
        return "(?!)"  # (an assignment is not concatenated from pieces)
    pieces = [keyword_regex(r.keywords) + _char_class(_chars(r.alphabet)) + "{0," + str(max(0, r.max_len - 1)) + "}"
              for r in group]
    return "(?:" + "|".join(pieces) + ")[\"'\\\\]"


def group_piece_is_linear(group: "tuple[Rule, ...]") -> bool:
    """Whether searching for :func:`group_piece` is linear: each keyword holds a character its body may
    not (``_`` of ``hf_``), so the run read after one keyword holds no other, and each character is read
    about once. Otherwise (``sk-``, whose body holds ``-``) a text of keywords (``sk-sk-...``) has every
    one read up to a whole secret: :func:`group_piece_reversed` is linear there.

    Example:
        >>> [group_piece_is_linear(g) for g in rule_groups()[:3]]
        [True, True, False]
    """
    return all(any(c not in _chars(r.alphabet) for c in k) for r in group for k in r.keywords)


def group_piece_reversed(group: "tuple[Rule, ...]") -> str:
    """:func:`group_piece` for the text read backwards: the quote or backslash, the piece, the keyword
    reversed. Searched forwards, each try starts at a quote and reads back over the run before it only,
    so the cost is linear; :func:`group_piece` tries every keyword and reads up to a whole secret after
    each (``sk-sk-sk-...``: ~300 characters a keyword).

    Example:
        >>> import re
        >>> bool(re.search(group_piece_reversed(rule_groups()[0]), '"hf_abc" + "def"'[::-1]))
        True
    """
    if group[0].check:
        return "(?!)"
    pieces = [_char_class(_chars(r.alphabet)) + "{0," + str(max(0, r.max_len - 1)) + "}"
              + keyword_regex([k[::-1] for k in r.keywords]) for r in group]
    return "[\"'\\\\](?:" + "|".join(pieces) + ")"


_B64_ALPHABET = _UPPER + _LOWER + _DIGITS + "+/"


def _b64encode(data: bytes) -> str:
    """``base64.b64encode(data)`` as text, for a few bytes (binascii, a shared library, costs a hook ~0.5 ms).

    Example:
        >>> _b64encode(b"hf_"), _b64encode(b"\\0hf_"), _b64encode(b"\\0\\0hf_")
        ('aGZf', 'AGhmXw==', 'AABoZl8=')
    """
    n = -(-len(data) * 8 // 6)  # base64 characters before the padding
    bits = int.from_bytes(data, "big") << (n * 6 - len(data) * 8)
    return "".join(_B64_ALPHABET[bits >> (6 * (n - 1 - i)) & 63] for i in range(n)) + "=" * (-n % 4)


def base64_markers(rules: "tuple[Rule, ...] | None" = None, *, raw: bool = False) -> tuple[str, ...]:
    """Base64 of each keyword of the rules that ask for it, at the three byte alignments: only the
    characters that the keyword alone fixes (``hf_`` -> ``aGZf``, ``hmX``, ``oZl``).

    Example:
        >>> base64_markers(raw=True)
        ('aGZf', 'hmX', 'oZl', 'YXBpX29yZ1', 'FwaV9vcmdf', 'hcGlfb3JnX')
    """
    out: list[str] = []
    for r in RULES if rules is None else rules:
        if r.base64 not in (("raw",) if raw else ("raw", "fields")):
            continue
        for kw in r.keywords:
            for k in range(3):
                enc = _b64encode(b"\0" * k + kw.encode("ascii"))
                # Character i holds bits 6i..6i+6; it is fixed when they all fall inside the keyword.
                first, last = -(-8 * k // 6), (8 * (k + len(kw))) // 6
                out.append(enc[first:last])
    return tuple(out)


#: Every rule keyword (what the prefilter looks for, and what a secret's preview keeps).
RULE_KEYWORDS: tuple[str, ...] = tuple(dict.fromkeys(k for r in RULES if not r.check for k in r.keywords))
#: Prefixes a preview keeps when the rule of a value is not known, longest first.
MASK_PREFIXES: tuple[str, ...] = tuple(sorted(dict.fromkeys(p for r in RULES if not r.check
                                                             for p in r.mask_prefixes + r.keywords),
                                              key=len, reverse=True))
#: Invisible characters that may be typed (or pasted) inside a secret: dropped by the decoded view.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

_BY_ID = {r.id: r for r in RULES}


def rule_by_id(rule_id: str) -> Rule:
    """Return the rule with this id (``KeyError`` if there is none).

    Example:
        >>> rule_by_id("hf-org-token").prefix_len
        8
    """
    return _BY_ID[rule_id]

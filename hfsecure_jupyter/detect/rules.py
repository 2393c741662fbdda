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

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Pattern

from .advice import HF_TOKEN_SETTINGS_URL

__all__ = ["Rule", "RULES", "rule_by_id", "looks_like_placeholder"]

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
_RUNS = re.compile(r"[A-Z][a-z]*|[a-z]+|[0-9]+|.")


def _wordlike(body: str) -> bool:
    """CamelCase words and short digit groups (``AutoModelForSequenceClassification``), not random.

    Every run must be a word of 3+ letters (or 1-4 digits) and the words must average 5+ characters:
    a random body passes both about once in ten million. Scans maximal runs once (no backtracking).
    """
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
    if not body:
        return True
    if any(w in body for w in _PLACEHOLDER_WORDS):
        return True
    if _longest_run(body) >= 6:
        return True
    if _longest_sequence(body) >= 7:
        return True
    distinct = len(set(body))
    if distinct < min(12, max(4, len(body) // 3)):
        return True
    if len(body) >= 16 and _wordlike(body):
        return True
    return False


def _mixed_case(body: str) -> bool:
    return any(c.islower() for c in body) and any(c.isupper() for c in body)


def _valid_hf(body: str) -> bool:
    # Real HF tokens are random over [A-Za-z] or [A-Za-z0-9]; a single-case body is a name or a fill.
    return _mixed_case(body) and not looks_like_placeholder(body)


def _valid_generic(body: str) -> bool:
    return not looks_like_placeholder(body)


def _valid_aws(body: str) -> bool:
    return not looks_like_placeholder(body) and len(set(body)) >= 8


@dataclass(frozen=True)
class Rule:
    """One kind of secret.

    Attributes:
        id: stable identifier used in reports and suppression (``hf-user-token``).
        description: what the secret is, for people.
        keywords: literal strings one of which must occur for the pattern to be tried.
        pattern: regular expression matched *at* a keyword occurrence; group ``body`` is validated.
        validator: returns False for placeholders and fills.
        prefix_len: characters of the prefix kept in a masked preview (``hf_`` -> 3).
        provider: who issued it, for messages.
        revoke_url: where the owner revokes it.
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

    def match_at(self, text: str, pos: int) -> "re.Match[str] | None":
        """Match this rule at ``pos`` (a keyword occurrence), validator included."""
        m = self.pattern.match(text, pos)
        if m is None or not self.validator(m.group("body")):
            return None
        return m

    def finditer(self, text: str) -> "Iterator[re.Match[str]]":
        """Every valid match in ``text``, in order."""
        for m in self.pattern.finditer(text):
            if self.validator(m.group("body")):
                yield m


# Characters that may not touch a token on the left or the right (otherwise it is part of a longer
# identifier or blob). Quotes, backslashes (JSON's \"), '@', '/', ':' and whitespace are fine.
# Each pattern starts with its literal keyword, then looks behind it: ``re`` then scans for the
# literal in C instead of trying the lookbehind at every position.
_NA = r"(?![A-Za-z0-9])"
_NA_DASH = r"(?![A-Za-z0-9_-])"


def _start(kw: str, before: str = "A-Za-z0-9_") -> str:
    """The left boundary of a secret whose prefix is ``kw``, written right after ``kw`` in a pattern.

    Nothing from ``before`` may precede the prefix, unless it is the end of an escape: ``\\n``-style,
    octal ``\\076``, ``\\x3e``, ``\\u003e`` (JSON), or percent-encoding ``%3D`` / ``%253D`` (URLs, also
    encoded twice). An escape is a boundary in the text it encodes (``?token=hf_...`` as ``%3Ftoken%3Dhf_...``).
    """
    k = re.escape(kw)
    behind = (r"\\[nrtfvb0]", r"\\[0-7]{3}", r"\\x[0-9A-Fa-f]{2}", r"\\u[0-9A-Fa-f]{4}", r"%[0-9A-Fa-f]{2}",
              r"%25[0-9A-Fa-f]{2}")
    # Every escape ends in a hex digit or one of "nrtfvb": that one-character test first, so that a prefix
    # inside an identifier ("x_hf_...") costs one lookbehind more, not six.
    return ("(?:(?<![" + before + "]" + k + ")|(?<=[0-9A-Fa-fnrtv]" + k + ")(?:"
            + "|".join("(?<=" + b + k + ")" for b in behind) + "))")


# An access key id alone in a presigned URL is public by design (the signature, not the id, grants access).
_PRESIGNED = "".join(f"(?<!(?i:{p})A)" for p in ("X-Amz-Credential=", "X-Amz-Credential%3D", "AWSAccessKeyId=",
                                                   "AWSAccessKeyId%3D"))

HF_TOKEN_URL = HF_TOKEN_SETTINGS_URL

RULES: tuple[Rule, ...] = (
    Rule(
        id="hf-user-token",
        description="Hugging Face user access token",
        keywords=("hf_",),
        pattern=re.compile(r"hf_" + _start("hf_") + r"(?P<body>[A-Za-z0-9]{34})" + _NA),
        validator=_valid_hf,
        prefix_len=3,
        provider="Hugging Face",
        revoke_url=HF_TOKEN_URL,
        tags=("huggingface",),
    ),
    Rule(
        id="hf-org-token",
        description="Hugging Face organization API token (legacy)",
        keywords=("api_org_",),
        pattern=re.compile(r"api_org_" + _start("api_org_") + r"(?P<body>[A-Za-z0-9]{34})" + _NA),
        validator=_valid_hf,
        prefix_len=8,
        provider="Hugging Face",
        revoke_url=HF_TOKEN_URL,
        tags=("huggingface",),
    ),
    Rule(
        id="anthropic-api-key",
        description="Anthropic API key",
        keywords=("sk-ant-",),
        pattern=re.compile(r"sk-" + _start("sk-") + r"ant-(?:api|admin|sid)\d\d-(?P<body>[A-Za-z0-9_-]{80,110})" + _NA_DASH),
        prefix_len=7,
        provider="Anthropic",
        revoke_url="https://console.anthropic.com/settings/keys",
    ),
    Rule(
        id="openai-api-key",
        description="OpenAI API key",
        keywords=("sk-",),
        # Every OpenAI key carries "T3BlbkFJ" (base64 of "OpenAI"): no false alarms on code.
        pattern=re.compile(r"sk-" + _start("sk-") + r"(?:(?:proj|svcacct|admin)-)?(?P<body>[A-Za-z0-9_-]{16,160}T3BlbkFJ"
                           r"[A-Za-z0-9_-]{16,160})" + _NA_DASH),
        prefix_len=3,
        provider="OpenAI",
        revoke_url="https://platform.openai.com/api-keys",
    ),
    Rule(
        id="github-token",
        description="GitHub personal access, OAuth, app or refresh token",
        keywords=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        pattern=re.compile(r"gh" + _start("gh") + r"[pousr]_(?P<body>[A-Za-z0-9]{36})" + _NA),
        validator=_valid_hf,
        prefix_len=4,
        provider="GitHub",
        revoke_url="https://github.com/settings/tokens",
    ),
    Rule(
        id="github-fine-grained-token",
        description="GitHub fine-grained personal access token",
        keywords=("github_pat_",),
        pattern=re.compile(r"github_pat_" + _start("github_pat_") + r"(?P<body>[A-Za-z0-9]{22}_[A-Za-z0-9]{59})" + _NA),
        validator=lambda b: _valid_generic(b.replace("_", "")),
        prefix_len=11,
        provider="GitHub",
        revoke_url="https://github.com/settings/tokens",
    ),
    Rule(
        id="aws-access-key-id",
        description="AWS access key id",
        keywords=("AKIA", "ASIA", "ABIA", "ACCA"),
        pattern=re.compile(r"A" + _start("A", "A-Za-z0-9") + _PRESIGNED + r"(?:KIA|SIA|BIA|CCA)(?P<body>[A-Z2-7]{16})(?![A-Za-z0-9])"),
        validator=_valid_aws,
        prefix_len=4,
        provider="AWS",
        revoke_url="https://console.aws.amazon.com/iam/home#/security_credentials",
    ),
    Rule(
        id="google-api-key",
        description="Google API key",
        keywords=("AIza",),
        pattern=re.compile(r"AIza" + _start("AIza", "A-Za-z0-9_-") + r"(?P<body>[0-9A-Za-z_-]{35})" + _NA_DASH),
        prefix_len=4,
        provider="Google Cloud",
        revoke_url="https://console.cloud.google.com/apis/credentials",
    ),
    Rule(
        id="slack-token",
        description="Slack bot, user or app token",
        keywords=("xoxb-", "xoxp-", "xoxa-", "xoxe-"),
        pattern=re.compile(r"xox" + _start("xox") + r"[bpae]-(?P<body>[0-9]{8,14}-[0-9]{8,14}(?:-[0-9]{8,14})?-[A-Za-z0-9]{24,34})"
                           + _NA),
        validator=lambda b: _valid_generic(b.rsplit("-", 1)[-1]),
        prefix_len=5,
        provider="Slack",
        revoke_url="https://api.slack.com/apps",
    ),
)

_BY_ID = {r.id: r for r in RULES}


def rule_by_id(rule_id: str) -> Rule:
    """Return the rule with this id (``KeyError`` if there is none).

    Example:
        >>> rule_by_id("hf-org-token").prefix_len
        8
    """
    return _BY_ID[rule_id]

"""Redaction: mask every secret in a text, or in a stream of chunks.

:class:`Redactor` masks what the detector finds plus any literal values the caller knows to be secret
(the kernel passes the active token and secret-looking environment variables). :class:`StreamRedactor`
holds back only the tail of a chunk that could be the start of a secret still being written, so a
token split across two ``print`` calls or two stream flushes is masked too, and ordinary output is not
delayed.

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> redact(f"token={tok}!")
    'token=hf_****oOOL!'
    >>> s = StreamRedactor(Redactor())
    >>> s.feed("a " + tok[:10]) + s.feed(tok[10:] + " b") + s.flush()
    'a hf_****oOOL b'
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from .engine import _ZERO_WIDTH, find_secrets
from .findings import MASK_FILL, SHOW_LAST, Edit, mask_secret
from .rules import RULES

__all__ = ["Redactor", "StreamRedactor", "redact", "redact_strict", "apply_edits"]

_BODY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-" + _ZERO_WIDTH)
_KEYWORDS = tuple(dict.fromkeys(k for r in RULES for k in r.keywords))
_KEYWORD_PREFIXES = frozenset(kw[:k] for kw in _KEYWORDS for k in range(1, len(kw)))
_KEYWORD_MAX = max(len(kw) for kw in _KEYWORDS)
_MAX_SECRET = 200  # longest secret any rule matches, with room for zero-width characters


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (from findings) to ``text``.

    Example:
        >>> apply_edits("abcdef", [Edit(1, 3, "X")])
        'aXdef'
    """
    out = []
    pos = 0
    for e in sorted(edits, key=lambda e: e.start):
        if e.start < pos:
            continue
        out.append(text[pos:e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


class Redactor:
    """Masks secrets in text: detected ones and ``known`` literal values.

    Args:
        known: secret values to mask wherever they appear, even when no rule knows their shape
            (values shorter than 8 characters are ignored: masking them would garble normal output).
        fill: what replaces the hidden middle.
        show_last: trailing characters kept in the mask.

    Example:
        >>> Redactor(known=["s3cr3t-value-123"]).redact("pw: s3cr3t-value-123")
        'pw: ****-123'
    """

    def __init__(self, known: Iterable[str] = (), *, fill: str = MASK_FILL, show_last: int = SHOW_LAST) -> None:
        self.fill = fill
        self.show_last = show_last
        self._known: tuple[str, ...] = ()
        self.set_known(known)

    def set_known(self, known: Iterable[str]) -> None:
        """Replace the set of literal secret values to mask."""
        self._known = tuple(sorted({k for k in known if isinstance(k, str) and len(k) >= 8}, key=len, reverse=True))
        # Every proper prefix of a known value: a stream tail that is one may be a value cut in two.
        self._known_prefixes = frozenset(v[:k] for v in self._known for k in range(1, len(v)))
        self._known_max = max((len(v) for v in self._known), default=0)

    @property
    def known_count(self) -> int:
        """How many literal values are masked (never the values themselves)."""
        return len(self._known)

    def _mask(self, secret: str, prefix_len: int | None = None) -> str:
        return mask_secret(secret, fill=self.fill, show_last=self.show_last, prefix_len=prefix_len)

    def edits(self, text: str) -> list[Edit]:
        """The replacements that mask every secret in ``text``."""
        edits = [Edit(h.start, h.end, self._mask(h.secret, h.rule.prefix_len)) for h in find_secrets(text)]
        for value in self._known:
            i = text.find(value)
            while i >= 0:
                edits.append(Edit(i, i + len(value), self._mask(value)))
                i = text.find(value, i + len(value))
        edits.sort(key=lambda e: (e.start, -(e.end - e.start)))
        kept: list[Edit] = []
        for e in edits:
            if kept and e.start < kept[-1].end:
                if e.end > kept[-1].end:  # overlapping known value and finding: mask the union
                    kept[-1] = Edit(kept[-1].start, e.end, kept[-1].replacement)
                continue
            kept.append(e)
        return kept

    def redact(self, text: str) -> str:
        """``text`` with every secret masked."""
        if not self._known:
            from .engine import might_contain_secret

            if not might_contain_secret(text):
                return text
        return apply_edits(text, self.edits(text))

    def holdback(self, text: str) -> int:
        """How many trailing characters of ``text`` could be the start of a secret still being written."""
        n = len(text)
        hold = 0
        tail_start = max(0, n - _MAX_SECRET)
        # A keyword (or a known value) that started in the tail and has only body characters after it.
        for kw in _KEYWORDS:
            i = text.rfind(kw, tail_start)
            if i >= 0 and all(c in _BODY_CHARS for c in text[i + len(kw):]):
                hold = max(hold, n - i)
        for k in range(min(_KEYWORD_MAX - 1, n), 0, -1):  # a keyword cut in half at the end
            if text[n - k:] in _KEYWORD_PREFIXES:
                hold = max(hold, k)
                break
        for k in range(min(self._known_max - 1, n), hold, -1):  # a known value cut in half
            if text[n - k:] in self._known_prefixes:
                hold = k
                break
        return hold


class StreamRedactor:
    """Redacts a stream fed in chunks; a secret split across chunks is still masked.

    ``feed`` returns what is safe to show now; ``flush`` returns what was held back (call it when the
    stream ends or pauses).
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the redacted text that can be emitted now."""
        text = self._pending + chunk
        hold = self.redactor.holdback(text)
        # A secret may end just before the held tail; redact the whole text, then cut where the
        # held tail starts (the tail is unchanged by redaction, since it holds no complete secret).
        emit, self._pending = text[: len(text) - hold], text[len(text) - hold:]
        return self.redactor.redact(emit)

    def flush(self) -> str:
        """Emit whatever is held back (redacted)."""
        text, self._pending = self._pending, ""
        return self.redactor.redact(text)

    @property
    def pending(self) -> int:
        """Characters held back."""
        return len(self._pending)


def redact(text: str, *, known: Sequence[str] = (), fill: str = MASK_FILL, show_last: int = SHOW_LAST) -> str:
    """Mask every secret in ``text``.

    Example:
        >>> redact("nothing here")
        'nothing here'
    """
    return Redactor(known, fill=fill, show_last=show_last).redact(text)


_LONG_RUN = re.compile(r"[A-Za-z0-9_]{20,}")


def redact_strict(text: str) -> str:
    """:func:`redact`, then also mask every run of 20+ letters, digits or ``_`` that mixes letters and
    digits: for texts that quote user input in an error message, where a token glued to other
    characters (``"1hf_..."``) is not a finding but must not be shown either.

    Example:
        >>> redact_strict("bad flavor '1" + "aB3" * 8 + "'")
        "bad flavor '****3aB3'"
    """
    def mask(m: "re.Match[str]") -> str:
        run = m.group(0)
        mixed = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        return mask_secret(run) if mixed else run

    return _LONG_RUN.sub(mask, redact(text))

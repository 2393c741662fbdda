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

from .engine import KEYWORDS, find_secrets, may_start_secret, might_contain_secret
from .findings import MASK_FILL, SHOW_LAST, Edit, mask_secret
from .lazy import lazy_compile, lazy_import
from .rules import RULE_KEYWORDS as _RULE_KEYWORDS
from .rules import ZERO_WIDTH as _ZERO_WIDTH

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    import array
    from typing import Iterable, Sequence
else:  # (imported when a known value is first set: a scan never does)
    array = lazy_import("array", globals())

__all__ = ["Redactor", "StreamRedactor", "redact", "redact_strict", "apply_edits"]

# Characters a secret can be made of, raw or encoded (escapes, percent-encoding, base64, ANSI codes,
# zero-width characters): a run of them at the end of a stream may still grow into a secret.
_SECRETISH = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-\\%+/=\x1b[;" + _ZERO_WIDTH)
# Proper prefixes of everything the prefilter looks for: a run ending in one may be a keyword cut in two.
_STARTS = tuple(KEYWORDS) + ("\\150", "\\146", "\\137", "\\141")
_KEYWORD_PREFIXES = frozenset(kw[:k] for kw in _STARTS for k in range(1, len(kw)))
_KEYWORD_MAX = max(len(kw) for kw in _STARTS)
_HOLD_WINDOW = 2048  # longest raw span of one secret (escaped, zero-width-split or base64), with room
_CONTEXT = 3  # emitted characters kept as left context (lookbehinds, base64 alignment)
_BATCH_HOLD = 256  # a run held back this long is emitted in batches (see StreamRedactor.feed)


def _failure(value: str) -> "array.array[int]":
    """KMP failure function of ``value`` (f[i]: longest proper border of value[:i+1]), 4 bytes a char."""
    f = array.array("i", bytes(4 * len(value)))
    k = 0
    for i in range(1, len(value)):
        c = value[i]
        while k and value[k] != c:
            k = f[k - 1]
        if value[k] == c:
            k += 1
        f[i] = k
    return f


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

    Every occurrence of a secret is masked: of a known value, and of a value the detector found
    anywhere in the same text (a copy glued to other characters included). Cost is linear in the text
    and in the known values (no table of prefixes).

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
        self._known_max = 0
        self._failures: dict[str, "array.array[int]"] = {}
        self.set_known(known)

    def set_known(self, known: Iterable[str]) -> None:
        """Replace the set of literal secret values to mask (linear in their total length)."""
        values = tuple(sorted({k for k in known if isinstance(k, str) and len(k) >= 8}, key=len, reverse=True))
        if values == self._known:
            return  # the kernel calls this before every cell: keep what was computed lazily
        self._known = values
        self._known_max = max((len(v) for v in values), default=0)
        self._failures = {v: f for v, f in self._failures.items() if v in set(values)}

    @property
    def known_count(self) -> int:
        """How many literal values are masked (never the values themselves)."""
        return len(self._known)

    def _mask(self, secret: str, prefix_len: int | None = None) -> str:
        return mask_secret(secret, fill=self.fill, show_last=self.show_last, prefix_len=prefix_len)

    def _failure_of(self, value: str) -> "array.array[int]":
        f = self._failures.get(value)
        if f is None:
            f = self._failures[value] = _failure(value)
        return f

    def _occurrences(self, text: str, value: str) -> list[tuple[int, int]]:
        """The union of every occurrence of ``value`` in ``text``, overlapping ones included, as spans.

        Linear: ``str.find`` between occurrences; a run of overlapping occurrences (a periodic value)
        is extended with slice comparisons against its period instead of one search per occurrence.
        """
        spans: list[tuple[int, int]] = []
        m = len(value)
        i = text.find(value)
        while i >= 0:
            end = i + m
            j = text.find(value, i + 1, end + m - 1)  # an overlapping occurrence extends the span
            if j >= 0 and j < end:
                f = self._failure_of(value)
                p = m - f[m - 1]  # smallest period: overlapping occurrences are p apart
                # Extend while the text keeps period p (doubling steps, compared in C).
                step = m
                while step >= 1:
                    while end + step <= len(text) and text[end:end + step] == text[end - p:end - p + step]:
                        end += step
                        step *= 2
                    step //= 2
            if spans and i <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((i, end))
            i = text.find(value, max(i + 1, end - m + 1))
        return spans

    def edits(self, text: str) -> list[Edit]:
        """The replacements that mask every secret in ``text``."""
        hits = find_secrets(text)
        edits = [Edit(h.start, h.end, self._mask(h.secret, h.rule.prefix_len)) for h in hits]
        for value in self._known:
            spans = self._occurrences(text, value) if len(value) <= len(text) else ()
            if spans:
                mask = self._mask(value)
                edits += [Edit(s, e, mask) for s, e in spans]
        # A value found once is a secret wherever it stands in this text (a copy glued to "0" too).
        found = {h.secret: e.replacement for h, e in zip(hits, edits) if h.secret not in self._known}
        if found:
            edits += self._copies(text, found)
        edits.sort(key=lambda e: (e.start, -(e.end - e.start)))
        kept: list[Edit] = []
        for e in edits:
            if kept and e.start < kept[-1].end:
                if e.end > kept[-1].end:  # overlapping known value and finding: mask the union
                    kept[-1] = Edit(kept[-1].start, e.end, kept[-1].replacement)
                continue
            kept.append(e)
        return kept

    def _copies(self, text: str, values: dict[str, str]) -> list[Edit]:
        """Every literal occurrence of the found ``values``: one pass per keyword they start with (a
        log with thousands of distinct tokens costs one pass, not one per token)."""
        edits: list[Edit] = []
        by_keyword: dict[str, set[int]] = {}
        for v in values:
            kw = next((k for k in _RULE_KEYWORDS if v.startswith(k)), None)
            if kw is None:
                edits += [Edit(s, e, values[v]) for s, e in self._occurrences(text, v)]
            else:
                by_keyword.setdefault(kw, set()).add(len(v))
        for kw, lengths in by_keyword.items():
            i = text.find(kw)
            while i >= 0:
                for n in lengths:
                    mask = values.get(text[i:i + n]) if i + n <= len(text) else None
                    if mask is not None:
                        edits.append(Edit(i, i + n, mask))
                i = text.find(kw, i + 1)
        return edits

    def redact(self, text: str) -> str:
        """``text`` with every secret masked."""
        if not self._known and not might_contain_secret(text):
            return text
        return apply_edits(text, self.edits(text))

    def _known_suffix(self, text: str, value: str) -> int:
        """Length of the longest suffix of ``text`` that is a proper prefix of ``value``.

        Candidates are tried longest first with C-level comparisons; past a few (a repetitive value
        and text), a KMP pass over the tail finishes the job in linear time.
        """
        m = len(value)
        n = len(text)
        lo = max(0, n - (m - 1))
        probe = value[:16]
        s = text.find(probe, lo)  # starts of 16+ characters: found by their first 16 (rare by chance)
        tries = 0
        while 0 <= s <= n - 16:
            if value.startswith(text[s:]):
                return n - s
            tries += 1
            if tries > 16:
                break  # a repetitive value and text: KMP below
            s = text.find(probe, s + 1)
        else:
            s = text.find(value[0], max(lo, n - 15))  # shorter starts: at most 15 to try
            while s >= 0:
                if value.startswith(text[s:]):
                    return n - s
                s = text.find(value[0], s + 1)
            return 0
        f = self._failure_of(value)
        q = 0
        for c in text[lo:]:
            while q and value[q] != c:
                q = f[q - 1]
            if value[q] == c:
                q += 1
                if q == m:
                    q = f[q - 1]
        return q

    def holdback(self, text: str) -> int:
        """How many trailing characters of ``text`` could be the start of a secret still being written.

        Example:
            >>> r = Redactor(known=["s3cr3t-value-123"])
            >>> r.holdback("loss 0.25\\n"), r.holdback("see h"), r.holdback("pw: s3cr3t")
            (0, 1, 6)
        """
        hold = self._run_holdback(text)
        for value in self._known:
            if len(value) - 1 > hold:
                hold = max(hold, self._known_suffix(text, value))
        return hold

    @staticmethod
    def _run_holdback(text: str) -> int:
        # The run of secret characters at the end, when it may hold or start a secret: all of it, so
        # every keyword in it is kept (not just the last one: a token followed by "_backup").
        seg = text[-_HOLD_WINDOW:]
        run = len(seg) - len(seg.rstrip(_SECRETISH))
        if not run:
            return 0
        tail = seg[len(seg) - run:]
        if "\x1b" in tail or might_contain_secret(tail):
            return run
        for k in range(min(_KEYWORD_MAX - 1, run), 0, -1):  # a keyword cut in two at the end
            if tail[run - k:] in _KEYWORD_PREFIXES:
                return run
        return 0


class StreamRedactor:
    """Redacts a stream fed in chunks; a secret split across chunks is still masked.

    ``feed`` returns what is safe to show now; ``flush`` returns what was held back (call it when the
    stream ends, ``flush(final=False)`` when it pauses). The concatenated output equals
    :meth:`Redactor.redact` of the whole text, however it was cut.
    """

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        self._pending = ""
        self._context = ""  # the last characters emitted (as written), for lookbehinds
        self._continues = ""  # "masked" / "shown": the context is the flushed start of a possible secret
        # Per known value, the longest end of the stream so far that starts it (kept as text comes:
        # a value streamed in many chunks costs its length once, not once per chunk).
        self._starts: dict[str, int] = {}
        self._known_seen: tuple[str, ...] = ()

    def _redact(self, text: str, cut: int) -> tuple[str, int]:
        """Redact ``text[:cut]``, seen after the context; return it and the cut actually used (moved
        left so that no secret found in ``text`` is cut in two)."""
        ctx = self._context
        # Far enough past the cut to see any secret that crosses it: a finding's span, or a known
        # value that fits in the text (one that does not fit cannot cross the cut yet).
        fits = max((len(v) for v in self.redactor._known if len(v) <= len(ctx) + len(text)), default=0)
        scan_end = min(len(text), cut + max(_HOLD_WINDOW, fits))
        full = ctx + text[:scan_end]
        if not self.redactor._known and not might_contain_secret(full):
            return text[:cut], cut
        edits = self.redactor.edits(full)
        c = len(ctx) + cut
        for e in edits:
            if e.start < c < e.end:
                c = max(len(ctx), e.start)
        local = []
        for e in edits:
            if e.end <= len(ctx) or e.start >= c:
                continue
            if e.start < len(ctx):  # began in what was already shown: the rest goes too
                fill = {"masked": "", "shown": self.redactor.fill}.get(self._continues, e.replacement)
                local.append(Edit(0, min(e.end, c) - len(ctx), fill))
            else:
                local.append(Edit(e.start - len(ctx), min(e.end, c) - len(ctx), e.replacement))
        return apply_edits(text[:c - len(ctx)], local), c - len(ctx)

    def _shown(self, raw: str) -> None:
        """Remember ``raw`` (emitted, as written) as context for what follows."""
        if not raw:
            return
        if self._continues and len(raw.rstrip(_SECRETISH)) == 0:  # still inside the flushed run
            self._context = (self._context + raw)[-max(_HOLD_WINDOW, self.redactor._known_max):]
            return
        self._continues = ""
        self._context = (self._context + raw)[-_CONTEXT:]

    def _advance(self, chunk: str) -> int:
        """Update the known-value starts with ``chunk``; return the longest."""
        known = self.redactor._known
        if known != self._known_seen:
            self._known_seen, self._starts = known, {}
        longest = 0
        for v in known:
            q = self._starts.get(v, 0)
            if q + len(chunk) < len(v) and v.startswith(chunk, q):
                q += len(chunk)  # the value goes on (compared in C)
            else:
                q = self.redactor._known_suffix(v[:q] + chunk[-(len(v) - 1):] if q else chunk, v)
            self._starts[v] = q
            longest = max(longest, q)
        return longest

    def _hold(self, text: str, chunk: str) -> int:
        hold = self.redactor._run_holdback(self._context + text)
        if self.redactor._known:
            hold = max(hold, self._advance(chunk))
        return min(len(text), hold)

    def feed(self, chunk: str) -> str:
        """Add a chunk; return the redacted text that can be emitted now."""
        text = self._pending + chunk
        hold = self._hold(text, chunk)
        if hold == len(text) or (hold >= _BATCH_HOLD and len(self._pending) >= _BATCH_HOLD and len(text) < 2 * hold):
            # Nothing to emit; or a long run held back that the chunk only lengthens, which waits until as
            # much can be emitted as is held (each emit scans what is held again: a 2 kB run of DNA fed
            # 80 characters at a time was scanned 26 times over). Holding more is always safe.
            self._pending = text
            return ""
        out, cut = self._redact(text, len(text) - hold)
        self._pending = text[cut:]
        self._shown(text[:cut])
        return out

    def flush(self, *, final: bool = True) -> str:
        """Emit whatever is held back (redacted).

        ``final=False`` is a pause (a cell ended, but a thread may still write): the start of a
        possible secret is then shown as a mask, and its continuation, if it comes, is masked too.

        Example:
            >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
            >>> s = StreamRedactor()
            >>> s.feed("key " + tok[:9]) + s.flush(final=False) + s.feed(tok[9:] + " ok") + s.flush()
            'key **** ok'
        """
        text, self._pending = self._pending, ""
        if not text:
            return ""
        if final:
            out, _ = self._redact(text, len(text))
            self._context, self._continues, self._starts = "", "", {}
            return out
        head, cut = self._redact(text, len(text) - self._hold(text, ""))
        self._shown(text[:cut])
        tail = text[cut:]
        if not tail:
            return head
        done, _ = self._redact(tail, len(tail))
        if done != tail:  # it holds a whole secret: masked as usual
            self._shown(tail)
            return head + done
        # (Masked only where a secret may start: the last 2 kB of a DNA run printed without a line end
        # holds "ACCA" inside words, and were shown as a mask.)
        strong = may_start_secret(self._context[-_CONTEXT:] + tail) or max(self._starts.values(), default=0) >= 8
        self._continues = "masked" if strong else "shown"
        self._context = (self._context + tail)[-max(_HOLD_WINDOW, self.redactor._known_max):]
        return head + (self.redactor.fill if strong else tail)

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


_LONG_RUN = lazy_compile(r"[A-Za-z0-9_]{20,}")


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

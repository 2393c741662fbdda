"""The text engine: prefilter, candidates, decoded views, validation, findings.

Every scan goes through :func:`find_secrets`:

1. **Prefilter**: :func:`might_contain_secret` looks for the rules' keywords and a few encoding markers
   with ``str.find``. Most texts stop here, which is what makes cells and notebooks cheap to check.
2. **Candidates**: each keyword occurrence is matched by its rule's anchored pattern and validated.
3. **Decoded views**: when the text holds zero-width characters, ANSI colour codes, ``\\uXXXX`` /
   ``\\xXX`` escapes or percent-encoding, a normalised copy is scanned too and its matches are mapped
   back to the original characters; base64 runs that hold an encoded token prefix are decoded locally.

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> [f.rule for f in scan_text(f"token = {tok}")]
    ['hf-user-token']
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from .findings import Edit, Finding, fingerprint, mask_secret
from .rules import RULES, Rule

__all__ = ["Hit", "find_secrets", "might_contain_secret", "scan_text", "hits_to_findings", "KEYWORDS",
           "line_col", "is_suppressed_line"]

# base64 of "hf_" and "api_org_" at the three byte alignments (only the characters fixed by the prefix).
_B64_MARKERS = ("aGZf", "hmX", "oZl", "YXBpX29yZ1", "FwaV9vcmdf", "hcGlfb3JnX")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
# Markers that call for the normalised view. Escapes are keyed on the escaped forms of 'h', 'f', '_'
# and 'a' so that ordinary escapes (``\n``, ``\x00``, ANSI in tracebacks) do not trigger it alone.
_ESCAPE_MARKERS = ("\\u0068", "\\x68", "\\u0066", "\\x66", "\\u005f", "\\u005F", "\\x5f", "\\x5F",
                   "\\u0061", "\\x61", "%5F", "%5f", "%68", "%66")
_RULE_KEYWORDS = tuple(dict.fromkeys(k for r in RULES for k in r.keywords))
#: Everything the prefilter looks for.
KEYWORDS: tuple[str, ...] = _RULE_KEYWORDS + _B64_MARKERS + _ESCAPE_MARKERS + tuple(_ZERO_WIDTH)
_KEYWORDS_BYTES: tuple[bytes, ...] = tuple(dict.fromkeys(k.encode("utf-8") for k in KEYWORDS)) + (
    b"\\u200", b"\\u2060", b"\\ufeff", b"\\u00ad", b"\\u00AD", b"\\uFEFF", b"\\u180e")

_NORMALISE = re.compile(
    "[" + _ZERO_WIDTH + "]"
    r"|\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\\u(?P<u>[0-9a-fA-F]{4})|\\x(?P<x>[0-9a-fA-F]{2})|%(?P<p>[0-9a-fA-F]{2})"
)
_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=")
_B64_WINDOW = 4 * 48  # characters decoded around a marker (covers a token and a bit of context)
_SUPPRESS = re.compile(r"hfsecure:\s*allow")


@dataclass(frozen=True)
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


def might_contain_secret(text: str | bytes) -> bool:
    """Cheap test: False means no rule can match anywhere in ``text`` (str or raw bytes).

    Example:
        >>> might_contain_secret("x = 1")
        False
        >>> might_contain_secret(b'{"source": ["hf_"]}')
        True
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
        return any(k in data for k in _KEYWORDS_BYTES)
    return any(k in text for k in KEYWORDS)


def _plain_hits(text: str, encoding: str = "") -> list[Hit]:
    hits: list[Hit] = []
    for rule in RULES:
        for kw in rule.keywords:
            i = text.find(kw)
            while i >= 0:
                m = rule.match_at(text, i)
                if m is not None:
                    hits.append(Hit(rule, m.start(), m.end(), m.group(0), encoding))
                    i = text.find(kw, m.end())
                else:
                    i = text.find(kw, i + 1)
    return hits


def _normalised_view(text: str) -> tuple[str, list[int], list[int]] | None:
    """Decode escapes, drop zero-width characters and ANSI codes; map every view char to the text."""
    if not any(m in text for m in _ESCAPE_MARKERS) and not any(z in text for z in _ZERO_WIDTH) \
            and "\x1b" not in text:
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _NORMALISE.finditer(text):
        for k in range(pos, m.start()):
            out.append(text[k])
            starts.append(k)
            ends.append(k + 1)
        code = m.group("u") or m.group("x") or m.group("p")
        if code is not None:
            out.append(chr(int(code, 16)))
            starts.append(m.start())
            ends.append(m.end())
        pos = m.end()
    for k in range(pos, len(text)):
        out.append(text[k])
        starts.append(k)
        ends.append(k + 1)
    return "".join(out), starts, ends


def _encoding_of(original: str) -> str:
    if any(z in original for z in _ZERO_WIDTH):
        return "zero-width"
    if "%" in original:
        return "percent-encoded"
    if "\\" in original:
        return "escaped"
    return "ansi-coloured" if "\x1b" in original else ""


def _view_hits(text: str) -> list[Hit]:
    view = _normalised_view(text)
    if view is None:
        return []
    vtext, starts, ends = view
    hits = []
    for h in _plain_hits(vtext):
        s, e = starts[h.start], ends[h.end - 1]
        hits.append(Hit(h.rule, s, e, h.secret, _encoding_of(text[s:e])))
    return hits


def _b64_hits(text: str) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[tuple[int, int]] = set()
    for marker in _B64_MARKERS:
        i = text.find(marker)
        while i >= 0:
            rs = i
            while rs > 0 and text[rs - 1] in _B64_CHARS and i - rs < 1_000_000:
                rs -= 1
            # Decode a window aligned on the run's start (a base64 blob starts aligned).
            a = rs + max(0, ((i - rs) // 4 - 12)) * 4
            b = a
            limit = min(len(text), a + _B64_WINDOW)
            while b < limit and text[b] in _B64_CHARS:
                b += 1
            b = a + ((b - a) // 4) * 4
            if (a, b) not in seen and b - a >= 8:
                seen.add((a, b))
                chunk = text[a:b].rstrip("=")
                chunk += "=" * (-len(chunk) % 4)
                try:
                    alt = b"-_" if ("-" in chunk or "_" in chunk) else None
                    raw = base64.b64decode(chunk, altchars=alt) if alt else base64.b64decode(chunk)
                except (binascii.Error, ValueError):
                    raw = b""
                decoded = raw.decode("latin-1")
                if any(k in decoded for k in _RULE_KEYWORDS):
                    for h in _plain_hits(decoded):
                        s = a + (h.start // 3) * 4
                        e = min(b, a + -(-h.end // 3) * 4)
                        hits.append(Hit(h.rule, s, e, h.secret, "base64"))
            i = text.find(marker, i + 1)
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
    if not might_contain_secret(text):
        return []
    hits = _plain_hits(text)
    hits += _view_hits(text)
    if any(m in text for m in _B64_MARKERS):
        hits += _b64_hits(text)
    return _dedupe(hits)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``.

    Example:
        >>> line_col("ab\\ncd", 4)
        (2, 2)
    """
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def is_suppressed_line(text: str, start: int, end: int) -> bool:
    """True when a line touched by ``text[start:end]`` carries ``hfsecure: allow``."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    return bool(_SUPPRESS.search(text, ls, le if le >= 0 else len(text)))


def hits_to_findings(text: str, hits: Sequence[Hit], location: str = "") -> list[Finding]:
    """Turn internal hits into public findings (masked, fingerprinted, suppression applied)."""
    findings = []
    for h in hits:
        preview = mask_secret(h.secret, prefix_len=h.rule.prefix_len)
        line, col = line_col(text, h.start)
        eline, ecol = line_col(text, h.end)
        what = h.rule.description + (f" ({h.encoding})" if h.encoding else "")
        findings.append(Finding(
            rule=h.rule.id, kind="secret", severity="error", location=location,
            line=line, column=col, end_line=eline, end_column=ecol, preview=preview,
            fingerprint=fingerprint(h.rule.id, h.secret),
            suppressed=is_suppressed_line(text, h.start, h.end),
            message=f"{what}: {preview}",
            fix=_fix_for(h.rule),
            encoding=h.encoding,
            edits=h.redaction_edits(preview),
        ))
    return findings


def _fix_for(rule: Rule) -> str:
    if rule.provider == "Hugging Face":
        return ("Remove it from the text; authenticate with huggingface_hub.login() or the HF_TOKEN "
                "environment variable, pass it to Jobs through secrets={'HF_TOKEN': '$HF_TOKEN'}, and "
                f"revoke it at {rule.revoke_url} if it was real.")
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

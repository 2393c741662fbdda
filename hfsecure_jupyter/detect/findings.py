"""What a scan reports: :class:`Finding`, masked previews and fingerprints.

A Finding never holds the secret it describes: only a masked preview (``hf_****wxyz``), a fingerprint
(a salted hash, stable across files and runs, so a baseline or a dashboard can track one secret) and
the edits that redact it (which carry the preview, never the value).

Example:
    >>> mask_secret("hf_" + "a1B2" * 8 + "wxyz")
    'hf_****wxyz'
"""

from __future__ import annotations

from .lazy import field, lazy_import, record, record_fields, replace
from .rules import MASK_PREFIXES

TYPE_CHECKING = False
if TYPE_CHECKING:
    import hashlib
    from typing import Any, Literal
else:  # imported once something is found: hashlib costs a hook's start-up ~4 ms
    hashlib = lazy_import("hashlib", globals())

__all__ = ["FindingKind", "Severity", "Finding", "Edit", "mask_secret", "masked_preview", "fingerprint", "MASK_FILL",
           "SHOW_LAST"]

if TYPE_CHECKING:
    #: What a finding is: a literal secret, or code that leaks one without a literal.
    FindingKind = Literal["secret", "misuse"]
    #: How bad: secrets are errors (they block and are redacted), misuse is a warning.
    Severity = Literal["error", "warning"]


def __getattr__(name: str) -> Any:
    # FindingKind and Severity at run time, built when asked for: a scan does not import typing.
    if name in ("FindingKind", "Severity"):
        from typing import Literal

        value = Literal["secret", "misuse"] if name == "FindingKind" else Literal["error", "warning"]
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: What stands for the hidden middle of a secret in previews and redacted text.
MASK_FILL = "****"
#: How many trailing characters a preview keeps.
SHOW_LAST = 4

# The prefixes a preview keeps, longest first (derived from the rules).
_PREFIXES = MASK_PREFIXES


def mask_secret(secret: str, *, fill: str = MASK_FILL, show_last: int = SHOW_LAST, prefix_len: int | None = None) -> str:
    """Mask a secret for display: its known prefix, ``fill`` and its last ``show_last`` characters.

    Secrets shorter than 16 characters keep no tail at all, so a preview never reveals most of a
    short value.

    Example:
        >>> mask_secret("api_org_" + "Q7" * 15 + "abcd")
        'api_org_****abcd'
        >>> mask_secret("hunter2")
        '****'
    """
    if prefix_len is None:
        prefix_len = next((len(p) for p in _PREFIXES if secret.startswith(p)), 0)
    tail = secret[-show_last:] if show_last > 0 and len(secret) >= 16 else ""
    return secret[:prefix_len] + fill + tail


def masked_preview(secret: str, prefix_len: int) -> str:
    """``mask_secret(secret, prefix_len=prefix_len)`` with the default fill and tail, as one quick call
    (a scan makes one per finding).

    Example:
        >>> s = "hf_" + "a1B2" * 8 + "wxyz"
        >>> masked_preview(s, 3) == mask_secret(s, prefix_len=3), masked_preview("hunter2", 0)
        (True, '****')
    """
    return secret[:prefix_len] + MASK_FILL + (secret[-SHOW_LAST:] if len(secret) >= 16 else "")


def fingerprint(rule_id: str, secret: str) -> str:
    """A stable, non-reversible id for one secret value under one rule (16 hex digits).

    Example:
        >>> len(fingerprint("hf-user-token", "hf_" + "x" * 34))
        16
    """
    return hashlib.sha256(f"hfsecure:v1:{rule_id}:{secret}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


@record(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement`` (a preview or nothing) to redact a secret."""

    start: int
    end: int
    replacement: str


@record(frozen=True)
class Finding:
    """One secret, or one misuse that leaks a secret, found in a text, cell, file or notebook.

    Attributes:
        rule: rule id (``hf-user-token``, ``hf-token-in-job-env`` ...).
        kind: ``"secret"`` for a literal secret, ``"misuse"`` for code that leaks one without a literal.
        severity: ``"error"`` (secrets) or ``"warning"`` (misuse).
        location: where inside a structured document (``cells[3].source``), ``""`` for plain text.
        line, column: 1-based position of the start inside that location's text.
        end_line, end_column: 1-based position just past the end.
        preview: the masked secret (``hf_****wxyz``) or, for misuse, a short quote of the code.
        fingerprint: stable hash of rule and secret (see :func:`fingerprint`).
        suppressed: True when the line carries ``hfsecure: allow``.
        message: one sentence saying what was found.
        fix: what to do instead.
        encoding: how the secret was written when not literally (``base64``, ``concatenation`` ...).
        edits: the replacements that redact it in the scanned text (previews only, never the value).
    """

    rule: str
    kind: FindingKind
    severity: Severity
    location: str
    line: int
    column: int
    end_line: int
    end_column: int
    preview: str
    fingerprint: str
    suppressed: bool = False
    message: str = ""
    fix: str = ""
    encoding: str = ""
    edits: tuple[Edit, ...] = field(default=(), repr=False, compare=False)

    @property
    def is_secret(self) -> bool:
        """True for a literal secret (blocks, redacts), False for a misuse warning."""
        return self.kind == "secret"

    def masked_as(self, *, fill: str = MASK_FILL, show_last: int = SHOW_LAST, source: str | None = None
                  ) -> "Finding":
        """The same finding with its preview (and its edits' replacements) masked with ``fill`` and
        ``show_last`` (the ``mask_fill`` / ``mask_show_last`` settings) instead of the defaults.

        With ``source`` (the scanned text) a literal secret is masked afresh from its own characters, so
        ``show_last`` may show more than the default; otherwise the default preview is re-masked (its
        prefix and at most its own tail).

        Example:
            >>> f = Finding("hf-user-token", "secret", "error", "", 1, 1, 1, 38, "hf_****wxyz", "0f")
            >>> f.masked_as(fill="[...]", show_last=2).preview
            'hf_[...]yz'
        """
        if not self.is_secret or (fill == MASK_FILL and show_last == SHOW_LAST):
            return self
        new = None
        if source is not None and len(self.edits) == 1 and not self.encoding:
            e = self.edits[0]
            value = source[e.start:e.end]
            if mask_secret(value) == self.preview:  # the span is the secret itself
                new = mask_secret(value, fill=fill, show_last=show_last)
        if new is None:
            head, sep, tail = self.preview.partition(MASK_FILL)
            if not sep:
                return self
            new = head + fill + (tail[-show_last:] if show_last > 0 else "")
        edits = tuple(_replace_edit(e, self.preview, new) for e in self.edits)
        return _replace(self, preview=new, edits=edits)

    def with_location(self, location: str) -> "Finding":
        """The same finding placed inside a larger document (``cells[2].source``)."""
        return _replace(self, location=location)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no secret in it: the preview is masked and the edits are left out).

        Example:
            >>> sorted(Finding("r", "secret", "error", "", 1, 1, 1, 2, "p", "f").to_dict())[:3]
            ['column', 'encoding', 'end_column']
        """
        return {n: getattr(self, n) for n in _DICT_FIELDS}  # (every field a plain value; the edits left out)

    def __str__(self) -> str:
        where = f"{self.location}:" if self.location else ""
        tag = " (suppressed)" if self.suppressed else ""
        return f"{where}{self.line}:{self.column}: {self.rule}: {self.preview}{tag}"


# What to_dict keeps: every field but the edits (their replacements are for redacting, not reports).
_DICT_FIELDS = tuple(n for n in record_fields(Finding) if n != "edits")


def _replace_edit(e: Edit, old: str, new: str) -> Edit:
    return Edit(e.start, e.end, e.replacement.replace(old, new)) if old in e.replacement else e


def _replace(f: Finding, **changes: Any) -> Finding:
    return replace(f, **changes)

"""The one shape of a finding, shared by every report format, the REST API and the sidebar.

A finding becomes :func:`finding_record` (a JSON object with the document's ``path`` first); a scan's
counts are a :class:`Summary`; every rendered string passes :func:`safe_text` (masked once more).

Example:
    >>> summarize([]).secrets, shown("a.py")
    (0, 'a.py')
"""

from __future__ import annotations

import re

from .. import detect
from ..detect import Finding, ScanReport
from ..detect.lazy import lazy_compile, record

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Any, Callable, Iterable, Sequence

__all__ = ["FORMATS", "SARIF_SCHEMA", "TOOL_URI", "STDIN_PATH", "Summary", "summarize", "finding_record", "shown",
           "sorted_findings", "tool_version", "finding_extra", "extras_of", "extra_text", "all_notes", "safe_text", "json_text"]

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/hfsecure/hfsecure-jupyter"
STDIN_PATH = "-"
_SURROGATE = lazy_compile("[\ud800-\udfff]")


def shown(text: str) -> str:
    """``text`` as valid Unicode: a file name's bytes that are not UTF-8 (kept by Python as lone
    surrogates) are shown as ``\\xe9`` escapes, so every report is valid UTF-8.

    Example:
        >>> shown(b"caf\\xe9.py".decode("utf-8", "surrogateescape"))
        'caf\\\\xe9.py'
    """
    return _SURROGATE.sub(_escape_surrogate, text) if _SURROGATE.search(text) else text


def _escape_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    # 0xDC80-0xDCFF: an undecodable byte (surrogateescape); others: a lone surrogate from the data
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


@record(frozen=True)
class Summary:
    """Counts over a scan.

    Attributes:
        secrets: unsuppressed literal secrets (these fail a scan).
        warnings: unsuppressed misuse warnings (these fail only a strict scan).
        suppressed: findings on a line marked ``hfsecure: allow`` (listed, never failing).
        files_with_findings: documents holding at least one unsuppressed finding.
    """

    secrets: int
    warnings: int
    suppressed: int
    files_with_findings: int


def summarize(reports: Iterable[ScanReport]) -> Summary:
    """Count secrets, warnings and suppressed findings over ``reports``.

    Example:
        >>> summarize([])
        Summary(secrets=0, warnings=0, suppressed=0, files_with_findings=0)
    """
    secrets = warnings = suppressed = files = 0
    for rep in reports:
        secrets += len(rep.secrets)
        warnings += len(rep.warnings)
        suppressed += sum(1 for f in rep.findings if f.suppressed)
        files += bool(rep.secrets or rep.warnings)
    return Summary(secrets, warnings, suppressed, files)


def sorted_findings(reports: Iterable[ScanReport]) -> list[tuple[ScanReport, Finding]]:
    """Every (report, finding) pair of ``reports``, in report order."""
    return [(rep, f) for rep in reports for f in rep.findings]


def tool_version() -> str:
    """The package version every report names."""
    from ..version import package_version  # read on first use (it may open package metadata)

    return package_version()


def finding_extra(rep: ScanReport, f: Finding) -> dict[str, Any]:
    """Fields a report kind adds to each finding (a git history scan: commit, author, date, at_head)."""
    return extras_of(rep)(f)


def extras_of(rep: ScanReport) -> Callable[[Finding], dict[str, Any]]:
    """:func:`finding_extra` for the findings of ``rep``, looked up once (a report of 20,000 findings).

    Example:
        >>> extras_of(ScanReport(path="a.py"))(Finding("r", "secret", "error", "", 1, 1, 1, 2, "p", "f"))
        {}
    """
    extra = getattr(rep, "finding_extra", None)
    if not callable(extra):
        return _no_extra
    return lambda f: dict(extra(f))


def _no_extra(_f: Finding) -> dict[str, Any]:
    return {}


def extra_text(extra: dict[str, Any]) -> str:
    """The history fields of a finding as text: `` (commit abc, author, date)``."""
    if not extra.get("commit"):
        return ""
    head = ", still at HEAD" if extra.get("at_head") else ""
    return f" (commit {str(extra['commit'])[:12]}, {extra.get('author', '')}, {extra.get('date', '')}{head})"


def finding_record(path: str, finding: Finding) -> dict[str, Any]:
    """One finding as a JSON object, with the document's ``path`` first.

    Example:
        >>> f = Finding("r", "secret", "error", "cells[0].source", 2, 3, 2, 9, "hf_****abcd", "0f")
        >>> rec = finding_record("nb.ipynb", f)
        >>> [rec[k] for k in ("path", "location", "line", "column", "suppressed")]
        ['nb.ipynb', 'cells[0].source', 2, 3, False]
    """
    f = finding
    record: dict[str, Any] = {
        "rule": f.rule, "path": shown(path), "location": f.location, "line": f.line, "column": f.column,
        "end_line": f.end_line, "end_column": f.end_column, "preview": f.preview, "fingerprint": f.fingerprint,
        "suppressed": f.suppressed, "kind": f.kind, "severity": f.severity, "message": f.message, "fix": f.fix,
        "encoding": f.encoding}
    for key in _LATER_FIELDS:  # fields a later core adds
        record[key] = getattr(f, key)
    return record


# Finding.to_dict's fields past those finding_record names first (read from its attributes: to_dict's
# dict, popped key by key, cost 6 us a finding).
_LATER_FIELDS = tuple(k for k in Finding("", "secret", "error", "", 0, 0, 0, 0, "", "").to_dict() if k not in (
    "rule", "location", "line", "column", "end_line", "end_column", "preview", "fingerprint", "suppressed", "kind",
    "severity", "message", "fix", "encoding"))


def all_notes(reports: Sequence[ScanReport], notes: Sequence[str]) -> list[str]:
    """The notes of each document (prefixed by its path), then ``notes``."""
    out = [f"{rep.path or STDIN_PATH}: {n}" for rep in reports for n in rep.notes]
    return [shown(n) for n in out + list(notes)]


def safe_text(text: str) -> str:
    # Defence in depth: a path or a quoted line could hold a secret the findings themselves never do.
    return detect.redact(text) if detect.might_contain_secret(text) else text


def json_text(doc: Any, depth: int) -> str:
    """``doc`` as JSON indented by two spaces down to ``depth`` levels, each value below them on one line,
    ending with a newline: a report's findings one a line. (``json.dumps`` with ``indent`` runs the
    standard library's pure-Python encoder, ~60 us a finding; without it, its C encoder.)

    Example:
        >>> print(json_text({"findings": [{"rule": "r", "line": 1}], "summary": {}}, 2), end="")
        {
          "findings": [
            {"rule": "r", "line": 1}
          ],
          "summary": {}
        }
        >>> import json; json.loads(json_text({"a": [1, {"b": [2]}]}, 1)) == {"a": [1, {"b": [2]}]}
        True
    """
    import json  # (the text report, which a pre-commit run prints, needs none)
    from json.encoder import encode_basestring  # (C; the encoder's own for a str with ensure_ascii off)

    encode = json.JSONEncoder(ensure_ascii=False).encode

    def compact(value: Any) -> str:
        # (a str, the most common leaf, without the encoder's Python frame)
        return encode_basestring(value) if value.__class__ is str else encode(value)

    return _json_text(doc, 0, depth, compact, encode_basestring) + "\n"


def _json_text(value: Any, level: int, depth: int, compact: Any, key: Any) -> str:
    if level >= depth or not value or not isinstance(value, (dict, list)):
        return compact(value)
    pad = "\n" + "  " * (level + 1)
    below = level + 1
    # (a leaf is written without a call of its own: a SARIF log has ~20 values a result)
    if isinstance(value, dict):
        items = [pad + key(str(k)) + ": " + (_json_text(v, below, depth, compact, key)
                                             if v and isinstance(v, (dict, list)) else compact(v))
                 for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * level + "}"
    return "[" + ",".join([pad + (_json_text(v, below, depth, compact, key) if v and isinstance(v, (dict, list))
                                  else compact(v)) for v in value]) + "\n" + "  " * level + "]"

"""The JSON report: findings in the one finding shape, counts, notes, errors, the version.

Example:
    >>> sorted(to_json([]))[:2]
    ['errors', 'files_scanned']
"""

from __future__ import annotations


from ..detect import Finding, ScanReport
from .shape import all_notes, extras_of, finding_record, json_text, safe_text, shown, summarize, tool_version

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Any, Callable, Sequence

__all__ = ['to_json', 'render_json']


def to_json(reports: Sequence[ScanReport], *, files_scanned: int | None = None, notes: Sequence[str] = (),
            errors: Sequence[str] = (), skipped: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON report as a dict: ``findings``, ``files_scanned``, ``notes``, ``errors``, ``skipped`` (the
    folders a walk did not enter), ``summary``, ``version``.

    Notes of each document (``not valid JSON: scanned as text``) are included, prefixed by its path.

    Example:
        >>> sorted(to_json([]))
        ['errors', 'files_scanned', 'findings', 'notes', 'skipped', 'summary', 'version']
    """
    s = summarize(reports)
    return {
        "findings": [_record(rep, f, extra) for rep in reports for extra in (extras_of(rep),) for f in rep.findings],
        "files_scanned": len(reports) if files_scanned is None else files_scanned,
        "notes": all_notes(reports, notes),
        "errors": [shown(e) for e in errors],
        "skipped": [shown(p) for p in skipped],
        "summary": {"secrets": s.secrets, "warnings": s.warnings, "suppressed": s.suppressed,
                    "files_with_findings": s.files_with_findings},
        "version": tool_version(),
    }


def _record(rep: ScanReport, f: Finding, extra: Callable[[Finding], dict[str, Any]]) -> dict[str, Any]:
    record = finding_record(rep.path, f)
    more = extra(f)
    if more:
        record.update(more)
    return record


def render_json(reports: Sequence[ScanReport], **kw: Any) -> str:
    """:func:`to_json`, serialised (indented, a finding a line, ends with a newline).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token()
        >>> from hfsecure_jupyter import detect; import json
        >>> text = render_json([detect.scan_bytes(f'login(token="{tok}")'.encode(), path="a.py")])
        >>> json.loads(text)["summary"]["secrets"], tok in text  # masked previews only
        (1, False)
    """
    return safe_text(json_text(to_json(reports, **kw), 2))

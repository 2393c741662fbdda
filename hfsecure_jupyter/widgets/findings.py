"""The scan of a notebook or path as a table: where, what (masked), the fix.

:class:`Findings` renders the core's report shape (:func:`hfsecure_jupyter.report.finding_record`): one row
per finding, with its place (file, cell or line), the masked preview and the rule's message, and the fix.
Rows are capped (``max_rows``) with a count of the rest, so a scan with thousands of findings stays a page.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token
    >>> rep = detect.ScanReport(path="a.py", findings=detect.scan_text(f"t = '{fake_token(seed=2)}'"))
    >>> print(Findings([rep]).text().splitlines()[0])
    1 finding in 1 file
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as W  # type: ignore[import-untyped]

from .. import detect
from ._common import COLORS, FG_DIM, MONO, box_html, esc, pill, TextForm

__all__ = ["Findings", "records"]


def records(reports: Sequence[detect.ScanReport]) -> list[dict[str, Any]]:
    """Every finding as the core's record (``report.finding_record``), in report order."""
    from .. import report

    return [report.finding_record(r.path, f) for r in reports for f in r.findings]


def _where(rec: dict[str, Any]) -> str:
    place = f"{rec.get('path') or '<input>'}:{rec.get('line')}:{rec.get('column')}"
    return place + (f" ({rec['location']})" if rec.get("location") else "")


class Findings(TextForm, W.VBox):
    """A table of scan findings (never a secret: previews are masked by the core).

    Args:
        reports: the :class:`~hfsecure_jupyter.detect.ScanReport` list of a scan.
        files_scanned: how many documents were scanned (default: the number of reports).
        notes, errors: what the scan wants the user to know (shown under the table).
        max_rows: rows shown; the rest are counted.
    """

    def __init__(self, reports: Sequence[detect.ScanReport], *, files_scanned: int | None = None,
                 notes: Sequence[str] = (), errors: Sequence[str] = (), max_rows: int = 200, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.records = records(reports)
        self.files_scanned = len(reports) if files_scanned is None else files_scanned
        self.notes, self.errors, self.max_rows = list(notes), list(errors), max_rows
        self.table = W.HTML(self._html())
        self.children = (self.table,)

    @classmethod
    def scan(cls, path: str, *, note: str = "", **kwargs: Any) -> Findings:
        """Scan ``path`` (a file or folder) as ``hfsecure scan`` does and show the result."""
        from ..detect.walk import run_scan
        run = run_scan([path])
        return cls(run.reports, files_scanned=run.files_scanned, notes=note.splitlines() + list(run.notes),
                   errors=run.errors, **kwargs)

    def _summary(self) -> str:
        n, files = len(self.records), self.files_scanned
        return f"{n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"

    def _html(self) -> str:
        head = "".join(f'<th style="text-align:left;padding-right:1em;color:{FG_DIM}">{h}</th>'
                       for h in ("where", "what", "fix"))
        rows = []
        for rec in self.records[:self.max_rows]:
            kind = "error" if rec.get("kind") == "secret" else "warn"
            what = (f'{pill(rec.get("rule") or "", kind)} <code style="font-family:{MONO}">'
                    f'{esc(rec.get("preview") or "")}</code>'
                    + (" (suppressed)" if rec.get("suppressed") else "")
                    + (f'<br><span style="color:{FG_DIM}">{esc(rec.get("message") or "")}</span>'
                       if rec.get("message") else ""))
            rows.append(f'<tr style="vertical-align:top"><td style="font-family:{MONO};padding-right:1em">'
                        f'{esc(_where(rec))}</td><td style="padding-right:1em">{what}</td>'
                        f'<td>{esc(rec.get("fix") or "")}</td></tr>')
        more = len(self.records) - self.max_rows
        extra = [f"... and {more} more (hfsecure scan on the command line lists them all)"] if more > 0 else []
        foot = "".join(f'<div style="color:{FG_DIM}">{esc(n)}</div>' for n in self.notes + extra)
        foot += "".join(f'<div style="color:{COLORS["error"]}">{esc(e)}</div>' for e in self.errors)
        color = COLORS["ok"] if not self.records else COLORS["error"]
        title = f'<b style="color:{color}">{esc(self._summary())}</b>'
        table = f"<table><tr>{head}</tr>{''.join(rows)}</table>" if rows else ""
        return box_html(title + table + foot)

    def text(self) -> str:
        """The plain-text form: one line per finding and its fix."""
        lines = [self._summary()]
        for rec in self.records:
            lines.append(f"{_where(rec)}: {rec.get('rule')} {rec.get('preview')}"
                         + (" [suppressed]" if rec.get("suppressed") else ""))
            if rec.get("fix"):
                lines.append(f"    fix: {rec['fix']}")
        lines += self.notes + [f"error: {e}" for e in self.errors]
        return detect.redact("\n".join(lines))


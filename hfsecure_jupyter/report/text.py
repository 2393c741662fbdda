"""The text report: one line per finding (``path:line:col: rule preview``), notes, a summary line.

Example:
    >>> render_text([], files_scanned=0).splitlines()[-1]  # doctest: +ELLIPSIS
    '...'
"""

from __future__ import annotations


from ..detect import ScanReport
from ..detect.lazy import lazy_compile
from .shape import STDIN_PATH, Summary, all_notes, extra_text, finding_extra, safe_text, shown, sorted_findings, summarize

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Sequence

__all__ = ['render_text', 'clean_text']

# Control characters (other than tab) would let a hostile file name rewrite the terminal.
_CONTROL = lazy_compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """``text`` with control characters shown as ``?`` (safe to print on a terminal).

    Example:
        >>> clean_text("evil\\x1b[2Jname\\n\\tok")  # tab is kept
        'evil?[2Jname?\\tok'
    """
    return _CONTROL.sub("?", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(reports: Sequence[ScanReport], *, files_scanned: int | None = None, notes: Sequence[str] = (),
                errors: Sequence[str] = (), show_fix: bool = True, unreadable: int = 0) -> str:
    """One line per finding (``path:location:line:col: rule preview``), each rule's fix once, notes, and a
    summary line.

    Suppressed findings end with ``[suppressed]``, misuse warnings with ``[warning]``. For plain files the
    location part is left out, so editors can jump to ``path:line:col``.

    Example:
        >>> render_text([], files_scanned=3)
        'No secrets found in 3 files.\\n'
    """
    lines: list[str] = []
    fixed: set[str] = set()
    for rep, f in sorted_findings(reports):
        path = clean_text(shown(rep.path or STDIN_PATH))
        where = f"{path}:{clean_text(f.location)}:" if f.location else f"{path}:"
        tags = (" [warning]" if not f.is_secret else "") + (" [suppressed]" if f.suppressed else "")
        history = clean_text(extra_text(finding_extra(rep, f)))
        lines.append(f"{where}{f.line}:{f.column}: {f.rule} {clean_text(f.preview)}{tags}{history}")
        if show_fix and f.rule not in fixed:
            fixed.add(f.rule)
            if not f.is_secret and f.message:
                lines.append(f"    {f.message}")
            if f.fix:
                lines.append(f"    fix: {f.fix}")
    for n in all_notes(reports, notes):
        lines.append(f"note: {clean_text(n)}")
    for e in errors:
        lines.append(f"error: {clean_text(shown(e))}")
    if lines:
        lines.append("")
    summary = _summary_line(summarize(reports), len(reports) if files_scanned is None else files_scanned)
    failed = max(unreadable, len(errors))
    if failed:  # "nothing found" must not read as "all clear" when some input was never scanned
        summary = summary[:-1] + f"; {_plural(failed, 'path')} could not be scanned (see the errors)."
    lines.append(summary)
    return safe_text("\n".join(lines) + "\n")


def _summary_line(s: Summary, files: int) -> str:
    scanned = _plural(files, "file")
    if not s.secrets and not s.warnings:
        extra = f" ({_plural(s.suppressed, 'suppressed finding')})" if s.suppressed else ""
        return f"No secrets found in {scanned}{extra}."
    parts = []
    if s.secrets:
        parts.append(_plural(s.secrets, "secret"))
    if s.warnings:
        parts.append(_plural(s.warnings, "warning"))
    extra = f", {s.suppressed} suppressed" if s.suppressed else ""
    return (f"Found {' and '.join(parts)} in {_plural(s.files_with_findings, 'file')}{extra} "
            f"({scanned} scanned).")

"""A scan run over files and folders: what it found, read, skipped and could not read.

Example:
    >>> run = ScanRun(); run.files_scanned, run.exit_code()
    (0, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .notebook import ScanReport

__all__ = ["ScanRun", "Region"]

#: Where a finding is in a file: start line, start column, end line, end column.
Region = tuple[int, int, int, int]


@dataclass
class ScanRun:
    """What one ``hfsecure scan`` found.

    Attributes:
        reports: one per text document scanned, ``path`` as given on the command line.
        files_scanned: how many documents were read and scanned.
        notes: skipped binaries and folders, redactions, documents scanned as text...
        errors: missing or unreadable paths, failed redactions (each makes the exit status 2).
        skipped: folders not entered (version control, virtualenvs, caches), as display paths.
        regions: for notebooks with findings, where each finding is in the file (see
            :func:`hfsecure_jupyter.report.file_regions`), by display path.
    """

    reports: list[ScanReport] = field(default_factory=list)
    files_scanned: int = 0
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    regions: dict[str, list[Region | None]] = field(default_factory=dict)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 clean, 1 secrets (or warnings when ``strict``), 2 when a path could not be scanned."""
        if self.errors:
            return 2
        secrets = any(rep.secrets for rep in self.reports)
        warnings = any(rep.warnings for rep in self.reports)
        return 1 if secrets or (strict and warnings) else 0

"""Baselines: findings already known and accepted, by fingerprint, so a scan reports only new ones.

A finding's fingerprint is a salted hash of its rule and secret value (never of its line), so it stays
the same when lines move, a cell is re-run or the file is renamed. The file format is the one of
``.gitleaksignore``: one fingerprint per line, ``#`` starts a comment (``hfsecure scan --write-baseline``
adds the path, rule and masked preview as a comment, so a reviewer sees what was accepted). A JSON report
of ``hfsecure scan --format json`` is read as a baseline too.

``.hfsecureignore`` in the current folder is read on every scan; ``--baseline FILE`` adds another.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token
    >>> rep = detect.scan_bytes(f"t = '{fake_token(seed=3)}'".encode(), path="a.py")
    >>> text = render_baseline([rep])
    >>> kept, dropped = filter_reports([rep], parse_baseline(text))
    >>> [len(r.findings) for r in kept], dropped
    ([0], 1)
"""

from __future__ import annotations

import json
import re
from typing import Iterable, Sequence, TypeVar

from .detect import ScanReport
from .detect.lazy import replace
from .errors import BaselineError

__all__ = ["IGNORE_FILE", "parse_baseline", "load_baseline", "render_baseline", "filter_reports",
           "BaselineError"]

#: Read from the current folder on every scan, like ``.gitleaksignore``.
IGNORE_FILE = ".hfsecureignore"
_FP = re.compile(r"^[0-9a-f]{16}$")
R = TypeVar("R", bound=ScanReport)


def parse_baseline(text: str, *, name: str = "baseline") -> frozenset[str]:
    """The fingerprints in a baseline text (``.hfsecureignore`` lines or a JSON report).

    Example:
        >>> sorted(parse_baseline("# accepted\\n0123456789abcdef  # a.py hf-user-token\\n\\n"))
        ['0123456789abcdef']
        >>> parse_baseline("not a fingerprint")
        Traceback (most recent call last):
        ...
        hfsecure_jupyter.errors.BaselineError: baseline:1: not a fingerprint (16 hex digits): 'not a fingerprint'
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
            return frozenset(str(f["fingerprint"]) for f in doc.get("findings", []))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BaselineError(f"{name}: not an hfsecure JSON report ({type(exc).__name__})") from None
    out = set()
    for n, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        # gitleaks-style "path:rule:line" entries are not ours: say so rather than ignore them silently.
        if not _FP.match(value):
            raise BaselineError(f"{name}:{n}: not a fingerprint (16 hex digits): {value[:40]!r}")
        out.add(value)
    return frozenset(out)


def load_baseline(path: str) -> frozenset[str]:
    """The fingerprints in the baseline file at ``path``; :class:`BaselineError` when unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return parse_baseline(fh.read(), name=path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None


def render_baseline(reports: Iterable[ScanReport]) -> str:
    """A baseline holding every finding of ``reports`` (one fingerprint a line, sorted, with a comment).

    Example:
        >>> render_baseline([]).splitlines()[0]
        '# hfsecure baseline: accepted findings, one fingerprint a line (hfsecure scan --write-baseline)'
    """
    seen: dict[str, str] = {}
    for rep in reports:
        for f in rep.findings:
            seen.setdefault(f.fingerprint, f"{rep.path or '-'} {f.rule} {f.preview}".replace("\n", " "))
    lines = ["# hfsecure baseline: accepted findings, one fingerprint a line (hfsecure scan --write-baseline)"]
    lines += [f"{fp}  # {seen[fp]}" for fp in sorted(seen)]
    return "\n".join(lines) + "\n"


def filter_reports(reports: Sequence[R], fingerprints: frozenset[str]) -> tuple[list[R], int]:
    """``reports`` without the findings whose fingerprint is in ``fingerprints``, and how many were left out."""
    if not fingerprints:
        return list(reports), 0
    kept: list[R] = []
    dropped = 0
    for rep in reports:
        findings = [f for f in rep.findings if f.fingerprint not in fingerprints]
        dropped += len(rep.findings) - len(findings)
        kept.append(replace(rep, findings=findings) if len(findings) != len(rep.findings) else rep)
    return kept, dropped

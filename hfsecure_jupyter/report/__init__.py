"""Scan reports for people and machines: text, JSON and SARIF 2.1.0.

Every renderer takes the :class:`~hfsecure_jupyter.detect.ScanReport` objects of one scan (each with
``path`` set to the path as the user gave it) and returns a string. None of them can print a secret:
findings hold masked previews only, and the rendered text goes through :func:`detect.redact` once more
before it is returned (a file name or a misuse quote could hold a token too).

Used by ``hfsecure scan`` and by the server extension.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> rep = detect.scan_bytes(f'login(token="{tok}")'.encode(), path="a.py")
    >>> print(render_text([rep], files_scanned=1).splitlines()[0])
    a.py:1:14: hf-user-token hf_****oOOL
    >>> to_json([rep])["findings"][0]["path"]
    'a.py'
    >>> to_sarif([rep])["runs"][0]["results"][0]["ruleId"]
    'hf-user-token'
"""

from __future__ import annotations

from typing import Any, Sequence

from ..detect import ScanReport
from .json import render_json, to_json
from .sarif import Region, artifact_uri, file_regions, render_sarif, to_sarif
from .shape import (FORMATS, SARIF_SCHEMA, STDIN_PATH, TOOL_URI, Summary, all_notes, finding_extra, finding_record,
                    safe_text, shown, summarize)
from .text import clean_text, render_text

__all__ = ["Summary", "summarize", "finding_record", "to_json", "to_sarif", "render", "render_text",
           "render_json", "render_sarif", "clean_text", "file_regions", "shown", "FORMATS", "SARIF_SCHEMA", "TOOL_URI",
           "STDIN_PATH", "Region", "artifact_uri", "all_notes", "finding_extra", "safe_text"]

_uri = artifact_uri  # the name the tests know

#: format name -> renderer: every format behind one interface, ``(reports, **options) -> str``
RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif}


def render(fmt: str, reports: Sequence[ScanReport], **kw: Any) -> str:
    """Render ``reports`` as ``text``, ``json`` or ``sarif`` (keyword arguments as for each renderer).

    Example:
        >>> '"files_scanned": 0' in render("json", [], files_scanned=0)
        True
    """
    if fmt == "text":
        return render_text(reports, **kw)
    kw.pop("show_fix", None)
    if fmt == "json":
        return render_json(reports, **kw)
    if fmt == "sarif":
        return render_sarif(reports, **kw)
    raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")

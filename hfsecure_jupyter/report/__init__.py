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
    >>> from hfsecure_jupyter.report import to_json, to_sarif  # (imported on first use)
    >>> to_json([rep])["findings"][0]["path"]
    'a.py'
    >>> to_sarif([rep])["runs"][0]["results"][0]["ruleId"]
    'hf-user-token'
"""

from __future__ import annotations

from .shape import (FORMATS, SARIF_SCHEMA, STDIN_PATH, TOOL_URI, Summary, all_notes, finding_extra, finding_record,
                    safe_text, shown, summarize)
from .text import clean_text, render_text

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Sequence

    from ..detect import ScanReport
    from .json import render_json, to_json
    from .sarif import Region, artifact_uri, file_regions, render_sarif, to_sarif

__all__ = ["Summary", "summarize", "finding_record", "to_json", "to_sarif", "render", "render_text",
           "render_json", "render_sarif", "clean_text", "file_regions", "shown", "FORMATS", "SARIF_SCHEMA", "TOOL_URI",
           "STDIN_PATH", "Region", "artifact_uri", "all_notes", "finding_extra", "safe_text"]

# The JSON and SARIF renderers are imported when first asked for: a text scan (a pre-commit hook) does not
# pay for json, urllib.parse and the SARIF region code at start-up.
_LAZY = {"render_json": "json", "to_json": "json", "Region": "sarif", "artifact_uri": "sarif",
         "file_regions": "sarif", "render_sarif": "sarif", "to_sarif": "sarif", "_uri": "sarif"}


def __getattr__(name: str) -> Any:
    if name == "RENDERERS":  #: format name -> renderer: every format behind one interface
        from .json import render_json
        from .sarif import render_sarif

        value: Any = {"text": render_text, "json": render_json, "sarif": render_sarif}
    elif name in _LAZY:
        from . import json, sarif

        value = getattr(json if _LAZY[name] == "json" else sarif, "artifact_uri" if name == "_uri" else name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


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
        from .json import render_json

        return render_json(reports, **kw)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(reports, **kw)
    raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")

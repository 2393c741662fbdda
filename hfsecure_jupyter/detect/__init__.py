"""The detection core: does this text, cell, output or notebook hold a secret, and exactly where?

Pure Python (standard library only). Every adapter (kernel guard, output redaction, save hook,
sidebar, CLI, job builder) calls these functions; none has a matcher of its own.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> [f.preview for f in detect.scan_cell(f'login(token="{tok}")')]
    ['hf_****oOOL']
    >>> detect.redact(f"echo {tok}")
    'echo hf_****oOOL'
"""

from __future__ import annotations

import codecs
import os
import shutil

from .engine import find_secrets, line_col, might_contain_secret, scan_text
from .findings import Edit, Finding, fingerprint, mask_secret
from .misuse import MISUSE_RULES, is_secret_name, scan_misuse
from .notebook import ScanReport, iter_fields, redact_notebook, redact_notebook_model, scan_notebook
from .python import mask_ipython, scan_cell, scan_python
from .redact import Redactor, StreamRedactor, apply_edits, redact, redact_strict
from .rules import RULES, Rule, looks_like_placeholder, rule_by_id

__all__ = [
    "Edit", "Finding", "MISUSE_RULES", "RULES", "Redactor", "Rule", "ScanReport", "StreamRedactor",
    "apply_edits", "find_secrets", "fingerprint", "is_secret_name", "iter_fields", "line_col",
    "looks_like_placeholder", "mask_ipython", "mask_secret", "might_contain_secret", "redact",
    "redact_file", "redact_notebook", "redact_notebook_model", "redact_strict", "rule_by_id", "scan_bytes", "scan_cell", "scan_file", "scan_misuse",
    "scan_notebook", "scan_python", "scan_text",
]

_PYTHON_SUFFIXES = (".py", ".pyw", ".pyi", ".ipy")


def kind_for_path(path: str) -> str:
    """How a file is scanned, from its name: ``notebook``, ``python`` or ``text``.

    Example:
        >>> kind_for_path("a/b.ipynb"), kind_for_path("x.py"), kind_for_path(".env")
        ('notebook', 'python', 'text')
    """
    low = path.lower()
    if low.endswith(".ipynb"):
        return "notebook"
    if low.endswith(_PYTHON_SUFFIXES):
        return "python"
    return "text"


# UTF-32 first: its little-endian BOM starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _wide_encoding(data: bytes) -> tuple[bytes, str] | None:
    """(BOM, codec) of a UTF-16 or UTF-32 text (Windows tools write these), else None."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return bom, codec
    return None


def is_binary(data: bytes) -> bool:
    """True for data that is not text: a NUL byte in the first 8 KiB (UTF-16 and UTF-32 texts with a
    byte-order mark are text).

    Example:
        >>> is_binary(bytes(4)), is_binary("token".encode("utf-16"))
        (True, False)
    """
    if _wide_encoding(data):
        return False
    return b"\0" in data[:8192]


def _as_utf8(data: bytes) -> bytes:
    wide = _wide_encoding(data)
    if wide is None:
        return data
    bom, codec = wide
    return data[len(bom):].decode(codec, "replace").encode("utf-8", "surrogatepass")


def scan_bytes(data: bytes, *, path: str = "", kind: str | None = None, misuse: bool = True) -> ScanReport:
    """Scan a document's raw bytes; ``kind`` defaults to what the path's name says.

    Example:
        >>> scan_bytes(b"nothing to see", path="notes.txt").findings
        []
    """
    kind = kind or kind_for_path(path)
    data = _as_utf8(data)
    if kind == "notebook":
        return scan_notebook(data, path=path, misuse=misuse)
    report = ScanReport(path=path, kind=kind)
    if not might_contain_secret(data) and not (misuse and kind == "python"):
        return report
    text = data.decode("utf-8", "replace")
    if kind == "python":
        report.findings = scan_python(text, misuse=misuse)
    else:
        report.findings = scan_text(text)
    return report


def scan_file(path: str | os.PathLike[str], *, misuse: bool = True) -> ScanReport:
    """Scan one file by its type (notebook, Python or text). Raises ``OSError`` when unreadable.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        ...     _ = fh.write("x = 1\\n")
        >>> scan_file(fh.name).findings
        []
        >>> os.unlink(fh.name)
    """
    p = os.fspath(path)
    with open(p, "rb") as fh:
        data = fh.read()
    if is_binary(data):
        return ScanReport(path=p, kind="binary", notes=["binary file: not scanned"])
    return scan_bytes(data, path=p, misuse=misuse)


def redact_file(path: str | os.PathLike[str], redactor: Redactor | None = None) -> ScanReport:
    """Rewrite a file in place with its secrets masked; every other byte is kept.

    Returns the report of what was found before redaction. Notebooks stay valid JSON; UTF-16 and UTF-32
    files keep their encoding and byte-order mark.

    Example:
        >>> import os, tempfile
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> path = os.path.join(tempfile.mkdtemp(), "train.py")
        >>> _ = open(path, "w").write(f"TOKEN = '{tok}'  # old\\n")
        >>> [f.preview for f in redact_file(path).findings], open(path).read()
        (['hf_****oOOL'], "TOKEN = 'hf_****oOOL'  # old\\n")
    """
    p = os.fspath(path)
    with open(p, "rb") as fh:
        data = fh.read()
    if is_binary(data):
        return ScanReport(path=p, kind="binary", notes=["binary file: not scanned"])
    redactor = redactor or Redactor()
    kind = kind_for_path(p)
    wide = _wide_encoding(data)
    if wide is not None and kind == "notebook":  # redacted as JSON (folded tokens too), then re-encoded
        bom, codec = wide
        utf8 = data[len(bom):].decode(codec, "surrogatepass").encode("utf-8", "surrogatepass")
        new8, report = redact_notebook(utf8, redactor)
        report.path = p
        new = data if new8 == utf8 else bom + new8.decode("utf-8", "surrogatepass").encode(codec, "surrogatepass")
    elif wide is not None:  # rewrite in the file's own encoding, BOM kept
        bom, codec = wide
        text = data[len(bom):].decode(codec, "replace")
        report = scan_bytes(data, path=p, kind=kind, misuse=False)
        if kind == "python":
            text = apply_edits(text, [e for f in report.findings for e in f.edits])
        new = bom + redactor.redact(text).encode(codec)
    elif kind == "notebook":
        new, report = redact_notebook(data, redactor)
        report.path = p
    else:
        report = scan_bytes(data, path=p, kind=kind, misuse=False)
        text = data.decode("utf-8", "surrogateescape")
        if kind == "python":
            text = apply_edits(text, [e for f in report.findings for e in f.edits])
        new = redactor.redact(text).encode("utf-8", "surrogateescape")
    if new != data:
        tmp = p + ".hfsecure-tmp"
        with open(tmp, "wb") as fh:
            fh.write(new)
        shutil.copymode(p, tmp)
        os.replace(tmp, p)
    return report

"""Whole files: kinds (notebook, Python, text), encodings (UTF-8, UTF-16/32 with or without a BOM), binary sniffing,
``scan_file`` / ``scan_bytes``, and in-place redaction through one atomic rewrite (``rewrite_file``).

Example:
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> [f.preview for f in scan_bytes(f"TOKEN = '{tok}'".encode(), path="a.py").findings]
    ['hf_****oOOL']
"""

from __future__ import annotations

import codecs
import os
import stat

from .engine import might_contain_secret, scan_text
from .errors import FileChanged, InputTooLarge
from .lazy import lazy_compile
from .findings import mask_secret  # noqa: F401 - a file's masked previews, for callers of this module
from .notebook import ScanReport, redact_notebook, scan_notebook
from .python import scan_python
from .redact import Redactor, apply_edits

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Callable

__all__ = ["REWRITE_ATTEMPTS", "FileChanged", "as_utf8", "is_binary", "kind_for_path", "redact_bytes", "redact_file",
           "redacted_bytes", "rewrite_file", "scan_bytes", "scan_file", "wide_codec"]

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
    """(BOM, codec) of a UTF-16 or UTF-32 text (Windows tools write these), else None; the BOM is ``b""``
    for a text written without one (see :func:`_bomless_codec`).

    Example:
        >>> _wide_encoding('{"cells": []}'.encode("utf-32-be")), _wide_encoding(b"plain")
        ((b'', 'utf-32-be'), None)
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return bom, codec
    head = data[:8192]
    guess = _bomless_codec(head) if b"\0" in head else None
    return (b"", guess) if guess else None


# Control characters a text does not hold (tab, line ends, form feed and the ESC of terminal colours it may).
_CONTROL = lazy_compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


def _nul_share(head: bytes, k: int, step: int) -> float:
    part = head[k::step]
    return part.count(0) / len(part) if part else 0.0


def _bomless_codec(head: bytes) -> str | None:
    """The codec of a UTF-16 or UTF-32 text that starts with ``head`` and has no byte-order mark, or None.

    Characters below U+0100 have zero high bytes, so the NULs of such a text fall at fixed places of each
    2- or 4-byte unit (a notebook's opening ``{`` shows it in its first unit): most of the odd bytes of
    UTF-16-LE, the even ones of UTF-16-BE, the top two bytes of each UTF-32 unit. The guess must then
    decode strictly, to text with (almost) no control characters: zeroed or numeric binary data does not.

    Example:
        >>> _bomless_codec("{}".encode("utf-16-le")), _bomless_codec(bytes(64)), _bomless_codec(b"\\x00\\x01ab")
        ('utf-16-le', None, None)
    """
    guesses = []
    if len(head) >= 4:
        s0, s1, s2, s3 = (_nul_share(head, k, 4) for k in range(4))
        if s3 == 1.0 and s2 >= 0.9 and s0 <= 0.1:
            guesses.append(("utf-32-le", 4))
        if s0 == 1.0 and s1 >= 0.9 and s3 <= 0.1:
            guesses.append(("utf-32-be", 4))
    even, odd = _nul_share(head, 0, 2), _nul_share(head, 1, 2)
    if odd >= 0.5 and even <= 0.1:
        guesses.append(("utf-16-le", 2))
    if even >= 0.5 and odd <= 0.1:
        guesses.append(("utf-16-be", 2))
    for codec, unit in guesses:
        try:  # (incremental: the head may end inside a character)
            text = codecs.getincrementaldecoder(codec)().decode(head[:len(head) - len(head) % unit], final=False)
        except UnicodeDecodeError:
            continue
        if text and len(_CONTROL.findall(text)) * 100 <= len(text):
            return codec
    return None


def wide_codec(data: bytes) -> str | None:
    """The codec of a UTF-16 or UTF-32 text (with or without a byte-order mark), else None.

    Example:
        >>> wide_codec("{}".encode("utf-16")), wide_codec("{}".encode("utf-32-be")), wide_codec(b"{}")
        ('utf-16-le', 'utf-32-be', None)
    """
    wide = _wide_encoding(data)
    return wide[1] if wide else None


def is_binary(data: bytes) -> bool:
    """True for data that is not text: a NUL byte in the first 8 KiB (UTF-16 and UTF-32 texts, with or
    without a byte-order mark, are text).

    Example:
        >>> is_binary(bytes(4)), is_binary("token".encode("utf-16")), is_binary("token".encode("utf-16-be"))
        (True, False, False)
    """
    if b"\0" not in data[:8192]:
        return False
    return _wide_encoding(data) is None


def as_utf8(data: bytes) -> bytes:
    """``data`` as UTF-8: a UTF-16 or UTF-32 text (with or without a BOM) decoded, other data as it is."""
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
    data = as_utf8(data)
    if kind == "notebook":
        return scan_notebook(data, path=path, misuse=misuse)
    report = ScanReport(path=path, kind=kind)
    if not (misuse and kind == "python") and not might_contain_secret(data):  # (Python: misuse is looked for anyway)
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
    data = read_bytes(p)
    if is_binary(data):
        return ScanReport(path=p, kind="binary", notes=["binary file: not scanned"])
    return scan_bytes(data, path=p, misuse=misuse)


def read_bytes(path: str) -> bytes:
    """A file's bytes, read with one system call when its size is known (``open().read()`` builds an
    I/O stack per file, a third of the time of scanning a small notebook).

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as fh:
        ...     _ = fh.write(b"abc")
        >>> read_bytes(fh.name)
        b'abc'
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        return read_from(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def read_from(fd: int, size: int, limit: int | None = None) -> bytes:
    """What is left to read of ``fd``, a file of ``size`` bytes: one read when the size holds (no copy),
    more when the file grows meanwhile or the system does not know its size (``/proc``); more than
    ``limit`` bytes raise :class:`InputTooLarge`.

    Example:
        >>> r, w = os.pipe(); _ = os.write(w, b"abcdef"); os.close(w)
        >>> read_from(r, 0)
        b'abcdef'
        >>> os.close(r)
    """
    chunks = [os.read(fd, size + 1)]
    total = len(chunks[0])
    while total > size and (limit is None or total <= limit):
        chunks.append(os.read(fd, 1 << 20 if limit is None else min(1 << 20, limit + 1 - total)))
        if not chunks[-1]:
            break
        total += len(chunks[-1])
    if limit is not None and total > limit:
        raise InputTooLarge(limit)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


#: How often a rewrite starts again when the file changed under it, before giving up.
REWRITE_ATTEMPTS = 5


def _same(st: os.stat_result, other: os.stat_result) -> bool:
    return (st.st_size, st.st_mtime_ns, st.st_ino) == (other.st_size, other.st_mtime_ns, other.st_ino)


def rewrite_file(path: str | os.PathLike[str], transform: Callable[[bytes], bytes | None]) -> bool:
    """Replace a file's content with ``transform(content)``, losing nothing; True if it was rewritten.

    - Through a symbolic link, the target is rewritten (the link stays a link).
    - A file with other hard links is rewritten in place, so every name sees the new content; otherwise
      a temporary file replaces it atomically, with the same mode, owner and group.
    - When the file changes meanwhile (size, time or content differ from what was read just before the
      write), it is read and transformed again; after :data:`REWRITE_ATTEMPTS` tries it raises
      :class:`FileChanged` and the file keeps its newest content. Bytes a writer appended through a file
      descriptor it kept open are carried over to the new file and transformed too.

    ``transform`` returns None to leave the file as it is.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); p = os.path.join(d, "a.txt"); _ = open(p, "w").write("old")
        >>> os.symlink(p, os.path.join(d, "link"))
        >>> rewrite_file(os.path.join(d, "link"), lambda b: b.upper()), open(p).read()
        (True, 'OLD')
        >>> os.path.islink(os.path.join(d, "link"))
        True
    """
    real = os.path.realpath(os.fspath(path))
    rewritten = False
    for _ in range(REWRITE_ATTEMPTS):
        with open(real, "rb") as fh:  # kept open: bytes written to this inode after the swap are seen
            before = os.fstat(fh.fileno())
            data = fh.read()
            new = transform(data)
            if new is None or new == data:
                return rewritten
            now = os.stat(real)
            if not _same(before, now):
                continue  # changed while it was transformed: start again from the newest content
            if now.st_nlink > 1:
                if _write_in_place(real, data, new):
                    return True
                continue
            if not _replace(real, data, new, before):
                continue
            rewritten = True
            extra = fh.read()  # appended to the old inode since it was read: carry it over, then again
            if not extra:
                return True
        with open(real, "ab") as out:
            out.write(extra)
    raise FileChanged(f"{real}: the file kept changing while it was being redacted; it was left with its "
                      "newest content (run again when nothing writes to it)")


def _write_in_place(real: str, data: bytes, new: bytes) -> bool:
    """Overwrite the file's bytes (every hard link sees them); False if it changed since ``data``."""
    with open(real, "r+b") as fh:
        if fh.read() != data:
            return False
        fh.seek(0)
        fh.write(new)
        fh.truncate()
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _replace(real: str, data: bytes, new: bytes, before: os.stat_result) -> bool:
    """Swap in a temporary file holding ``new`` (mode, owner and group kept); False if the file changed
    since ``data`` was read."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".hfsecure-", suffix=".tmp", dir=os.path.dirname(real))
    except PermissionError:  # a folder we may not write to, a file we may: rewrite the file itself
        return _write_in_place(real, data, new)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown") and (before.st_uid, before.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, before.st_uid, before.st_gid)
            except PermissionError:  # not ours to give away: rewrite the file itself, which keeps both
                return _write_in_place(real, data, new)
        # the last check before the swap: nothing was written since it was read
        now = os.stat(real)
        with open(real, "rb") as fh:
            unchanged = _same(before, now) and fh.read() == data
        if not unchanged:
            return False
        os.replace(tmp, real)
        tmp = ""
        return True
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def redact_file(path: str | os.PathLike[str], redactor: Redactor | None = None) -> ScanReport:
    """Rewrite a file in place with its secrets masked; every other byte is kept.

    Returns the report of what was found before redaction. Notebooks stay valid JSON; UTF-16 and UTF-32
    files keep their encoding and byte-order mark. The file is rewritten by :func:`rewrite_file`:
    through a symbolic link the target is redacted, hard links, owner, group and mode are kept, and a
    write made meanwhile is redacted too, never lost (or :class:`FileChanged` is raised).

    Example:
        >>> import os, tempfile
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> path = os.path.join(tempfile.mkdtemp(), "train.py")
        >>> _ = open(path, "w").write(f"TOKEN = '{tok}'  # old\\n")
        >>> [f.preview for f in redact_file(path).findings], open(path).read()
        (['hf_****oOOL'], "TOKEN = 'hf_****oOOL'  # old\\n")
    """
    p = os.fspath(path)
    redactor = redactor or Redactor()
    kind = kind_for_path(p)
    reports: list[ScanReport] = []

    def transform(data: bytes) -> bytes | None:
        new, report = redacted_bytes(data, p, kind, redactor)
        reports[:] = [report]
        return new

    rewrite_file(p, transform)
    return reports[0]


def redact_bytes(data: bytes, *, path: str = "", kind: str | None = None, redactor: Redactor | None = None
                 ) -> tuple[bytes, ScanReport]:
    """A document's bytes with its secrets masked (every other byte kept), and what was found before.

    ``kind`` defaults to what the path's name says; binary data comes back as it is. Redacting redacted
    bytes gives the same bytes (what a git clean filter needs).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> new, rep = redact_bytes(f"TOKEN = '{tok}'\\n".encode(), path="a.py")
        >>> new, redact_bytes(new, path="a.py")[0] == new
        (b"TOKEN = 'hf_****oOOL'\\n", True)
    """
    new, report = redacted_bytes(data, path, kind or kind_for_path(path), redactor or Redactor())
    return (data if new is None else new), report


def redacted_bytes(data: bytes, path: str, kind: str, redactor: Redactor) -> tuple[bytes | None, ScanReport]:
    """``data`` with its secrets masked (None for a binary file) and the report of what was found."""
    if is_binary(data):
        return None, ScanReport(path=path, kind="binary", notes=["binary file: not scanned"])
    wide = _wide_encoding(data)
    if wide is not None and kind == "notebook":  # redacted as JSON (folded tokens too), then re-encoded
        bom, codec = wide
        utf8 = data[len(bom):].decode(codec, "surrogatepass").encode("utf-8", "surrogatepass")
        new8, report = redact_notebook(utf8, redactor)
        report.path = path
        new = data if new8 == utf8 else bom + new8.decode("utf-8", "surrogatepass").encode(codec, "surrogatepass")
        return new, report
    if wide is not None:  # rewrite in the file's own encoding, BOM kept
        bom, codec = wide
        text = data[len(bom):].decode(codec, "replace")
        report = scan_bytes(data, path=path, kind=kind, misuse=False)
        if kind == "python":
            text = apply_edits(text, [e for f in report.findings for e in f.edits])
        return bom + redactor.redact(text).encode(codec), report
    if kind == "notebook":
        new, report = redact_notebook(data, redactor)
        report.path = path
        return new, report
    report = scan_bytes(data, path=path, kind=kind, misuse=False)
    text = data.decode("utf-8", "surrogateescape")
    if kind == "python":
        text = apply_edits(text, [e for f in report.findings for e in f.edits])
    return redactor.redact(text).encode("utf-8", "surrogateescape"), report

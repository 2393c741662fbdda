"""Folder walks and scan runs: which files to read (skipping version control, virtualenvs, caches and
binaries), scanning each, redacting in place (a notebook only when nothing but its secrets change), and
what one run found, read, skipped and could not read (:class:`ScanRun`).

``hfsecure scan``, ``%hfsecure scan`` and the findings widget all run this.

Example:
    >>> run = ScanRun(); run.files_scanned, run.exit_code()
    (0, 0)
"""

from __future__ import annotations

import fnmatch
import io
import os
import stat
import sys

from .. import detect  # the package: its functions are looked up at call time (tests replace them)
from .errors import InputTooLarge
from .lazy import field, lazy_import, record
from .engine import expect_input
from .files import read_from
from .notebook import ScanReport
from .processes import map_in_processes

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    import json
    from typing import Any, Iterator, Sequence
else:  # imported when first used: a scan of Python files only never loads it
    json = lazy_import("json", globals())

__all__ = ["ScanRun", "Region", "run_scan", "iter_files", "notebook_damage", "skipped_note", "file_regions",
           "SKIP_DIRS", "BINARY_SUFFIXES", "MAX_BYTES"]

PROG = "hfsecure scan"

#: Where a finding is in a file: start line, start column, end line, end column.
Region = tuple[int, int, int, int]


@record
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


#: Folder names not entered while walking, because they cannot hold the user's own work: version control
#: internals, installed third-party code, tool caches. Each one skipped is reported; a folder given
#: explicitly, or ``--no-skip``, is still scanned.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".bzr", "_darcs", ".jj",
    "node_modules", ".venv", "venv", "site-packages", "__pypackages__", ".eggs",
    "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".pyre",
    ".pytype",
})
_SHOWN_SKIPPED = 10  # folders named in a note; the JSON report lists them all

#: File types skipped without being opened (known binary formats; others are sniffed for NUL bytes).
BINARY_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".psd",
    ".mp3", ".mp4", ".wav", ".flac", ".ogg", ".avi", ".mov", ".mkv", ".webm",
    ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".whl", ".egg", ".jar",
    ".pyc", ".pyo", ".so", ".dll", ".dylib", ".exe", ".o", ".a", ".class", ".wasm",
    ".pdf", ".woff", ".woff2", ".ttf", ".otf", ".eot",
    ".pt", ".pth", ".bin", ".safetensors", ".onnx", ".ckpt", ".h5", ".hdf5", ".npy", ".npz", ".pkl",
    ".pickle", ".joblib", ".parquet", ".arrow", ".feather", ".gguf", ".tflite", ".msgpack", ".sqlite",
    ".db",
})
_SNIFF = 8192


# -- walking ----------------------------------------------------------------------------------------------

def _norm_pattern(p: str) -> str:
    p = p.replace(os.sep, "/")
    while p.startswith("./"):
        p = p[2:]
    return p.rstrip("/") or p


def _excluded(display: str, rel: str, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    d = display.replace(os.sep, "/")
    while d.startswith("./"):
        d = d[2:]
    r = rel.replace(os.sep, "/")
    base = d.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in (d, r, base) if c)


def _skip_dir(name: str, full: str) -> bool:
    if name in SKIP_DIRS:
        return True
    return os.path.isfile(os.path.join(full, "pyvenv.cfg"))


def skipped_note(skipped: Sequence[str]) -> str:
    """The note naming the folders a walk did not enter, and how to include them.

    Example:
        >>> print(skipped_note(["./.git", "./.venv"]))
        skipped 2 folders that hold no work of yours (version control, virtualenvs, node_modules, caches): ./.git, ./.venv; to scan one, name it (hfsecure scan ./.git), or pass --no-skip
    """
    shown = ", ".join(skipped[:_SHOWN_SKIPPED])
    more = f" and {len(skipped) - _SHOWN_SKIPPED} more" if len(skipped) > _SHOWN_SKIPPED else ""
    return (f"skipped {len(skipped)} folder{'s' if len(skipped) != 1 else ''} that hold no work of yours "
            f"(version control, virtualenvs, node_modules, caches): {shown}{more}; to scan one, name it "
            f"({PROG} {skipped[0]}), or pass --no-skip")


def iter_files(paths: Sequence[str], *, exclude: Sequence[str] = (), errors: list[str] | None = None,
               skipped: list[str] | None = None, skip: bool = True) -> Iterator[tuple[str, str]]:
    """Yield ``(display_path, filesystem_path)`` for every file to scan under ``paths``.

    Display paths keep the form the user typed (``./a/b.py`` under ``.``, ``data/x.ipynb`` under
    ``data``). Missing paths and unreadable folders are appended to ``errors``; folders not entered
    (:data:`SKIP_DIRS`, virtualenvs; none when ``skip`` is false) to ``skipped``.

    Example:
        >>> import tempfile, os
        >>> d = tempfile.mkdtemp(); os.makedirs(os.path.join(d, ".git")); os.makedirs(os.path.join(d, "src"))
        >>> for name in (".git/config", "src/a.py", "notes.txt"):
        ...     open(os.path.join(d, name), "w").close()
        >>> skipped = []
        >>> sorted(os.path.relpath(p, d) for _, p in iter_files([d], skipped=skipped))
        ['notes.txt', 'src/a.py']
        >>> [os.path.relpath(p, d) for p in skipped]
        ['.git']
    """
    errors = [] if errors is None else errors
    skipped = [] if skipped is None else skipped
    patterns = [_norm_pattern(p) for p in exclude]
    seen: set[str] = set()

    def once(key: str) -> bool:  # (a file's real path: the same file met again is scanned once)
        if key in seen:
            return False
        seen.add(key)
        return True

    for given in paths:
        try:
            st = os.stat(given)
        except FileNotFoundError:
            errors.append(f"{given}: no such file or directory")
            continue
        except OSError as exc:
            errors.append(f"{given}: cannot read ({exc.strerror or type(exc).__name__})")
            continue
        if not stat.S_ISDIR(st.st_mode):
            if not stat.S_ISREG(st.st_mode):
                # A FIFO with no writer would block forever, a device may never end.
                errors.append(f"{given}: not a regular file (a pipe, socket or device); "
                              f"to scan a stream, use: {PROG} - < {given}")
                continue
            if not _excluded(given, os.path.basename(given), patterns) and once(os.path.realpath(given)):
                yield given, given
            continue

        def onerror(exc: OSError) -> None:
            errors.append(f"{exc.filename or given}: cannot read folder ({exc.strerror or type(exc).__name__})")

        for root, dirs, files in os.walk(given, onerror=onerror):
            # os.walk enters no linked folder, so a file's folders are real below ``given``: one realpath
            # per folder, and one per file only for a link (realpath costs a system call per component).
            real_root = os.path.realpath(root)
            rel_root = os.path.relpath(root, given)
            rel_root = "" if rel_root == "." else rel_root
            keep = []
            for name in sorted(dirs):
                full = os.path.join(root, name)
                rel = os.path.join(rel_root, name)
                if _excluded(os.path.join(given, rel), rel, patterns):
                    continue
                if skip and _skip_dir(name, full):
                    skipped.append(full)
                    continue
                keep.append(name)
            dirs[:] = keep
            for name in sorted(files):
                full = os.path.join(root, name)
                rel = os.path.join(rel_root, name)
                if _excluded(full, rel, patterns):
                    continue
                real = _regular_file(full, real_root, name)
                if real is not None and once(real):
                    yield full, full


def _regular_file(full: str, real_root: str, name: str) -> str | None:
    """The real path of ``full`` when it is a regular file or a link to one, else None: FIFOs, sockets,
    devices and broken links are never opened (they may block)."""
    try:
        st = os.lstat(full)
        link = stat.S_ISLNK(st.st_mode)
        if link:
            st = os.stat(full)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return os.path.realpath(full) if link else os.path.join(real_root, name)


# -- scanning ---------------------------------------------------------------------------------------------

#: Larger inputs are refused with a clear error rather than read into memory whole.
MAX_BYTES = 256 * 1024 * 1024


def _read_capped(fh: Any, already: int = 0) -> bytes:
    data = fh.read(MAX_BYTES - already + 1)
    if already + len(data) > MAX_BYTES:
        raise InputTooLarge(MAX_BYTES)
    return data


def _read_text_file(fs_path: str) -> bytes | None:
    """The file's bytes, or None when it is binary (a NUL byte in its first 8 KiB). Read by its size
    (asking for the cap instead makes the system map and free that much memory for every file)."""
    fd = os.open(fs_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        if size > MAX_BYTES:
            raise InputTooLarge(MAX_BYTES)
        head = os.read(fd, _SNIFF)
        if detect.is_binary(head):
            return None
        if len(head) < _SNIFF:
            return head
        os.lseek(fd, 0, os.SEEK_SET)  # (one read of the whole: no copy to join a head and a rest)
        return read_from(fd, size, MAX_BYTES)
    finally:
        os.close(fd)


def _stdin_kind(data: bytes, name: str | None) -> str:
    if name:
        return detect.kind_for_path(name)
    return "notebook" if data.lstrip()[:1] == b"{" else "text"


def _scan_one(run: ScanRun, data: bytes, display: str, kind: str | None, misuse: bool) -> ScanReport | None:
    return _apply(run, _scanned(data, display, kind, misuse))


def _scanned(data: bytes, display: str, kind: str | None, misuse: bool) -> tuple:
    """What scanning one document gives: ``("report", report, regions or None)`` or ``("error", message)``."""
    try:
        rep = detect.scan_bytes(data, path=display, kind=kind, misuse=misuse)
    except Exception as exc:  # noqa: BLE001 - the core failed: say so, keep going, fail the run
        return ("error", f"{display}: could not be scanned (internal error: {type(exc).__name__}); please report it")
    rep.path = display
    regions = None
    if rep.kind == "notebook" and rep.findings:
        try:
            regions = file_regions(rep, data)
        except Exception:  # noqa: BLE001 - a report with cell positions only is still a report
            pass
    return ("report", rep, regions)


def _apply(run: ScanRun, outcome: tuple) -> ScanReport | None:
    """Record one document's outcome (of :func:`_scanned` or :func:`_scan_path`) in ``run``."""
    if outcome[0] == "error":
        run.errors.append(outcome[1])
        return None
    if outcome[0] != "report":
        return None
    _, rep, regions = outcome
    run.files_scanned += 1
    run.reports.append(rep)
    if regions is not None:
        run.regions[rep.path] = regions
    return rep


def _scan_path(item: tuple[str, str, bool, bool]) -> tuple:
    """Read and scan one file: ``("binary",)``, ``("error", message)`` or :func:`_scanned`'s report."""
    display, fs_path, explicit, misuse = item
    if not explicit and os.path.splitext(display)[1].lower() in BINARY_SUFFIXES:
        return ("binary",)
    try:
        text_data = _read_text_file(fs_path)
    except OSError as exc:
        return ("error", f"{display}: cannot read ({exc.strerror or type(exc).__name__})")
    if text_data is None:
        return ("binary",)
    return _scanned(text_data, display, None, misuse)


#: ``jobs=0`` scans in several processes from this much input on (forking costs a few milliseconds).
PARALLEL_MIN_BYTES = 2 << 20
#: Scanned in this process before the workers are forked (see :func:`_outcomes`).
WARM_BYTES = 1 << 20


def _processes(jobs: int, redact: bool, sizes: list[int]) -> int:
    """How many processes scan: ``jobs`` when given, else two on a machine with two cores or more when
    there is enough to scan. One when redacting (rewrites stay in one process, in order)."""
    if redact or len(sizes) < 2:
        return 1
    if jobs > 0:
        return jobs
    return min(2, os.cpu_count() or 1) if sum(sizes) >= PARALLEL_MIN_BYTES else 1


def _outcomes(items: list[tuple[str, str, bool, bool]], jobs: int, redact: bool) -> Iterator[tuple]:
    """:func:`_scan_path` of every item, in order, in as many processes as :func:`_processes` says (in
    this one, each when it is asked for: a redaction follows its own file's scan)."""
    if len(items) < 2:
        return (_scan_path(x) for x in items)
    sizes = []
    for _, fs_path, _, _ in items:
        try:
            sizes.append(os.stat(fs_path).st_size)
        except OSError:
            sizes.append(0)
    # The accelerator loaded now when the input is large, once, before any workers are forked (else the
    # first files would take the standard-library path and compile all of its checks too).
    expect_input(sum(sizes))
    n = 1 if jobs == 1 else _processes(jobs, redact, sizes)
    if n < 2:
        return (_scan_path(x) for x in items)
    # The first files here, before forking: the patterns compiled and the DFA states built then are
    # shared with the workers, which would each build them again.
    first: list[tuple] = []
    done = 0
    while len(first) < len(items) and done < WARM_BYTES:
        first.append(_scan_path(items[len(first)]))
        done += sizes[len(first) - 1]
    k = len(first)
    return iter(first + map_in_processes(_scan_path, items[k:], weights=sizes[k:], processes=n))


def run_scan(paths: Sequence[str], *, exclude: Sequence[str] = (), misuse: bool = True, redact: bool = False,
             stdin: io.BufferedIOBase | None = None, stdin_filename: str | None = None,
             skip: bool = True, jobs: int = 0) -> ScanRun:
    """Scan ``paths`` (``-`` reads ``stdin``) and, with ``redact``, mask the secrets found in place.
    ``skip=False`` enters every folder (version control, virtualenvs and caches too). ``jobs``: how
    many processes read and scan files (0: two on a machine with two cores or more, once there are
    megabytes to scan; 1: this one only).

    Example:
        >>> import tempfile
        >>> run_scan([tempfile.mkdtemp()]).exit_code()
        0
    """
    run = ScanRun()
    binaries = 0
    files: list[tuple[str, str | None]] = []
    fs_paths = [p for p in paths if p != "-"]
    explicit = set(fs_paths)
    walk = iter_files(fs_paths, exclude=exclude, errors=run.errors, skipped=run.skipped, skip=skip)
    for given in paths:
        if given == "-":
            files.append((stdin_filename or "-", None))
    files = [(d, p) for d, p in walk] + files
    on_disk = [(d, p, d in explicit, misuse) for d, p in files if p is not None]
    outcomes = _outcomes(on_disk, jobs, redact)
    for display, fs_path in files:
        if fs_path is None:
            source = stdin if stdin is not None else sys.stdin.buffer
            try:
                data = _read_capped(source)
            except OSError as exc:
                run.errors.append(f"standard input: cannot read ({exc.strerror or type(exc).__name__})")
                continue
            if isinstance(data, str):
                data = data.encode("utf-8", "surrogateescape")
            _scan_one(run, data, display, _stdin_kind(data, stdin_filename), misuse)
            continue
        outcome = next(outcomes)
        if outcome[0] == "binary":
            binaries += 1
            continue
        rep = _apply(run, outcome)
        if redact and rep is not None and rep.secrets:
            _redact(run, rep, display, fs_path)
    if binaries:
        run.notes.append(f"skipped {binaries} binary file{'s' if binaries != 1 else ''}")
    if run.skipped:
        run.notes.append(skipped_note(run.skipped))
    return run


def _redact(run: ScanRun, rep: ScanReport, display: str, fs_path: str) -> None:
    count = len(rep.secrets)
    try:
        if detect.kind_for_path(fs_path) == "notebook":
            if not _redact_notebook_file(run, display, fs_path):
                return
        else:
            detect.redact_file(fs_path)
        after = detect.scan_file(fs_path, misuse=False)
    except detect.FileChanged:
        run.errors.append(f"{display}: not redacted: it kept changing while it was being redacted (its newest "
                          "content was kept); run again when nothing writes to it")
        return
    except OSError as exc:
        run.errors.append(f"{display}: could not redact ({exc.strerror or type(exc).__name__})")
        return
    except Exception as exc:  # noqa: BLE001 - keep the file as it is and say so
        run.errors.append(f"{display}: could not redact (internal error: {type(exc).__name__}); the file was "
                          "left as it was")
        return
    left = len(after.secrets)
    if left:
        run.errors.append(f"{display}: {left} of {count} secrets could not be redacted; remove them by hand")
    else:
        run.notes.append(f"{display}: redacted {count} secret{'s' if count != 1 else ''} in place "
                         "(revoke them if they were real)")
    run.notes.extend(f"{display}: {n}" for n in after.notes if n not in rep.notes)


def _redact_notebook_file(run: ScanRun, display: str, fs_path: str) -> bool:
    """Redact a notebook, but write it only if nothing but secret-holding strings changed (through
    :func:`detect.rewrite_file`: links, owner and concurrent writes are kept)."""
    from .files import wide_codec

    problems: list[str] = []
    notes: list[str] = []

    def transform(data: bytes) -> bytes | None:
        if wide_codec(data):  # UTF-16/32: redacted as UTF-8, written back in the file's encoding
            new, rep = detect.redact_bytes(data, path=fs_path, kind="notebook")
        else:
            new, rep = detect.redact_notebook(data)
        problems.clear()
        notes[:] = [n for n in rep.notes if "re-serialised" in n]
        if new == data:
            return None
        problem = notebook_damage(data, new)
        if problem:
            problems.append(problem)
            return None
        return new

    detect.rewrite_file(fs_path, transform)
    if problems:
        run.errors.append(f"{display}: not redacted, the file was left as it was: redaction would {problems[0]}")
        return False
    run.notes.extend(f"{display}: {n}" for n in notes)
    return True


def notebook_damage(old: bytes, new: bytes) -> str | None:
    """Why the redacted notebook ``new`` is not ``old`` with only its secrets masked, or None if it is.

    The JSON trees must have the same shape (keys, types, list lengths), and every string that changed
    must hold a secret keyword (a line of a code cell's source may also lose one stretch: the tail of a
    token split across lines).

    Example:
        >>> notebook_damage(b'{"a": ["x", "y"]}', b'{"a": "xy"}')
        'change the type of a'
        >>> notebook_damage(b'{"a": ["x", "y"]}', b'{"a": ["x", "y"]}') is None
        True
    """
    try:
        a = json.loads(old)
    except (ValueError, RecursionError):
        return None  # scanned and redacted as text: nothing structural to keep
    try:
        b = json.loads(new)
    except (ValueError, RecursionError):
        return "leave invalid JSON"
    stack: list[tuple[object, object, str]] = [(a, b, "")]
    while stack:
        x, y, loc = stack.pop()
        if type(x) is not type(y):
            return f"change the type of {loc or 'the document'}"
        if isinstance(x, dict):
            assert isinstance(y, dict)
            if set(x) != set(y):
                return f"change the keys of {loc or 'the document'}"
            stack.extend((x[k], y[k], f"{loc}.{k}" if loc else str(k)) for k in x)
        elif isinstance(x, list):
            assert isinstance(y, list)
            if len(x) != len(y):
                return f"change the length of {loc}"
            stack.extend((u, v, f"{loc}[{i}]") for i, (u, v) in enumerate(zip(x, y)))
        elif x != y:
            if isinstance(x, str) and (detect.might_contain_secret(x) or (".source" in loc and _cut(x, str(y)))):
                continue
            return f"change {loc}, which holds no secret"
    return None


def _cut(old: str, new: str) -> bool:
    """True when ``new`` is ``old`` with one stretch removed (the tail of a token split across lines)."""
    p = 0
    while p < min(len(old), len(new)) and old[p] == new[p]:
        p += 1
    return old[p:].endswith(new[p:])


# -- command line -----------------------------------------------------------------------------------------


def file_regions(rep: ScanReport, data: bytes | str) -> list[Region | None]:
    """Where each finding of a notebook report is in the file ``data`` it was scanned from (SARIF regions
    are lines of the file, not of a cell), aligned with ``rep.findings``; None for a finding that has no
    field (a notebook scanned as text) or whose field is not found.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import os\\n", f"t = '{tok}'"]}
        >>> raw = json.dumps({"cells": [cell]}, indent=1)
        >>> rep = detect.scan_notebook(raw)
        >>> [(f.location, f.line, f.column) for f in rep.findings], file_regions(rep, raw)
        ([('cells[0].source', 2, 6)], [(9, 11, 9, 48)])
    """
    if not any(f.location for f in rep.findings):
        return [None] * len(rep.findings)
    from .files import as_utf8
    from .jsonpos import FilePositions

    text = data if isinstance(data, str) else as_utf8(data).decode("utf-8", "replace")
    positions = FilePositions(text)
    by_field: dict[str, list[int]] = {}
    for k, f in enumerate(rep.findings):
        if f.location:
            by_field.setdefault(f.location, []).append(k)
    out: list[Region | None] = [None] * len(rep.findings)
    for location, ks in by_field.items():
        points = [(rep.findings[k].line, rep.findings[k].column) for k in ks]
        points += [(rep.findings[k].end_line or rep.findings[k].line, rep.findings[k].end_column or
                    rep.findings[k].column) for k in ks]
        found = positions.file_positions(location, points)
        for n, k in enumerate(ks):
            start, end = found[n], found[n + len(ks)]
            if start is not None:
                out[k] = (*start, *(end if end is not None else start))
    return out

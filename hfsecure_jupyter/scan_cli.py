"""``hfsecure scan``: find secrets in files, folders or standard input.

Usage::

    hfsecure scan [PATH ...]          # files and folders (default: the current folder)
    hfsecure scan - < cell.txt        # standard input (only with an explicit '-')
    hfsecure scan --format sarif --output hfsecure.sarif .
    hfsecure scan --redact notebooks/ # mask every secret in place

Folders are walked recursively, skipping only what cannot hold the user's own work: version control
internals (``.git`` ...), ``node_modules``, virtualenvs (``.venv``, ``venv`` and any folder holding
``pyvenv.cfg``), tool caches (``__pycache__``, ``.mypy_cache`` ...) and binary files. Jupyter's
``.ipynb_checkpoints`` (where a removed token's last copy lives), ``build`` and ``dist`` are scanned. The
report names every folder skipped and how to include it: name it as a path, or pass ``--no-skip``. Paths
given explicitly are always scanned (unless ``--exclude`` matches them).

Standard input is read only when ``-`` is given: with no path the current folder is scanned even when
stdin is not a terminal, so a CI job or a git hook with a piped or closed stdin never blocks on it.
Standard input is scanned as a notebook when it is a JSON document and as plain text otherwise;
``--stdin-filename NAME`` picks the type from NAME (``x.py`` for Python-aware scanning) and labels it.

Exit status: 0 nothing found; 1 secrets found (misuse warnings too with ``--strict``); 2 usage error, or
a path that is missing or cannot be read (the other files are still scanned and reported).

Example:
    >>> import os, tempfile
    >>> from hfsecure_jupyter.testing import fake_token
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "x.py"), "w") as fh:
    ...     _ = fh.write(f'TOKEN = "{fake_token(seed=7)}"\\n')
    >>> main([d, "--format", "json", "--output", os.path.join(d, "out.json")])
    1
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import os
import stat
import sys
from typing import Any, Iterator, Sequence

from . import detect, git_cli, report
from .detect.walk import ScanRun
from .errors import CommandLineError, InputTooLarge

__all__ = ["main", "ScanRun", "run_scan", "iter_files", "notebook_damage", "SKIP_DIRS", "BINARY_SUFFIXES"]

PROG = "hfsecure scan"

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

    def once(fs_path: str) -> bool:
        key = os.path.realpath(fs_path)
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
            if not _excluded(given, os.path.basename(given), patterns) and once(given):
                yield given, given
            continue

        def onerror(exc: OSError) -> None:
            errors.append(f"{exc.filename or given}: cannot read folder ({exc.strerror or type(exc).__name__})")

        for root, dirs, files in os.walk(given, onerror=onerror):
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
                try:
                    if not stat.S_ISREG(os.stat(full).st_mode):
                        continue  # FIFOs, sockets, devices, broken links: never block on them
                except OSError:
                    continue
                if once(full):
                    yield full, full


# -- scanning ---------------------------------------------------------------------------------------------

#: Larger inputs are refused with a clear error rather than read into memory whole.
MAX_BYTES = 256 * 1024 * 1024


def _read_capped(fh: Any, already: int = 0) -> bytes:
    data = fh.read(MAX_BYTES - already + 1)
    if already + len(data) > MAX_BYTES:
        raise InputTooLarge(MAX_BYTES)
    return data


def _read_text_file(fs_path: str) -> bytes | None:
    """The file's bytes, or None when it is binary (a NUL byte in its first 8 KiB)."""
    with open(fs_path, "rb") as fh:
        head = fh.read(_SNIFF)
        if detect.is_binary(head):
            return None
        return head + _read_capped(fh, len(head))


def _stdin_kind(data: bytes, name: str | None) -> str:
    if name:
        return detect.kind_for_path(name)
    return "notebook" if data.lstrip()[:1] == b"{" else "text"


def _scan_one(run: ScanRun, data: bytes, display: str, kind: str | None, misuse: bool) -> detect.ScanReport | None:
    try:
        rep = detect.scan_bytes(data, path=display, kind=kind, misuse=misuse)
    except Exception as exc:  # noqa: BLE001 - the core failed: say so, keep going, fail the run
        run.errors.append(f"{display}: could not be scanned (internal error: {type(exc).__name__}); "
                          "please report it")
        return None
    rep.path = display
    run.files_scanned += 1
    run.reports.append(rep)
    if rep.kind == "notebook" and rep.findings:
        try:
            run.regions[display] = report.file_regions(rep, data)
        except Exception:  # noqa: BLE001 - a report with cell positions only is still a report
            pass
    return rep


def run_scan(paths: Sequence[str], *, exclude: Sequence[str] = (), misuse: bool = True, redact: bool = False,
             stdin: io.BufferedIOBase | None = None, stdin_filename: str | None = None,
             skip: bool = True) -> ScanRun:
    """Scan ``paths`` (``-`` reads ``stdin``) and, with ``redact``, mask the secrets found in place.
    ``skip=False`` enters every folder (version control, virtualenvs and caches too).

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
        if display not in explicit and os.path.splitext(display)[1].lower() in BINARY_SUFFIXES:
            binaries += 1
            continue
        try:
            text_data = _read_text_file(fs_path)
        except OSError as exc:
            run.errors.append(f"{display}: cannot read ({exc.strerror or type(exc).__name__})")
            continue
        if text_data is None:
            binaries += 1
            continue
        rep = _scan_one(run, text_data, display, None, misuse)
        if redact and rep is not None and rep.secrets:
            _redact(run, rep, display, fs_path)
    if binaries:
        run.notes.append(f"skipped {binaries} binary file{'s' if binaries != 1 else ''}")
    if run.skipped:
        run.notes.append(skipped_note(run.skipped))
    return run


def _redact(run: ScanRun, rep: detect.ScanReport, display: str, fs_path: str) -> None:
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
    problems: list[str] = []
    notes: list[str] = []

    def transform(data: bytes) -> bytes | None:
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

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandLineError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Find Hugging Face tokens (and other API keys) in notebooks, Python files and text.",
        epilog="Exit status: 0 nothing found, 1 secrets found (or warnings with --strict), 2 usage error or "
               "unreadable input. Mark a line 'hfsecure: allow' to suppress it (still listed, never failing).",
    )
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or folders to scan (default: the current folder); '-' reads standard input")
    p.add_argument("--format", "-f", choices=report.FORMATS, default="text",
                   help="report format (default: text); sarif is SARIF 2.1.0 for code-scanning dashboards")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--strict", action="store_true",
                   help="misuse warnings (a token passed through a job's env, ...) fail the scan too")
    p.add_argument("--no-misuse", action="store_true", help="report literal secrets only, no misuse warnings")
    p.add_argument("--redact", action="store_true",
                   help="rewrite files in place with every secret masked (hf_****abcd); notebooks stay valid")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip paths matching GLOB (matched against the path, the path inside the scanned "
                        "folder and the file name; repeatable)")
    p.add_argument("--no-skip", action="store_true",
                   help="also enter version control folders, virtualenvs, node_modules and caches (skipped "
                        "by default, and listed in the report)")
    p.add_argument("--stdin-filename", metavar="NAME",
                   help="name for standard input: its suffix picks how it is scanned (.ipynb, .py, other)")
    p.add_argument("--no-fix", action="store_true", help="text format: leave out the fix lines")
    git_cli.add_scan_arguments(p)
    return p


def _write(stream: io.TextIOBase, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:
        enc = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(enc, "backslashreplace").decode(enc))
    stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hfsecure scan`` with ``argv``; return the exit status (0, 1 or 2).

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "ok.py")
        >>> with open(path, "w") as fh:
        ...     _ = fh.write("import os\\ntoken = os.environ['HF_TOKEN']\\n")
        >>> main([path])
        No secrets found in 1 file.
        0
    """
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        paths = args.paths or ["."]
        if args.redact and "-" in paths:
            raise CommandLineError("--redact rewrites files in place and cannot be used with standard input ('-')")
        if paths.count("-") > 1:
            raise CommandLineError("standard input ('-') can be given only once")
    except CommandLineError as exc:
        print(f"{PROG}: error: {exc} (see '{PROG} --help')", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    try:
        if git_cli.wants_history(args):
            run = git_cli.history_run(args, CommandLineError)
        else:
            run = run_scan(paths, exclude=args.exclude, misuse=not args.no_misuse, redact=args.redact,
                           stdin_filename=args.stdin_filename, skip=not args.no_skip)
        git_cli.apply_baseline(run, args, CommandLineError)
    except CommandLineError as exc:
        print(f"{PROG}: error: {exc} (see '{PROG} --help')", file=sys.stderr)
        return 2
    # Errors go to stderr; a text report on the terminal does not repeat them, a saved one keeps them.
    kw = {"files_scanned": run.files_scanned, "notes": run.notes,
          "errors": run.errors if (args.output or args.format != "text") else []}
    if args.format == "text":
        kw["show_fix"] = not args.no_fix
        kw["unreadable"] = len(run.errors)
    else:
        kw["skipped"] = run.skipped
    if args.format == "sarif":
        kw["regions"] = run.regions
    text = report.render(args.format, run.reports, **kw)
    for e in run.errors:
        print(f"{PROG}: error: {report.clean_text(report.shown(e))}", file=sys.stderr)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"{PROG}: error: cannot write {args.output}: {exc.strerror or type(exc).__name__}",
                  file=sys.stderr)
            return 2
        s = report.summarize(run.reports)
        print(f"{PROG}: {s.secrets} secrets, {s.warnings} warnings, {s.suppressed} suppressed in "
              f"{run.files_scanned} files; report written to {args.output}", file=sys.stderr)
    else:
        _write(sys.stdout, text)  # type: ignore[arg-type]  # a TextIO (or a test's StringIO)
    return run.exit_code(strict=args.strict)

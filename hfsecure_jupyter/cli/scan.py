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

import os
import sys

from .. import report
from ..detect.walk import BINARY_SUFFIXES, SKIP_DIRS, ScanRun, iter_files, notebook_damage, run_scan
from ..errors import CommandLineError

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    import argparse
    from typing import Sequence, TextIO

__all__ = ["main", "run", "add_scan_arguments", "wants_history", "PATHS_ONLY_DEFAULTS", "PATHS_ONLY_SWITCHES", "ScanRun", "run_scan", "iter_files", "notebook_damage", "SKIP_DIRS", "BINARY_SUFFIXES"]

# The light wheel (scan-dist/) ships this module as hfsecure_scan.cli.scan, run as the hfsecure-scan command.
PROG = "hfsecure-scan" if __name__.startswith("hfsecure_scan.") else "hfsecure scan"
#: ``baseline.IGNORE_FILE``, read on every scan: named here so that a scan without one never imports the
#: baseline module (nor :mod:`.git`, which applies it).
IGNORE_FILE = ".hfsecureignore"

def _columns() -> int:
    # shutil.get_terminal_size's answer: $COLUMNS, else the terminal's width, else 80.
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _parser() -> argparse.ArgumentParser:
    import argparse  # (not for a command line of paths only: see _paths_only)

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            raise CommandLineError(message)

    class _Formatter(argparse.HelpFormatter):
        # Told its width: left to itself it imports shutil (and with it zlib, bz2 and lzma) for every
        # argument added, ~3 ms of a pre-commit hook's start-up.
        def __init__(self, prog: str) -> None:
            super().__init__(prog, width=_columns() - 2)

    p = _Parser(
        prog=PROG, formatter_class=_Formatter,
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
    p.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                   help="processes that read and scan files (default 0: two on a machine with two cores or "
                        "more, once there are megabytes to scan; 1: one process)")
    add_scan_arguments(p)
    return p


def add_scan_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--git``, ``--all``, ``--baseline`` and ``--write-baseline`` to the ``hfsecure scan`` parser."""
    g = p.add_argument_group("git history")
    g.add_argument("--git", nargs="?", const="HEAD", default=None, metavar="RANGE",
                   help="scan the git history of the repository at PATH (default: the current folder): every "
                        "blob the commits of RANGE add (default HEAD: the current branch; A..B works), once each")
    g.add_argument("--all", action="store_true", dest="git_all",
                   help="with --git or alone: scan the history of every branch and tag")
    b = p.add_argument_group("baseline")
    b.add_argument("--baseline", action="append", default=[], metavar="FILE",
                   help="report only findings whose fingerprint is not in FILE (an .hfsecureignore-style list "
                        "or a JSON report); .hfsecureignore in the current folder is always read")
    b.add_argument("--write-baseline", metavar="FILE",
                   help="write every finding's fingerprint to FILE (accepting them): later scans with "
                        "--baseline FILE report only new ones")


#: The options of a command line that names paths only, as the parser sets them (a test holds them equal).
PATHS_ONLY_DEFAULTS: dict[str, object] = {
    "format": "text", "output": None, "strict": False, "no_misuse": False, "redact": False, "exclude": [],
    "no_skip": False, "stdin_filename": None, "no_fix": False, "jobs": 0, "git": None, "git_all": False, "baseline": [],
    "write_baseline": None}


#: The switches (options that take no value) a command line read without argparse may hold, each with the
#: attribute it sets True (a test holds them equal to the parser's).
PATHS_ONLY_SWITCHES: dict[str, str] = {
    "--strict": "strict", "--no-misuse": "no_misuse", "--redact": "redact", "--no-skip": "no_skip",
    "--no-fix": "no_fix", "--all": "git_all"}


def _paths_only(argv: list[str]) -> "argparse.Namespace | None":
    """The parsed command line when it is paths and switches only (what a pre-commit hook passes), without
    argparse: importing it and building the parser is ~8 ms of a command's ~60. None for anything else
    (an option with a value, an abbreviation, ``-``, ``--``): the parser reads those.

    Example:
        >>> _paths_only(["a.py", "b.ipynb"]).paths, _paths_only(["--strict", "a.py"]).strict
        (['a.py', 'b.ipynb'], True)
        >>> _paths_only(["--stri", "a.py"]), _paths_only(["a.py", "--format", "json"])
        (None, None)
    """
    values = {k: (list(v) if isinstance(v, list) else v) for k, v in PATHS_ONLY_DEFAULTS.items()}
    paths: list[str] = []
    runs = 0  # (runs of paths: the parser takes one, and stops at ``a.py --strict b.py``)
    for i, a in enumerate(argv):
        if not a.startswith("-"):
            runs += not paths or argv[i - 1].startswith("-")
            paths.append(a)
        elif a in PATHS_ONLY_SWITCHES:
            values[PATHS_ONLY_SWITCHES[a]] = True
        else:  # an option with a value, an abbreviation, '-' (standard input) or '--'
            return None
    if runs > 1:
        return None
    from types import SimpleNamespace

    return SimpleNamespace(paths=paths, **values)  # type: ignore[return-value]


def wants_history(args: argparse.Namespace) -> bool:
    """True when the command line asks for a history scan."""
    return args.git is not None or bool(getattr(args, "git_all", False))


def _write(stream: TextIO, text: str) -> None:
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
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _paths_only(argv) or _parser().parse_args(argv)
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
        history = wants_history(args)
        if history:
            from . import git as git_cli

            run = git_cli.history_run(args, CommandLineError)
        else:
            run = run_scan(paths, exclude=args.exclude, misuse=not args.no_misuse, redact=args.redact,
                           stdin_filename=args.stdin_filename, skip=not args.no_skip, jobs=max(0, args.jobs))
        # The current folder's .hfsecureignore, and the scanned repository's for a history scan.
        folders = tuple(dict.fromkeys([".", *(args.paths[:1] if history else [])]))
        if args.baseline or args.write_baseline or any(os.path.isfile(os.path.join(f, IGNORE_FILE)) for f in folders):
            from . import git as git_cli

            git_cli.apply_baseline(run, args, CommandLineError, folders)
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
        try:
            _write(sys.stdout, text)
        except BrokenPipeError:
            raise  # (the reader went away: not an error of ours)
        except OSError as exc:  # a full disk: the report is lost, and the status must say so
            print(f"{PROG}: error: cannot write the report: {exc.strerror or type(exc).__name__}", file=sys.stderr)
            return 2
    return run.exit_code(strict=args.strict)


def run() -> None:
    """The light distribution's ``hfsecure-scan`` program: :func:`main` on ``sys.argv``, then the exit (as
    ``hfsecure scan`` ends: :func:`~hfsecure_jupyter.cli.quick_exit`)."""
    from . import call, quick_exit

    quick_exit(call(main, sys.argv[1:], PROG), PROG)

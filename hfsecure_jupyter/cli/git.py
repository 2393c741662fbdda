"""The git side of the ``hfsecure`` command: history scans, baselines, and the clean filter.

(The ``hfsecure scan`` options are defined in :mod:`.scan`, which imports this module only when they ask
for history or a baseline.)

* ``hfsecure scan --git [RANGE] [PATH]`` / ``hfsecure scan --all [PATH]``: scan the history of the
  repository at PATH (default: the current folder), see :mod:`hfsecure_jupyter.githistory`;
* ``hfsecure scan --baseline FILE`` / ``--write-baseline FILE``: see :mod:`hfsecure_jupyter.baseline`;
* ``hfsecure install-git-filter [--global] [--kinds ipynb,py]``: stage notebooks (and the other kinds
  picked) through a git clean filter that masks their secrets, while the working copy keeps the text;
* ``hfsecure git-clean PATH``: the filter itself (standard input to standard output). When it cannot
  decide it exits non-zero with the reason on standard error, and git (``required = true``) stops.

Example:
    >>> git_clean_main(["--help"])  # doctest: +ELLIPSIS
    usage: hfsecure git-clean ...
    0
"""

from __future__ import annotations

import argparse
import os
import sys
from ..errors import CleanError

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import IO, Any, Sequence

__all__ = ["history_run", "apply_baseline", "clean", "git_clean_main",
           "install_filter_main", "FILTER_NAME", "DEFAULT_KINDS"]

FILTER_NAME = "hfsecure"
DEFAULT_KINDS = ("ipynb",)


# -- hfsecure scan: history and baseline options ----------------------------------------------------------

def history_run(args: argparse.Namespace, usage_error: type[Exception]) -> Any:
    """Scan the history the command line names; return a :class:`~hfsecure_jupyter.detect.walk.ScanRun`."""
    from .. import githistory
    from ..detect.walk import ScanRun

    if len(args.paths) > 1 or "-" in args.paths:
        raise usage_error("--git scans one repository: give at most one PATH (the repository's folder)")
    if args.redact:
        raise usage_error("--redact rewrites files and cannot be used with --git (history is not rewritten; "
                          "revoke the secrets it finds)")
    repo = args.paths[0] if args.paths else "."
    run = ScanRun()
    try:
        hist = githistory.scan_history(repo, [args.git or "HEAD"], all_refs=args.git_all,
                                       misuse=not args.no_misuse)
    except githistory.GitError as exc:
        run.errors.append(f"{repo}: {exc}")
        return run
    run.reports = list(hist.reports)
    run.files_scanned = hist.blobs_scanned
    run.notes.append(f"git history: {hist.blobs_scanned} blobs of {hist.commits} commits scanned")
    run.notes.extend(hist.notes)
    run.errors.extend(hist.errors)
    return run


def apply_baseline(run: Any, args: argparse.Namespace, usage_error: type[Exception],
                   folders: Sequence[str] = (".",)) -> None:
    """Write ``--write-baseline``, then drop the findings listed in ``--baseline`` and in the
    ``.hfsecureignore`` of each of ``folders`` (the current folder, and the repository of a history scan)."""
    from .. import baseline

    fingerprints: frozenset[str] = frozenset()
    if args.write_baseline:  # accepting them: this run reports none of them either
        fingerprints = frozenset(f.fingerprint for r in run.reports for f in r.findings)
        try:
            with open(args.write_baseline, "w", encoding="utf-8") as fh:
                fh.write(baseline.render_baseline(run.reports))
        except OSError as exc:
            raise usage_error(f"cannot write {args.write_baseline}: {exc.strerror or type(exc).__name__}") from None
        n = len({f.fingerprint for r in run.reports for f in r.findings})
        run.notes.append(f"wrote {n} fingerprint{'s' if n != 1 else ''} to {args.write_baseline}")
    files = list(args.baseline)
    for folder in dict.fromkeys(folders):
        ignore = os.path.join(folder, baseline.IGNORE_FILE)
        if os.path.isfile(ignore) and not any(os.path.samefile(ignore, f) for f in files if os.path.exists(f)):
            files.append(ignore)
    for path in files:
        try:
            fingerprints |= baseline.load_baseline(path)
        except baseline.BaselineError as exc:
            raise usage_error(str(exc)) from None
    run.reports, dropped = baseline.filter_reports(run.reports, fingerprints)
    if dropped:
        run.notes.append(f"{dropped} known finding{'s' if dropped != 1 else ''} in the baseline not reported")


# -- the clean filter -------------------------------------------------------------------------------------

def clean(data: bytes, path: str) -> tuple[bytes, int]:
    """``data`` (a file being staged at ``path``) with every secret masked, and how many were masked.

    Cleaning cleaned bytes gives the same bytes (so ``git status`` and ``git diff`` see no change).
    Raises :class:`CleanError` when the result still holds a secret or the check fails.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> new, n = clean(f"t = '{fake_token(seed=7)}'\\n".encode(), "a.py")
        >>> new, n, clean(new, "a.py")
        (b"t = 'hf_****oOOL'\\n", 1, (b"t = 'hf_****oOOL'\\n", 0))
    """
    from .. import detect

    if detect.is_binary(data):
        return data, 0
    try:
        new, rep = detect.redact_bytes(data, path=path)
        left = detect.scan_bytes(new, path=path, misuse=False).secrets
    except Exception as exc:  # noqa: BLE001 - cannot decide: refuse, never pass the bytes through
        raise CleanError(f"the check failed (internal error: {type(exc).__name__})") from None
    if left:
        raise CleanError(f"{len(left)} secret{'s' if len(left) != 1 else ''} could not be masked "
                         f"({', '.join(f.preview for f in left[:3])})")
    return new, sum(1 for f in rep.findings if f.is_secret)


def git_clean_main(argv: Sequence[str], stdin: IO[bytes] | None = None, stdout: IO[bytes] | None = None) -> int:
    """``hfsecure git-clean PATH``: the clean filter (standard input to standard output)."""
    p = argparse.ArgumentParser(prog="hfsecure git-clean",
                                description="git clean filter: copy standard input to standard output with "
                                            "every secret masked (installed by hfsecure install-git-filter)")
    p.add_argument("path", nargs="?", default="", help="the path being staged (git's %%f): picks how to scan")
    try:
        args = p.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    src = stdin or sys.stdin.buffer
    dst = stdout or sys.stdout.buffer
    try:
        data = src.read()
        new, n = clean(data, args.path)
    except (CleanError, OSError, MemoryError) as exc:
        import shlex

        print(f"hfsecure git-clean: {args.path or 'standard input'}: not staged: {exc}. Remove the secret "
              f"by hand (hfsecure scan --redact {shlex.quote(args.path or '.')}) and add it again.",
              file=sys.stderr)
        return 1
    dst.write(new)
    dst.flush()
    if n:
        print(f"hfsecure: {args.path}: {n} secret{'s' if n != 1 else ''} masked in what is staged (the working "
              "copy keeps it: move it to an environment variable, and revoke it if it was ever pushed)",
              file=sys.stderr)
    return 0


def _filter_command() -> str:
    import shlex
    import shutil

    exe = shutil.which("hfsecure")
    if exe:
        return "hfsecure git-clean %f"
    return f"{shlex.quote(sys.executable)} -m {__package__} git-clean %f"  # (hfsecure_scan.cli in hfsecure-scan)


def _global_attributes_file() -> str:
    import subprocess

    out = subprocess.run(["git", "config", "--global", "--path", "core.attributesFile"],
                         capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.strip():
        return os.path.expanduser(out.stdout.strip())
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "git", "attributes")


def _add_lines(path: str, lines: Sequence[str]) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    have = set(text.splitlines())
    new = [ln for ln in lines if ln not in have]
    if new:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            if text and not text.endswith("\n"):
                fh.write("\n")
            fh.write("".join(ln + "\n" for ln in new))
    return new


def install_filter_main(argv: Sequence[str]) -> int:
    """``hfsecure install-git-filter``: register the clean filter and route the chosen kinds through it."""
    p = argparse.ArgumentParser(prog="hfsecure install-git-filter",
                                description="Mask secrets in what git stages (the working copy keeps your text): "
                                            "sets filter.hfsecure.clean (required) and .gitattributes.")
    p.add_argument("--global", dest="global_", action="store_true",
                   help="for every repository: git config --global and the global attributes file")
    p.add_argument("--kinds", default=",".join(DEFAULT_KINDS), metavar="EXT[,EXT...]",
                   help="file name suffixes to filter (default: ipynb); e.g. ipynb,py,md,txt,env")
    try:
        args = p.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    import subprocess

    kinds = [k.strip().lstrip("*").lstrip(".") for k in args.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if not k or any(c in k for c in " \t/\\*?[")]
    if bad or not kinds:
        print(f"hfsecure install-git-filter: error: bad --kinds entry {bad[0] if bad else ''!r}", file=sys.stderr)
        return 2
    scope = ["--global"] if args.global_ else []
    if args.global_:
        attributes = _global_attributes_file()
    else:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True)
        if top.returncode != 0:
            print("hfsecure install-git-filter: error: not inside a git repository (use --global for all of them)",
                  file=sys.stderr)
            return 2
        attributes = os.path.join(top.stdout.strip(), ".gitattributes")
    settings = [(f"filter.{FILTER_NAME}.clean", _filter_command()),
                # git needs a smudge for a required filter; checkout copies the staged (masked) text.
                (f"filter.{FILTER_NAME}.smudge", "cat"),
                (f"filter.{FILTER_NAME}.required", "true")]
    for key, value in settings:
        done = subprocess.run(["git", "config", *scope, key, value], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"hfsecure install-git-filter: error: git config {key} failed: {done.stderr.strip()}",
                  file=sys.stderr)
            return 2
    added = _add_lines(attributes, [f"*.{k} filter={FILTER_NAME}" for k in kinds])
    where = "every repository" if args.global_ else "this repository"
    print(f"hfsecure: clean filter installed for {where}: {', '.join('*.' + k for k in kinds)} "
          f"({attributes}{': unchanged' if not added else ''}). Staged copies are masked; your files are not.")
    if not args.global_ and added:
        print("hfsecure: commit .gitattributes so others get the same rule (each of them runs "
              "'hfsecure install-git-filter' once to define the filter)")
    return 0

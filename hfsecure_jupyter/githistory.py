"""Scan a git repository's history: every blob reachable in a range, once, through two git processes.

The detection core takes bytes and knows nothing of git; this module is the git plumbing around it:

* one ``git log --raw`` stream (oldest first, ``-m`` so merges count) names, for each blob, the first
  commit that introduced it, that commit's author and date, and the path it was introduced at (the path
  decides how it is scanned: notebook, Python or text);
* one ``git cat-file --batch`` stream reads every distinct blob once (deduplicated by blob id), plus the
  blobs of ``HEAD``, so each finding can say whether the same secret (its fingerprint) is still there.

``git log --raw`` rather than ``git rev-list --objects``: it lists the same blobs (those a commit of the
range adds or changes) and carries the commit, author and date in the same single stream, so no process
is started per commit.

Example:
    >>> import os, subprocess, tempfile
    >>> from hfsecure_jupyter.testing import fake_token
    >>> repo = tempfile.mkdtemp()
    >>> git = lambda *a: subprocess.run(["git", "-C", repo, "-c", "user.name=Ann", "-c", "user.email=a@x",
    ...                                  *a], check=True, capture_output=True)
    >>> _ = git("init", "-q")
    >>> _ = open(os.path.join(repo, "train.py"), "w").write(f"TOKEN = '{fake_token(seed=7)}'\\n")
    >>> _ = git("add", "."); _ = git("commit", "-qm", "oops")
    >>> _ = open(os.path.join(repo, "train.py"), "w").write("import os\\nTOKEN = os.environ['HF_TOKEN']\\n")
    >>> _ = git("commit", "-qam", "fix")
    >>> run = scan_history(repo)
    >>> [(r.path, r.author, r.finding_extra(f)["at_head"]) for r in run.reports for f in r.findings]
    [('train.py', 'Ann <a@x>', False)]
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator, Sequence

from . import detect
from .detect import Finding, ScanReport
from .detect.lazy import record
from .errors import GitError

__all__ = ["GitError", "BlobEntry", "HistoryReport", "HistoryRun", "history_entries", "head_blobs",
           "read_blobs", "scan_history", "MAX_BLOB_BYTES"]

#: Larger blobs are skipped (and counted in a note) rather than read into memory whole.
MAX_BLOB_BYTES = 256 * 1024 * 1024
_ZERO = "0" * 40
_BLOB_MODES = ("100644", "100755")  # regular files (symlinks, submodules and deletions are left out)
_SKIP_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".webp", ".tif", ".tiff", ".pdf", ".zip", ".gz",
    ".tgz", ".bz2", ".xz", ".zst", ".7z", ".tar", ".whl", ".pyc", ".so", ".dll", ".exe", ".pt", ".pth",
    ".bin", ".safetensors", ".onnx", ".ckpt", ".h5", ".npy", ".npz", ".pkl", ".parquet", ".mp3", ".mp4",
    ".wav", ".woff", ".woff2", ".ttf",
})


@dataclass(frozen=True)
class BlobEntry:
    """The first time a blob appears in the history: the commit that introduced it, at which path."""

    blob: str
    path: str
    commit: str
    author: str
    date: str


@record  # (ScanReport is a record of the core, not a dataclass)
class HistoryReport(ScanReport):
    """A :class:`ScanReport` for one blob of the history, with where it came from.

    Attributes:
        commit, author, date: the first commit that introduced the blob (author as ``Name <email>``,
            date in ISO 8601).
        blob: the blob id.
        at_head: fingerprints of every finding in ``HEAD``'s tree (to tell which secrets are still there).
    """

    commit: str = ""
    author: str = ""
    date: str = ""
    blob: str = ""
    at_head: frozenset[str] = frozenset()

    def finding_extra(self, finding: Finding) -> dict[str, Any]:
        """The history fields a report adds to ``finding``'s record.

        Example:
            >>> from hfsecure_jupyter.detect import Finding
            >>> f = Finding("r", "secret", "error", "", 1, 1, 1, 2, "p", "ab")
            >>> HistoryReport(commit="c0", author="A <a@x>", date="2026", at_head=frozenset({"ab"})).finding_extra(f)
            {'commit': 'c0', 'author': 'A <a@x>', 'date': '2026', 'at_head': True}
        """
        return {"commit": self.commit, "author": self.author, "date": self.date,
                "at_head": finding.fingerprint in self.at_head}


@dataclass
class HistoryRun:
    """What one history scan found: one report per blob with a finding, how many blobs were read."""

    reports: list[HistoryReport] = field(default_factory=list)
    blobs_scanned: int = 0
    commits: int = 0
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# -- git plumbing -----------------------------------------------------------------------------------------

def _git(repo: str, *args: str, stdin: int | None = None) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(["git", "-C", repo, *args], stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None


def _check(proc: subprocess.Popen[bytes], what: str) -> None:
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        first = os.fsdecode(err.strip().splitlines()[0]) if err.strip() else f"exit status {proc.returncode}"
        raise GitError(f"{what} failed: {first}")


def _log_args(revs: Sequence[str], all_refs: bool) -> list[str]:
    for r in revs:
        if r.startswith("-"):
            raise GitError(f"not a revision or range: {r!r}")
    return (["log", "-z", "--raw", "--no-renames", "--no-abbrev", "--topo-order", "--reverse", "-m",
             "--format=%x01%H%x00%an <%ae>%x00%aI%x00"]
            + (["--all"] if all_refs else list(revs or ["HEAD"])) + ["--"])


def history_entries(repo: str, revs: Sequence[str] = ("HEAD",), *, all_refs: bool = False
                    ) -> tuple[list[BlobEntry], int]:
    """Every distinct blob the commits of ``revs`` (or every ref) add or change, each at its first
    commit (oldest first), and the number of commits.

    Example:
        >>> import subprocess, tempfile
        >>> repo = tempfile.mkdtemp(); _ = subprocess.run(["git", "init", "-q", repo], check=True)
        >>> history_entries(repo)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        hfsecure_jupyter.errors.GitError: git log failed: fatal: ...
    """
    proc = _git(repo, *_log_args(revs, all_refs))
    assert proc.stdout is not None
    out = proc.stdout.read()
    _check(proc, "git log")
    seen: set[str] = set()
    entries: list[BlobEntry] = []
    commits: set[str] = set()
    for chunk in out.split(b"\x01")[1:]:
        parts = chunk.split(b"\x00")
        commit, author, date = (os.fsdecode(p) for p in parts[:3])
        commits.add(commit)
        raw = parts[3:]
        i = 0
        while i + 1 < len(raw):
            meta = raw[i].lstrip(b"\n")
            if not meta.startswith(b":"):
                i += 1
                continue
            fields = meta[1:].split(b" ")
            path = raw[i + 1]
            i += 2
            if len(fields) < 5:
                continue
            mode, blob, status = fields[1].decode(), fields[3].decode(), fields[4][:1]
            if status == b"D" or blob == _ZERO or mode not in _BLOB_MODES or blob in seen:
                continue
            seen.add(blob)
            entries.append(BlobEntry(blob, os.fsdecode(path), commit, author, date))
    return entries, len(commits)


def head_blobs(repo: str) -> dict[str, str]:
    """``blob id -> path`` for the files of ``HEAD`` (empty when there is no ``HEAD`` yet)."""
    proc = _git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    assert proc.stdout is not None
    out = proc.stdout.read()
    try:
        _check(proc, "git ls-tree")
    except GitError:
        return {}
    blobs: dict[str, str] = {}
    for rec in out.split(b"\x00"):
        if not rec:
            continue
        meta, _, path = rec.partition(b"\t")
        mode, typ, blob = meta.decode().split(" ")
        if typ == "blob" and mode in _BLOB_MODES:
            blobs.setdefault(blob, os.fsdecode(path))
    return blobs


def read_blobs(repo: str, blobs: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
    """Yield ``(blob id, content)`` for each id through one ``git cat-file --batch`` process (``None`` for
    a blob that is missing or larger than :data:`MAX_BLOB_BYTES`)."""
    ids = list(blobs)
    if not ids:
        return
    proc = _git(repo, "cat-file", "--batch", stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None

    def feed(stream: IO[bytes]) -> None:  # a thread, so a full output pipe cannot block our writes
        try:
            stream.write(b"".join(i.encode() + b"\n" for i in ids))
        except OSError:
            pass
        finally:
            try:
                stream.close()
            except OSError:
                pass

    writer = threading.Thread(target=feed, args=(proc.stdin,), daemon=True)
    writer.start()
    out = proc.stdout
    try:
        for _ in ids:
            header = out.readline()
            if not header:
                raise GitError("git cat-file ended early")
            parts = header.split()
            if len(parts) != 3:  # "<id> missing" or "<id> ambiguous"
                yield os.fsdecode(parts[0]) if parts else "", None
                continue
            blob, size = parts[0].decode(), int(parts[2])
            if size > MAX_BLOB_BYTES:
                left = size + 1
                while left:
                    left -= len(out.read(min(left, 1 << 20)) or b"\0" * left)
                yield blob, None
                continue
            data = out.read(size)
            out.read(1)  # the newline after each object
            yield blob, data
    finally:
        writer.join()
        out.close()
        _check(proc, "git cat-file")


# -- scanning ---------------------------------------------------------------------------------------------

def _skip(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in _SKIP_SUFFIXES


def scan_history(repo: str = ".", revs: Sequence[str] = ("HEAD",), *, all_refs: bool = False,
                 misuse: bool = True) -> HistoryRun:
    """Scan every blob the commits of ``revs`` (default ``HEAD``: the whole current branch; ``A..B``
    ranges work; ``all_refs`` for every branch and tag) introduce, each once.

    Raises :class:`GitError` when git fails (not a repository, an unknown revision).
    """
    run = HistoryRun()
    entries, run.commits = history_entries(repo, revs, all_refs=all_refs)
    head = head_blobs(repo)
    wanted = {e.blob: e.path for e in entries if not _skip(e.path)}
    for blob, path in head.items():
        if not _skip(path):
            wanted.setdefault(blob, path)
    found: dict[str, ScanReport] = {}
    binaries = large = 0
    for blob, data in read_blobs(repo, wanted):
        if data is None:
            large += 1
            continue
        if detect.is_binary(data[:8192]):
            binaries += 1
            continue
        path = wanted[blob]
        try:
            rep = detect.scan_bytes(data, path=path, kind=detect.kind_for_path(path), misuse=misuse)
        except Exception as exc:  # noqa: BLE001 - the core failed: say so, keep going, fail the run
            run.errors.append(f"{path} (blob {blob[:12]}): could not be scanned "
                              f"(internal error: {type(exc).__name__}); please report it")
            continue
        run.blobs_scanned += 1
        if rep.findings or rep.notes:
            found[blob] = rep
    at_head = frozenset(f.fingerprint for b in head if b in found for f in found[b].findings)
    for e in entries:
        hit = found.get(e.blob)
        if hit is None or not hit.findings:
            continue
        run.reports.append(HistoryReport(path=e.path, findings=hit.findings, kind=hit.kind, notes=hit.notes,
                                         commit=e.commit, author=e.author, date=e.date, blob=e.blob,
                                         at_head=at_head))
    if binaries:
        run.notes.append(f"skipped {binaries} binary blob{'s' if binaries != 1 else ''}")
    if large:
        run.notes.append(f"skipped {large} blob{'s' if large != 1 else ''} larger than "
                         f"{MAX_BLOB_BYTES // (1024 * 1024)} MB or missing")
    return run

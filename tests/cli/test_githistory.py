"""``githistory`` and ``hfsecure scan --git``: real repositories, every blob once, commit attribution, at_head."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.cli.cli_helpers import code_cell, notebook
from tests.cli.git_helpers import Repo, isolate_git

from hfsecure_jupyter import githistory
from hfsecure_jupyter.testing import fake_token


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    isolate_git(monkeypatch, tmp_path / "home")
    return Repo(tmp_path / "repo")


def nb_text(source: str) -> str:
    return json.dumps(notebook([code_cell(source)]), indent=1) + "\n"


def test_finding_names_first_commit_author_date_and_path(repo: Repo) -> None:
    tok = fake_token(seed=11)
    repo.write("README.md", "hello\n")
    repo.commit("start", author="Bob <bob@example.com>", date="2024-01-02T03:04:05+00:00")
    repo.write("nb/train.ipynb", nb_text(f"login(token='{tok}')\n"))
    first = repo.commit("add notebook", author="Cy <cy@example.com>", date="2024-02-03T04:05:06+00:00")
    repo.write("nb/other.txt", "x\n")
    repo.commit("unrelated")
    run = githistory.scan_history(str(repo.root))
    assert [(r.path, r.commit, r.author, r.date, r.kind) for r in run.reports] == [
        ("nb/train.ipynb", first, "Cy <cy@example.com>", "2024-02-03T04:05:06+00:00", "notebook")]
    [f] = run.reports[0].findings
    assert f.location == "cells[0].source"  # notebook-aware: the kind comes from the path
    assert run.reports[0].finding_extra(f)["at_head"] is True
    assert run.commits == 3


def test_removed_secret_is_not_at_head_but_a_kept_one_is(repo: Repo) -> None:
    gone, kept = fake_token(seed=1), fake_token(seed=2)
    repo.write("a.py", f"T = '{gone}'\n")
    repo.write("b.py", f"T = '{kept}'\n")
    repo.commit("1")
    repo.write("a.py", "import os\nT = os.environ['HF_TOKEN']\n")
    repo.write("c.py", f"# moved\nU = '{kept}'\n")  # the same secret in another file: still at HEAD
    repo.git("rm", "-q", "b.py")
    repo.commit("2")
    run = githistory.scan_history(str(repo.root))
    at_head = {(r.path, r.finding_extra(f)["at_head"]) for r in run.reports for f in r.findings}
    assert at_head == {("a.py", False), ("b.py", True), ("c.py", True)}


def test_each_blob_is_read_once_through_one_cat_file_process(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = fake_token(seed=3)
    for i in range(6):  # the same leaky blob at two paths, re-added after a revert, plus changing files
        repo.write("leak.py", f"T = '{tok}'\n" if i % 2 == 0 else "x = 1\n")
        repo.write("copy.py", f"T = '{tok}'\n")
        repo.write(f"f{i}.txt", f"{i}\n")
        repo.commit(f"c{i}")
    calls: list[list[str]] = []
    real = subprocess.Popen

    def spy(args, *a, **kw):  # type: ignore[no-untyped-def]
        calls.append(list(args))
        return real(args, *a, **kw)

    monkeypatch.setattr(githistory.subprocess, "Popen", spy)
    asked: list[str] = []
    real_read = githistory.read_blobs

    def count(repo_, blobs):  # type: ignore[no-untyped-def]
        ids = list(blobs)
        asked.extend(ids)
        return real_read(repo_, ids)

    monkeypatch.setattr(githistory, "read_blobs", count)
    run = githistory.scan_history(str(repo.root))
    assert [c[3] for c in calls] == ["log", "ls-tree", "cat-file"]  # no process per commit
    assert len(asked) == len(set(asked))
    # leak.py's two versions + copy.py (same blob as leak.py's leaky one) + f0..f5: 2 + 6 distinct blobs
    assert run.blobs_scanned == 8
    # one report for the blob, at its first path in its first commit (paths in a commit come sorted)
    assert [r.path for r in run.reports] == ["copy.py"]


def test_range_and_all_refs(repo: Repo) -> None:
    old, side = fake_token(seed=4), fake_token(seed=5)
    repo.write("a.py", f"T = '{old}'\n")
    base = repo.commit("old")
    repo.write("a.py", "x = 1\n")
    repo.commit("clean")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("s.py", f"S = '{side}'\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    paths = lambda run: sorted(r.path for r in run.reports)  # noqa: E731
    assert paths(githistory.scan_history(str(repo.root))) == ["a.py"]
    assert paths(githistory.scan_history(str(repo.root), [f"{base}..HEAD"])) == []
    assert paths(githistory.scan_history(str(repo.root), all_refs=True)) == ["a.py", "s.py"]


def test_merge_resolution_blob_is_scanned(repo: Repo) -> None:
    tok = fake_token(seed=6)
    repo.write("a.py", "x = 0\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("a.py", "x = 1\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("a.py", "x = 2\n")
    repo.commit("main")
    repo.git("merge", "-q", "side", check=False)
    repo.write("a.py", f"x = '{tok}'\n")  # the secret exists only in the merge commit's resolution
    merge = repo.commit("merge")
    run = githistory.scan_history(str(repo.root))
    assert [(r.path, r.commit) for r in run.reports] == [("a.py", merge)]


def test_odd_paths_binaries_and_errors(repo: Repo, tmp_path: Path) -> None:
    tok = fake_token(seed=8)
    repo.write("dir with space/é.py", f"T = '{tok}'\n")
    repo.write("blob.dat", b"\0\1\2" + tok.encode())
    repo.commit("1")
    run = githistory.scan_history(str(repo.root))
    assert [r.path for r in run.reports] == ["dir with space/é.py"]
    assert any("binary" in n for n in run.notes)
    with pytest.raises(githistory.GitError, match="bad revision"):
        githistory.scan_history(str(repo.root), ["no-such-branch"])
    with pytest.raises(githistory.GitError, match="not a revision"):
        githistory.scan_history(str(repo.root), ["--output=/tmp/x"])
    (tmp_path / "plain").mkdir()
    with pytest.raises(githistory.GitError, match="not a git repository"):
        githistory.scan_history(str(tmp_path / "plain"))


# -- the command line -------------------------------------------------------------------------------------

def test_cli_text_json_sarif(repo: Repo, run_cli, check_sarif, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = fake_token(seed=9)
    repo.write("train.py", f"login(token='{tok}')\n")
    commit = repo.commit("leak", date="2024-05-06T07:08:09+00:00")
    monkeypatch.chdir(repo.root)
    r = run_cli("--git")
    assert r.code == 1
    assert f"train.py:1:14: hf-user-token hf_****{tok[-4:]} (commit {commit[:12]}, Ann Example <ann@example.com>, " \
           "2024-05-06T07:08:09+00:00, still at HEAD)" in r.out
    assert tok not in r.out + r.err
    j = run_cli("--git", "HEAD", "--format", "json").json
    rec = j["findings"][0]
    assert (rec["commit"], rec["author"], rec["date"], rec["at_head"]) == (
        commit, "Ann Example <ann@example.com>", "2024-05-06T07:08:09+00:00", True)
    log = json.loads(run_cli("--all", "--format", "sarif", str(repo.root)).out)
    assert check_sarif(log) == []
    props = log["runs"][0]["results"][0]["properties"]
    assert props["commit"] == commit and props["at_head"] is True


def test_cli_errors(repo: Repo, run_cli, tmp_path: Path) -> None:
    r = run_cli("--git", "nope", str(repo.root))
    assert r.code == 2 and "bad revision" in r.err and "Traceback" not in r.err
    r = run_cli("--git", "HEAD", "a", "b")
    assert r.code == 2 and "at most one PATH" in r.err
    r = run_cli("--git", "--redact")
    assert r.code == 2 and "--redact" in r.err

"""The clean filter with real git: what is staged is masked, the working copy is kept, git stays quiet."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from tests.cli.cli_helpers import code_cell, notebook
from tests.cli.git_helpers import Repo, isolate_git

from hfsecure_jupyter.cli import git as git_cli
from hfsecure_jupyter.testing import fake_token

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    isolate_git(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = Repo(tmp_path / "repo")
    monkeypatch.chdir(r.root)
    return r


def nb_text(source: str) -> str:
    return json.dumps(notebook([code_cell(source)]), indent=1) + "\n"


def install(*args: str) -> None:
    assert git_cli.install_filter_main(list(args)) == 0


def test_staged_copy_is_masked_and_the_working_copy_kept(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    tok = fake_token(seed=31)
    install()
    attrs = (repo.root / ".gitattributes").read_text()
    assert attrs == "*.ipynb filter=hfsecure\n"
    install()  # idempotent
    assert (repo.root / ".gitattributes").read_text() == attrs
    text = nb_text(f"login(token='{tok}')\nx = 1\n")
    repo.write("a.ipynb", text)
    add = repo.git("add", "a.ipynb")
    assert b"1 secret masked" in add.stderr
    staged = repo.git("show", ":a.ipynb").stdout.decode()
    assert tok not in staged and f"hf_****{tok[-4:]}" in staged
    json.loads(staged)  # still a notebook
    assert (repo.root / "a.ipynb").read_text() == text  # the user's text is untouched
    # git sees the working copy as clean: its cleaned form is what is staged
    assert repo.git("status", "--porcelain", "a.ipynb").stdout == b"A  a.ipynb\n"
    assert repo.git("diff", "a.ipynb").stdout == b""
    repo.commit("add")
    assert tok not in repo.git("log", "-p", "--all").stdout.decode()
    assert repo.git("status", "--porcelain").stdout == b""  # the working copy still holds it, git sees no change
    # an edit shows in the diff without the secret
    repo.write("a.ipynb", text.replace("x = 1", "x = 2"))
    diff = repo.git("diff").stdout.decode()
    assert "x = 2" in diff and tok not in diff


def test_add_patch_stages_masked_hunks(repo: Repo) -> None:
    tok = fake_token(seed=32)
    install("--kinds", "py")
    repo.write("a.py", "x = 1\n")
    repo.commit("1")
    repo.write("a.py", f"x = 1\nT = '{tok}'\n")
    out = repo.git("add", "-p", input=b"y\n")
    assert tok not in out.stdout.decode()
    assert repo.git("show", ":a.py").stdout.decode() == f"x = 1\nT = 'hf_****{tok[-4:]}'\n"


def test_cleaning_is_idempotent() -> None:
    tok = fake_token(seed=33)
    for path, data in (("a.ipynb", nb_text(f"t = '{tok}'\n").encode()), ("a.py", f"t = '{tok}'\n".encode()),
                       (".env", f"HF_TOKEN={tok}\n".encode()), ("x.ipynb", b"{not json " + tok.encode())):
        once, n = git_cli.clean(data, path)
        assert n == 1 and tok.encode() not in once
        assert git_cli.clean(once, path) == (once, 0)
    clean = b'{"cells": []}\n'
    assert git_cli.clean(clean, "a.ipynb") == (clean, 0)


def test_filter_that_cannot_decide_stops_the_commit(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    # A filter command that fails (here: a Python that cannot import hfsecure) must stop git add.
    tok = fake_token(seed=34)
    install()
    repo.git("config", "filter.hfsecure.clean", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    repo.write("a.ipynb", nb_text(f"t = '{tok}'\n"))
    add = repo.git("add", "a.ipynb", check=False)
    assert add.returncode != 0 and b"clean filter 'hfsecure' failed" in add.stderr
    assert repo.git("ls-files").stdout == b""


def test_git_clean_main_refuses_with_a_message(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def broken(data: bytes, path: str) -> object:
        raise git_cli.CleanError("the check failed (internal error: RecursionError)")

    monkeypatch.setattr(git_cli, "clean", broken)
    out = io.BytesIO()
    assert git_cli.git_clean_main(["a.ipynb"], stdin=io.BytesIO(b"{}"), stdout=out) == 1
    assert out.getvalue() == b""  # nothing passes through
    assert "a.ipynb: not staged: the check failed" in capsys.readouterr().err


def test_clean_error_when_a_secret_survives(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfsecure_jupyter import detect

    tok = fake_token(seed=35)
    monkeypatch.setattr(detect, "redact_bytes", lambda data, path: (data, detect.scan_bytes(data, path=path)))
    with pytest.raises(git_cli.CleanError, match="could not be masked"):
        git_cli.clean(f"t = '{tok}'\n".encode(), "a.py")


def test_checkout_of_a_filtered_file_works(repo: Repo, tmp_path: Path) -> None:
    install()
    repo.write("a.ipynb", nb_text("x = 1\n"))
    repo.commit("1")
    (repo.root / "a.ipynb").unlink()
    repo.git("checkout", "--", "a.ipynb")  # a required filter needs a smudge: ours copies
    assert json.loads((repo.root / "a.ipynb").read_text())["cells"][0]["source"] == ["x = 1\n"]


def test_global_install(repo: Repo, tmp_path: Path) -> None:
    install("--global", "--kinds", "ipynb,.py")
    attrs = tmp_path / "home" / ".config" / "git" / "attributes"
    assert attrs.read_text() == "*.ipynb filter=hfsecure\n*.py filter=hfsecure\n"
    assert repo.git("config", "--global", "filter.hfsecure.required").stdout == b"true\n"
    tok = fake_token(seed=36)
    repo.write("b.py", f"T = '{tok}'\n")
    repo.git("add", "b.py")
    assert tok not in repo.git("show", ":b.py").stdout.decode()


def test_install_outside_a_repository_and_bad_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    (tmp_path / "plain").mkdir()
    monkeypatch.chdir(tmp_path / "plain")
    assert git_cli.install_filter_main([]) == 2
    assert "not inside a git repository" in capsys.readouterr().err
    assert git_cli.install_filter_main(["--kinds", "*/x"]) == 2

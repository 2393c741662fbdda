"""Baselines: fingerprints stable when lines move, ``.hfsecureignore``, ``--baseline``, ``--write-baseline``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hfsecure_jupyter import baseline, detect
from hfsecure_jupyter.testing import fake_token


def test_fingerprint_survives_moving_lines_and_files() -> None:
    tok = fake_token(seed=21)
    a = detect.scan_bytes(f"T = '{tok}'\n".encode(), path="a.py")
    b = detect.scan_bytes(f"import os\n\n\nX = 1\nlogin(token='{tok}')\n".encode(), path="moved/b.py")
    kept, dropped = baseline.filter_reports([b], baseline.parse_baseline(baseline.render_baseline([a])))
    assert dropped == 1 and kept[0].findings == []


def test_only_new_findings_are_reported(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = fake_token(seed=22), fake_token(seed=23)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(f"T = '{old}'\n")
    r = run_cli(".", "--write-baseline", "base.txt")
    assert r.code == 0 and "wrote 1 fingerprint to base.txt" in r.out
    text = (tmp_path / "base.txt").read_text()
    assert old not in text and old[-4:] in text  # masked preview only
    assert run_cli(".", "--baseline", "base.txt").code == 0
    (tmp_path / "a.py").write_text(f"# a new line on top\nT = '{old}'\nU = '{new}'\n")
    r = run_cli(".", "--baseline", "base.txt", "--format", "json")
    assert r.code == 1
    assert [f["preview"][-4:] for f in r.json["findings"]] == [new[-4:]]
    assert "1 known finding in the baseline not reported" in " ".join(r.json["notes"])
    assert run_cli(".").code == 1  # without the baseline both count


def test_hfsecureignore_is_read_from_the_current_folder(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    tok = fake_token(seed=24)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(f"T = '{tok}'\n")
    fp = run_cli(".", "--format", "json").json["findings"][0]["fingerprint"]
    (tmp_path / ".hfsecureignore").write_text(f"# accepted: rotated already\n{fp}\n")
    assert run_cli(".").code == 0


def test_a_json_report_is_a_baseline(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(f"T = '{fake_token(seed=25)}'\n")
    run_cli(".", "--format", "json", "--output", "report.json")
    assert run_cli("a.py", "--baseline", "report.json").code == 0


@pytest.mark.parametrize("content, message", [
    ("a.py:hf-user-token:3\n", "not a fingerprint"),      # a gitleaks-style entry is not silently ignored
    ("{not json", "not an hfsecure JSON report"),
])
def test_bad_baseline_is_a_usage_error(tmp_path: Path, run_cli, content: str, message: str) -> None:
    (tmp_path / "b").write_text(content)
    r = run_cli(str(tmp_path), "--baseline", str(tmp_path / "b"))
    assert r.code == 2 and message in r.err and "Traceback" not in r.err


def test_missing_baseline_is_a_usage_error(tmp_path: Path, run_cli) -> None:
    r = run_cli(str(tmp_path), "--baseline", str(tmp_path / "none"))
    assert r.code == 2 and "cannot read" in r.err


def test_baseline_applies_to_history_scans(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli.git_helpers import Repo, isolate_git

    isolate_git(monkeypatch, tmp_path / "home")
    repo = Repo(tmp_path / "r")
    repo.write("a.py", f"T = '{fake_token(seed=26)}'\n")
    repo.commit("1")
    monkeypatch.chdir(repo.root)
    assert run_cli("--git", "--write-baseline", str(tmp_path / "bl")).code == 0
    assert run_cli("--git", "--baseline", str(tmp_path / "bl")).code == 0
    assert json.loads(run_cli("--git", "--format", "json").out)["summary"]["secrets"] == 1


def test_hfsecureignore_of_the_scanned_repository(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli.git_helpers import Repo, isolate_git

    isolate_git(monkeypatch, tmp_path / "home")
    repo = Repo(tmp_path / "r")
    repo.write("a.py", f"T = '{fake_token(seed=27)}'\n")
    repo.commit("1")
    fp = run_cli("--git", "HEAD", str(repo.root), "--format", "json").json["findings"][0]["fingerprint"]
    repo.write(".hfsecureignore", fp + "\n")
    monkeypatch.chdir(tmp_path)  # elsewhere: the repository's own .hfsecureignore still counts
    assert run_cli("--git", "HEAD", str(repo.root)).code == 0

"""Real pre-commit: a ``repo: local`` hook running ``hfsecure scan`` on the staged files stops a leaky commit."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from tests.cli.git_helpers import Repo, isolate_git

from hfsecure_jupyter.testing import fake_token

REPO_ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = shutil.which("pre-commit") or (shutil.which("pre-commit", path=os.path.dirname(sys.executable)))

CONFIG = """repos:
  - repo: local
    hooks:
      - id: hfsecure-scan
        name: hfsecure scan
        entry: {python} -m hfsecure_jupyter.cli scan
        language: system
        types_or: [jupyter, python, text]
"""


@pytest.mark.slow
@pytest.mark.skipif(PRE_COMMIT is None, reason="pre-commit is not installed (pip install pre-commit)")
def test_pre_commit_hook_stops_a_secret_and_passes_clean_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    isolate_git(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-cache"))
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    repo = Repo(tmp_path / "repo")
    repo.write(".pre-commit-config.yaml", CONFIG.format(python=sys.executable))
    for i in range(3):
        repo.write(f"f{i}.py", 'import os\ntoken = os.environ["HF_TOKEN"]\n')
    repo.git("add", "-A")
    ok = repo.git("-c", "core.hooksPath=/dev/null", "commit", "-qm", "seed", check=False)
    assert ok.returncode == 0
    import subprocess

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "run"], cwd=repo.root, capture_output=True, text=True)

    repo.write("f1.py", "x = 1\n")
    repo.git("add", "f1.py")
    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    tok = fake_token(seed=41)
    repo.write("f2.py", f"login(token='{tok}')\n")
    repo.git("add", "f2.py")
    leaky = run()
    assert leaky.returncode == 1
    assert "f2.py:1:14: hf-user-token" in leaky.stdout and tok not in leaky.stdout + leaky.stderr

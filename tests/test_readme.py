"""The README's examples run as written: every ```python and ```bash block, against the Hub emulator.

Generic on purpose (the README grows): every fenced block is found and run, in order. A block that cannot
run here (an install command, a server that runs until stopped) is marked on the line before its fence:

    <!-- readme-test: skip (why) -->

Python blocks run one after the other in one IPython shell (so ``%load_ext`` and ``%%hfjob`` work, and
a block may use names an earlier block set), logged in to the emulator as a test user. Shell blocks run
with ``bash -e`` in an empty folder where the files they name (``*.ipynb``, ``*.py``, ``folder/``) exist
and hold no secret, with IPython, Jupyter and home folders of their own: each command must succeed.
``yaml`` blocks that configure pre-commit must name hooks that run here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\b[^>]*-->")
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def blocks(text: str) -> list[tuple[int, str, str, bool]]:
    """(line, language, body, skipped) of every fenced block of ``text``.

    A block is skipped when the last non-blank line before its fence is a ``readme-test: skip`` comment.
    """
    out = []
    for m in FENCE.finditer(text):
        before = [ln for ln in text[:m.start()].splitlines() if ln.strip()]
        skipped = bool(before) and bool(SKIP.search(before[-1]))
        out.append((text.count("\n", 0, m.start()) + 1, m.group(1).lower(), m.group(2), skipped))
    return out


ALL = blocks(README.read_text(encoding="utf-8"))


def test_the_block_finder_sees_fences_and_skip_marks():
    text = "a\n<!-- readme-test: skip (installs) -->\n```bash\npip install x\n```\n\n```python\nprint(1)\n```\n"
    assert blocks(text) == [(3, "bash", "pip install x\n", True), (7, "python", "print(1)\n", False)]
    assert {lang for _, lang, _, _ in ALL} >= {"python", "bash"}


@pytest.fixture
def sandbox(tmp_path: Path, hub) -> dict[str, str]:
    """An environment of the test's own: home, IPython and Jupyter folders, logged in as alice."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "IPYTHONDIR": str(home / ".ipython"),
           "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_DATA_DIR": str(home / ".jupyter-data"),
           "HF_HOME": str(home / ".hf"), "HF_TOKEN": hub.token("alice"), "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1"}
    return env


PY_RUNNER = textwrap.dedent("""
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output
    from traitlets.config import Config
    c = Config(); c.HistoryManager.hist_file = ":memory:"; c.InteractiveShell.colors = "nocolor"
    ip = InteractiveShell.instance(config=c)
    results = []
    for line, code in json.load(sys.stdin):
        with capture_output() as cap:
            r = ip.run_cell(code, store_history=True)
        err = r.error_before_exec or r.error_in_exec
        text = cap.stdout + cap.stderr
        if err is not None:
            text += "\\n" + "\\n".join(getattr(err, "_render_traceback_", lambda: [repr(err)])())
        results.append({"line": line, "ok": err is None, "output": text})
    print(json.dumps(results))
""")


def test_python_blocks_run_in_one_ipython_shell(sandbox, hub, tmp_path):
    runnable = [(line, body) for line, lang, body, skipped in ALL if lang == "python" and not skipped]
    assert runnable
    done = subprocess.run([sys.executable, "-c", PY_RUNNER], input=json.dumps(runnable), capture_output=True,
                          text=True, env=sandbox, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    failed = [f"README.md:{r['line']}:\n{r['output']}" for r in results if not r["ok"]]
    assert not failed, "\n\n".join(failed)
    assert hub.token("alice") not in done.stdout + done.stderr


_NAMED_FILE = re.compile(r"(?<![\w./$-])([\w.-]+(?:/[\w.-]+)*\.(?:ipynb|py))\b")
_NAMED_DIR = re.compile(r"(?<![\w./$:-])([\w.-]+/)(?=\s|$)")


def _prepare(folder: Path, body: str) -> None:
    """Create the clean files and folders a shell block names."""
    for m in _NAMED_FILE.finditer(body):
        p = folder / m.group(1)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.suffix == ".ipynb":
            p.write_text(json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "id": "a",
                                                "metadata": {}, "outputs": [], "source": ["print(1)\n"]}],
                                     "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        else:
            p.write_text("print(1)\n")
    for m in _NAMED_DIR.finditer(body):
        (folder / m.group(1)).mkdir(parents=True, exist_ok=True)


SHELL = [(line, body) for line, lang, body, skipped in ALL if lang in ("bash", "sh", "shell") and not skipped]


@pytest.mark.parametrize("line, body", SHELL, ids=[f"README.md:{line}" for line, _ in SHELL])
def test_shell_blocks_run(sandbox, tmp_path, hub, line, body):
    work = tmp_path / "work"
    work.mkdir()
    _prepare(work, body)
    proc = subprocess.Popen(["bash", "-e", "-c", body], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=sandbox, cwd=work, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)  # a hang guard: mark a server block with readme-test: skip
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the block's whole process group, servers included
            proc.wait()
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    assert done.returncode == 0, f"README.md:{line}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    assert hub.token("alice") not in done.stdout + done.stderr


PRECOMMIT = [(line, body) for line, lang, body, skipped in ALL if lang in ("yaml", "yml") and "repos:" in body
             and not skipped]


@pytest.mark.parametrize("line, body", PRECOMMIT, ids=[f"README.md:{line}" for line, _ in PRECOMMIT])
def test_pre_commit_snippets_name_hooks_that_run(sandbox, tmp_path, line, body):
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load(body)
    for repo in config["repos"]:
        # a remote repo needs a published tag or commit for rev: none can be checked offline, so the
        # README shows the form that works as written: a local hook running the installed command
        assert repo["repo"] == "local", f"README.md:{line}: {repo['repo']} @ {repo.get('rev')} cannot be checked"
        for hook in repo["hooks"]:
            clean = tmp_path / "clean.py"
            clean.write_text("import os\n")
            done = subprocess.run([*shlex.split(hook["entry"]), *hook.get("args", []), str(clean)],
                                  capture_output=True, text=True, env=sandbox, timeout=120)
            assert done.returncode == 0, (hook, done.stdout, done.stderr)

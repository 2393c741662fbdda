"""``hfsecure scan``: exit codes, formats, paths, folder walking, stdin, --redact, --strict, suppression.

Every secret is a fake token built at run time; every test that prints checks the token never does.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.cli_helpers import code_cell, notebook, write_notebook

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect import walk as scan_cli

REPO_ROOT = Path(__file__).resolve().parents[2]


def leaks(out: str, *tokens: str) -> list[str]:
    """Every token (or its random body) that shows up in ``out``."""
    return [t for t in tokens if t in out or t[-30:] in out]


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tok: str) -> Path:
    """A small project in the current folder: proj/app.py (a token), proj/nb/leak.ipynb (two), proj/clean.md."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "proj"
    (root / "nb").mkdir(parents=True)
    (root / "app.py").write_text(f'from huggingface_hub import login\nlogin(token="{tok}")\n')
    nb = notebook([code_cell(f"x = 1\nhf = '{tok}'\n",
                             [{"output_type": "stream", "name": "stdout", "text": [f"{tok}\n"]}])])
    write_notebook(root / "nb" / "leak.ipynb", nb)
    (root / "clean.md").write_text("Use `huggingface_hub.login()`; never paste `hf_...` into a cell.\n")
    return root


# -- exit codes -------------------------------------------------------------------------------------------

def test_clean_folder_exits_0(tmp_path: Path, run_cli) -> None:
    (tmp_path / "a.py").write_text('import os\ntoken = os.environ["HF_TOKEN"]\n')
    r = run_cli(str(tmp_path))
    assert r.code == 0, r.out + r.err
    assert "No secrets found in 1 file." in r.out


def test_secret_exits_1(proj: Path, run_cli, tok: str) -> None:
    r = run_cli("proj")
    assert r.code == 1
    assert r.out.count("hf-user-token") == 3
    assert not leaks(r.out + r.err, tok)


@pytest.mark.parametrize("args, message", [
    (["no-such-folder"], "no-such-folder: no such file or directory"),
    (["--format", "xml", "."], "invalid choice: 'xml'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--redact", "-"], "cannot be used with standard input"),
    (["-", "-"], "only once"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli,
                                           args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    r = run_cli(*args)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("hfsecure scan: error:"), r.err
    assert "Traceback" not in r.err + r.out


def test_missing_path_still_scans_the_rest_and_exits_2(proj: Path, run_cli) -> None:
    r = run_cli("proj/app.py", "proj/missing.py")
    assert r.code == 2
    assert "proj/app.py:2:" in r.out  # the file that exists is still reported
    assert "proj/missing.py: no such file or directory" in r.err


def test_unreadable_file_exits_2_with_a_message(proj: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    real = scan_cli._read_text_file

    def deny(path: str):
        if path.endswith("app.py"):
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(scan_cli, "_read_text_file", deny)
    r = run_cli("proj")
    assert r.code == 2
    assert r.err.strip() == "hfsecure scan: error: proj/app.py: cannot read (Permission denied)"
    assert "proj/nb/leak.ipynb:cells[0].source:2:" in r.out  # the rest is still scanned


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_on_disk(tmp_path: Path, run_cli) -> None:
    f = tmp_path / "secret.py"
    f.write_text("x = 1\n")
    f.chmod(0)
    try:
        r = run_cli(str(f))
    finally:
        f.chmod(0o644)
    assert r.code == 2 and "cannot read (Permission denied)" in r.err


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_read_error_from_the_os_exits_2(run_cli) -> None:
    # /proc/self/mem opens but fails on read (EIO), even for root.
    r = run_cli("/proc/self/mem")
    assert r.code == 2
    assert r.err.startswith("hfsecure scan: error: /proc/self/mem: cannot read (")
    assert "Traceback" not in r.err


def test_core_crash_is_reported_not_raised(proj: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    real = detect.scan_bytes

    def boom(data, *, path="", kind=None, misuse=True):
        if path.endswith("app.py"):
            raise RecursionError("deep")
        return real(data, path=path, kind=kind, misuse=misuse)

    monkeypatch.setattr(detect, "scan_bytes", boom)
    r = run_cli("proj")
    assert r.code == 2
    assert "proj/app.py: could not be scanned (internal error: RecursionError)" in r.err


# -- formats ----------------------------------------------------------------------------------------------

def test_text_format(proj: Path, run_cli, tok: str) -> None:
    r = run_cli("proj")
    lines = r.out.splitlines()
    preview = detect.mask_secret(tok)
    assert f"proj/app.py:2:14: hf-user-token {preview}" in lines
    assert f"proj/nb/leak.ipynb:cells[0].source:2:7: hf-user-token {preview}" in lines
    assert f"proj/nb/leak.ipynb:cells[0].outputs[0].text:1:1: hf-user-token {preview}" in lines
    assert sum(1 for ln in lines if ln.strip().startswith("fix:")) == 1  # once per rule
    assert lines[-1] == "Found 3 secrets in 2 files (3 files scanned)."
    assert "fix:" not in run_cli("--no-fix", "proj").out


def test_json_format(proj: Path, run_cli, tok: str) -> None:
    r = run_cli("--format", "json", "proj")
    assert r.code == 1
    data = r.json
    assert data["files_scanned"] == 3
    assert data["version"] and isinstance(data["notes"], list)
    by_loc = {(f["path"], f["location"]): f for f in data["findings"]}
    assert set(by_loc) == {("proj/app.py", ""), ("proj/nb/leak.ipynb", "cells[0].source"),
                           ("proj/nb/leak.ipynb", "cells[0].outputs[0].text")}
    f = by_loc[("proj/nb/leak.ipynb", "cells[0].source")]
    assert (f["rule"], f["line"], f["column"], f["suppressed"]) == ("hf-user-token", 2, 7, False)
    assert f["preview"] == detect.mask_secret(tok)
    assert f["fingerprint"] == detect.fingerprint("hf-user-token", tok)
    assert {f["fingerprint"] for f in data["findings"]} == {f["fingerprint"]}  # same token, same id
    assert data["summary"] == {"secrets": 3, "warnings": 0, "suppressed": 0, "files_with_findings": 2}
    assert not leaks(r.out, tok)


def test_sarif_format(proj: Path, run_cli, check_sarif, tok: str) -> None:
    r = run_cli("--format", "sarif", "proj")
    assert r.code == 1
    log = r.json
    assert check_sarif(log) == []
    results = log["runs"][0]["results"]
    assert len(results) == 3 and {x["level"] for x in results} == {"error"}
    nb = [x for x in results if x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
          == "proj/nb/leak.ipynb"]
    src = next(x for x in nb if x["locations"][0].get("logicalLocations", [{}])[0].get("name")
               == "cells[0].source")
    assert src["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "cells[0].source:2:7"
    assert "in cells[0].source:2:7" in src["message"]["text"]
    # the region is where the token is in the .ipynb file, not in the cell
    lines = (proj / "nb" / "leak.ipynb").read_text().splitlines()
    region = src["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 2 and region["endLine"] == region["startLine"]
    assert lines[region["startLine"] - 1][region["startColumn"] - 1:region["endColumn"] - 1] == tok
    assert src["partialFingerprints"]["hfsecure/v1"] == detect.fingerprint("hf-user-token", tok)
    assert not leaks(r.out, tok)


def test_output_file(proj: Path, run_cli, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    r = run_cli("--format", "sarif", "--output", str(out), "proj")
    assert r.code == 1 and r.out == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert "report written to" in r.err


def test_output_file_that_cannot_be_written(proj: Path, run_cli) -> None:
    r = run_cli("--output", "proj/app.py/report.txt", "proj")
    assert r.code == 2 and "cannot write proj/app.py/report.txt" in r.err


# -- paths ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("given, expected", [
    ("proj", "proj/app.py"),
    ("./proj", "./proj/app.py"),
    ("proj/", "proj/app.py"),
    ("proj/app.py", "proj/app.py"),
    ("proj/../proj/app.py", "proj/../proj/app.py"),
])
def test_paths_stay_as_given(proj: Path, run_cli, given: str, expected: str) -> None:
    paths = {f["path"] for f in run_cli("--format", "json", given).json["findings"]}
    assert expected in paths


def test_absolute_path_stays_absolute_and_sarif_uri_is_a_file_uri(proj: Path, run_cli) -> None:
    data = run_cli("--format", "json", str(proj)).json
    assert str(proj / "app.py") in {f["path"] for f in data["findings"]}
    log = run_cli("--format", "sarif", str(proj)).json
    uris = {x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for x in log["runs"][0]["results"]}
    assert (proj / "app.py").as_uri() in uris


def test_default_is_the_current_folder(proj: Path, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"not read")))  # not a TTY, still ignored
    data = run_cli("--format", "json").json
    assert {f["path"] for f in data["findings"]} == {"./proj/app.py", "./proj/nb/leak.ipynb"}


def test_folder_walk_skips_vcs_envs_caches_and_binaries_and_says_so(tmp_path: Path, run_cli, tok: str) -> None:
    root = tmp_path / "w"
    skipped = [".git/config", ".hg/x", "node_modules/pkg/index.js", ".venv/lib/x.py", "venv/x.py",
               "myenv/x.py", "__pycache__/m.py", ".tox/py/x.py", ".mypy_cache/x.json", "image.png",
               "model.safetensors"]
    # where a user's work (and a removed token's last copy) lives: scanned
    kept = ["src/app.py", "deep/a/b/c/notes.txt", ".github/workflows/ci.yml", ".env",
            ".ipynb_checkpoints/nb-checkpoint.py", "build/lib/x.py", "dist/x.txt", "pkg.egg-info/PKG-INFO",
            "sub/.ipynb_checkpoints/old-checkpoint.txt"]
    for rel in skipped + kept:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f'TOKEN = "{tok}"\n')
    (root / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "blob.dat").write_bytes(b"\x00\x01" + f"TOKEN={tok}".encode())
    data = run_cli("--format", "json", str(root)).json
    found = {os.path.relpath(f["path"], root) for f in data["findings"]}
    assert found == set(kept)
    assert data["files_scanned"] == len(kept)
    assert any("skipped 3 binary files" in n for n in data["notes"])
    folders = {".git", ".hg", "node_modules", ".venv", "venv", "myenv", "__pycache__", ".tox", ".mypy_cache"}
    assert {os.path.relpath(p, root) for p in data["skipped"]} == folders
    [note] = [n for n in data["notes"] if "folders" in n]
    assert "skipped 9 folders" in note and "--no-skip" in note and str(root / ".git") in note
    text = run_cli(str(root)).out
    assert "note: skipped 9 folders" in text and "--no-skip" in text
    sarif = run_cli("--format", "sarif", str(root)).json["runs"][0]
    assert any("skipped 9 folders" in n["message"]["text"]
               for n in sarif["invocations"][0]["toolExecutionNotifications"] if n["level"] == "note")
    assert len(sarif["properties"]["skippedFolders"]) == 9
    # --no-skip enters them all (binaries are still left out; myenv/pyvenv.cfg is one more file)
    everything = run_cli("--format", "json", "--no-skip", str(root)).json
    assert everything["files_scanned"] == len(kept) + len(skipped) - 2 + 1 and everything["skipped"] == []


@pytest.mark.parametrize("template", ["{t}\n", "HF_TOKEN={t}\n", "login({t})\n"])
def test_unquoted_token_in_a_python_file(tmp_path: Path, run_cli, tok: str, template: str) -> None:
    path = tmp_path / "pasted.py"
    path.write_text(template.format(t=tok))
    assert run_cli(str(path)).code == 1


def test_explicit_paths_are_scanned_even_where_a_walk_would_skip(tmp_path: Path, run_cli, tok: str) -> None:
    p = tmp_path / ".venv" / "leak.py"
    p.parent.mkdir()
    p.write_text(f"TOKEN = '{tok}'\n")
    assert run_cli(str(p)).code == 1
    assert run_cli(str(tmp_path / ".venv")).code == 1
    assert run_cli(str(tmp_path)).code == 0


def test_exclude(proj: Path, run_cli) -> None:
    paths = lambda *a: {f["path"] for f in run_cli("--format", "json", *a, "proj").json["findings"]}  # noqa: E731
    assert paths("--exclude", "*.ipynb") == {"proj/app.py"}
    assert paths("--exclude", "nb") == {"proj/app.py"}
    assert paths("--exclude", "proj/nb/") == {"proj/app.py"}
    assert paths("--exclude", "app.py", "--exclude", "nb/*") == set()
    assert run_cli("--exclude", "app.py", "--exclude", "*.ipynb", "proj").code == 0


def test_same_file_twice_is_scanned_once(proj: Path, run_cli) -> None:
    data = run_cli("--format", "json", "proj", "proj/app.py").json
    assert sum(1 for f in data["findings"] if f["path"].endswith("app.py")) == 1


# -- standard input ---------------------------------------------------------------------------------------

def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_stdin_text(monkeypatch: pytest.MonkeyPatch, run_cli, tok: str) -> None:
    _stdin(monkeypatch, f"your token ({tok}) was saved\n".encode())
    r = run_cli("-")
    assert r.code == 1
    assert r.out.splitlines()[0] == f"-:1:13: hf-user-token {detect.mask_secret(tok)}"
    assert not leaks(r.out + r.err, tok)


def test_stdin_notebook_is_walked_as_a_notebook(monkeypatch: pytest.MonkeyPatch, run_cli, tok: str) -> None:
    _stdin(monkeypatch, json.dumps(notebook([code_cell(f"t = '{tok}'")])).encode())
    f = run_cli("--format", "json", "-").json["findings"]
    assert [(x["path"], x["location"], x["line"], x["column"]) for x in f] == [("-", "cells[0].source", 1, 6)]


def test_stdin_filename_picks_python_scanning(monkeypatch: pytest.MonkeyPatch, run_cli, tok: str) -> None:
    src = f'tok = "{tok[:12]}" + "{tok[12:]}"\n'  # only Python-aware scanning folds the concatenation
    _stdin(monkeypatch, src.encode())
    r = run_cli("--format", "json", "--stdin-filename", "cell.py", "-")
    assert r.code == 1
    assert [(x["path"], x["encoding"]) for x in r.json["findings"]] == [("cell.py", "concatenation")]


def test_stdin_clean(monkeypatch: pytest.MonkeyPatch, run_cli) -> None:
    _stdin(monkeypatch, b"print('hello')\n")
    r = run_cli("-")
    assert r.code == 0 and "No secrets found in 1 file." in r.out


@pytest.mark.slow
def test_console_script_with_piped_stdin(tok: str, tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "hfsecure_jupyter", "scan", "-", "--format", "json"],
                       input=f"export HF_TOKEN={tok}\n".encode(), capture_output=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["findings"][0]["rule"] == "hf-user-token"
    assert tok.encode() not in p.stdout + p.stderr


@pytest.mark.slow
def test_console_script_no_path_does_not_read_stdin(tmp_path: Path) -> None:
    # stdin left open and never written: reading it would hang until the timeout.
    proc = subprocess.Popen([sys.executable, "-m", "hfsecure_jupyter", "scan"], cwd=tmp_path,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("hfsecure scan with no path waited for standard input")
    finally:
        proc.stdin.close()
    out = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 0, out
    assert b"No secrets found in 0 files." in out


# -- --redact ---------------------------------------------------------------------------------------------

def test_redact_notebook_keeps_every_other_byte(tmp_path: Path, run_cli, make_token) -> None:
    import nbformat

    t1, t2, t3 = make_token(), make_token(), make_token("hf-org")
    widgets = {"application/vnd.jupyter.widget-state+json": {
        "state": {"abc": {"model_name": "PasswordModel", "model_module": "@jupyter-widgets/controls",
                          "model_module_version": "2.0.0", "state": {"value": t3}}},
        "version_major": 2, "version_minor": 0}}
    nb = notebook([
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Title \u00e9\n", f"token: {t1}\n"]},
        code_cell(f"login('{t2}')\nprint('ok')\n",
                  [{"output_type": "stream", "name": "stdout", "text": ["a\n", f"{t1}\n", "b\n"]}]),
    ], {"language_info": {"name": "python"}, "widgets": widgets})
    path = tmp_path / "leak.ipynb"
    before = write_notebook(path, nb)
    r = run_cli("--redact", "--format", "json", str(path))
    assert r.code == 1  # secrets were found (and are now masked): the commit must still stop
    after = path.read_bytes()
    expected = before
    for t in (t1, t2, t3):
        expected = expected.replace(t.encode(), detect.mask_secret(t).encode())
    assert after == expected  # only the token bytes changed
    nbformat.validate(nbformat.reads(after.decode(), as_version=4))
    assert run_cli(str(path)).code == 0
    assert any("redacted 4 secrets in place" in n for n in r.json["notes"])
    assert not leaks(r.out + r.err, t1, t2, t3)


def test_redact_notebook_with_a_multiline_traceback(tmp_path: Path, run_cli, tok: str) -> None:
    tb = ["\x1b[0;31mHTTPError\x1b[0m   Traceback", "Cell In[4], line 3\n      1 import x\n----> 3 y()",
          f"HTTPError: 401 (headers: {{'authorization': 'Bearer {tok}'}})"]
    nb = notebook([code_cell("y()", [{"output_type": "error", "ename": "HTTPError", "evalue": "401",
                                      "traceback": tb}])])
    path = tmp_path / "tb.ipynb"
    before = write_notebook(path, nb)
    r = run_cli("--redact", str(path))
    assert path.read_bytes() == before.replace(tok.encode(), detect.mask_secret(tok).encode())
    assert r.code == 1


def test_redact_refuses_to_damage_a_notebook(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch,
                                             tok: str) -> None:
    # Whatever the core returns, the CLI writes a notebook only if nothing but secret strings changed.
    path = tmp_path / "n.ipynb"
    before = write_notebook(path, notebook([code_cell(f"a = '{tok}'\nb = 2\n")]))
    monkeypatch.setattr(detect, "redact_notebook",
                        lambda data, redactor=None: (data.replace(b"b = 2", b"b = 3"), detect.ScanReport()))
    r = run_cli("--redact", str(path))
    assert r.code == 2
    assert path.read_bytes() == before
    assert "not redacted, the file was left as it was" in r.err


def test_redact_python_file(tmp_path: Path, run_cli, make_token) -> None:
    t1, t2 = make_token(), make_token("github")
    path = tmp_path / "job.py"
    src = f'# deploy\nHF = "{t1}"\nGH = "{t2}"  # hfsecure: allow\nprint("d\u00e9j\u00e0 vu")\n'
    path.write_text(src, encoding="utf-8")
    r = run_cli("--redact", str(path))
    assert r.code == 1
    # The unsuppressed secret is what triggers the rewrite; the core masks every secret in the file.
    assert path.read_text(encoding="utf-8") == src.replace(t1, detect.mask_secret(t1)).replace(
        t2, detect.mask_secret(t2))
    assert run_cli(str(path)).code == 0


def test_redact_leaves_clean_files_alone(proj: Path, run_cli) -> None:
    clean = proj / "clean.md"
    stat_before = clean.stat().st_mtime_ns
    assert run_cli("--redact", "proj").code == 1
    assert clean.stat().st_mtime_ns == stat_before
    assert run_cli("proj").code == 0


# -- misuse, --strict, suppression ------------------------------------------------------------------------

def test_misuse_warning_fails_only_with_strict(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "job.py"
    path.write_text('from huggingface_hub import get_token, run_job\n'
                    'run_job(image="python:3.12", command=["python"], env={"HF_TOKEN": get_token()})\n')
    r = run_cli(str(path))
    assert r.code == 0
    assert "secret-in-job-env" in r.out and "[warning]" in r.out
    assert "fix: Pass it through secrets instead" in r.out  # a warning comes with its fix
    assert r.out.splitlines()[-1] == "Found 1 warning in 1 file (1 file scanned)."
    assert run_cli("--strict", str(path)).code == 1
    assert run_cli("--strict", "--no-misuse", str(path)).code == 0
    assert "secret-in-job-env" not in run_cli("--no-misuse", str(path)).out
    sarif = run_cli("--format", "sarif", str(path)).json
    assert [x["level"] for x in sarif["runs"][0]["results"]] == ["warning"]


def test_suppressed_findings_are_listed_and_do_not_fail(tmp_path: Path, run_cli, check_sarif, tok: str) -> None:
    path = tmp_path / "docs.py"
    path.write_text(f'EXAMPLE = "{tok}"  # hfsecure: allow\n')
    r = run_cli(str(path))
    assert r.code == 0
    assert f"{path}:1:12: hf-user-token {detect.mask_secret(tok)} [suppressed]" in r.out
    assert r.out.splitlines()[-1] == "No secrets found in 1 file (1 suppressed finding)."
    f = run_cli("--format", "json", str(path)).json["findings"]
    assert [x["suppressed"] for x in f] == [True]
    log = run_cli("--format", "sarif", str(path)).json
    assert check_sarif(log) == []
    assert log["runs"][0]["results"][0]["suppressions"][0]["kind"] == "inSource"
    assert run_cli("--strict", str(path)).code == 0


# -- no secret in any output ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_canary_never_printed(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, make_token,
                              fmt: str) -> None:
    canary = make_token()
    others = [make_token(kind) for kind in ("hf-org", "openai", "github", "aws", "google", "slack")]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(f'k = "{canary}"\nenv = {{"HF_TOKEN": "{canary}"}}\n'
                                   + "".join(f'x{i} = "{o}"\n' for i, o in enumerate(others)))
    (tmp_path / f"named-{canary}.txt").write_text(f"a file whose name is a secret, holding one: {others[0]}\n")
    (tmp_path / "bad.ipynb").write_text('{"cells": [' + f'"{canary}')  # truncated: scanned as text
    write_notebook(tmp_path / "n.ipynb", notebook([code_cell(f"print('{canary}')",
                   [{"output_type": "error", "ename": "E", "evalue": f"bad token {canary}",
                     "traceback": [f"\x1b[31m{canary}\x1b[0m"]}])]))
    out_file = tmp_path / "report.out"
    r1 = run_cli("--format", fmt, ".")
    r2 = run_cli("--format", fmt, "--output", str(out_file), ".")
    everything = r1.out + r1.err + r2.out + r2.err + out_file.read_text()
    assert r1.code == 1
    assert not leaks(everything, canary, *others)
    assert "named-hf_" in everything  # the file is reported, its name masked


# -- the project's own tree -------------------------------------------------------------------------------

def test_project_tree_holds_no_secret(run_cli) -> None:
    assert (REPO_ROOT / "pyproject.toml").is_file()
    # hfsecure-demo/ is what `hfsecure demo` (the README's first command) writes: fake tokens, git-ignored.
    r = run_cli("--format", "json", "--exclude", "hfsecure-demo", str(REPO_ROOT))
    data = r.json
    secrets = [(f["path"], f["location"], f["line"], f["rule"]) for f in data["findings"]
               if f["kind"] == "secret" and not f["suppressed"]]
    assert secrets == []
    assert data["files_scanned"] > 10
    assert r.code == 0, r.err


def test_a_fifo_given_by_name_is_an_error_not_a_hang(tmp_path):
    import os
    import subprocess
    import sys

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "hfsecure_jupyter", "scan", str(fifo)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "not a regular file" in proc.stderr and "scan - <" in proc.stderr


def test_endless_standard_input_is_refused_not_read_forever(monkeypatch):
    import io

    from hfsecure_jupyter.detect import walk as scan_cli

    monkeypatch.setattr(scan_cli, "MAX_BYTES", 1000)
    run = scan_cli.run_scan(["-"], stdin=io.BytesIO(b"x" * 5000))
    assert run.files_scanned == 0 and run.exit_code() == 2
    assert any("larger than" in e for e in run.errors)
    ok = scan_cli.run_scan(["-"], stdin=io.BytesIO(b"x" * 900))
    assert ok.files_scanned == 1 and ok.exit_code() == 0


@pytest.mark.parametrize("indent, ascii_only, joined", [(1, False, False), (1, True, False), (None, True, True),
                                                        (2, False, True)])
def test_sarif_regions_are_lines_of_the_notebook_file(tmp_path: Path, run_cli, tok: str, indent, ascii_only,
                                                      joined) -> None:
    # escapes before the token (\n, \", \\, a non-ASCII letter, an astral character) move its column in the file
    cell = code_cell(f"import os\nx = 'é😀 \\\\ \" ' + '{tok}'\n")
    out = {"output_type": "stream", "name": "stdout", "text": ["a\n", f"é {tok}\n"]}
    nb = notebook([code_cell("# first\n", n=1), {**cell, "outputs": [out], "id": "c2"}],
                  metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"value": tok}}}})
    if joined:
        for c in nb["cells"]:
            c["source"] = "".join(c["source"])
    path = tmp_path / "nb.ipynb"
    text = json.dumps(nb, indent=indent, ensure_ascii=ascii_only) + "\n"
    path.write_text(text, encoding="utf-8")
    results = run_cli("--format", "sarif", str(path)).json["runs"][0]["results"]
    lines = text.splitlines()
    seen = set()
    for res in results:
        region = res["locations"][0]["physicalLocation"]["region"]
        line = lines[region["startLine"] - 1]
        assert line[region["startColumn"] - 1:region["endColumn"] - 1] == tok, (res["message"], region)
        seen.add(res["locations"][0]["logicalLocations"][0]["name"])
    assert seen == {"cells[1].source", "cells[1].outputs[0].text",
                    "metadata.widgets.application/vnd.jupyter.widget-state+json.state.value"}


def test_redact_a_folder_with_a_link_to_a_file_in_it_redacts_the_target_once(tmp_path: Path, run_cli,
                                                                               tok: str) -> None:
    root = tmp_path / "w"
    root.mkdir()
    (root / "b_real.py").write_text(f"T = '{tok}'\n")
    (root / "a_link.py").symlink_to(root / "b_real.py")  # walked first
    nb = root / "n.ipynb"
    write_notebook(nb, notebook([code_cell(f"x = '{tok}'\n")]))
    (root / "nb_link.ipynb").symlink_to(nb)
    r = run_cli("--redact", str(root))
    assert r.code == 1, r.err
    assert (root / "a_link.py").is_symlink() and (root / "nb_link.ipynb").is_symlink()
    assert tok not in (root / "b_real.py").read_text() and tok not in nb.read_text()
    assert run_cli(str(root)).code == 0


def test_redact_keeps_a_notebook_saved_meanwhile(tmp_path: Path, run_cli, make_token,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = make_token(), make_token()
    path = tmp_path / "n.ipynb"
    write_notebook(path, notebook([code_cell(f"x = '{old}'\n")]))
    saved = notebook([code_cell(f"x = '{old}'\n"), code_cell(f"y = '{new}'\nz = 'newer work'\n", n=2)])
    real = detect.redact_notebook
    calls = []

    def user_saves_meanwhile(data, redactor=None):
        calls.append(1)
        if len(calls) == 1:
            write_notebook(path, saved)  # Jupyter saves the notebook while it is being redacted
        return real(data, redactor)

    monkeypatch.setattr(detect, "redact_notebook", user_saves_meanwhile)
    r = run_cli("--redact", str(path))
    assert r.code == 1, r.err
    cells = json.loads(path.read_text())["cells"]
    assert len(cells) == 2 and "z = 'newer work'\n" in cells[1]["source"]
    assert old not in path.read_text() and new not in path.read_text()


def test_a_file_name_that_is_not_utf8_gives_valid_reports_in_every_format(tmp_path: Path, tok: str) -> None:
    # a real process: its standard streams and --output file are what a user's shell sees
    root = tmp_path / "w"
    root.mkdir()
    name = os.fsencode(root) + b"/caf\xe9.py"
    with open(name, "w") as fh:
        fh.write(f"T = '{tok}'\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    outputs = {}
    for fmt in ("text", "json", "sarif"):
        out_file = tmp_path / f"report.{fmt}"
        for extra in ([], ["--output", str(out_file)]):
            done = subprocess.run([sys.executable, "-m", "hfsecure_jupyter", "scan", "--format", fmt, *extra,
                                   str(root)], capture_output=True, env=env, timeout=120)
            assert done.returncode == 1, done.stderr.decode(errors="replace")
            assert b"Traceback" not in done.stderr
            data = out_file.read_bytes() if extra else done.stdout
            outputs[fmt, bool(extra)] = data.decode("utf-8")  # valid UTF-8, or this raises
    assert json.loads(outputs["json", True])["findings"][0]["path"].endswith("caf\\xe9.py")
    log = json.loads(outputs["sarif", False])
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        .endswith("/caf%E9.py")
    assert "caf\\xe9.py:1:6: hf-user-token" in outputs["text", True]
    assert not any(leaks(text, tok) for text in outputs.values())


# -- several processes ------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_scan_in_two_processes_reports_what_one_process_does(tmp_path: Path, run_cli, make_token,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_cli, "WARM_BYTES", 0)  # (else a folder this small is done before any fork)
    shared = []
    real = scan_cli.map_in_processes

    def spy(func, items, *, weights, processes):
        got = real(func, items, weights=weights, processes=processes)
        shared.append((processes, len(items)))
        return got

    monkeypatch.setattr(scan_cli, "map_in_processes", spy)
    root = tmp_path / "many"
    root.mkdir()
    tokens = []
    for i in range(24):
        tok = make_token()
        tokens.append(tok)
        if i % 3 == 0:
            write_notebook(root / f"n{i:02d}.ipynb", notebook([code_cell(f"x = {i}\nhf = '{tok}'\n")]))
        elif i % 3 == 1:
            (root / f"m{i:02d}.py").write_text(f'print(get_token())\nT = "{tok}"\n' if i % 2 else "x = 1\n")
        else:
            (root / f"t{i:02d}.txt").write_text("notes\n" * i)
    (root / "blob.bin").write_bytes(b"\0\1\2" * 100)
    (root / "img.png").write_bytes(b"\x89PNG" + bytes(100))
    one = scan_cli.run_scan([str(root)], jobs=1)
    two = scan_cli.run_scan([str(root)], jobs=2)
    assert one.files_scanned == two.files_scanned == 24
    assert [(r.path, r.findings, r.kind, r.notes) for r in one.reports] == \
           [(r.path, r.findings, r.kind, r.notes) for r in two.reports]
    assert (one.errors, one.notes, one.regions) == (two.errors, two.notes, two.regions)
    assert one.regions and sum(len(r.secrets) for r in two.reports) == 12
    assert shared and shared[0][:2] == (2, 26)  # the 24 documents and 2 binaries, in two processes
    r1, r2 = run_cli("-f", "json", "-j", "1", str(root)), run_cli("-f", "json", "-j", "2", str(root))
    assert r1.code == r2.code == 1 and r1.out == r2.out
    assert not leaks(r2.out + r2.err, *tokens)


def test_a_small_scan_stays_in_one_process() -> None:
    assert scan_cli._processes(0, False, [1000] * 50) == 1  # (forking costs more than it saves)
    assert scan_cli._processes(0, True, [10 << 20] * 4) == 1  # redaction rewrites in order, here
    assert scan_cli._processes(3, False, [1, 1]) == 3
    assert scan_cli._processes(0, False, [4 << 20]) == 1  # one file


def test_a_file_larger_than_the_cap_is_refused_and_the_rest_scanned(tmp_path: Path, monkeypatch, tok: str) -> None:
    from hfsecure_jupyter.detect import walk as scan_cli

    monkeypatch.setattr(scan_cli, "MAX_BYTES", 20_000)
    (tmp_path / "big.txt").write_text("x" * 30_000)
    (tmp_path / "edge.txt").write_text("y" * 20_000)  # at the cap: read
    (tmp_path / "t.py").write_text(f"T = '{tok}'\n")
    run = scan_cli.run_scan([str(tmp_path)], jobs=1)
    assert run.files_scanned == 2 and run.exit_code() == 2
    assert [e for e in run.errors if "big.txt" in e and "larger than" in e]


def test_a_large_scan_in_one_process_loads_the_accelerator_before_its_first_file(tmp_path: Path, monkeypatch) -> None:
    # Else the first quarter megabyte of files takes the standard-library path and compiles all of its
    # checks as well (measured: ~3% of a corpus run's instructions).
    from hfsecure_jupyter.detect import engine
    from hfsecure_jupyter.detect import walk as scan_cli

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("notes\n" * (engine._ACCEL_AFTER // 6))
    monkeypatch.setattr(engine, "_ACCEL", [])
    monkeypatch.setattr(engine, "_SEEN", [0])
    items = [(str(p), str(p), True, True) for p in sorted(tmp_path.iterdir())]
    outcomes = scan_cli._outcomes(items, 1, False)
    assert engine._ACCEL, "loaded before the first file is read"
    assert [o[0] for o in outcomes] != ["error", "error"]

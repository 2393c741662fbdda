"""``hfsecure hub-emulator`` (:mod:`hfsecure_jupyter.emulator.cli`): start, announce, stop, bad accounts files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hfsecure_jupyter.emulator import test_accounts


def _start_cli(*args: str, tmp_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("HF_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "hfsecure_jupyter", "hub-emulator", *args], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_cli_demo_user_token_file_and_clean_stop(tmp_path):
    token_file = tmp_path / "tok"
    proc = _start_cli("--port", "0", "--token-file", str(token_file), tmp_path=tmp_path)
    try:
        first = proc.stdout.readline()
        m = re.fullmatch(r"hfsecure hub emulator listening on (http://127\.0\.0\.1:(\d+))\n", first)
        assert m, first
        url = m.group(1)
        second = proc.stdout.readline()
        assert str(token_file) in second
        assert token_file.stat().st_mode & 0o777 == 0o600
        value = token_file.read_text()
        assert value.startswith("hf_") and len(value) == 37
        req = urllib.request.Request(url + "/api/whoami-v2", headers={"Authorization": f"Bearer {value}"})
        me = json.load(urllib.request.urlopen(req, timeout=10))
        assert me["name"] == "demo" and me["auth"]["accessToken"]["role"] == "write"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert value not in first + second + out + err
    assert "GET /api/whoami-v2 200" in err  # the access log, without the token


@pytest.mark.slow
def test_cli_accounts_file_and_sigint(tmp_path):
    accounts = test_accounts()
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(accounts))
    proc = _start_cli("--accounts", str(path), "--local-run", "--quiet", tmp_path=tmp_path)
    try:
        first = proc.stdout.readline()
        url = re.fullmatch(r"hfsecure hub emulator listening on (http://127\.0\.0\.1:\d+)\n", first).group(1)
        rest = proc.stdout.readline() + proc.stdout.readline()
        bob = accounts["users"][1]["tokens"][0]["token"]
        req = urllib.request.Request(url + "/api/whoami-v2", headers={"Authorization": f"Bearer {bob}"})
        assert json.load(urllib.request.urlopen(req, timeout=10))["name"] == "bob"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "local-run" in rest and "4 user(s)" in rest and "stopped" in out
    assert not any(u["tokens"][0]["token"] in first + rest + out + err for u in accounts["users"])


@pytest.mark.parametrize("content,needle", [
    ("{not json", "not valid JSON"),
    ('{"users": []}', "non-empty"),
    ('{"users": [{"name": "x", "tokens": [{"token": "abcdefghij", "role": "admin"}]}]}', "role must be one of"),
    (None, "cannot read"),
])
def test_cli_bad_accounts_file_is_one_line_exit_2(tmp_path, capsys, content, needle):
    from hfsecure_jupyter.emulator import main

    path = tmp_path / "acc.json"
    if content is not None:
        path.write_text(content)
    assert main(["--accounts", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and needle in captured.err
    assert "Traceback" not in captured.err

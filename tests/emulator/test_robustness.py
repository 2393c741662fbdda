"""The emulator under odd input (issue 8, item 9): every request gets an answer (400/404/413/431, never a 500,
a traceback or a dropped connection), no token reaches its log or its listings, and a local run never
outlives the emulator. Loopback only; the big bodies are bounded (120 MB, streamed in 1 MB chunks).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

from hfsecure_jupyter.emulator import test_accounts


def call(hub, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
         token: str | None = None):
    """(status, headers, body) of one plain call; a dropped connection fails the test."""
    req = urllib.request.Request(hub.url + path, data=body, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture
def emulator_log(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_access_log_masks_a_token_in_the_path(hub, emulator_log):
    secret = hub.token("bob")
    for path in (f"/api/jobs/{secret}", f"/api/models/x/{secret}", "/api/jobs/" + secret.replace("_", "%5F")):
        status, _, _ = call(hub, "GET", path, token=hub.token("alice"))
        assert status in (403, 404)
    assert secret not in emulator_log.text and secret[3:] not in emulator_log.text
    assert "hf_****" in emulator_log.text
    assert not any(secret in r.path or secret[3:] in r.path for r in hub.calls())


@pytest.mark.parametrize("path", ["/api/jobs/alice/caf%C3%A9", "/api/jobs/al%0Aice/x", "/api/jobs/al%0D%0Aice",
                                  "/api/jobs/alice/%E2%80%AEx/logs", "/api/models/caf%C3%A9/m",
                                  "/api/scheduled-jobs/al%0Aice", "/al%0Aice/m/resolve/main/x",
                                  "/api/jobs/alice/%FF%FE", "/api/models/a/b/tree/main/%00"])
def test_odd_characters_in_a_namespace_or_id_are_4xx(hub, emulator_log, path):
    status, headers, body = call(hub, "GET", path, token=hub.token("alice"))
    assert 400 <= status < 500, (status, body)
    assert "\n" not in (headers.get("X-Error-Message") or "")
    assert "Traceback" not in emulator_log.text


@pytest.mark.parametrize("body,needle", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"command": ["x"], "dockerImage": "i", "timeoutSeconds": ' + b"9" * 5000 + b"}", "too long"),
    (b"\xff\xfe not utf-8", "not valid JSON"),
])
def test_hostile_json_is_400_without_a_traceback(hub, emulator_log, body, needle):
    status, _, answer = call(hub, "POST", "/api/jobs/alice", body=body, token=hub.token("alice"),
                             headers={"Content-Type": "application/json"})
    assert status == 400 and needle in json.loads(answer)["error"]
    assert "Traceback" not in emulator_log.text


@pytest.mark.parametrize("size", [64 * 1024, 512 * 1024])
def test_huge_authorization_header_is_431(hub, size):
    status, headers, _ = call(hub, "GET", "/api/whoami-v2", headers={"Authorization": "Bearer " + "x" * size})
    assert status == 431 and "too large" in headers["X-Error-Message"]


def test_120_mb_body_is_read_and_answered_413(hub):
    conn = http.client.HTTPConnection(hub.host, hub.port, timeout=60)
    conn.putrequest("POST", "/api/jobs/alice")
    conn.putheader("Authorization", f"Bearer {hub.token('alice')}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(120 * 2**20))
    conn.endheaders()
    chunk = b" " * 2**20
    for _ in range(120):
        conn.send(chunk)
    resp = conn.getresponse()
    assert resp.status == 413 and "too large" in resp.getheader("X-Error-Message")
    conn.close()
    assert hub.jobs == {}


def test_every_404_has_an_error_code_and_download_is_not_blamed_on_the_connection(hub, tmp_path):
    for method, path in (("GET", "/api/nothing"), ("POST", "/api/whatever/x"), ("GET", "/api/jobs/alice/nope"),
                         ("GET", "/api/scheduled-jobs/alice/nope"), ("GET", "/api/models/acme/none"),
                         ("HEAD", "/acme/tiny-model/resolve/main/missing.txt")):
        status, headers, _ = call(hub, method, path, token=hub.token("alice"),
                                  body=b"{}" if method == "POST" else None)
        assert status == 404 and headers.get("X-Error-Code"), (method, path)
    status, headers, body = call(hub, "GET", "/api/nothing")
    assert "not emulated" in json.loads(body)["error"].lower() and "GET /api/nothing" in headers["X-Error-Message"]
    with pytest.raises(EntryNotFoundError) as exc:
        hf_hub_download("acme/tiny-model", "missing.txt", cache_dir=tmp_path, token=False)
    assert "check your connection" not in str(exc.value)


@pytest.mark.parametrize("field", ["secrets", "environment", "labels"])
def test_a_token_as_a_name_or_label_key_is_refused_and_masked(hub, field):
    secret = hub.token("bob")
    body = {"command": ["echo"], "dockerImage": "python:3.12", field: {secret: "v"}}
    status, headers, answer = call(hub, "POST", "/api/jobs/alice", body=json.dumps(body).encode(),
                                   token=hub.token("alice"), headers={"Content-Type": "application/json"})
    assert status == 400 and "looks like a secret" in headers["X-Error-Message"]
    assert secret not in answer.decode() + headers["X-Error-Message"]
    assert hub.jobs == {}


def test_a_token_as_a_label_value_or_in_a_label_update_is_refused(hub):
    api = HfApi(endpoint=hub.url, token=hub.token("alice"))
    with pytest.raises(HfHubHTTPError) as exc:
        api.run_job(image="python:3.12", command=["echo"], labels={"k": hub.token("bob")}, namespace="alice")
    assert exc.value.response.status_code == 400 and hub.token("bob") not in str(exc.value)
    job = api.run_job(image="python:3.12", command=["echo"], namespace="alice")
    with pytest.raises(HfHubHTTPError):
        api.update_job_labels(job_id=job.id, labels={hub.token("bob"): "x"}, namespace="alice")
    listing = json.dumps([j.labels for j in api.list_jobs(namespace="alice")])
    assert hub.token("bob") not in listing


# ---------------------------------------------------------------------------------------------------------
# a local run never outlives the emulator
# ---------------------------------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its (gone) parent counts as ended
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_local_run_job_dies_with_the_emulator(tmp_path: Path, how):
    accounts = test_accounts()
    (tmp_path / "accounts.json").write_text(json.dumps(accounts))
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    emu = subprocess.Popen([sys.executable, "-m", "hfsecure_jupyter", "hub-emulator", "--accounts",
                            str(tmp_path / "accounts.json"), "--local-run", "--quiet"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    pid_file = tmp_path / "job.pid"
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", emu.stdout.readline()).group(0)
        script = (f"import os, subprocess, sys, time\n"
                  f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                  f"open({str(pid_file)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
                  f"time.sleep(600)\n")
        body = {"command": ["python", "-c", script], "dockerImage": "python:3.12"}
        req = urllib.request.Request(f"{url}/api/jobs/alice", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {accounts['users'][0]['tokens'][0]['token']}",
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()
        assert _wait(lambda: pid_file.exists() and len(pid_file.read_text().split()) == 2)
        pids = [int(p) for p in pid_file.read_text().split()]
        assert all(_alive(p) for p in pids)
        emu.send_signal(how)
        emu.wait(30)
        assert _wait(lambda: not any(_alive(p) for p in pids)), "the job outlived the emulator"
    finally:
        if emu.poll() is None:
            emu.kill()
        emu.communicate(timeout=10)
        if pid_file.exists():
            for p in pid_file.read_text().split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass


@pytest.mark.parametrize("method,path,body", [("GET", "/api/whoami-v2", None),
                                              ("POST", "/api/jobs/alice", b'{"command": ["echo"]}')])
def test_an_injected_fault_keeps_the_connection_alive(hub, method, path, body):
    """A fault is answered after the body is read: the client's pooled connection stays usable."""
    hub.faults.update({"status": 503, "times": 1})
    conn = http.client.HTTPConnection(hub.host, hub.port, timeout=30)
    headers = {"Authorization": f"Bearer {hub.token('alice')}", "Content-Type": "application/json"}
    conn.request(method, path, body=body, headers=headers)
    first = conn.getresponse()
    first.read()
    assert first.status == 503
    conn.request("GET", "/api/whoami-v2", headers=headers)  # same socket
    second = conn.getresponse()
    assert second.status == 200 and json.loads(second.read())["name"] == "alice"
    conn.close()

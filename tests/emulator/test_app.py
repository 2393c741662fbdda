"""The offline Hub emulator, driven by the REAL huggingface_hub client and the REAL ``hf`` command line.

``HF_ENDPOINT`` is set by tests/conftest.py before huggingface_hub is imported; every test here goes
through the ``hub`` fixture (fresh jobs and faults on the session's emulator).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shlex
import subprocess
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import httpx2
import pytest

import huggingface_hub
from huggingface_hub import HfApi, JobStage
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, JobNotFoundError, LocalTokenNotFoundError
from huggingface_hub.utils import _http as hf_http

from hfsecure_jupyter.emulator import EmulatorServer, Timings, parse_inline, test_accounts
from hfsecure_jupyter.testing import fake_token

# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def inline_command(script: str, *, deps: tuple[str, ...] = (), python: str | None = None,
                   args: tuple[str, ...] = ()) -> list[str]:
    """The self-contained uv form (as the MCP server builds it): base64 script piped to ``uv run ... -``."""
    b64 = base64.b64encode(script.encode()).decode()
    uv = shlex.join(["uv", "run", *[x for d in deps for x in ("--with", d)], *(["-p", python] if python else []),
                     "-", *args])
    return ["/bin/sh", "-lc", f'echo "{b64}" | base64 -d | {uv}']


class Recorder:
    """Every response the real client receives (status, headers, full body, streams included)."""

    def __init__(self) -> None:
        self.responses: list[dict] = []

    def text(self) -> str:
        parts = []
        for r in self.responses:
            parts.append(r["url"])
            parts.extend(f"{k}: {v}" for k, v in r["headers"])
            parts.append(bytes(r["body"]).decode("utf-8", "replace"))
        return "\n".join(parts)


@pytest.fixture
def recorder():
    """Tee every response of huggingface_hub's shared HTTP client into a Recorder."""
    rec = Recorder()

    class TeeTransport(httpx2.HTTPTransport):
        def handle_request(self, request):
            response = super().handle_request(request)
            entry = {"url": str(request.url), "status": response.status_code,
                     "headers": list(response.headers.multi_items()), "body": bytearray()}
            rec.responses.append(entry)
            inner = response.stream

            class Tee(httpx2.SyncByteStream):
                def __iter__(self):
                    for chunk in inner:
                        entry["body"] += chunk
                        yield chunk

                def close(self):
                    inner.close()

            response.stream = Tee()
            return response

    def factory():
        return httpx2.Client(event_hooks={"request": [hf_http.hf_request_event_hook]}, follow_redirects=True,
                             timeout=None, transport=TeeTransport())

    hf_http.set_client_factory(factory)
    try:
        yield rec
    finally:
        hf_http.set_client_factory(hf_http.default_client_factory)


def raw(hub, method: str, path: str, *, token: str | None = None, body=None, timeout: float = 10):
    """A plain HTTP call (urllib), returning (status, headers, body bytes)."""
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(hub.url + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def wait_stage(api: HfApi, job_id: str, namespace: str, stages: set[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        stage = api.inspect_job(job_id=job_id, namespace=namespace).status.stage
        if stage in stages:
            return stage
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stuck in {stage}")
        time.sleep(0.05)


def hf_cli(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra or {})
    env["NO_COLOR"] = "1"
    return subprocess.run(["hf", *args], capture_output=True, text=True, env=env, timeout=timeout)


# ---------------------------------------------------------------------------------------------------------
# set-up and whoami
# ---------------------------------------------------------------------------------------------------------


def test_client_points_at_the_emulator(hub):
    assert huggingface_hub.constants.ENDPOINT == hub.url == os.environ["HF_ENDPOINT"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", hub.url)
    assert "HF_TOKEN" not in os.environ or os.environ["HF_TOKEN"] in {hub.token(u) for u in hub.users.users}


def test_whoami_shape_for_each_role(hub):
    alice = HfApi(token=hub.token("alice")).whoami()
    assert alice["type"] == "user" and alice["name"] == "alice" and alice["fullname"]
    assert [(o["type"], o["name"], o["roleInOrg"]) for o in alice["orgs"]] == [("org", "acme", "admin")]
    assert alice["auth"]["type"] == "access_token"
    assert alice["auth"]["accessToken"]["role"] == "write"
    assert "fineGrained" not in alice["auth"]["accessToken"]
    assert HfApi(token=hub.token("bob")).whoami()["auth"]["accessToken"]["role"] == "read"
    carol = HfApi(token=hub.token("carol")).whoami()["auth"]["accessToken"]
    assert carol["role"] == "fineGrained" and carol["displayName"] == "carol-jobs"
    scoped = {(s["entity"]["type"], s["entity"]["name"]): s["permissions"] for s in carol["fineGrained"]["scoped"]}
    assert set(scoped[("user", "carol")]) == {"job.write", "repo.write"}
    assert scoped[("model", "acme/private-model")] == ["repo.content.read"]
    assert all(len(s["entity"]["_id"]) == 24 for s in carol["fineGrained"]["scoped"])


def test_whoami_through_env_token(hub, logged_in):
    assert huggingface_hub.whoami()["name"] == "alice"
    logged_in("bob")
    assert huggingface_hub.whoami()["name"] == "bob"
    assert logged_in.user == "bob" and "hf_" not in repr(logged_in)


def test_unknown_token_is_401_invalid_user_token(hub, monkeypatch):
    bad = fake_token()
    monkeypatch.setenv("HF_TOKEN", bad)
    with pytest.raises(HfHubHTTPError) as info:
        huggingface_hub.whoami()
    assert info.value.response.status_code == 401
    assert "Invalid user token" in str(info.value)
    assert bad not in str(info.value)
    # a revoked token stops working too
    fresh = hub.add_token("alice", "write")
    assert HfApi(token=fresh).whoami()["name"] == "alice"
    assert hub.revoke(fresh)
    with pytest.raises(HfHubHTTPError, match="Invalid user token"):
        HfApi(token=fresh).whoami()


def test_missing_token_client_and_server(hub):
    with pytest.raises(LocalTokenNotFoundError):
        HfApi().whoami()
    status, headers, body = raw(hub, "GET", "/api/whoami-v2")
    assert status == 401 and json.loads(body)["error"] == headers["X-Error-Message"]
    status, _, _ = raw(hub, "GET", "/api/jobs/alice")
    assert status == 401
    # a bad token on jobs routes answers the Hub's own message
    status, headers, _ = raw(hub, "GET", "/api/jobs/alice", token=fake_token())
    assert status == 401 and headers["X-Error-Message"] == "Invalid credentials in Authorization header"


# ---------------------------------------------------------------------------------------------------------
# jobs
# ---------------------------------------------------------------------------------------------------------


def test_list_jobs_hardware_matches_client_enum(hub):
    names = [h.name for h in HfApi(token=hub.token("alice")).list_jobs_hardware()]
    assert names[0] == "cpu-basic"
    assert set(names) == {f.value for f in huggingface_hub.JobHardware}
    gpu = next(h for h in HfApi().list_jobs_hardware() if h.name == "a10g-small")
    assert gpu.accelerator.model == "A10G" and gpu.unit_label == "minute"


def test_run_job_inspect_logs_and_stages(hub, recorder):
    secret = fake_token()
    api = HfApi(token=hub.token("alice"))
    job = api.run_job(image="python:3.12", command=["python", "-c", "print('hi')"], env={"MODE": "test"},
                      secrets={"HF_TOKEN": secret}, labels={"team": "ml"}, timeout="5m", namespace="alice")
    assert job.owner.name == "alice" and job.owner.type == "user"
    assert job.status.stage == JobStage.SCHEDULING
    assert job.secrets == ["HF_TOKEN"]
    assert job.environment == {"MODE": "test"}
    assert job.labels["team"] == "ml" and "name" in job.labels
    assert job.url == f"{hub.url}/jobs/alice/{job.id}"
    assert re.fullmatch(r"[0-9a-f]{24}", job.id)
    assert hub.jobs[job.id].spec.get("timeoutSeconds") == 300

    assert wait_stage(api, job.id, "alice", {"RUNNING", "COMPLETED"}) in {"RUNNING", "COMPLETED"}
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert not any(line.startswith("===== Job started") for line in lines)  # the client drops it
    assert any("environment: MODE; secrets: HF_TOKEN" in line for line in lines)
    assert lines[-1] == "[hub emulator] done"
    info = api.inspect_job(job_id=job.id, namespace="alice")
    assert info.status.stage == "COMPLETED"
    assert info.started_at is not None and info.finished_at is not None and info.started_at <= info.finished_at
    assert info.durations is not None and info.durations.total_secs is not None
    # no-follow replays the finished log
    assert list(api.fetch_job_logs(job_id=job.id, namespace="alice")) == lines
    assert list(api.fetch_job_logs(job_id=job.id, namespace="alice", tail=1)) == lines[-1:]
    assert secret not in recorder.text()
    assert len(recorder.responses) >= 5


def test_run_job_without_namespace_calls_whoami(hub, logged_in):
    # (>= rather than ==: a background status refresh left by another test may call whoami too)
    job = huggingface_hub.run_job(image="ubuntu", command=["echo", "x"])
    assert job.owner.name == "alice"
    before = len(hub.calls("/api/whoami-v2"))
    assert before >= 1
    assert [j.id for j in huggingface_hub.list_jobs()] == [job.id]
    assert len(hub.calls("/api/whoami-v2")) > before  # list_jobs without namespace asks again (uncached)


def test_run_uv_job_with_url_is_passed_through(hub):
    api = HfApi(token=hub.token("alice"))
    url = "https://example.invalid/scripts/train.py"
    job = api.run_uv_job(url, script_args=["--epochs", "1"], dependencies=["trl"], python="3.12",
                         secrets={"HF_TOKEN": fake_token()}, namespace="alice")
    assert job.command == ["uv", "run", "--with", "trl", "--python", "3.12", url, "--epochs", "1"]
    assert job.docker_image == "ghcr.io/astral-sh/uv:python3.12-bookworm"
    assert job.labels["name"].startswith("train-")
    assert hub.wait_for_job(job.id).stage == "COMPLETED"


def test_list_jobs_filters_and_paging(hub):
    api = HfApi(token=hub.token("alice"))
    hub.timings.running = 30  # keep the second job running
    done = api.run_job(image="ubuntu", command=["true"], labels={"env": "prod"}, namespace="alice")
    hub.jobs[done.id].cancel()
    running = api.run_job(image="ubuntu", command=["true"], labels={"env": "dev", "team": "ml"}, namespace="alice")
    wait_stage(api, running.id, "alice", {"RUNNING"})
    ids = lambda **kw: {j.id for j in api.list_jobs(namespace="alice", **kw)}  # noqa: E731
    assert ids() == {done.id, running.id}
    assert ids(status="RUNNING") == {running.id}
    assert ids(status=[JobStage.CANCELED, JobStage.COMPLETED]) == {done.id}
    assert ids(labels={"env": "dev"}) == {running.id}
    assert ids(labels={"env": "dev", "team": "other"}) == set()
    assert ids(status="RUNNING", labels={"env": "prod"}) == set()
    # the client follows Link paging
    hub.page_size = 1
    more = api.run_job(image="ubuntu", command=["true"], namespace="alice")
    assert ids() == {done.id, running.id, more.id}
    assert len(hub.calls("/api/jobs/alice", "GET")) == 6 + 3  # six one-page listings, then three pages
    # other users do not see alice's jobs
    assert {j.id for j in HfApi(token=hub.token("carol")).list_jobs(namespace="carol")} == set()


def test_cancel_job(hub):
    hub.timings.running = 3600  # the job would run for an hour: only the cancel can end its log stream
    api = HfApi(token=hub.token("alice"))
    job = api.run_job(image="ubuntu", command=["sleep", "1000"], namespace="alice")
    wait_stage(api, job.id, "alice", {"RUNNING"})
    api.cancel_job(job_id=job.id, namespace="alice")
    assert api.inspect_job(job_id=job.id, namespace="alice").status.stage == "CANCELED"
    # a follower stops once the job is canceled
    follower = threading.Thread(
        target=lambda: list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True)), daemon=True)
    follower.start()
    follower.join(60)
    assert not follower.is_alive()


def test_unknown_job_raises_job_not_found(hub):
    api = HfApi(token=hub.token("alice"))
    with pytest.raises(JobNotFoundError) as info:
        api.inspect_job(job_id="0" * 24, namespace="alice")
    assert info.value.response.status_code == 404
    with pytest.raises(JobNotFoundError):
        api.cancel_job(job_id="0" * 24, namespace="alice")
    with pytest.raises(JobNotFoundError):
        list(api.fetch_job_logs(job_id="0" * 24, namespace="alice"))
    # a job of alice's is not found under acme
    job = api.run_job(image="ubuntu", command=["true"], namespace="alice")
    with pytest.raises(JobNotFoundError):
        api.inspect_job(job_id=job.id, namespace="acme")


@pytest.mark.parametrize("user,namespace,allowed", [
    ("alice", "alice", True),
    ("alice", "acme", True),  # org admin
    ("bob", "bob", False),  # read token
    ("carol", "carol", True),  # fine-grained with job.write on herself
    ("carol", "acme", False),  # not a member
    ("dave", "dave", False),  # fine-grained without job.write
    ("alice", "bob", False),  # someone else's namespace
])
def test_job_creation_permissions(hub, user, namespace, allowed):
    api = HfApi(token=hub.token(user))
    if allowed:
        job = api.run_job(image="ubuntu", command=["true"], namespace=namespace)
        assert job.owner.name == namespace
        assert job.owner.type == ("org" if namespace == "acme" else "user")
        return
    with pytest.raises(HfHubHTTPError) as info:
        api.run_job(image="ubuntu", command=["true"], namespace=namespace)
    assert info.value.response.status_code == 403
    assert "Make sure your token has the correct permissions" in str(info.value)
    assert not hub.jobs


def test_read_token_message_names_the_fix(hub):
    with pytest.raises(HfHubHTTPError, match="job.write"):
        HfApi(token=hub.token("dave")).run_job(image="ubuntu", command=["true"], namespace="dave")
    with pytest.raises(HfHubHTTPError, match="'read' role"):
        HfApi(token=hub.token("bob")).run_uv_job("https://example.invalid/a.py", namespace="bob")
    # bob may still look at his (empty) job list
    assert list(HfApi(token=hub.token("bob")).list_jobs(namespace="bob")) == []


@pytest.mark.parametrize("field,value", [
    ("env", {"1BAD": "x"}), ("secrets", {"BAD-KEY": "x"}), ("env", {"_X": "x"}),
])
def test_bad_env_or_secret_keys_are_400(hub, field, value):
    with pytest.raises(BadRequestError) as info:
        HfApi(token=hub.token("alice")).run_job(image="ubuntu", command=["true"], namespace="alice", **{field: value})
    assert info.value.response.status_code == 400
    assert "^[a-zA-Z][_a-zA-Z0-9]*$" in str(info.value)


def test_bad_specs_are_400(hub):
    token = hub.token("alice")
    for body, needle in [({"command": "echo", "dockerImage": "u"}, "command"),
                         ({"command": ["x"]}, "dockerImage"),
                         ({"command": ["x"], "dockerImage": "u", "flavor": "quantum"}, "flavor"),
                         ({"command": ["x"], "dockerImage": "u", "secrets": {"A": 1}}, "string")]:
        status, _, data = raw(hub, "POST", "/api/jobs/alice", token=token, body=body)
        assert status == 400 and needle in json.loads(data)["error"]
    status, _, data = raw(hub, "GET", "/api/jobs/alice?label=novalue", token=token)
    assert status == 400


def test_error_messages_never_echo_a_secret_the_client_sent(hub, make_token):
    token = hub.token("alice")
    canary = make_token()
    for body in ({"command": ["x"], "dockerImage": "u", "flavor": canary},
                 {"command": ["x"], "dockerImage": "u", "labels": {canary + "!": "v"}}):
        status, headers, data = raw(hub, "POST", "/api/jobs/alice", token=token, body=body)
        assert status == 400
        assert canary not in data.decode() and canary not in str(headers)
        assert "hf_****" + canary[-4:] in data.decode()
    status, headers, data = raw(hub, "GET", f"/api/jobs/{canary}", token=token)
    assert status in (400, 403, 404) and canary not in data.decode() and canary not in str(headers)


def test_simulated_job_missing_secret_shows_keyerror(hub):
    api = HfApi(token=hub.token("alice"))
    script = "import os\nprint(os.environ['HF_TOKEN'][:3])\n"
    job = api.run_job(image="ghcr.io/astral-sh/uv:python3.12-bookworm", command=inline_command(script),
                      env={"MODE": "test"}, namespace="alice")
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert lines[-1] == "KeyError: 'HF_TOKEN'"
    assert api.inspect_job(job_id=job.id, namespace="alice").status.stage == "ERROR"


# ---------------------------------------------------------------------------------------------------------
# local run: really executes, secrets reach the script, never a response
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_local_run_secret_reaches_script_but_no_response(hub, recorder, caplog):
    caplog.set_level(logging.DEBUG)  # every logger: the emulator's access log, tornado, huggingface_hub
    hub.local_run = True
    canary = fake_token()
    api = HfApi(token=hub.token("alice"))
    script = textwrap.dedent("""
        import hashlib, os, sys
        tok = os.environ["HF_TOKEN"]
        print("digest", hashlib.sha256(tok.encode()).hexdigest())
        print("mode", os.environ["MODE"], "args", sys.argv[1:])
        print("leak attempt:", tok)
        print("to stderr", file=sys.stderr)
    """)
    job = api.run_job(image="ghcr.io/astral-sh/uv:python3.12-bookworm",
                      command=inline_command(script, deps=("rich",), args=("a", "b c")),
                      env={"MODE": "local"}, secrets={"HF_TOKEN": canary}, namespace="alice")
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert f"digest {hashlib.sha256(canary.encode()).hexdigest()}" in lines
    assert "mode local args ['a', 'b c']" in lines
    assert "to stderr" in lines
    leak = next(line for line in lines if line.startswith("leak attempt:"))
    assert leak.endswith(canary[-4:]) and canary not in leak  # masked by the emulator
    if not any("local run with uv" in line for line in lines):
        assert any("uv is not installed" in line and "rich" in line for line in lines)
    info = api.inspect_job(job_id=job.id, namespace="alice")
    assert info.status.stage == "COMPLETED" and hub.jobs[job.id].ran_locally
    listed = list(api.list_jobs(namespace="alice"))
    assert listed[0].secrets == ["HF_TOKEN"]
    # the canary: nowhere in anything the client received, nor in reprs or the request log
    everything = recorder.text()
    assert "digest" in everything and "/logs" in everything
    assert canary not in everything
    assert canary not in repr(hub.jobs[job.id]) + repr(hub) + repr(hub.jobs) + repr(hub.calls())
    assert canary not in json.dumps(hub.jobs[job.id].to_dict())
    assert "POST /api/jobs/alice 200" in caplog.text  # the emulator's log was captured ...
    assert canary not in caplog.text  # ... and holds no secret


@pytest.mark.slow
def test_local_run_failure_and_python_c(hub):
    hub.local_run = True
    api = HfApi(token=hub.token("alice"))
    job = api.run_job(image="uv", command=inline_command("import os\nos.environ['HF_TOKEN']\n"), namespace="alice")
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert lines[-1] == "KeyError: 'HF_TOKEN'"
    info = api.inspect_job(job_id=job.id, namespace="alice")
    assert info.status.stage == "ERROR" and "exit code: 1" in info.status.message
    job = api.run_job(image="python:3.12", command=["python", "-c", "import sys; print(sum(map(int, sys.argv[1:])))",
                                                     "2", "3"], namespace="alice")
    assert "5" in list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    # something that is not inline is simulated, and says so
    job = api.run_job(image="ubuntu", command=["rm", "-rf", "/nonexistent"], namespace="alice")
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert any("inline scripts only" in line for line in lines)
    assert not hub.jobs[job.id].ran_locally


@pytest.mark.slow
def test_local_run_cancel_kills_the_process(hub, tmp_path):
    hub.local_run = True
    api = HfApi(token=hub.token("alice"))
    marker = tmp_path / "pid"
    script = (f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n"
              "print('started', flush=True)\ntime.sleep(3600)\n")
    job = api.run_job(image="uv", command=inline_command(script), namespace="alice")
    deadline = time.monotonic() + 120  # a hang guard, not a speed target
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the local run never started"
        time.sleep(0.05)
    pid = int(marker.read_text())
    os.kill(pid, 0)  # alive
    api.cancel_job(job_id=job.id, namespace="alice")
    assert api.inspect_job(job_id=job.id, namespace="alice").status.stage == "CANCELED"
    deadline = time.monotonic() + 120  # a hang guard: the process would live an hour
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the canceled job's process is still alive"
        time.sleep(0.05)
    hub.wait_for_job(job.id)


@pytest.mark.slow
def test_local_run_timeout(hub):
    hub.local_run = True
    api = HfApi(token=hub.token("alice"))
    job = api.run_job(image="uv", command=inline_command("import time\nprint('x', flush=True)\ntime.sleep(30)\n"),
                      timeout=1, namespace="alice")
    assert wait_stage(api, job.id, "alice", {"ERROR", "COMPLETED"}) == "ERROR"
    assert "timed out" in api.inspect_job(job_id=job.id, namespace="alice").status.message


def test_parse_inline_forms():
    b64 = base64.b64encode(b"print(1)").decode()
    s = parse_inline(["/bin/sh", "-lc", f'echo "{b64}" | base64 -d | uv run --with a --with=b --python 3.11 - x'])
    assert (s.script, s.dependencies, s.python, s.args) == ("print(1)", ["a", "b"], "3.11", ["x"])
    assert parse_inline(["bash", "-c", f"echo {b64} | base64 --decode | uv run -"]).script == "print(1)"
    assert parse_inline(["uv", "run", "https://example.invalid/a.py"]) is None
    assert parse_inline(["/bin/sh", "-lc", f'echo "{b64}" | base64 -d | uv run script.py']) is None
    assert parse_inline(["/bin/sh", "-lc", "echo '!!!' | base64 -d | uv run -"]) is None
    assert parse_inline(["/bin/sh", "-lc", "rm -rf /"]) is None


# ---------------------------------------------------------------------------------------------------------
# server-sent events
# ---------------------------------------------------------------------------------------------------------


def test_log_stream_headers_and_close(hub):
    token = hub.token("alice")
    status, _, data = raw(hub, "POST", "/api/jobs/alice", token=token,
                          body={"command": ["true"], "dockerImage": "ubuntu", "arguments": [], "environment": {},
                                "flavor": "cpu-basic"})
    job_id = json.loads(data)["id"]
    status, headers, body = raw(hub, "GET", f"/api/jobs/alice/{job_id}/logs", token=token)  # read to its close
    assert status == 200
    assert headers.get_all("Date") and len(headers.get_all("Date")) == 1
    assert headers["Content-Type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: ")]
    assert events[0]["data"].startswith("===== Job started")
    assert events[-1]["data"] == "[hub emulator] done"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["timestamp"]) for e in events)
    assert hub.jobs[job_id].stage == "COMPLETED"


# ---------------------------------------------------------------------------------------------------------
# fault injection
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def backoff_waits(monkeypatch) -> list[float]:
    """The waits huggingface_hub's retry loop asks for, recorded instead of slept: one per retry, so a test
    counts the client's retries (and reads how long it was told to wait) with no clock."""
    waits: list[float] = []

    class RecordedSleep:  # hf_http's ``time`` module, but for sleep
        def __getattr__(self, name: str):
            return getattr(time, name)

        def sleep(self, seconds: float) -> None:
            waits.append(seconds)

    monkeypatch.setattr(hf_http, "time", RecordedSleep())
    return waits


def settled_calls(hub, path: str, count: int) -> list:
    """The calls to ``path`` once the emulator has recorded ``count`` of them (it records a call when it
    answers, so a late answer comes a moment after the client moved on)."""
    deadline = time.monotonic() + 30  # a hang guard, not a speed target
    while len(hub.calls(path)) < count:
        assert time.monotonic() < deadline, f"{path}: {len(hub.calls(path))} calls, expected {count}"
        time.sleep(0.01)
    return hub.calls(path)


def test_latency_hits_the_client_timeout(hub, backoff_waits):
    api = HfApi(token=hub.token("alice"))
    session = hf_http.get_session()  # the client's own HTTP session
    headers = {"Authorization": f"Bearer {hub.token('alice')}"}
    hub.faults.hold = release = threading.Event()  # no answer until released
    with pytest.raises(httpx2.TimeoutException):  # the caller got control back at its timeout
        session.get(f"{hub.url}/api/whoami-v2", headers=headers, timeout=0.3)
    # a path filter leaves other calls alone
    hub.faults.paths = r"^/api/jobs/hardware$"
    assert session.get(f"{hub.url}/api/whoami-v2", headers=headers, timeout=60).json()["name"] == "alice"
    release.set()
    hub.faults.hold = None
    while len(hub.calls("/api/whoami-v2")) < 2:  # the held call is answered (late) before faults change
        time.sleep(0.01)
    # one slow answer: list_jobs times out once, then its backoff retries (one wait) and succeeds
    hub.faults.update({"latency": 1.5, "times": 1, "paths": None})
    assert list(api.list_jobs(namespace="alice", timeout=0.3)) == []
    assert len(backoff_waits) == 1  # one retry
    assert hub.faults.times == 0
    answered = settled_calls(hub, "/api/jobs/alice", 2)  # two attempts; the timed-out one is answered late
    assert [r.status for r in answered] == [200, 200]
    # a small latency is applied to the call, which stays under the timeout: answered, no retry
    hub.faults.update({"latency": 0.3, "times": 1})
    assert api.whoami()["name"] == "alice"
    assert hub.faults.times == 0 and len(backoff_waits) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(hub, status):
    api = HfApi(token=hub.token("alice"))
    hub.faults.status = status
    with pytest.raises(HfHubHTTPError) as info:
        api.whoami()
    assert info.value.response.status_code == status
    assert "Injected fault" in str(info.value)
    hub.faults.reset()
    assert api.whoami()["name"] == "alice"


def test_rate_limit_429_with_retry_after(hub, backoff_waits):
    api = HfApi(token=hub.token("alice"))
    hub.faults.update({"status": 429, "retry_after": 7, "times": 2, "paths": "whoami"})
    for _ in range(2):
        with pytest.raises(HfHubHTTPError) as info:
            api.whoami()
        assert info.value.response.status_code == 429
        assert info.value.response.headers["Retry-After"] == "7"
        assert "rate limit" in str(info.value)
    assert api.whoami()["name"] == "alice"  # times exhausted
    # list_jobs goes through the client's backoff: it waits as told, then gets its answer
    # (3 s told, above the client's own first backoff of 1 s: the wait is recorded, not slept)
    hub.faults.update({"status": 429, "retry_after": 3, "times": 1, "paths": "^/api/jobs/"})
    assert list(api.list_jobs(namespace="alice")) == []
    assert len(backoff_waits) == 1 and backoff_waits[0] >= 3  # one retry, after at least Retry-After
    assert [r.status for r in hub.calls("/api/jobs/alice")] == [429, 200]


def test_admin_endpoint_sets_and_clears_faults(hub):
    status, _, body = raw(hub, "POST", "/_emulator/faults", body={"status": 503, "paths": "whoami"})
    assert status == 200 and json.loads(body)["status"] == 503
    assert hub.faults.status == 503
    with pytest.raises(HfHubHTTPError):
        HfApi(token=hub.token("alice")).whoami()
    status, _, body = raw(hub, "POST", "/_emulator/faults", body={"nonsense": 1})
    assert status == 400 and "nonsense" in json.loads(body)["error"]
    status, _, _ = raw(hub, "DELETE", "/_emulator/faults")
    assert status == 200 and hub.faults.status is None
    assert HfApi(token=hub.token("alice")).whoami()["name"] == "alice"
    HfApi(token=hub.token("alice")).run_job(image="ubuntu", command=["true"], namespace="alice")
    status, _, _ = raw(hub, "POST", "/_emulator/reset")
    assert status == 200 and not hub.jobs


@pytest.mark.slow
def test_dropped_log_stream_is_resumed_by_follow(hub):
    api = HfApi(token=hub.token("alice"))
    hub.timings.line_interval = 0.2
    job = api.run_job(image="ubuntu", command=["true"], namespace="alice")
    hub.faults.drop_streams = 1
    lines = list(api.fetch_job_logs(job_id=job.id, namespace="alice", follow=True))
    assert hub.faults.drop_streams == 0  # one stream was cut
    assert lines == [line for _, line in hub.jobs[job.id].logs][1:]  # nothing lost, nothing doubled
    assert len(hub.calls(f"/api/jobs/alice/{job.id}/logs")) >= 2


# ---------------------------------------------------------------------------------------------------------
# device-code login
# ---------------------------------------------------------------------------------------------------------


def test_device_code_flow_with_manual_approval(hub):
    from huggingface_hub.utils._oauth_device import poll_device_token, request_device_code

    hub.device_auto_approve = None
    info = request_device_code()
    assert info["verification_uri"].startswith(hub.url) and re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", info["user_code"])
    status, _, body = raw(hub, "POST", "/_emulator/device/approve", body={"user_code": info["user_code"],
                                                                         "user": "carol"})
    assert json.loads(body)["approved"] is True
    got = poll_device_token(info)
    assert HfApi(token=got["access_token"]).whoami()["name"] == "carol"
    status, _, body = raw(hub, "POST", "/oauth/token", body=None)
    assert status == 400


def test_device_verify_page_approves(hub):
    from huggingface_hub.utils._oauth_device import poll_device_token, request_device_code

    hub.device_auto_approve = None
    info = request_device_code()
    with urllib.request.urlopen(info["verification_uri_complete"], timeout=10) as page:
        assert info["user_code"] in page.read().decode()
    form = urllib.parse.urlencode({"user_code": info["user_code"], "user": "bob", "action": "approve"}).encode()
    with urllib.request.urlopen(urllib.request.Request(info["verification_uri"], data=form), timeout=10) as done:
        assert "Done" in done.read().decode()
    assert HfApi(token=poll_device_token(info)["access_token"]).whoami()["name"] == "bob"
    # a denied login fails with the client's own error
    from huggingface_hub.errors import DeviceCodeError

    info = request_device_code()
    assert hub.approve_device(info["user_code"], deny=True)
    with pytest.raises(DeviceCodeError, match="denied"):
        poll_device_token(info)


def _non_loopback_ip() -> str | None:
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") else ip


def test_admin_endpoints_refuse_non_loopback_clients():
    ip = _non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback interface on this machine")
    with EmulatorServer(host=ip) as other:
        assert other.url == f"http://{ip}:{other.port}"
        status, _, body = raw(other, "POST", "/_emulator/faults", body={"status": 500})
        assert status == 403 and "loopback" in json.loads(body)["error"]
        assert other.faults.status is None
        status, _, _ = raw(other, "GET", "/api/whoami-v2", token=other.token("alice"))
        assert status == 200  # the API itself answers


@pytest.mark.slow
def test_hf_auth_login_end_to_end(hub, tmp_path):
    env = {"HF_HOME": str(tmp_path / "home")}
    login = hf_cli("auth", "login", env_extra=env)
    assert login.returncode == 0, login.stderr
    assert "enter the code" in login.stdout.lower()
    assert (tmp_path / "home" / "token").stat().st_mode & 0o077 == 0
    who = hf_cli("auth", "whoami", env_extra=env)
    assert who.returncode == 0 and "alice" in who.stdout
    assert len([r for r in hub.calls("/oauth/token") if r.status == 200]) == 1


# ---------------------------------------------------------------------------------------------------------
# the real hf command line
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_hf_auth_whoami_and_jobs_ps(hub):
    alice = hub.token("alice")
    who = hf_cli("auth", "whoami", env_extra={"HF_TOKEN": alice})
    assert who.returncode == 0, who.stderr
    assert "alice" in who.stdout and "acme" in who.stdout
    assert alice not in who.stdout + who.stderr
    bad = hf_cli("auth", "whoami", env_extra={"HF_TOKEN": fake_token()})
    assert bad.returncode != 0 and "Invalid user token" in bad.stdout + bad.stderr

    hub.timings.running = 30
    api = HfApi(token=alice)
    job = api.run_job(image="python:3.12", command=["python", "-c", "1"], secrets={"HF_TOKEN": alice},
                      namespace="alice")
    ps = hf_cli("jobs", "ps", "--no-truncate", env_extra={"HF_TOKEN": alice})
    assert ps.returncode == 0, ps.stderr
    assert job.id in ps.stdout and "python:3.12" in ps.stdout
    assert alice not in ps.stdout + ps.stderr
    hub.jobs[job.id].cancel()
    ps = hf_cli("jobs", "ps", "--no-truncate", env_extra={"HF_TOKEN": alice})
    assert job.id not in ps.stdout  # default shows running/scheduling only
    ps_all = hf_cli("jobs", "ps", "-a", "--no-truncate", env_extra={"HF_TOKEN": alice})
    assert job.id in ps_all.stdout


def test_in_process_server_on_its_own_port_and_reprs():
    accounts = test_accounts()
    with EmulatorServer(accounts, timings=Timings(scheduling=0.01, running=0.01)) as other:
        assert other.url != os.environ["HF_ENDPOINT"]
        alice = other.token("alice")
        status, _, body = raw(other, "GET", "/api/whoami-v2", token=alice)
        assert status == 200 and json.loads(body)["name"] == "alice"
        texts = repr(other) + repr(other.users) + repr(other.users.users["alice"].tokens)
        assert not any(u["tokens"][0]["token"] in texts for u in accounts["users"])
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(other.url + "/", timeout=2)
    with pytest.raises(KeyError, match="nobody"):
        other.token("nobody")


# ---------------------------------------------------------------------------------------------------------
# refusals shared by the job and scheduled-job endpoints (one reader, one writer, one body check each)
# ---------------------------------------------------------------------------------------------------------

READ_ENDPOINTS = [("GET", "/api/jobs/{ns}"), ("GET", "/api/jobs/{ns}/nope"), ("GET", "/api/jobs/{ns}/nope/logs"),
                  ("GET", "/api/jobs/{ns}/nope/metrics"), ("GET", "/api/scheduled-jobs/{ns}"),
                  ("GET", "/api/scheduled-jobs/{ns}/nope")]
WRITE_ENDPOINTS = [("POST", "/api/jobs/{ns}"), ("POST", "/api/jobs/{ns}/nope/cancel"),
                   ("PUT", "/api/jobs/{ns}/nope/labels"), ("POST", "/api/jobs/{ns}/nope/duplicate"),
                   ("POST", "/api/scheduled-jobs/{ns}"), ("DELETE", "/api/scheduled-jobs/{ns}/nope"),
                   ("POST", "/api/scheduled-jobs/{ns}/nope/run"), ("PUT", "/api/scheduled-jobs/{ns}/nope/labels")]


def test_every_job_endpoint_refuses_who_may_not(hub):
    # A caller is checked before the job is looked up: no token 401; reading another's namespace, or
    # writing with a read token, 403 (never the 404 of the missing job).
    body = {"labels": {}}
    for method, path in READ_ENDPOINTS + WRITE_ENDPOINTS:
        assert raw(hub, method, path.format(ns="alice"), body=body)[0] == 401, (method, path)
    for method, path in READ_ENDPOINTS:
        assert raw(hub, method, path.format(ns="dave"), token=hub.token("alice"))[0] == 403, (method, path)
    for method, path in WRITE_ENDPOINTS:
        status, _, data = raw(hub, method, path.format(ns="bob"), token=hub.token("bob"), body=body)
        assert status == 403, (method, path, data)


def test_job_bodies_the_state_refuses_are_400s(hub):
    token = hub.token("alice")
    status, _, data = raw(hub, "POST", "/api/jobs/alice", token=token, body={"command": ["true"]})
    assert status == 400, data  # create_job's refusal
    assert raw(hub, "GET", "/api/jobs/alice?label=nokeyvalue", token=token)[0] == 400  # list_jobs' refusal
    job_id = json.loads(raw(hub, "POST", "/api/jobs/alice", token=token, body={
        "command": ["true"], "dockerImage": "ubuntu", "arguments": [], "environment": {},
        "flavor": "cpu-basic"})[2])["id"]
    status, _, data = raw(hub, "PUT", f"/api/jobs/alice/{job_id}/labels", token=token, body={"nolabels": 1})
    assert status == 400 and "send {" in json.loads(data)["error"]
    status, _, data = raw(hub, "PUT", f"/api/jobs/alice/{job_id}/labels", token=token, body={"labels": [1]})
    assert status == 400, data  # set_job_labels' refusal
    status, _, data = raw(hub, "PUT", f"/api/jobs/alice/{job_id}/labels", token=token, body={"labels": {"k": "v"}})
    assert status == 200 and json.loads(data)["labels"] == {"k": "v"}

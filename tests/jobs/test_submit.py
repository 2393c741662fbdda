"""Submission and monitoring against the emulator, with the real huggingface_hub client.

The canary is the user's own token (``logged_in.token``): it must reach the job's secrets (checked in the
emulator's in-process store) and nothing else: no response body, log line, repr, rendering or error.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import urllib.request
import warnings

import pytest

from hfsecure_jupyter.jobs import (
    JobError,
    JobHandle,
    JobSpec,
    JobSubmitError,
    JobTimeoutError,
    MissingSecretError,
    run_local,
    submit,
)

# The package re-exports the function submit(), which shadows the module's attribute name.
submit_module = importlib.import_module("hfsecure_jupyter.jobs.submit")
from hfsecure_jupyter.testing import fake_token

pytestmark = pytest.mark.timeout(120)

SCRIPT = "import os\nprint('mode', os.environ['MODE'])\nprint('has token', bool(os.environ.get('HF_TOKEN')))\n"


@pytest.fixture
def responses():
    """Every non-streaming HTTP response body the huggingface_hub client receives during the test."""
    from huggingface_hub.utils._http import get_session

    bodies: list[str] = []

    def hook(response):
        if "text/event-stream" not in response.headers.get("content-type", ""):
            response.read()
            bodies.append(response.text)

    session = get_session()
    session.event_hooks["response"].append(hook)
    try:
        yield bodies
    finally:
        session.event_hooks["response"].remove(hook)


@pytest.fixture(autouse=True)
def fresh_namespace_cache():
    submit_module._status_service(None).clear_cache()
    yield
    submit_module._status_service(None).clear_cache()


def raw_get(hub, path: str, token: str) -> str:
    """A plain HTTP GET (test-side only) to read what the emulator serves to anyone holding the token."""
    req = urllib.request.Request(hub.url + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode("utf-8", "replace")


def whoami_calls(hub) -> int:
    return len(hub.calls("/api/whoami-v2"))


def inline_spec(**kw) -> JobSpec:
    base = dict(dependencies=["rich"], timeout="30m", env={"MODE": "fast"}, labels={"team": "ml"})
    base.update(kw)
    return JobSpec.uv(SCRIPT, **base).with_token_secret()


# -------------------------------------------------------------------------------------------------- submit

def test_submitted_job_is_the_spec_and_the_token_reaches_only_its_secrets(hub, logged_in, responses):
    canary = logged_in.token
    spec = inline_spec(verify_token=True)
    handle = submit(spec)

    job = hub.jobs[handle.id]
    assert job.spec["command"] == spec.command and job.spec["dockerImage"] == spec.image
    assert job.spec["environment"] == {"MODE": "fast"}
    assert job.spec["flavor"] == "cpu-basic" and job.spec["timeoutSeconds"] == 1800
    assert {"team": "ml"}.items() <= job.spec["labels"].items()
    assert job.secrets.names() == ["HF_TOKEN"]
    assert job.secrets.reveal() == {"HF_TOKEN": canary}  # resolved at submission, from the login
    assert handle.namespace == "alice" and handle.url.endswith(f"/jobs/alice/{handle.id}")

    assert handle.wait(timeout=30, poll_interval=0.05) == "COMPLETED"
    lines = list(handle.logs())
    assert lines and handle.status() == "COMPLETED"
    served = [raw_get(hub, p, canary) for p in ("/api/jobs/alice", f"/api/jobs/alice/{handle.id}",
                                                f"/api/jobs/alice/{handle.id}/logs")]
    assert json.loads(served[1])["secrets"] == ["HF_TOKEN"]
    for text in [repr(handle), str(handle), repr(vars(handle)) if hasattr(handle, "__dict__") else "",
                 *lines, *responses, *served, repr(spec), spec.to_python(), spec.to_cli(), repr(spec.to_mcp())]:
        assert canary not in text
    assert responses, "the hook saw the client's responses"
    assert not any(f for f in ("token", "_token") if hasattr(handle, f))


def test_namespace_is_resolved_once_and_passed_on(hub, logged_in):
    spec = inline_spec()
    before = whoami_calls(hub)
    first = submit(spec)
    second = submit(spec)
    first.status()
    first.wait(timeout=30, poll_interval=0.05)
    list(second.logs())
    assert whoami_calls(hub) - before == 1  # the client alone would ask on every call (twice for run_uv_job)
    assert first.namespace == second.namespace == "alice"

    before = whoami_calls(hub)
    handle = submit(inline_spec(namespace="acme"))  # alice is an admin of acme
    assert handle.namespace == "acme" and hub.jobs[handle.id].namespace == "acme"
    assert whoami_calls(hub) == before


def test_explicit_token_is_used_instead_of_the_login(hub, logged_in):
    bob_free = hub.add_token("carol", "write")
    handle = submit(inline_spec(), token=bob_free)
    assert handle.namespace == "carol"
    assert hub.jobs[handle.id].secrets.reveal() == {"HF_TOKEN": bob_free}


def test_other_placeholders_resolve_from_the_environment_at_submission(hub, logged_in, monkeypatch):
    value = fake_token("openai")
    spec = JobSpec.uv(SCRIPT, env={"MODE": "x"}, secrets={"WANDB_API_KEY": None, "OPENAI": "$MY_OPENAI_KEY"})
    monkeypatch.setenv("WANDB_API_KEY", "wandb-value-123456")
    monkeypatch.setenv("MY_OPENAI_KEY", value)
    handle = submit(spec)
    assert hub.jobs[handle.id].secrets.reveal() == {"WANDB_API_KEY": "wandb-value-123456", "OPENAI": value}


def test_unresolvable_placeholders_are_refused_before_any_call(hub, logged_in, monkeypatch):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    spec = JobSpec.uv(SCRIPT, secrets={"WANDB_API_KEY": None})
    with pytest.raises(MissingSecretError) as err:
        submit(spec)
    assert err.value.names == ["WANDB_API_KEY"] and "Export WANDB_API_KEY before submitting" in str(err.value)
    assert not hub.calls(method="POST")


def test_not_logged_in_is_a_clear_error(hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(MissingSecretError) as err:
        submit(inline_spec())
    assert "hf auth login" in str(err.value) and err.value.names == ["HF_TOKEN"]
    assert not hub.calls(method="POST")


# -------------------------------------------------------------------------------------------------- failures

def test_read_token_gets_a_403_explained_and_masked(hub, logged_in):
    bob = logged_in("bob")
    with pytest.raises(JobSubmitError) as err:
        submit(inline_spec(namespace="bob"))
    msg = str(err.value)
    assert err.value.status == 403 and bob not in msg and bob not in repr(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert "write" in msg.lower()  # the fix: a write token or a job.write scope
    if err.value.diagnosis is not None:
        assert err.value.diagnosis.kind == "forbidden"


def test_unknown_token_gets_a_401_explained(hub, logged_in):
    unknown = fake_token()
    with pytest.raises(JobSubmitError) as err:
        submit(inline_spec(namespace="alice"), token=unknown)
    assert err.value.status == 401 and unknown not in str(err.value)
    assert "log in" in str(err.value).lower() or "login" in str(err.value).lower()


def test_hub_errors_and_unreachable_hub_become_job_errors(hub, logged_in):
    hub.faults.update({"status": 503, "paths": "^/api/jobs/"})
    with pytest.raises(JobSubmitError) as err:
        submit(inline_spec(namespace="alice"))
    assert err.value.status == 503 and logged_in.token not in str(err.value)


def test_unknown_job_is_job_not_found(hub, logged_in):
    handle = JobHandle(id="0" * 24, namespace="alice", url=f"{hub.url}/jobs/alice/{'0' * 24}")
    with pytest.raises(JobError) as err:
        handle.status()
    assert err.value.status == 404 and err.value.original == "JobNotFoundError"
    if err.value.diagnosis is not None:
        assert err.value.diagnosis.kind == "job-not-found"
    with pytest.raises(JobError):
        handle.cancel()


# -------------------------------------------------------------------------------------------------- monitoring

def test_cancel_and_wait_timeout(hub, logged_in):
    hub.timings.running = 30
    handle = submit(inline_spec(namespace="alice"))
    with pytest.raises(JobTimeoutError):
        handle.wait(timeout=0.3, poll_interval=0.05)
    handle.cancel()
    assert handle.wait(timeout=10, poll_interval=0.05) == "CANCELED"


def test_logs_follow_streams_until_the_end(hub, logged_in):
    handle = submit(inline_spec(namespace="alice"))
    lines = list(handle.logs(follow=True))
    assert handle.status() == "COMPLETED"
    assert any("[hub emulator]" in line for line in lines)
    assert not any(line.startswith("===== Job started") for line in lines)


@pytest.mark.slow
def test_emulator_runs_the_inline_form_for_real_and_logs_are_masked(hub, logged_in):
    """The inline command survives the trip: the emulator decodes and runs it; a printed token is masked."""
    hub.local_run = True
    canary = logged_in.token
    leaky = JobSpec.uv("import os\nprint('mode', os.environ['MODE'])\nprint('t', os.environ['HF_TOKEN'])\n",
                       env={"MODE": "fast"}, namespace="alice", verify_token=True).with_token_secret()
    handle = submit(leaky)
    lines = list(handle.logs(follow=True))
    assert handle.status() == "COMPLETED", lines
    assert "mode fast" in lines
    assert any(line.startswith("t hf_****") for line in lines) and not any(canary in line for line in lines)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        no_secret = JobSpec.uv("print('should not run')\n", namespace="alice", verify_token=True)
    handle = submit(no_secret)
    lines = list(handle.logs(follow=True))
    assert handle.status() == "ERROR"
    assert any("HF_TOKEN is not set in this job" in line for line in lines)
    assert "should not run" not in lines


# -------------------------------------------------------------------------------------------------- to_python

def _run_rendered(code: str, token: str, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "submit_job.py"
    path.write_text(code)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    env["HF_TOKEN"] = token
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=90)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["inline", "url", "container"])
def test_python_rendering_run_against_the_emulator_submits_the_same_job(hub, logged_in, tmp_path, variant):
    canary = logged_in.token
    if variant == "inline":
        spec = inline_spec(python="3.12", script_args=["--n", "2"], verify_token=True)
    elif variant == "url":
        spec = JobSpec.uv("https://example.com/train.py", dependencies=["trl"], script_args=["--lr", "1e-4"],
                          flavor="t4-small", timeout="2h", env={"MODE": "x"}, namespace="alice").with_token_secret()
    else:
        spec = JobSpec.container("python:3.12", ["python", "-c", "print(1)"], env={"A": "1"}, flavor="cpu-upgrade",
                                 timeout=95, labels={"k": "v"}).with_token_secret()
    before = whoami_calls(hub)
    done = _run_rendered(spec.to_python(), canary, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert canary not in done.stdout + done.stderr
    job_id = re.search(r"Job (\w+) submitted", done.stdout).group(1)
    assert whoami_calls(hub) - before == (0 if spec.namespace else 1)

    from huggingface_hub import inspect_job

    info = inspect_job(job_id=job_id, namespace="alice", token=canary)
    assert info.docker_image == spec.image
    assert info.command == spec.command
    assert info.environment == spec.env
    assert sorted(info.secrets) == sorted(spec.secrets)
    assert info.flavor == spec.flavor
    assert spec.labels.items() <= (info.labels or {}).items()
    assert hub.jobs[job_id].spec["timeoutSeconds"] == spec.timeout
    assert hub.jobs[job_id].secrets.reveal()["HF_TOKEN"] == canary


# -------------------------------------------------------------------------------------------------- run_local

def test_run_local_passes_secrets_as_env_and_masks_them(tok):
    spec = JobSpec.uv("import os\nprint('mode', os.environ['MODE'])\nprint('token', os.environ['HF_TOKEN'])\n",
                      env={"MODE": "fast"}).with_token_secret()
    seen: list[str] = []
    run = run_local(spec, token=tok, use_uv=False, on_line=seen.append)
    assert run.returncode == 0 and run.ok and run.runner == "python"
    assert run.lines[0] == "mode fast" and run.lines[1] == f"token hf_****{tok[-4:]}"
    assert seen == run.lines and tok not in repr(run)


def test_run_local_verify_token_fails_clearly_without_the_secret(monkeypatch, tok):
    monkeypatch.setenv("HF_TOKEN", tok)  # present here, but the job does not ask for it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = JobSpec.uv("print('ran')\n", verify_token=True)
    run = run_local(spec, use_uv=False)
    assert run.returncode == 1 and "ran" not in run.lines
    assert any("HF_TOKEN is not set in this job" in line for line in run.lines)


def test_run_local_notes_the_python_fallback_and_stops_at_timeout():
    spec = JobSpec.uv("import time\nprint('start', flush=True)\ntime.sleep(30)\n", dependencies=["rich"])
    run = run_local(spec, use_uv=False, timeout=1)
    assert run.timed_out and run.returncode != 0 and run.lines == ["start"]
    assert "not installed: rich" in run.note and "stopped after 1 s" in run.note


def test_run_local_refuses_what_it_cannot_run(monkeypatch):
    monkeypatch.delenv("MISSING_SECRET_FOR_TEST", raising=False)
    with pytest.raises(MissingSecretError):
        run_local(JobSpec.uv("print(1)", secrets={"MISSING_SECRET_FOR_TEST": None}), use_uv=False)
    with pytest.raises(ValueError, match="uv scripts only"):
        run_local(JobSpec.container("python:3.12", ["true"]))
    with pytest.raises(FileNotFoundError, match="uv"):
        run_local(JobSpec.uv("https://example.com/a.py"), use_uv=False)


def test_handle_shows_briefly_in_ipython_and_fully_as_repr():
    from IPython.lib.pretty import pretty

    from hfsecure_jupyter.jobs import JobHandle

    h = JobHandle(id="0dd2438f272eefb02287e8fc", namespace="alice", url="http://127.0.0.1:1/jobs/alice/x")
    assert pretty(h) == "<job alice/0dd2438f272eefb02287e8fc: .status() .logs() .wait() .cancel()>"
    assert repr(h).startswith("JobHandle(id='0dd2438f272eefb02287e8fc'")

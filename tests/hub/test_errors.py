"""The error doctor, on real huggingface_hub exceptions (built by the client's own hf_raise_for_status, and
raised by the real client against the emulator) and on real job log text."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import httpx2
import pytest
from huggingface_hub import HfApi, constants
from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, JobNotFoundError, LocalTokenNotFoundError,
                                    RepositoryNotFoundError)
from huggingface_hub.utils import hf_raise_for_status

from hfsecure_jupyter.hub.errors import Diagnosis, diagnose
from hfsecure_jupyter.testing import fake_token


def raised(status: int, url: str, *, headers: dict | None = None, body: dict | None = None) -> HfHubHTTPError:
    """The exception huggingface_hub itself raises for this response."""
    request = httpx2.Request("GET", url)
    response = httpx2.Response(status, headers=headers or {}, json=body if body is not None else {}, request=request)
    with pytest.raises(HfHubHTTPError) as info:
        hf_raise_for_status(response)
    return info.value


EP = "https://huggingface.co"


# --- the table, on real exception instances ----------------------------------------------------------

def test_401_invalid_token_from_whoami_url():
    exc = raised(401, f"{EP}/api/whoami-v2", headers={"X-Error-Message": "Invalid credentials in Authorization header"})
    assert type(exc) is HfHubHTTPError
    d = diagnose(exc)
    assert d.kind == "invalid-token" and d.status == 401
    assert "revoked" in d.cause
    assert 'secrets={"HF_TOKEN": "$HF_TOKEN"}' in d.fix and "login" in d.fix


def test_401_on_a_repo_url_is_repository_not_found():
    exc = raised(401, f"{EP}/api/models/acme/private-model")
    assert isinstance(exc, RepositoryNotFoundError)
    d = diagnose(exc)
    assert d.kind == "repo-not-found"
    assert "'acme/private-model'" in d.cause and "private" in d.cause
    assert "repo_type" in d.fix


def test_403_on_jobs_names_job_write_and_namespace():
    exc = raised(403, f"{EP}/api/jobs/acme", headers={"X-Error-Message": "Forbidden"})
    assert type(exc) is HfHubHTTPError and "correct permissions" in str(exc)
    d = diagnose(exc)
    assert d.kind == "forbidden" and d.status == 403
    assert "job.write on acme" in d.fix


def test_403_on_a_repo_recommends_repo_write_on_that_repo():
    d = diagnose(raised(403, f"{EP}/api/models/carol/finetuned/commit/main"))
    assert d.kind == "forbidden"
    assert "repo.write on just carol/finetuned" in d.fix
    assert "read token" in d.cause


def test_429_uses_retry_after():
    exc = raised(429, f"{EP}/api/whoami-v2", headers={"Retry-After": "17"})
    d = diagnose(exc)
    assert d.kind == "rate-limited" and d.status == 429
    assert "17" in d.fix and "namespace=" in d.fix


def test_gated_repo():
    exc = raised(403, f"{EP}/api/models/meta/llama/resolve/main/config.json", headers={"X-Error-Code": "GatedRepo"})
    assert isinstance(exc, GatedRepoError)
    d = diagnose(exc)
    assert d.kind == "gated-repo"
    assert "https://huggingface.co/meta/llama" in d.fix and "accept" in d.fix


def test_job_not_found():
    exc = raised(404, f"{EP}/api/jobs/carol/0123456789abcdef")
    assert isinstance(exc, JobNotFoundError)
    d = diagnose(exc)
    assert d.kind == "job-not-found" and "0123456789abcdef" in d.cause
    assert "hf jobs ps" in d.fix


def test_local_token_not_found():
    d = diagnose(LocalTokenNotFoundError("Token is required ... but no token found."))
    assert d.kind == "not-logged-in" and "login()" in d.fix


def test_server_error():
    d = diagnose(raised(503, f"{EP}/api/whoami-v2"))
    assert d.kind == "hub-error" and d.status == 503


def test_env_token_401_blames_the_env_var():
    exc = HfHubHTTPError("Invalid user token. The token from HF_TOKEN environment variable is invalid. Note that "
                         "HF_TOKEN takes precedence over `hf auth login`.",
                         response=httpx2.Response(401, request=httpx2.Request("GET", f"{EP}/api/whoami-v2")))
    d = diagnose(exc)
    assert d.kind == "invalid-token" and "HF_TOKEN environment variable" in d.cause
    assert "Unset HF_TOKEN" in d.fix


def test_wrapped_errors_are_followed():
    inner = raised(403, f"{EP}/api/models/meta/llama", headers={"X-Error-Code": "GatedRepo"})
    try:
        try:
            raise inner
        except GatedRepoError as e:
            raise OSError("We couldn't load this model") from e
    except OSError as outer:
        d = diagnose(outer)
    assert d.kind == "gated-repo"


def test_unknown_is_none():
    assert diagnose(ValueError("x must be positive")) is None
    assert diagnose("epoch 3: loss 0.12") is None
    assert diagnose(raised(400, f"{EP}/api/whoami-v2")) is None
    assert diagnose(12) is None  # type: ignore[arg-type]


# --- against the emulator with the real client ------------------------------------------------------

def test_real_client_invalid_token(hub):
    with pytest.raises(HfHubHTTPError) as info:
        HfApi().whoami(token=fake_token())
    assert diagnose(info.value).kind == "invalid-token"


def test_real_client_not_logged_in(hub, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(LocalTokenNotFoundError) as info:
        HfApi().whoami()
    assert diagnose(info.value).kind == "not-logged-in"


def test_real_client_job_not_found(hub, logged_in):
    with pytest.raises(JobNotFoundError) as info:
        HfApi().inspect_job(job_id="doesnotexist0000", namespace="alice")
    assert diagnose(info.value).kind == "job-not-found"


def test_real_client_read_token_running_a_job(hub, logged_in):
    token = logged_in("bob")
    with pytest.raises(HfHubHTTPError) as info:
        HfApi().run_job(image="python:3.12", command=["true"], namespace="bob", token=token)
    d = diagnose(info.value)
    assert d.kind == "forbidden" and "job.write on bob" in d.fix


def test_real_client_rate_limited(hub, logged_in):
    hub.faults.status, hub.faults.retry_after = 429, 7
    with pytest.raises(HfHubHTTPError) as info:
        HfApi().whoami(token=logged_in.token)
    d = diagnose(info.value)
    assert d.kind == "rate-limited" and "7" in d.fix


def test_real_client_hub_unreachable(monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(Exception) as info:
        HfApi().whoami(token=fake_token())
    d = diagnose(info.value)
    assert d is not None and d.kind == "hub-unreachable"


# --- KeyError: 'HF_TOKEN' in a job's logs ----------------------------------------------------------

@pytest.fixture(scope="module")
def real_keyerror_log() -> str:
    """What a script reading os.environ['HF_TOKEN'] prints in a job where it was not passed."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    out = subprocess.run([sys.executable, "-c", "import os\ntoken = os.environ['HF_TOKEN']"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    return out.stderr


def test_keyerror_not_passed_at_all(real_keyerror_log):
    assert "KeyError: 'HF_TOKEN'" in real_keyerror_log
    d = diagnose(real_keyerror_log, env={"MODEL": "gpt2"}, secrets={})
    assert d.kind == "job-token-missing"
    assert "no token at all" in d.cause
    assert 'secrets={"HF_TOKEN": "$HF_TOKEN"}' in d.fix


def test_keyerror_passed_under_another_name():
    d = diagnose("KeyError: 'HF_TOKEN'", secrets=["HUGGINGFACE_TOKEN"])
    assert "another name (HUGGINGFACE_TOKEN)" in d.cause and "Rename the secret" in d.fix


def test_keyerror_passed_through_env():
    d = diagnose("KeyError: 'HF_TOKEN'", env=["hf_token"])
    assert "passed through env (hf_token)" in d.cause
    assert "revoke" in d.fix and "never in env" in d.fix


def test_keyerror_secret_listed_but_empty():
    d = diagnose("KeyError: 'HF_TOKEN'", secrets=["HF_TOKEN"])
    assert "arrived empty" in d.cause and "Log in where you submit" in d.fix


def test_keyerror_script_reads_another_name():
    d = diagnose("Traceback ...\nKeyError: 'HUGGINGFACE_HUB_TOKEN'")
    assert d.kind == "job-token-missing" and "reads HUGGINGFACE_HUB_TOKEN" in d.cause


def test_keyerror_without_context_lists_the_possibilities():
    d = diagnose('KeyError: "HF_TOKEN"')
    assert "not passed" in d.cause and "another name" in d.cause and "env" in d.cause


def test_keyerror_exception_object():
    try:
        {}["HF_TOKEN"]
    except KeyError as e:
        d = diagnose(e, secrets=[])
    assert d.kind == "job-token-missing"
    assert diagnose(KeyError("TOKENIZERS_PARALLELISM")) is None  # not a secret name


def test_local_token_not_found_in_job_logs():
    line = "huggingface_hub.errors.LocalTokenNotFoundError: Token is required (`token=True`), but no token found."
    d = diagnose(line, context="job")
    assert d.kind == "not-logged-in" and "inside the job" in d.cause


# --- no secret in any diagnosis -----------------------------------------------------------------------

def test_canary_never_in_a_diagnosis():
    canary = fake_token()
    cases = [
        (raised(403, f"{EP}/api/models/{canary}/x"), {}),
        (raised(401, f"{EP}/api/whoami-v2", body={"error": f"bad token {canary}"}), {}),
        (f"KeyError: 'HF_TOKEN' while token was {canary}", {"env": {"MY_HF_TOKEN": canary},
                                                           "secrets": {"HF_API_TOKEN": canary}}),
        ("KeyError: 'HF_TOKEN'", {"env": {"HF_TOKEN_X": canary}}),
        (RepositoryNotFoundError(f"Repository Not Found for url: {EP}/api/models/{canary}/m",
                                 response=httpx2.Response(404, request=httpx2.Request("GET", f"{EP}/api/models/x"))),
         {}),
    ]
    for case, kw in cases:
        d = diagnose(case, **kw)
        assert isinstance(d, Diagnosis)
        blob = str(d) + repr(d) + json.dumps(d.to_dict())
        assert canary not in blob
        assert canary[3:] not in blob

"""The flows a notebook meets around a job, driven by the REAL huggingface_hub client and the REAL ``hf`` CLI
against the emulator: public downloads, private and gated repos, repo creation and uploads, a read token
refused, a local-run job that pushes its result, and scheduled jobs.

``HF_ENDPOINT`` points at the session's emulator (tests/conftest.py); ``hub`` resets it for each test.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import textwrap
import urllib.request

import pytest

from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HfHubHTTPError, RepositoryNotFoundError,
                                    RevisionNotFoundError)

from hfsecure_jupyter.hub.errors import diagnose


def hf_cli(*args: str, token: str | None = None, timeout: float = 90, cwd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")}
    if token:
        env["HF_TOKEN"] = token
    env["NO_COLOR"] = "1"
    return subprocess.run(["hf", *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)


def inline_command(script: str) -> list[str]:
    b64 = base64.b64encode(script.encode()).decode()
    return ["/bin/sh", "-lc", f'echo "{b64}" | base64 -d | uv run -']


@pytest.fixture(autouse=True)
def every_call_is_emulated(hub):
    """Fidelity: every call the real clients make in these flows is served (none answered "Not emulated")."""
    yield
    assert hub.not_emulated() == []


@pytest.fixture
def anon(monkeypatch):
    """No token anywhere: HF_TOKEN unset and an empty HF_HOME (no token file)."""
    monkeypatch.delenv("HF_TOKEN", raising=False)
    return HfApi(token=False)


def api_for(hub, user: str) -> HfApi:
    return HfApi(endpoint=hub.url, token=hub.token(user))


# ---------------------------------------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------------------------------------


def test_anonymous_download_of_a_public_file(hub, anon, tmp_path):
    path = hf_hub_download("acme/tiny-model", "config.json", cache_dir=tmp_path, token=False)
    assert json.loads(open(path).read())["model_type"] == "tiny"
    info = anon.model_info("acme/tiny-model")
    assert info.id == "acme/tiny-model" and info.private is False and len(info.sha) == 40
    assert {s.rfilename for s in info.siblings} == {".gitattributes", "README.md", "config.json"}
    assert sorted(anon.list_repo_files("acme/tiny-model")) == [".gitattributes", "README.md", "config.json"]
    folder = snapshot_download("acme/tiny-model", cache_dir=tmp_path / "snap", token=False)
    assert sorted(os.listdir(folder)) == [".gitattributes", "README.md", "config.json"]
    # the CLI too
    out = hf_cli("download", "acme/tiny-model", "config.json", "--cache-dir", str(tmp_path / "cli"))
    assert out.returncode == 0, out.stderr
    path = out.stdout.strip().splitlines()[-1].split("path:")[-1].strip()
    assert json.loads(open(path).read())["model_type"] == "tiny"


def test_private_repo_of_another_account_is_not_found(hub, tmp_path):
    bob = api_for(hub, "bob")
    with pytest.raises(RepositoryNotFoundError) as exc:
        bob.dataset_info("alice/private-data")
    assert diagnose(exc.value).kind == "repo-not-found"
    with pytest.raises(RepositoryNotFoundError) as exc:
        hf_hub_download("alice/private-data", "data/train.csv", repo_type="dataset", cache_dir=tmp_path,
                        token=hub.token("bob"))
    d = diagnose(exc.value)
    assert d.kind == "repo-not-found" and "alice/private-data" in d.cause
    with pytest.raises(RepositoryNotFoundError):  # anonymous: 401, the same error
        hf_hub_download("alice/private-data", "data/train.csv", repo_type="dataset", cache_dir=tmp_path,
                        token=False)
    # the owner reads it
    alice = api_for(hub, "alice")
    assert alice.dataset_info("alice/private-data").private is True
    path = hf_hub_download("alice/private-data", "data/train.csv", repo_type="dataset", cache_dir=tmp_path / "a",
                           token=hub.token("alice"))
    assert open(path).read().startswith("text,label")
    out = hf_cli("download", "--repo-type", "dataset", "alice/private-data", "data/train.csv", "--cache-dir",
                 str(tmp_path / "cli"), token=hub.token("bob"))
    assert out.returncode != 0 and "not found" in (out.stdout + out.stderr).lower()


def test_gated_repo_not_granted(hub, tmp_path):
    with pytest.raises(GatedRepoError) as exc:
        hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path, token=hub.token("bob"))
    d = diagnose(exc.value)
    assert d.kind == "gated-repo" and "acme/gated-model" in d.cause
    with pytest.raises(GatedRepoError):
        hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path, token=False)
    # its card is public; carol was granted access, alice's org owns it
    assert api_for(hub, "bob").model_info("acme/gated-model").gated == "manual"
    for user in ("alice",):
        assert hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path / user, token=hub.token(user))


def test_fine_grained_token_reads_the_private_repo_in_its_scope(hub, tmp_path):
    carol = api_for(hub, "carol")
    assert carol.model_info("acme/private-model").private is True  # repo.content.read on it
    with pytest.raises(RepositoryNotFoundError):
        api_for(hub, "dave").model_info("acme/private-model")


def test_missing_file_and_revision(hub, tmp_path):
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("acme/tiny-model", "nope.bin", cache_dir=tmp_path, token=False)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("acme/tiny-model", "config.json", revision="0" * 40, cache_dir=tmp_path, token=False)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).model_info("nobody/nothing")


# ---------------------------------------------------------------------------------------------------------
# writes
# ---------------------------------------------------------------------------------------------------------


def test_create_repo_and_upload_with_a_write_token(hub, tmp_path):
    alice = api_for(hub, "alice")
    url = alice.create_repo("alice/results", private=True)
    assert url.repo_id == "alice/results"
    info = alice.upload_file(path_or_fileobj=b"accuracy=0.9\n", path_in_repo="metrics.txt", repo_id="alice/results",
                             commit_message="add metrics")
    assert len(info.oid) == 40 and info.commit_message == "add metrics"
    assert hub.repos.get("model", "alice/results").files["metrics.txt"] == b"accuracy=0.9\n"
    assert hub.repos.get("model", "alice/results").private is True
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "README.md").write_text("---\nlicense: mit\n---\n# results\n")
    (tmp_path / "out" / "sub").mkdir()
    (tmp_path / "out" / "sub" / "a.json").write_text('{"a": 1}')
    alice.upload_folder(folder_path=tmp_path / "out", repo_id="alice/results")
    assert sorted(alice.list_repo_files("alice/results")) == [".gitattributes", "README.md", "metrics.txt",
                                                              "sub/a.json"]
    commits = alice.list_repo_commits("alice/results")
    assert commits[1].title == "add metrics" and len(commits) == 3
    # exist_ok, then a conflict
    alice.create_repo("alice/results", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as exc:
        alice.create_repo("alice/results")
    assert exc.value.response.status_code == 409
    # in the org alice administers, with the CLI
    (tmp_path / "f.txt").write_text("hello")
    out = hf_cli("upload", "acme/new-data", str(tmp_path / "f.txt"), "f.txt", "--repo-type", "dataset",
                 token=hub.token("alice"))
    assert out.returncode == 0, out.stderr
    assert hub.repos.get("dataset", "acme/new-data").files["f.txt"] == b"hello"
    alice.delete_repo("alice/results")
    with pytest.raises(RepositoryNotFoundError):
        alice.model_info("alice/results")
    # no LFS, no Xet: only the regular commit routes were used
    paths = {c.path for c in hub.calls()}
    assert not any("lfs" in p or "xet" in p for p in paths)


def test_a_read_token_is_refused_with_403(hub, tmp_path):
    bob = api_for(hub, "bob")
    with pytest.raises(HfHubHTTPError) as exc:
        bob.create_repo("bob/mine")
    assert exc.value.response.status_code == 403
    d = diagnose(exc.value)
    assert d.kind == "forbidden"
    hub.repos.create("model", "bob/existing", author="bob")
    with pytest.raises(HfHubHTTPError) as exc:
        bob.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="bob/existing")
    assert exc.value.response.status_code == 403
    assert "Make sure your token has the correct permissions" in str(exc.value)
    d = diagnose(exc.value)
    assert d.kind == "forbidden" and "bob/existing" in d.cause and "repo.write" in d.fix
    (tmp_path / "f.txt").write_text("x")
    out = hf_cli("upload", "bob/existing", str(tmp_path / "f.txt"), "f.txt", token=hub.token("bob"))
    assert out.returncode != 0 and "403" in out.stdout + out.stderr
    # a fine-grained token without repo.write on the namespace is refused too; one with it may write
    with pytest.raises(HfHubHTTPError) as exc:
        api_for(hub, "dave").create_repo("dave/x")
    assert exc.value.response.status_code == 403
    assert api_for(hub, "carol").create_repo("carol/x").repo_id == "carol/x"
    # another account's namespace: 403, whatever the token
    with pytest.raises(HfHubHTTPError) as exc:
        api_for(hub, "alice").create_repo("bob/not-yours")
    assert exc.value.response.status_code == 403


# ---------------------------------------------------------------------------------------------------------
# jobs that reach the emulator
# ---------------------------------------------------------------------------------------------------------

PUSH_SCRIPT = textwrap.dedent("""
    import os
    from huggingface_hub import HfApi
    api = HfApi()
    api.create_repo("alice/job-output", exist_ok=True)
    info = api.upload_file(path_or_fileobj=b"loss=0.1\\n", path_in_repo="result.txt", repo_id="alice/job-output",
                           commit_message="result from the job")
    print("pushed", info.oid, "to", os.environ["HF_ENDPOINT"])
""")


def test_a_local_run_job_pushes_its_result(hub, monkeypatch):
    hub.local_run = True
    monkeypatch.setattr(hub, "use_uv", False)  # the job's Python is ours (it has huggingface_hub)
    api = api_for(hub, "alice")
    job = api.run_job(image="ghcr.io/astral-sh/uv:python3.12-bookworm", command=inline_command(PUSH_SCRIPT),
                      secrets={"HF_TOKEN": hub.token("alice")}, namespace="alice")
    done = hub.wait_for_job(job.id, timeout=60)
    assert done.stage == "COMPLETED", [line for _, line in done.logs]
    repo = hub.repos.get("model", "alice/job-output")
    assert repo.files["result.txt"] == b"loss=0.1\n" and repo.head.title == "result from the job"
    assert repo.head.author == "alice"
    assert any(line.startswith("pushed " + repo.sha) for _, line in done.logs)
    # the page the client prints
    with urllib.request.urlopen(job.url) as resp:
        page = resp.read().decode()
    assert "COMPLETED" in page and "HF_TOKEN" in page and hub.token("alice") not in page


def test_a_job_without_its_token_fails_and_the_doctor_says_secrets(hub, monkeypatch):
    hub.local_run = True
    monkeypatch.setattr(hub, "use_uv", False)
    # the emulator's own environment holds a token: a job gets only its own env and secrets, never this one
    monkeypatch.setenv("HF_TOKEN", hub.token("alice"))
    api = api_for(hub, "alice")
    script = "import os\nprint(os.environ['HF_TOKEN'])\n"
    job = api.run_job(image="python:3.12", command=inline_command(script), namespace="alice")
    done = hub.wait_for_job(job.id, timeout=60)
    assert done.stage == "ERROR"
    logs = [e for e in api.fetch_job_logs(job_id=job.id, namespace="alice")]
    line = next(x for x in logs if "KeyError" in x)
    d = diagnose(line, secrets=[])
    assert d.kind == "job-token-missing" and "secrets" in d.fix


def test_job_labels_and_rerun(hub):
    api = api_for(hub, "alice")
    job = api.run_job(image="python:3.12", command=["echo", "hi"], labels={"team": "ml"},
                      secrets={"HF_TOKEN": hub.token("alice")}, namespace="alice")
    assert api.inspect_job(job_id=job.id, namespace="alice").labels["team"] == "ml"
    updated = api.update_job_labels(job_id=job.id, labels={"team": "vision"}, namespace="alice")
    assert updated.labels == {"team": "vision"}
    again = api.rerun_job(job_id=job.id, namespace="alice")
    assert again.id != job.id and again.secrets and again.labels == {"team": "vision"}
    assert hub.jobs[again.id].secrets.reveal() == {"HF_TOKEN": hub.token("alice")}
    assert {j.id for j in api.list_jobs(namespace="alice", labels={"team": "vision"})} == {again.id, job.id}
    out = hf_cli("jobs", "rerun", "--detach", job.id, "--namespace", "alice", token=hub.token("alice"))
    assert out.returncode == 0, out.stderr
    assert len(hub.jobs) == 3


# ---------------------------------------------------------------------------------------------------------
# scheduled jobs
# ---------------------------------------------------------------------------------------------------------


def test_scheduled_job_create_run_suspend_resume_delete(hub):
    api = api_for(hub, "alice")
    sj = api.create_scheduled_job(image="python:3.12", command=["python", "-c", "print(1)"], schedule="@hourly",
                                  secrets={"HF_TOKEN": hub.token("alice")}, labels={"kind": "nightly"},
                                  namespace="alice")
    assert sj.schedule == "@hourly" and sj.status.next_job_run_at is not None and sj.owner.name == "alice"
    assert sj.job_spec.secrets == ["HF_TOKEN"]
    assert [s.id for s in api.list_scheduled_jobs(namespace="alice")] == [sj.id]
    assert api.list_scheduled_jobs(namespace="alice", labels={"kind": "other"}) == []
    run = api.trigger_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    assert hub.wait_for_job(run.id).stage == "COMPLETED"
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id, namespace="alice").status.last_job.id == run.id
    api.suspend_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id, namespace="alice").suspend is True
    api.resume_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id, namespace="alice").suspend is False
    assert api.update_scheduled_job_schedule(scheduled_job_id=sj.id, schedule="0 9 * * 1",
                                             namespace="alice").schedule == "0 9 * * 1"
    api.delete_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    assert api.list_scheduled_jobs(namespace="alice") == []
    with pytest.raises(HfHubHTTPError) as exc:
        api.inspect_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    assert exc.value.response.status_code == 404


def test_scheduled_jobs_with_the_cli(hub):
    token = hub.token("alice")
    out = hf_cli("jobs", "scheduled", "run", "@daily", "python:3.12", "python", "-c", "print(2)", "--namespace",
                 "alice", token=token)
    assert out.returncode == 0, out.stderr
    (sj,) = hub.scheduled.values()
    out = hf_cli("jobs", "scheduled", "ps", "--namespace", "alice", "--no-truncate", token=token)
    assert out.returncode == 0 and sj.id in out.stdout, out.stderr
    out = hf_cli("jobs", "scheduled", "trigger", f"alice/{sj.id}", token=token)
    assert out.returncode == 0, out.stderr
    assert len(sj.run_ids) == 1
    out = hf_cli("jobs", "scheduled", "inspect", f"alice/{sj.id}", "--format", "json", token=token)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    shown = shown[0] if isinstance(shown, list) else shown
    assert shown["id"] == sj.id and shown["schedule"] == "@daily"
    for verb in ("suspend", "resume", "delete"):
        out = hf_cli("jobs", "scheduled", verb, f"alice/{sj.id}", token=token)
        assert out.returncode == 0, (verb, out.stderr)
    assert hub.scheduled == {}


def test_scheduled_job_write_needs_job_write(hub):
    with pytest.raises(HfHubHTTPError) as exc:
        api_for(hub, "bob").create_scheduled_job(image="python:3.12", command=["echo"], schedule="@daily",
                                                 namespace="bob")
    assert exc.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as exc:
        api_for(hub, "alice").create_scheduled_job(image="python:3.12", command=["echo"], schedule="61 * * * *",
                                                   namespace="alice")
    assert exc.value.response.status_code == 400 and "61" in str(exc.value)


def test_listings_and_paths_info_show_only_what_the_caller_may_see(hub):
    anon_api = HfApi(endpoint=hub.url, token=False)
    assert [m.id for m in anon_api.list_models(author="acme")] == ["acme/gated-model", "acme/tiny-model"]
    assert [d.id for d in anon_api.list_datasets(author="alice")] == []
    assert [d.id for d in api_for(hub, "alice").list_datasets(author="alice")] == ["alice/private-data"]
    assert [m.id for m in api_for(hub, "alice").list_models(search="private")] == ["acme/private-model"]
    info = anon_api.get_paths_info("acme/tiny-model", ["config.json", "missing"])
    assert [(p.path, p.size) for p in info] == [("config.json", len(hub.repos.get("model", "acme/tiny-model")
                                                                     .files["config.json"]))]
    assert anon_api.file_exists("acme/tiny-model", "README.md") and anon_api.repo_exists("acme/tiny-model")
    assert not anon_api.repo_exists("alice/private-data", repo_type="dataset")


def test_job_labels_with_the_cli(hub):
    token = hub.token("alice")
    out = hf_cli("jobs", "run", "--detach", "--label", "team=ml", "--label", "nightly", "--namespace", "alice",
                 "python:3.12", "echo", "hi", token=token)
    assert out.returncode == 0, out.stderr
    (job,) = hub.jobs.values()
    assert job.labels["team"] == "ml" and job.labels["nightly"] == ""
    out = hf_cli("jobs", "ps", "-a", "--label", "team=ml", "--namespace", "alice", "--format", "json", token=token)
    assert out.returncode == 0 and job.id in out.stdout, out.stderr
    out = hf_cli("jobs", "labels", f"alice/{job.id}", "--label", "team=vision", token=token)
    assert out.returncode == 0, out.stderr
    assert job.labels["team"] == "vision"


def test_gated_repo_and_fine_grained_tokens(hub, tmp_path):
    # carol was granted access, but her fine-grained token may not read gated repos
    with pytest.raises(GatedRepoError) as exc:
        hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path, token=hub.token("carol"))
    assert "gated repos" in str(exc.value)
    able = hub.add_token("carol", "fineGrained", fine_grained={"scoped": [], "global": [], "canReadGatedRepos": True})
    assert open(hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path / "ok", token=able)).read()
    hub.repos.get("model", "acme/gated-model").accepted.clear()
    with pytest.raises(GatedRepoError):
        hf_hub_download("acme/gated-model", "config.json", cache_dir=tmp_path / "no", token=able)


def test_a_due_schedule_starts_a_run(hub):
    api = api_for(hub, "alice")
    sj = api.create_scheduled_job(image="python:3.12", command=["echo", "tick"], schedule="*/5 * * * *",
                                  namespace="alice")
    assert hub.run_due_scheduled_jobs() == []  # not yet due
    from datetime import datetime, timedelta, timezone
    hub.scheduled[sj.id]._next = datetime.now(timezone.utc) - timedelta(seconds=1)
    (run,) = hub.run_due_scheduled_jobs()
    assert hub.wait_for_job(run.id).stage == "COMPLETED"
    assert api.inspect_scheduled_job(scheduled_job_id=sj.id, namespace="alice").status.last_job.id == run.id
    api.suspend_scheduled_job(scheduled_job_id=sj.id, namespace="alice")
    hub.scheduled[sj.id]._next = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert hub.run_due_scheduled_jobs() == []  # suspended


def test_the_client_calls_routes_in_the_hubs_order(hub, tmp_path):
    """upload_file: preupload, then one regular commit; hf_hub_download: HEAD resolve, then GET resolve."""
    alice = api_for(hub, "alice")
    alice.create_repo("alice/order")
    hub.requests.clear()
    alice.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id="alice/order")
    assert [(c.method, c.path) for c in hub.calls() if c.path != "/api/agent-harnesses"] == [
        ("POST", "/api/models/alice/order/preupload/main"), ("POST", "/api/models/alice/order/commit/main")]
    hub.requests.clear()
    hf_hub_download("alice/order", "a.txt", cache_dir=tmp_path, token=hub.token("alice"))
    assert [(c.method, c.path) for c in hub.calls() if c.path != "/api/agent-harnesses"] == [
        ("HEAD", "/alice/order/resolve/main/a.txt"), ("GET", "/alice/order/resolve/main/a.txt")]
    # an unchanged file is skipped: the preupload answer carries its blob id
    hub.requests.clear()
    alice.upload_file(path_or_fileobj=b"1", path_in_repo="a.txt", repo_id="alice/order")
    assert [c.path for c in hub.calls()].count("/api/models/alice/order/commit/main") == 0


PLANNED = textwrap.dedent("""
    from huggingface_hub import HfApi
    api = HfApi()
    api.create_repo("{user}/planned", exist_ok=True)
    api.upload_file(path_or_fileobj=b"ok", path_in_repo="done.txt", repo_id="{user}/planned")
""")


def test_plan_job_end_to_end_against_the_emulator(hub, monkeypatch):
    """plan_job with the real login status: refused for a read token; for a write token the planned spec is
    submitted, runs here, and its push is a commit on the emulated Hub."""
    from hfsecure_jupyter.config import HFSecure
    from hfsecure_jupyter.hub import StatusService
    from hfsecure_jupyter.jobs import plan_job
    from hfsecure_jupyter.jobs.submit import submit

    hub.local_run = True
    monkeypatch.setattr(hub, "use_uv", False)
    monkeypatch.setenv("HF_TOKEN", hub.token("bob"))
    bob = StatusService(HFSecure(hub_timeout=5.0)).get_status()
    plan = plan_job(PLANNED.format(user="bob"), status=bob, dependencies=[])
    assert not plan.ok and plan.refused_by == "access" and "read" in plan.refusals[0]
    monkeypatch.setenv("HF_TOKEN", hub.token("alice"))
    alice = StatusService(HFSecure(hub_timeout=5.0)).get_status()
    plan = plan_job(PLANNED.format(user="alice"), status=alice, dependencies=[], namespace="alice")
    assert plan.ok, plan.refusals
    assert plan.spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}
    handle = submit(plan.spec, api=HfApi(endpoint=hub.url, token=hub.token("alice")))
    done = hub.wait_for_job(handle.id, timeout=60)
    assert done.stage == "COMPLETED", [line for _, line in done.logs]
    assert hub.repos.get("model", "alice/planned").files["done.txt"] == b"ok"

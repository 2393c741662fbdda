"""huggingface_hub's job calls in a kernel with the extension: a secret in ``env`` reaches the Hub as a secret.

The real client against the emulator; the canary is the logged-in user's token, which must end up in the
job's encrypted secrets and nowhere in its plain-text ``environment`` or the job listing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from IPython.utils.capture import capture_output

from hfsecure_jupyter.kernel import extension, jobcalls

pytestmark = pytest.mark.timeout(120)


def listing(hub, token: str, namespace: str = "alice") -> str:
    """The job listing as the Hub serves it (``GET /api/jobs/{namespace}``), as text."""
    from huggingface_hub import get_session

    r = get_session().get(f"{hub.url}/api/jobs/{namespace}", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return r.text


@pytest.fixture
def wrapped(ip, hub, logged_in):
    """The extension loaded in the session shell, huggingface_hub imported, the user logged in."""
    import huggingface_hub  # noqa: F401 - imported before or after the load: both must work

    assert jobcalls.is_installed()
    return ip


def run(ip, code: str):
    with capture_output() as cap:
        result = ip.run_cell(code, store_history=False)
    return result, cap


@pytest.mark.parametrize("call", [
    "HfApi().run_job(image='python:3.12', command=['python', '-c', 'print(1)'], env={'HF_TOKEN': get_token(), 'MODE': 'x'})",
    "run_job(image='python:3.12', command=['python', '-c', 'print(1)'], env={'HF_TOKEN': get_token(), 'MODE': 'x'})",
    "run_uv_job('https://example.com/a.py', env={'MODE': 'x', 'TOKEN_FOR_HUB': get_token()})",
    "huggingface_hub.run_job(image='python:3.12', command=['python', '-V'], env={'MY_NAME_IS': get_token(), 'MODE': 'x'})",
])
def test_a_token_in_env_is_sent_as_a_secret(wrapped, hub, logged_in, call):
    canary = logged_in.token
    code = ("import huggingface_hub\nfrom huggingface_hub import HfApi, get_token, run_job, run_uv_job\n"
            f"job = {call}\n")
    wrapped.user_ns.pop("job", None)
    result, cap = run(wrapped, code)
    assert result.error_in_exec is None, cap.stderr
    job = hub.jobs[wrapped.user_ns["job"].id]
    env = job.spec.get("environment") or {}
    assert env == {"MODE": "x"}
    assert canary in job.secrets.reveal().values(), "the job still gets the token, encrypted"
    assert canary not in json.dumps(job.spec.get("environment")) and canary not in listing(hub, canary)
    notice = [line for line in cap.stderr.splitlines() if line.startswith("hfsecure:")]
    assert len(notice) == 1 and "moved env" in notice[0] and "to secrets" in notice[0]
    assert canary not in cap.stdout + cap.stderr


def test_a_known_secret_value_under_any_name_moves(wrapped, hub, logged_in, monkeypatch):
    # a non-HF secret the kernel knows (a secret-looking variable's value), under an innocent env name
    monkeypatch.setenv("MY_SERVICE_API_KEY", "s3cr3t-value-for-the-test-0123")
    result, cap = run(wrapped, "import os\nfrom huggingface_hub import run_job\n"
                               "job = run_job(image='python:3.12', command=['true'], "
                               "env={'SETTING': os.environ['MY_SERVICE_API_KEY']})\n")
    assert result.error_in_exec is None, cap.stderr
    job = hub.jobs[wrapped.user_ns["job"].id]
    assert (job.spec.get("environment") or {}) == {} and job.secrets.names() == ["SETTING"]


def test_an_impossible_move_is_refused_with_the_fix(wrapped, hub, logged_in):
    result, cap = run(wrapped, "from huggingface_hub import run_job, get_token\n"
                               "run_job(image='python:3.12', command=['true'], env={'HF_TOKEN': get_token()}, "
                               "secrets={'HF_TOKEN': 'another-value'})\n")
    assert isinstance(result.error_in_exec, jobcalls.JobEnvSecretError)
    assert "nothing was sent" in str(result.error_in_exec) and "Fix:" in str(result.error_in_exec)
    assert logged_in.token not in cap.stdout + cap.stderr + str(result.error_in_exec)
    assert not hub.jobs and not hub.calls(method="POST")


def test_scheduled_job_calls_are_wrapped(wrapped, hub, logged_in):
    # The emulator has no scheduled jobs: the request body the real client sends is what counts.
    from huggingface_hub import get_session

    bodies: list[bytes] = []

    def hook(request):
        if "/scheduled-jobs/" in str(request.url):
            bodies.append(request.content)

    session = get_session()
    session.event_hooks["request"].append(hook)
    try:
        for call in ("create_scheduled_job(image='python:3.12', command=['true'], schedule='@daily', "
                     "env={'HF_TOKEN': get_token()}, namespace='alice')",
                     "HfApi().create_scheduled_uv_job('https://example.com/a.py', schedule='@daily', "
                     "env={'HF_TOKEN': get_token()}, namespace='alice')"):
            run(wrapped, f"from huggingface_hub import HfApi, get_token, create_scheduled_job\n{call}\n")
    finally:
        session.event_hooks["request"].remove(hook)
    assert len(bodies) == 2
    for body in bodies:
        sent = json.loads(body)
        spec = sent.get("jobSpec", sent)
        assert "HF_TOKEN" not in (spec.get("environment") or {}) and "HF_TOKEN" in (spec.get("secrets") or {})
        assert logged_in.token not in json.dumps(spec.get("environment"))


def test_misuse_off_leaves_the_calls_alone(wrapped, hub, logged_in):
    extension.get_state(wrapped).settings.misuse = "off"
    result, _ = run(wrapped, "from huggingface_hub import run_job, get_token\n"
                             "job = run_job(image='python:3.12', command=['true'], env={'HF_TOKEN': get_token()})\n")
    assert result.error_in_exec is None
    assert "HF_TOKEN" in hub.jobs[wrapped.user_ns["job"].id].spec["environment"]


def test_unload_restores_huggingface_hub(ip, hub):
    import huggingface_hub
    from huggingface_hub import HfApi, hf_api

    assert getattr(HfApi.run_job, "__hfsecure_jobcalls__", False)
    assert huggingface_hub.run_job.__func__ is HfApi.run_job
    extension.unload(ip)
    assert not jobcalls.is_installed()
    for name in jobcalls.JOB_CALLS:
        assert not getattr(getattr(HfApi, name), "__hfsecure_jobcalls__", False), name
        assert getattr(hf_api, name).__func__ is getattr(HfApi, name), name
    assert not any(isinstance(f, jobcalls._ImportHook) for f in sys.meta_path)


LATE_IMPORT = textwrap.dedent("""
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    c = Config(); c.HistoryManager.hist_file = ":memory:"
    ip = InteractiveShell(config=c)
    ip.run_line_magic("load_ext", "hfsecure_jupyter")
    print("HUB_AT_LOAD", "huggingface_hub" in sys.modules)
    r = ip.run_cell("from huggingface_hub import run_job, get_token\\n"
                    "job = run_job(image='python:3.12', command=['true'], env={'HF_TOKEN': get_token()})")
    print("ERROR", r.error_in_exec)
    print("JOB", ip.user_ns["job"].id)
    ip.run_line_magic("unload_ext", "hfsecure_jupyter")
    from huggingface_hub import HfApi
    print("UNWRAPPED", not getattr(HfApi.run_job, "__hfsecure_jobcalls__", False))
""")


def test_a_first_import_after_loading_is_wrapped_and_the_load_stays_light(hub, logged_in):
    out = subprocess.run([sys.executable, "-c", LATE_IMPORT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    words = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert words["HUB_AT_LOAD"] == "False", out.stdout
    assert words["ERROR"] == "None", out.stdout
    job = hub.jobs[words["JOB"]]
    assert "HF_TOKEN" not in (job.spec.get("environment") or {}) and job.secrets.names() == ["HF_TOKEN"]
    assert logged_in.token not in listing(hub, logged_in.token) + out.stdout + out.stderr
    assert words["UNWRAPPED"] == "True"
    assert "moved env HF_TOKEN to secrets" in out.stderr

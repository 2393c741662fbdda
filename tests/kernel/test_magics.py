"""``%%hfjob`` and ``%hfsecure`` in an in-process IPython shell, against the offline Hub emulator.

Every security assertion searches everything the magic put out (stdout, stderr, every display and
display update under every mimetype, the returned value's repr, the exception shown) for the canary: the
logged-in user's token, or a literal fake token written into the cell.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
import time

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from tests.kernel.kernel_helpers import kernel_execute
from hfsecure_jupyter.detect import mask_secret
from hfsecure_jupyter.kernel import extension
from hfsecure_jupyter.kernel import magics as magics_module
from hfsecure_jupyter.kernel.magics import HFSecureMagics, JobRefused


# -- set-up -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shell(singleton_shell):
    return singleton_shell


@pytest.fixture
def ip(shell):
    """The shell with only our magics registered (no guard): the magic must protect on its own."""
    if extension.get_state(shell) is not None:
        extension.unload(shell)
    shell.register_magics(HFSecureMagics)
    yield shell
    extension._unregister_magics(shell, HFSecureMagics)


@pytest.fixture
def fresh_status(ip):
    """Forget cached login statuses so a test sees the Hub as it is now."""
    service = ip.magics_manager.registry["HFSecureMagics"]._status_service()
    service.clear_cache()
    yield service
    service.clear_cache()


class Run:
    """One cell run: its result and everything that left the magic, as text."""

    def __init__(self, ip, code: str) -> None:
        with capture_output() as cap:
            self.result = ip.run_cell(code, store_history=True)
        self.cap = cap
        self.value = self.result.result
        self.error = self.result.error_in_exec or self.result.error_before_exec
        parts = [cap.stdout, cap.stderr, repr(self.value), str(self.value)]
        for o in cap._outputs:
            parts += [str(v) for v in o["data"].values()]
        if self.error is not None:
            parts.append(str(self.error))
            parts += list(getattr(self.error, "lines", []))
        self.text = "\n".join(parts)

    def assert_clean(self, *secrets: str) -> None:
        for secret in secrets:
            assert secret not in self.text, "a secret left the magic"


SCRIPT_PUSH = """
from transformers import AutoModel
model = AutoModel.from_pretrained("gpt2")
model.push_to_hub("{user}/my-model")
"""


# -- argument handling ------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, needle", [
    ("--bogus", "unrecognized arguments: --bogus"),
    ("--flavor", "expected one argument"),
    ("--dry-run --local", "exclude each other"),
    ("--flavor no-such-gpu --dry-run", "flavor"),
    ("--timeout soon --dry-run", "timeout"),
    ("-s 9BAD", "name must start with a letter"),
    ("--label 'unclosed", "quotation"),
])
def test_bad_flags_give_a_one_line_usage_error(ip, line, needle):
    run = Run(ip, f"%%hfjob {line}\nprint(1)\n")
    assert isinstance(run.error, UsageError) and type(run.error) is UsageError
    message = str(run.error)
    assert needle in message
    assert "\n" not in message.strip()
    assert "Traceback" not in run.text
    assert run.cap.stderr.strip().startswith("UsageError:")


def test_help_lists_every_option():
    from hfsecure_jupyter.kernel.magics import HFJOB_OPTIONS

    doc = HFSecureMagics.hfjob.__doc__
    for flags, _ in HFJOB_OPTIONS:
        for flag in flags:
            if flag.startswith("-"):
                assert flag in doc, flag


def test_empty_body_is_a_usage_error(ip):
    run = Run(ip, "%%hfjob --dry-run\n\n")
    assert type(run.error) is UsageError and "uv script" in str(run.error)


def test_dollar_placeholder_is_not_expanded_by_ipython(ip, hub, logged_in):
    ip.user_ns["HF_TOKEN"] = "expanded-by-ipython"  # what $HF_TOKEN would become with var expansion
    try:
        run = Run(ip, "%%hfjob --dry-run -s HF_TOKEN=$HF_TOKEN\nprint(1)\n")
    finally:
        ip.user_ns.pop("HF_TOKEN")
    assert run.error is None, run.text
    assert "expanded-by-ipython" not in run.text
    assert "$HF_TOKEN" in run.text


def test_literal_token_after_a_bad_flag_is_not_echoed(ip, tok):
    run = Run(ip, f"%%hfjob --bogus {tok}\nprint(1)\n")
    assert isinstance(run.error, JobRefused)
    run.assert_clean(tok)
    assert mask_secret(tok) in run.text


# -- dry run ---------------------------------------------------------------------------------------------

def test_dry_run_renders_three_forms_with_placeholder_and_no_canary(ip, hub, logged_in):
    canary = logged_in.token
    run = Run(ip, "%%hfjob --dry-run --flavor cpu-upgrade --with transformers --timeout 30m\n"
              + SCRIPT_PUSH.format(user="alice"))
    assert run.error is None, run.text
    run.assert_clean(canary)
    assert not hub.jobs, "a dry run submits nothing"
    assert not hub.calls(method="POST")
    shown = [o["data"] for o in run.cap._outputs]
    assert len(shown) == 1
    plain, html = shown[0]["text/plain"], shown[0]["text/html"]
    # MCP JSON, Python and CLI, each with the token as a placeholder in secrets.
    mcp_text = plain.split("# MCP hf_jobs\n", 1)[1].split("\n\n# Python\n", 1)[0]
    mcp = json.loads(mcp_text)
    assert mcp["operation"] == "uv"
    assert mcp["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    assert "HF_TOKEN" not in (mcp["args"].get("env") or {})
    python_text = plain.split("# Python\n", 1)[1].split("\n\n# CLI\n", 1)[0]
    assert "run_job" in python_text or "run_uv_job" in python_text
    assert "HF_TOKEN" in python_text
    cli_text, typed = plain.split("# CLI\n", 1)[1].split("\n\n# CLI, with the cell body saved as job.py\n", 1)
    assert cli_text.startswith("hf jobs") and "HF_TOKEN" in cli_text and "--flavor cpu-upgrade" in cli_text
    # the form people type: the script as a file, the token as a bare --secrets name
    assert typed.startswith("hf jobs uv run") and "--secrets HF_TOKEN" in typed and typed.rstrip().endswith("job.py")
    assert "-e HF_TOKEN" not in typed and "base64" not in typed
    assert "<pre>" in html and "MCP hf_jobs" in html
    # The automatic token secret is explained.
    assert "HF_TOKEN added to the job's secrets" in run.cap.stdout
    assert "push_to_hub" in run.cap.stdout


def test_dry_run_warns_when_a_real_run_would_be_refused(ip, hub, logged_in, fresh_status):
    canary = logged_in("bob")
    run = Run(ip, "%%hfjob --dry-run\n" + SCRIPT_PUSH.format(user="bob"))
    assert run.error is None
    assert "a real run would be refused" in run.cap.stdout
    run.assert_clean(canary)
    assert not hub.jobs


def test_token_passed_but_not_needed_gets_a_note(ip, hub, logged_in):
    run = Run(ip, "%%hfjob --dry-run -s HF_TOKEN\nprint(sum(range(10)))\n")
    assert run.error is None
    assert "does not seem to use the Hub" in run.cap.stdout
    run.assert_clean(logged_in.token)


def test_env_option_naming_a_secret_is_moved_to_secrets(ip, hub, logged_in):
    run = Run(ip, "%%hfjob --dry-run -e HF_TOKEN=$HF_TOKEN -e MODE=fast\nprint(1)\n")
    assert run.error is None, run.text
    mcp = json.loads(run.cap._outputs[0]["data"]["text/plain"].split("# MCP hf_jobs\n", 1)[1].split("\n\n# Python", 1)[0])
    assert mcp["args"]["env"] == {"MODE": "fast"}
    assert mcp["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    run.assert_clean(logged_in.token)


# -- refusals: nothing submitted --------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["body", "env", "secrets", "secrets-bare-env", "label"])
def test_literal_secret_is_refused_and_nothing_submitted(ip, hub, logged_in, tok, where, monkeypatch):
    body = "print('hello')\n"
    line = ""
    if where == "body":
        body = f"from huggingface_hub import login\nlogin(token='{tok}')\n"
    elif where == "env":
        line = f"-e MY_VAR={tok}"
    elif where == "secrets":
        line = f"-s HF_TOKEN={tok}"
    elif where == "secrets-bare-env":
        monkeypatch.setenv("INNOCENT_NAME", tok)
        line = "-e INNOCENT_NAME"
    elif where == "label":
        line = f"--label note={tok}"
    run = Run(ip, f"%%hfjob {line}\n{body}")
    assert isinstance(run.error, JobRefused), run.text
    assert "refused" in run.text and "nothing was submitted" in run.text
    assert "fix:" in run.text
    assert mask_secret(tok) in run.text
    run.assert_clean(tok, logged_in.token)
    assert "Traceback" not in run.text
    assert not hub.jobs
    assert not hub.calls(method="POST")
    if where == "body":  # where it is, in the cell's own line numbers (the %%hfjob line is line 1)
        assert "the script holds a secret" in run.text and f"line 3: {mask_secret(tok)}" in run.text


def test_secret_value_that_is_not_token_shaped_is_refused(ip, hub, logged_in):
    run = Run(ip, "%%hfjob -s API_KEY=letmein-please-123\nprint(1)\n")
    assert isinstance(run.error, JobRefused)
    assert "names only" in run.text
    assert "letmein-please-123" not in run.text
    assert not hub.jobs


def test_read_token_pushing_is_refused_with_the_fix(ip, hub, logged_in, fresh_status):
    canary = logged_in("bob")
    run = Run(ip, "%%hfjob\n" + SCRIPT_PUSH.format(user="bob"))
    assert isinstance(run.error, JobRefused), run.text
    assert "read token" in run.text
    assert "fix:" in run.text and ("write" in run.text.split("fix:", 1)[1])
    run.assert_clean(canary)
    assert not hub.jobs
    assert not hub.calls(method="POST")


def test_token_without_job_write_is_refused(ip, hub, logged_in, fresh_status):
    canary = logged_in("dave")
    run = Run(ip, "%%hfjob\nprint('no hub here')\n")
    assert isinstance(run.error, JobRefused), run.text
    assert "job.write" in run.text
    run.assert_clean(canary)
    assert not hub.jobs


def test_misuse_policy_block_refuses_a_script_that_prints_the_token(ip, hub, logged_in):
    state = extension.load(ip)
    body = "from huggingface_hub import get_token\nprint(get_token())\n"
    try:
        state.settings.misuse = "block"
        # Called directly: the guard (which would block the whole cell first) is not in the way.
        with pytest.raises(JobRefused, match="would leak a secret"):
            ip.run_cell_magic("hfjob", "", body)
        state.settings.misuse = "warn"
        # Through the guard: the warning is shown once (by the guard), not again by the magic.
        with capture_output() as cap:
            ip.run_cell("%%hfjob --dry-run\n" + body)
        shown = cap.stdout + cap.stderr
        assert shown.count("may leak a secret") == 1 and "fix:" in shown
        # With the guard off, the magic shows it itself.
        state.settings.guard = "off"
        with capture_output() as cap:
            ip.run_cell_magic("hfjob", "--dry-run", body)
        assert cap.stdout.count("may leak a secret") == 1 and "fix:" in cap.stdout
    finally:
        extension.unload(ip)
        ip.register_magics(HFSecureMagics)
    assert not hub.jobs


# -- submission -------------------------------------------------------------------------------------------

def test_write_token_submits_follows_and_keeps_the_token_secret(ip, hub, logged_in, fresh_status):
    canary = logged_in.token  # alice, write token
    run = Run(ip, "%%hfjob --label team=nlp\n" + SCRIPT_PUSH.format(user="alice"))
    assert run.error is None, run.text
    run.assert_clean(canary)
    handle = run.value
    assert handle is not None and handle.id in hub.jobs
    assert repr(handle).startswith("JobHandle(") and handle.id in repr(handle)
    assert callable(handle.status) and callable(handle.logs) and callable(handle.cancel)
    job = hub.wait_for_job(handle.id)
    # The token travelled as an encrypted secret, resolved at submission; the plain env has none.
    assert job.secrets.names() == ["HF_TOKEN"]
    assert job.secrets.reveal()["HF_TOKEN"] == canary
    env = job.spec.get("environment") or {}
    assert "HF_TOKEN" not in env and canary not in json.dumps(env)
    assert job.to_dict()["secrets"] == ["HF_TOKEN"]
    assert job.labels.get("team") == "nlp"
    # Live output: one header updated in place through the stages, and the job's log lines.
    headers = [o for o in run.cap._outputs if o["data"]["text/plain"].startswith(f"job {handle.id}")]
    assert len({o["transient"]["display_id"] for o in headers}) == 1
    assert any(o["update"] for o in headers)
    stages = [o["data"]["text/plain"].splitlines()[0].split(": ", 1)[1].split(" ")[0] for o in headers]
    assert stages[-1] == "COMPLETED" and len(stages) >= 2
    logs = "\n".join(o["data"]["text/plain"] for o in run.cap._outputs if o not in headers)
    assert "[hub emulator]" in logs and "secrets: HF_TOKEN" in logs
    assert handle.url in run.text
    assert "HF_TOKEN added to the job's secrets" in run.cap.stdout


def test_logged_out_is_refused_with_how_to_log_in(ip, hub, monkeypatch, fresh_status, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "no-token"))
    run = Run(ip, "%%hfjob\nprint(1)\n")
    assert isinstance(run.error, JobRefused), run.text
    assert "not logged in" in run.text and "login" in run.text
    assert not hub.jobs


def test_namespace_option_submits_in_the_org(ip, hub, logged_in, fresh_status):
    run = Run(ip, "%%hfjob --namespace acme --detach\nprint(1)\n")
    assert run.error is None, run.text
    assert run.value.namespace == "acme" and hub.jobs[run.value.id].namespace == "acme"
    run.assert_clean(logged_in.token)


def test_detach_returns_at_once(ip, hub, logged_in, fresh_status):
    hub.timings.scheduling = 3600.0  # the job waits an hour to start: a magic that waited would hang
    run = Run(ip, "%%hfjob --detach\nprint('slow job')\n")
    assert run.error is None, run.text
    handle = run.value
    assert hub.jobs[handle.id].stage == "SCHEDULING"
    assert "SCHEDULING" in run.text and "handle.cancel()" in run.text
    run.assert_clean(logged_in.token)
    handle.cancel()
    assert hub.wait_for_job(handle.id, timeout=10).stage == "CANCELED"


def test_hub_error_on_submit_shows_cause_and_fix_not_a_traceback(ip, hub, logged_in, fresh_status):
    fresh_status.get_status(timeout=5)  # the login check passes; then the job call fails
    hub.faults.update({"status": 500, "paths": r"^/api/jobs/"})
    run = Run(ip, "%%hfjob\nprint(1)\n")
    assert isinstance(run.error, JobRefused), run.text
    assert "job not submitted" in run.text
    assert "Traceback" not in run.text
    assert "ix" in run.text.split("job not submitted", 1)[1]  # "fix" / "Fix"
    run.assert_clean(logged_in.token)
    assert not hub.jobs


# -- local run --------------------------------------------------------------------------------------------

LOCAL_SCRIPT = """import hashlib, os
t = os.environ["HF_TOKEN"]
print("digest", hashlib.sha256(t.encode()).hexdigest())
print("token", t)
print("mode", os.environ.get("MODE"))
"""


def test_local_run_passes_the_secret_as_env_var_and_redacts_it(ip, hub, logged_in):
    canary = logged_in.token
    run = Run(ip, "%%hfjob --local -s HF_TOKEN -e MODE=fast\n" + LOCAL_SCRIPT)
    assert run.error is None, run.text
    assert run.value is None
    run.assert_clean(canary)
    digest = hashlib.sha256(canary.encode()).hexdigest()
    assert f"digest {digest}" in run.text, "the script received the token as HF_TOKEN"
    assert "mode fast" in run.text
    assert f"token {mask_secret(canary)}" in run.text
    assert "COMPLETED" in run.text and "exit code 0" in run.text
    assert "may leak a secret" in run.cap.stdout  # print(t) is flagged (policy warn)
    assert not hub.jobs, "a local run submits nothing"


def test_a_script_that_reads_the_token_gets_it_without_s(ip, hub, logged_in):
    # Seen in the browser: a script reading os.environ["HF_TOKEN"] failed with KeyError without -s.
    canary = logged_in.token
    body = 'import hashlib, os\nprint("digest", hashlib.sha256(os.environ["HF_TOKEN"].encode()).hexdigest())\n'
    run = Run(ip, "%%hfjob --local\n" + body)
    assert run.error is None, run.text
    run.assert_clean(canary)
    assert "HF_TOKEN added to the job's secrets" in run.text and "reads the token" in run.text
    assert f"digest {hashlib.sha256(canary.encode()).hexdigest()}" in run.text
    assert "COMPLETED" in run.text


def test_local_run_failure_shows_error_stage(ip, hub, logged_in):
    run = Run(ip, "%%hfjob --local\nimport sys\nprint('about to fail')\nsys.exit(3)\n")
    assert run.error is None
    assert "about to fail" in run.text and "ERROR" in run.text and "exit code 3" in run.text


# -- with the extension loaded ----------------------------------------------------------------------------

def test_extension_registers_the_magics_and_the_guard_also_blocks(shell, hub, logged_in, tok):
    extension.load(shell)
    try:
        assert "hfjob" in shell.magics_manager.magics["cell"]
        run = Run(shell, f"%%hfjob\nlogin(token='{tok}')\n")
        assert run.error is not None
        run.assert_clean(tok)
        assert not hub.jobs
    finally:
        extension.unload(shell)
    assert "hfjob" not in shell.magics_manager.magics["cell"]


# -- %hfsecure --------------------------------------------------------------------------------------------

def test_status_logged_in(ip, hub, logged_in, fresh_status):
    canary = logged_in.token
    run = Run(ip, "%hfsecure status")
    assert run.error is None, run.text
    assert "env:HF_TOKEN" in run.text
    assert "alice" in run.text and "write" in run.text
    assert "days" in run.text  # token age
    assert mask_secret(canary) in run.text
    assert "guard:        not loaded" in run.text
    run.assert_clean(canary)


def test_status_with_extension_shows_guard_and_redaction(shell, hub, logged_in):
    state = extension.load(shell)
    try:
        state.settings.guard = "warn"
        run = Run(shell, "%hfsecure status")
    finally:
        extension.unload(shell)
    assert "guard:        warn" in run.text
    assert "redaction:    partial" in run.text  # an in-process shell is terminal-like: printed output not masked
    run.assert_clean(logged_in.token)


def test_the_kernel_state_owns_one_status_service_that_status_and_jobs_share(shell, hub, logged_in):
    """Built from the kernel's settings; %hfsecure status and %%hfjob (access check and namespace) ask it,
    so one whoami serves them all."""
    logged_in("carol")  # fine-grained, with jobs in carol
    state = extension.load(shell)
    try:
        service = state.status
        assert service.settings is state.settings
        heard = []
        service.subscribe(heard.append)

        def carol() -> int:  # whoami calls for carol, once the emulator's record has settled
            count = -1
            for _ in range(30):
                now = sum(1 for r in hub.calls("/api/whoami-v2") if r.user == "carol")
                if now == count:
                    return now
                count = now
                time.sleep(0.1)
            return count

        run = Run(shell, "%hfsecure status")
        assert "carol" in run.text and carol() == 1 and [s.user for s in heard] == ["carol"]
        run = Run(shell, "%%hfjob --detach\nfrom huggingface_hub import whoami\nprint(whoami()['name'])\n")
        assert run.error is None, run.text
        assert run.value.namespace == "carol" and carol() == 1  # the access check and the namespace: cached
        assert len(service.cache_keys()) == 1
    finally:
        extension.unload(shell)


@pytest.mark.parametrize("fault, words", [
    ("silent", ("checking", "unknown")),  # not "unreachable": it did not wait for the client to give up
    ({"status": 503}, ("checking", "unreachable", "unknown")),  # the client retries 503s: may still be checking
])
def test_status_with_the_hub_down_returns_within_its_timeout(ip, hub, logged_in, fresh_status, fault, words,
                                                            monkeypatch):
    if fault == "silent":
        hub.faults.hold = threading.Event()  # the Hub never answers (released by the hub fixture)
        monkeypatch.setattr(magics_module, "STATUS_TIMEOUT", 0.3)  # the wait it gives up after: shorter here
    else:
        hub.faults.update(fault)
    run = Run(ip, "%hfsecure status")
    assert run.error is None, run.text
    login_line = next(line for line in run.cap.stdout.splitlines() if "login:" in line)
    assert any(w in login_line for w in words), login_line
    run.assert_clean(logged_in.token)


def test_status_logged_out(ip, hub, monkeypatch, fresh_status, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "no-token"))
    run = Run(ip, "%hfsecure")
    assert run.error is None
    assert "none" in run.text and "logged-out" in run.text


def _leaky_notebook(path, tok):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(f"login(token='{tok}')")]
    nbformat.write(nb, str(path))


def test_scan_a_path_shows_masked_findings(ip, tok, tmp_path):
    nb = tmp_path / "leaky.ipynb"
    _leaky_notebook(nb, tok)
    run = Run(ip, f"%hfsecure scan {nb}")
    assert run.error is None, run.text
    assert mask_secret(tok) in run.text and "hf-user-token" in run.text
    assert "leaky.ipynb" in run.text
    run.assert_clean(tok)


def test_scan_a_folder(ip, tok, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "train.py").write_text(f"TOKEN = '{tok}'\n")
    (tmp_path / "clean.py").write_text("x = 1\n")
    run = Run(ip, f"%hfsecure scan {tmp_path}")
    assert run.error is None
    assert "train.py" in run.text and mask_secret(tok) in run.text
    run.assert_clean(tok)


def test_scan_current_notebook_from_the_session(ip, tok, tmp_path, monkeypatch):
    nb = tmp_path / "current.ipynb"
    _leaky_notebook(nb, tok)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ip.user_ns["__session__"] = str(nb)
    try:
        run = Run(ip, "%hfsecure scan")
    finally:
        ip.user_ns.pop("__session__")
    assert run.error is None, run.text
    assert "current.ipynb" in run.text and mask_secret(tok) in run.text
    assert "save first" in run.text
    run.assert_clean(tok)
    monkeypatch.setenv("JPY_SESSION_NAME", str(nb))
    run = Run(ip, "%hfsecure scan")
    assert mask_secret(tok) in run.text


def test_scan_names_the_saved_version_and_scans_what_the_kernel_ran(ip, tok, tmp_path, monkeypatch):
    """The saved file is clean, the token is in a cell run but not saved: the scan says which saved version
    it read (path and time) and finds the token in the kernel's history."""
    import nbformat

    nb = tmp_path / "current.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), str(nb))
    os.utime(nb, (1_700_000_000, 1_700_000_000))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ip.user_ns["__session__"] = str(nb)
    try:
        ran = Run(ip, f"token = '{tok}'")  # no guard loaded here: it runs, unsaved
        number = ran.result.execution_count
        run = Run(ip, "%hfsecure scan")
    finally:
        ip.user_ns.pop("__session__")
    assert run.error is None, run.text
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1_700_000_000))
    assert f"scanning the saved notebook {nb}, as saved at {stamp}" in run.text and "save first" in run.text
    assert "No secrets found" in run.text  # in the saved file, which is clean
    assert f"In [{number}], line 1: hf-user-token {mask_secret(tok)}" in run.text
    assert "the guard was off, warning or not loaded" in run.text and "revoke" in run.text
    run.assert_clean(tok)


def test_scan_history_reports_cells_run_with_the_guard_warning_not_those_it_blocked(shell, tmp_path, monkeypatch,
                                                                                     make_token):
    import nbformat

    nb = tmp_path / "guarded.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(nb))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    blocked_tok, warned_tok = make_token(), make_token()
    state = extension.load(shell)
    shell.user_ns["__session__"] = str(nb)
    try:
        blocked = Run(shell, f"a = '{blocked_tok}'")
        assert blocked.error is not None  # rejected, and scrubbed from the history
        state.settings.guard = "warn"
        warned = Run(shell, f"b = '{warned_tok}'")
        run = Run(shell, "%hfsecure scan")
    finally:
        shell.user_ns.pop("__session__", None)
        extension.unload(shell)
    assert (f"In [{warned.result.execution_count}], line 1: hf-user-token {mask_secret(warned_tok)} "
            "(ran with the guard warning)") in run.text
    assert mask_secret(blocked_tok) not in run.text
    run.assert_clean(blocked_tok, warned_tok)


def test_scan_of_a_clean_history_says_so():
    from hfsecure_jupyter.kernel.magics import _history_lines

    assert _history_lines(["", "x = 1", "print(x)"]) == ["this kernel's history: 2 cells run, no secrets found"]


def test_scan_without_a_known_notebook_asks_for_a_path(ip, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ip.user_ns.pop("__session__", None)
    run = Run(ip, "%hfsecure scan")
    assert type(run.error) is UsageError
    assert "cannot tell which notebook" in str(run.error) and "PATH" in str(run.error)


def test_scan_missing_path(ip, tmp_path):
    run = Run(ip, f"%hfsecure scan {tmp_path / 'nope.ipynb'}")
    assert type(run.error) is UsageError and "no such file" in str(run.error)


def test_guard_policy(shell):
    state = extension.load(shell)
    try:
        for word, policy in (("off", "off"), ("warn", "warn"), ("on", "block")):
            run = Run(shell, f"%hfsecure guard {word}")
            assert run.error is None
            assert state.settings.guard == policy
            assert f"guard: {policy}" in run.cap.stdout
        run = Run(shell, "%hfsecure guard sideways")
        assert type(run.error) is UsageError
        assert state.settings.guard == "block"
    finally:
        extension.unload(shell)


def test_guard_without_extension_says_so(ip):
    run = Run(ip, "%hfsecure guard off")
    assert type(run.error) is UsageError and "load_ext hfsecure_jupyter" in str(run.error)


def test_unknown_subcommand(ip):
    run = Run(ip, "%hfsecure frobnicate")
    assert type(run.error) is UsageError and "status | scan" in str(run.error)


def test_hfsecure_line_with_a_token_is_refused_masked(ip, tok):
    run = Run(ip, f"%hfsecure scan {tok}")
    assert type(run.error) is UsageError
    run.assert_clean(tok)


# -- through a real kernel --------------------------------------------------------------------------------

def _execute(kc, code: str, timeout: float = 60) -> list[dict]:
    """Run ``code`` in the kernel; return every iopub message of the request plus the execute_reply."""
    msgs, reply = kernel_execute(kc, code, timeout)
    return msgs + [reply]


@pytest.mark.slow
def test_real_kernel_iopub_holds_no_token_through_hfjob(hub, tmp_path):
    manager = importlib.import_module("jupyter_client.manager")
    canary = hub.token("alice")
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"), HF_TOKEN=canary, JUPYTER_PLATFORM_DIRS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("PYTEST_CURRENT_TEST", None)
    km, kc = manager.start_new_kernel(kernel_name="python3", env=env, startup_timeout=60)
    try:
        seen: dict[str, list[dict]] = {}
        cells = {
            "load": "%load_ext hfsecure_jupyter",
            "submit": "%%hfjob\n" + SCRIPT_PUSH.format(user="alice"),
            "handle": "_",
            "local": "%%hfjob --local -s HF_TOKEN\n" + LOCAL_SCRIPT,
            "dry": "%%hfjob --dry-run -e HF_TOKEN=$HF_TOKEN\nprint(1)\n",
            "status": "%hfsecure status",
        }
        for name, code in cells.items():
            seen[name] = _execute(kc, code)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    everything = json.dumps(seen, default=str)
    assert canary not in everything
    types = lambda name: [m["msg_type"] for m in seen[name]]  # noqa: E731
    # The job ran on the emulator, with the token as its secret, and its progress was updated in place.
    assert len(hub.jobs) == 1
    job = next(iter(hub.jobs.values()))
    assert job.secrets.reveal()["HF_TOKEN"] == canary and "HF_TOKEN" not in (job.spec.get("environment") or {})
    # In a kernel the progress is a JobMonitor widget (issue 11.5): its state updates are comm messages.
    assert "comm_open" in types("submit") and "comm_msg" in types("submit")
    assert "application/vnd.jupyter.widget-view+json" in json.dumps(seen["submit"], default=str)
    assert job.id in json.dumps(seen["handle"], default=str) and "execute_result" in types("handle")
    # The local run's script printed the token: the frontend got it masked.
    local = json.dumps(seen["local"], default=str)
    assert mask_secret(canary) in local and hashlib.sha256(canary.encode()).hexdigest() in local
    assert "$HF_TOKEN" in json.dumps(seen["dry"], default=str)
    status = json.dumps(seen["status"], default=str)
    assert "alice" in status and "redaction:    active" in status


# -- what a script needs (issue 7 item 6) --------------------------------------------------------------------

def test_a_script_calling_whoami_gets_the_token_and_its_dependency(ip, hub, logged_in):
    # Before: no HF_TOKEN (whoami() names no repo) and no --with huggingface_hub (nothing inferred).
    run = Run(ip, "%%hfjob --dry-run\nfrom huggingface_hub import whoami\nprint(whoami()['name'])\n")
    assert run.error is None, run.text
    plain = run.cap._outputs[0]["data"]["text/plain"]
    mcp = json.loads(plain.split("# MCP hf_jobs\n", 1)[1].split("\n\n# Python\n", 1)[0])
    assert mcp["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    assert mcp["args"]["with_deps"] == ["huggingface_hub"]
    assert "--with huggingface_hub" in plain.split("# CLI, with the cell body saved as job.py\n", 1)[1]
    assert "line 3: whoami() needs a login" in run.cap.stdout
    assert "--with huggingface_hub inferred from the imports (line 2: huggingface_hub)" in run.cap.stdout
    run.assert_clean(logged_in.token)


def test_with_given_keeps_the_users_choice_and_notes_the_rest(ip, hub, logged_in):
    run = Run(ip, "%%hfjob --dry-run --with numpy\nimport numpy, yaml\nprint(numpy.__version__)\n")
    assert run.error is None, run.text
    plain = run.cap._outputs[0]["data"]["text/plain"]
    mcp = json.loads(plain.split("# MCP hf_jobs\n", 1)[1].split("\n\n# Python\n", 1)[0])
    assert mcp["args"]["with_deps"] == ["numpy"]
    assert "yaml (line 2)" in run.cap.stdout and "--with pyyaml" in run.cap.stdout


def test_an_inferred_dependency_reaches_the_submitted_job(ip, hub, logged_in, fresh_status):
    run = Run(ip, "%%hfjob --detach\nimport yaml\nprint(yaml.__name__)\n")
    assert run.error is None, run.text
    command = " ".join(hub.jobs[run.value.id].spec["command"])
    assert "uv run --with pyyaml -" in command
    run.value.cancel()

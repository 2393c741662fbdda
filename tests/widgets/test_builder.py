"""JobSpecBuilder through a recording comm: plans, renderings, tokens replaced at once, submit opens a monitor."""

from __future__ import annotations

import json

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub import StatusService
from hfsecure_jupyter.widgets import builder as B
from hfsecure_jupyter.widgets.monitor import JobMonitor


@pytest.fixture
def svc():
    return StatusService(HFSecure(hub_timeout=5))


def make(svc, script="", **kw):
    return B.JobSpecBuilder(script, service=svc, fetch_hardware=kw.pop("fetch_hardware", False), **kw)


def test_renderings_update_live_and_hold_placeholders(wire, svc, home):
    b = make(svc, "from huggingface_hub import whoami\nprint(whoami())\n")
    assert b.plan is not None and b.plan.spec is not None
    html = b.renderings.value
    assert "MCP hf_jobs" in html and "Python" in html and "hf CLI" in html and "navigator.clipboard" in html
    assert "$HF_TOKEN" in html  # the script needs a login: the token goes as a secret placeholder
    wire.browser_sets(b.flavor, index=[f for f, _ in b.flavor.options].index("t4-small"))
    assert "t4-small" in b.renderings.value


def test_a_token_typed_into_env_moves_to_secrets_as_a_placeholder_and_is_never_echoed(wire, svc, home, tok):
    b = make(svc, "print(1)\n")
    wire.browser_sets(b.env, value=f"MODE=fast\nHF_TOKEN={tok}")
    assert b.env.value == "MODE=fast"
    assert "HF_TOKEN=$HF_TOKEN" in b.secrets.value
    assert "moved HF_TOKEN from env to secrets" in b.notice.value and "replaced 1 token" in b.notice.value
    assert any(s.get("value") == "MODE=fast" for s in wire.states(b.env))  # the browser's copy was set back
    wire.assert_clean(tok)
    assert tok not in repr(b.plan_args()) and tok not in b.text()


def test_a_secret_named_env_entry_moves_with_a_placeholder_of_its_name(wire, svc, home):
    b = make(svc, "print(1)\n")
    wire.browser_sets(b.env, value="WANDB_API_KEY=$WANDB_API_KEY")
    assert b.env.value == "" and "WANDB_API_KEY=$WANDB_API_KEY" in b.secrets.value


@pytest.mark.parametrize("field", ["script", "command", "image", "dependencies", "python", "timeout", "secrets"])
def test_a_token_typed_anywhere_is_replaced_at_once(wire, svc, home, tok, field):
    b = make(svc)
    control = getattr(b, field)
    wire.browser_sets(control, value=f"x = '{tok}'")
    assert tok not in control.value and "$HF_TOKEN" in control.value
    wire.assert_clean(tok)


def test_the_users_own_token_is_replaced_by_its_variable_name(wire, svc, hub, logged_in):
    b = make(svc)
    wire.browser_sets(b.script, value=f"print('{logged_in.token}')")
    assert b.script.value == "print('$HF_TOKEN')"
    wire.assert_clean(logged_in.token)


def test_access_needed_against_a_read_token_shows_the_fix(wire, hub, logged_in):
    logged_in("bob")  # a read token
    svc = StatusService(HFSecure(hub_timeout=5))
    assert svc.get_status(timeout=10).role == "read"
    b = make(svc, 'from huggingface_hub import HfApi\nHfApi().upload_file(path_or_fileobj=b"x", path_in_repo="x",'
                  ' repo_id="bob/repo")\n')
    assert "the script needs" in b.access.value and "line 2" in b.access.value
    assert b.plan.verdict is not None and b.plan.verdict.allowed is False
    assert "your token falls short" in b.access.value and "fix:" in b.access.value and b.submit_button.disabled
    wire.assert_clean(logged_in.token)


def test_a_cell_of_this_notebook_is_a_source(wire, svc, home):
    ns = {"In": ["", "import yaml\nprint(yaml.safe_dump({}))", "%%hfjob --flavor cpu-basic\nprint(2)"]}
    b = make(svc, user_ns=ns)
    b.source.value = "cell"
    assert [v for _, v in b.cell.options] == [2, 1]
    b.cell.value = 1
    assert b.plan.dependencies == ["pyyaml"]
    b.cell.value = 2
    assert "%%hfjob" not in json.dumps(b.plan.to_dict()["spec"])


def test_a_file_and_an_image_are_sources(wire, svc, home, tmp_path):
    p = tmp_path / "job.py"
    p.write_text("print('from a file')\n")
    b = make(svc)
    b.source.value = "file"
    b.path.value = str(p)
    assert b.plan is not None and b.plan.spec is not None and b.plan.refused_by == "access"  # logged out
    b.source.value = "image"
    b.image.value = "python:3.12"
    b.command.value = "python -c 'print(1)'"
    assert b.plan.spec.image == "python:3.12" and "python:3.12" in b.renderings.value


def test_flavors_with_prices_from_the_hub_in_the_background(wire, svc, hub, logged_in):
    b = make(svc, "print(1)\n", fetch_hardware=True)
    b.hardware_thread.join(30)
    labels = [label for label, _ in b.flavor.options]
    assert any("$" in label and "/minute" in label for label in labels) and b.flavor.value == "cpu-basic"


def test_flavors_offline_keep_the_built_in_list(wire, svc, home, monkeypatch):
    import huggingface_hub

    def down(self, *a, **k):
        raise ConnectionError("Connection refused")

    monkeypatch.setattr(huggingface_hub.HfApi, "list_jobs_hardware", down)
    b = make(svc, "print(1)\n", fetch_hardware=True)
    b.hardware_thread.join(30)
    assert "cpu-basic" in [v for _, v in b.flavor.options] and "a100-large" in [v for _, v in b.flavor.options]


@pytest.mark.slow
def test_submit_opens_a_monitor_that_reaches_completed(wire, svc, hub, logged_in):
    hub.local_run = True
    b = make(svc, "import os\nprint('hello from the job', bool(os.environ.get('HF_TOKEN')))\n"
                  "from huggingface_hub import whoami\n")
    b.submit_button.click()
    for _ in range(600):
        if b.monitor is not None or b.submit_error:
            break
        import time; time.sleep(0.05)
    assert isinstance(b.monitor, JobMonitor), b.submit_error
    assert b.monitor.done.wait(120) and b.monitor.stage == "COMPLETED", list(b.monitor.tail)
    assert b.monitor_box.children == (b.monitor,)
    wire.assert_clean(logged_in.token)


def test_bad_input_keeps_the_form_and_says_why(wire, svc, home):
    b = make(svc, "print(1)\n")
    b.timeout.value = "forever"
    assert b.plan is None or not b.plan.ok
    assert "forever" in b.access.value or "timeout" in b.access.value.lower()
    assert b.script.value == "print(1)\n" and b.submit_button.disabled

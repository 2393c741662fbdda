"""plan_job: the %%hfjob decision on its own (refusals, spec, inferred needs, verdict, advice), pure.

The canary is a fake token made at run time: it must appear nowhere in a plan (``to_dict()`` as JSON, the
refusals, the notes), only its masked preview.
"""

from __future__ import annotations

import json

import pytest

from hfsecure_jupyter.detect import mask_secret
from hfsecure_jupyter.hub.auth import AuthStatus, Grant, TokenSource
from hfsecure_jupyter.jobs import JobPlan, plan_job

ALICE = AuthStatus("ok", user="alice", role="write", orgs=[("acme", "admin")])
BOB = AuthStatus("ok", user="bob", role="read")
DAVE = AuthStatus("ok", user="dave", role="fineGrained",
                  grants=[Grant("user", "dave", ["repo.write"])])
PUSH = 'from transformers import AutoModel\nm = AutoModel.from_pretrained("gpt2")\nm.push_to_hub("{user}/m")\n'


def everything(plan: JobPlan) -> str:
    return json.dumps(plan.to_dict()) + "\n".join(plan.refusals + plan.notes + plan.misuse) + repr(plan.spec)


# -- refusals: literals -----------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["env", "secrets", "labels", "dependencies", "script_args", "image", "command"])
def test_a_literal_secret_in_an_option_is_refused_masked(tok, where):
    kwargs: dict = {
        "env": {"env": {"MY_VAR": tok}}, "secrets": {"secrets": {"HF_TOKEN": tok}},
        "labels": {"labels": {"note": tok}}, "dependencies": {"dependencies": [f"pkg @ https://x/{tok}"]},
        "script_args": {"script_args": ["--token", tok]}, "image": {"image": f"repo/{tok}"},
    }.get(where, {})
    if where == "command":
        plan = plan_job(image="python:3.12", command=["python", "-c", f"print('{tok}')"])
    else:
        plan = plan_job("print(1)\n", **kwargs)
    assert not plan.ok and plan.refused_by == "secret" and plan.spec is None
    assert mask_secret(tok) in plan.refusals[0] and "fix:" in plan.refusals[0]
    assert tok not in everything(plan)


def test_an_env_value_that_is_a_token_is_refused_with_the_secret_fix(tok):
    plan = plan_job("print(1)\n", env={"INNOCENT_NAME": tok})
    assert plan.refusals[0].splitlines() == [f"-e INNOCENT_NAME carries a secret ({mask_secret(tok)})",
                                             "fix: pass it as a secret: -s INNOCENT_NAME (secrets={'INNOCENT_NAME': "
                                             "'$INNOCENT_NAME'}), read from this machine at submission"]


def test_a_literal_in_the_script_is_refused_at_the_users_line(tok):
    plan = plan_job(f"from huggingface_hub import login\nlogin(token='{tok}')\n", first_line=2)
    assert plan.refused_by == "secret" and plan.spec is None
    lines = plan.refusals[0].splitlines()
    assert lines[0] == "the script holds a secret"
    assert lines[1].startswith(f"  line 3: {mask_secret(tok)}")
    assert any(x.startswith("fix:") for x in lines) and "revoke" in lines[-1]
    assert tok not in everything(plan)


def test_a_non_token_secret_value_is_refused():
    plan = plan_job("print(1)\n", env={"API_KEY": "letmein-please-123"})  # hfsecure: allow (the refusal under test)
    assert plan.refused_by == "secret" and "letmein-please-123" not in everything(plan)


@pytest.mark.parametrize("kwargs, needle", [
    ({"flavor": "t4-smal"}, "did you mean t4-small"),
    ({"timeout": "soon"}, "not a duration"),
    ({"namespace": "no spaces"}, "namespace"),
])
def test_bad_input_is_one_line_refusal(kwargs, needle):
    plan = plan_job("print(1)\n", **kwargs)
    assert plan.refused_by == "input" and needle in plan.refusals[0] and "\n" not in plan.refusals[0]


def test_neither_script_nor_container_is_bad_input():
    assert plan_job().refused_by == "input"
    assert plan_job(None, image="python:3.12").refused_by == "input"


# -- misuse policy -----------------------------------------------------------------------------------------

LEAK = "from huggingface_hub import get_token\nprint(get_token())\n"


def test_misuse_block_refuses_warn_reports_off_ignores():
    blocked = plan_job(LEAK, misuse="block")
    assert blocked.refused_by == "misuse" and blocked.refusals[0].startswith("the script would leak a secret")
    assert "fix:" in blocked.refusals[0]
    warned = plan_job(LEAK, misuse="warn", first_line=2)
    assert warned.ok and warned.misuse and warned.misuse[0].startswith("  line 3:")
    assert any(x.lstrip().startswith("fix:") for x in warned.misuse)
    # the builder's copy of the same warning is not repeated in the notes
    assert not any(n.startswith("script line") for n in warned.notes)
    assert plan_job(LEAK, misuse="off").misuse == []


# -- the spec and the token secret ----------------------------------------------------------------------

def test_whoami_gets_the_token_and_huggingface_hub():
    # Issue 7 item 6: a job calling whoami() got no HF_TOKEN and no --with huggingface_hub.
    plan = plan_job("from huggingface_hub import whoami\nprint(whoami()['name'])\n")
    assert plan.ok
    assert plan.spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}
    assert plan.dependencies == ["huggingface_hub"] and list(plan.spec.dependencies) == ["huggingface_hub"]
    assert "--with huggingface_hub" in plan.spec.to_cli()
    assert "uv run --with huggingface_hub -" in plan.spec.command[2]
    assert any(n.startswith("HF_TOKEN added to the job's secrets") and "whoami() needs a login" in n
               for n in plan.notes)
    assert any("inferred from the imports" in n for n in plan.notes)


def test_env_naming_a_secret_moves_to_secrets_with_a_note():
    plan = plan_job("print(1)\n", env={"HF_TOKEN": "$HF_TOKEN", "MODE": "fast"})  # hfsecure: allow (the move under test)
    assert plan.spec.env == {"MODE": "fast"} and plan.spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}
    assert any("Moved to secrets" in n for n in plan.notes)


def test_token_passed_but_not_needed_gets_a_note():
    plan = plan_job("print(sum(range(10)))\n", secrets={"HF_TOKEN": "$HF_TOKEN"})
    assert any("does not seem to use the Hub" in n for n in plan.notes)
    assert plan_job("print(1)\n").spec.secrets == {}


def test_given_dependencies_are_kept_and_uncovered_imports_noted():
    plan = plan_job("import torch\nimport yaml\n", dependencies=["torch==2.3"])
    assert plan.dependencies == ["torch==2.3"] and plan.spec.dependencies == ("torch==2.3",)
    [note] = [n for n in plan.notes if "no --with names" in n]
    assert "yaml (line 2)" in note and "--with pyyaml" in note and "torch" not in note.split("add")[1]


def test_a_pep723_header_wins_and_uv_reads_it():
    script = "# /// script\n# dependencies = ['rich']\n# ///\nimport numpy\n"
    plan = plan_job(script)
    assert plan.dependencies == ["rich"] and plan.spec.dependencies == ()
    assert plan.inferred is not None and plan.inferred.source == "pep723"


def test_a_container_job_is_planned_from_its_command():
    plan = plan_job(image="python:3.12", command="hf upload carol/demo ./out", status=ALICE)
    assert plan.spec.kind == "container"
    assert [r.call for r in plan.need.reasons] == ["hf upload"]
    assert plan.spec.secrets == {"HF_TOKEN": "$HF_TOKEN"}


# -- need against login --------------------------------------------------------------------------------

def test_a_read_token_pushing_is_refused_with_fix_and_advice():
    plan = plan_job(PUSH.format(user="bob"), status=BOB, first_line=2)
    assert not plan.ok and plan.refused_by == "access" and plan.spec is not None
    assert plan.verdict is not None and plan.verdict.allowed is False
    lines = plan.refusals[0].splitlines()
    assert "read token" in lines[0] and lines[1].startswith("fix:")
    assert lines[2].startswith("least privilege: A fine-grained token with repo.write on bob/m")
    assert plan.advice in lines[2]
    assert [r.line for r in plan.need.reasons] == [3, 4]  # the user's lines
    assert plan.login_need.permissions == {"job.write", "repo.write", "repo.content.read"}


def test_a_write_token_is_allowed():
    plan = plan_job(PUSH.format(user="alice"), status=ALICE)
    assert plan.ok and plan.verdict.allowed is True and not plan.refusals


def test_running_a_job_needs_job_write_even_without_hub_calls():
    plan = plan_job("print('no hub here')\n", status=DAVE)
    assert plan.refused_by == "access" and "job.write" in plan.refusals[0]
    assert plan.need.reasons == [] and plan.login_need.permissions == {"job.write"}


def test_a_local_run_needs_only_what_the_script_needs_and_asks_no_status():
    calls = []

    def status():
        calls.append(1)
        return DAVE

    plan = plan_job("print('no hub here')\n", status=status, local=True)
    assert plan.ok and plan.verdict is None and calls == []
    plan = plan_job("from huggingface_hub import whoami\nwhoami()\n", status=status, local=True)
    assert plan.ok and plan.verdict.allowed is True and calls == [1]


def test_logged_out_is_refused_with_how_to_log_in():
    plan = plan_job("print(1)\n", status=AuthStatus("logged-out"))
    assert plan.refused_by == "access" and "not logged in" in plan.refusals[0] and "login" in plan.refusals[0]


def test_a_status_that_cannot_tell_is_a_note_not_a_refusal():
    plan = plan_job("print(1)\n", status=AuthStatus("unreachable", error="timed out"))
    assert plan.ok and any("could not check your token's access" in n for n in plan.notes)

    def broken():
        raise OSError("network down")

    plan = plan_job("print(1)\n", status=broken)
    assert plan.ok and any("network down" in n for n in plan.notes)


def test_no_status_means_no_verdict():
    plan = plan_job(PUSH.format(user="bob"))
    assert plan.ok and plan.verdict is None and plan.advice.startswith("A fine-grained token")


# -- to_dict -----------------------------------------------------------------------------------------------

def test_to_dict_is_json_with_renderings_and_no_value(tok):
    plan = plan_job(PUSH.format(user="alice"), status=ALICE, env={"MODE": "fast"})
    d = json.loads(json.dumps(plan.to_dict()))
    assert d["ok"] is True and d["refused_by"] is None
    assert d["spec"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"} and d["spec"]["env"] == {"MODE": "fast"}
    assert set(d["renderings"]) == {"mcp", "python", "cli"}
    assert d["renderings"]["mcp"]["args"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"}
    assert d["verdict"]["allowed"] is True and d["need"]["level"] == "write"
    assert d["dependencies"] == ["transformers"] and d["inferred"]["source"] == "imports"
    refused = json.loads(json.dumps(plan_job(f"x = '{tok}'\n").to_dict()))
    assert refused["spec"] is None and refused["renderings"] is None and tok not in json.dumps(refused)


def test_the_plan_agrees_with_the_hub(hub):
    """The verdicts of real logins (whoami-v2 through the real client) match what the emulator accepts."""
    from huggingface_hub import HfApi

    def status_of(user: str) -> AuthStatus:
        return AuthStatus.from_whoami(HfApi().whoami(token=hub.token(user)), source=TokenSource("env:HF_TOKEN"))

    assert plan_job("print(1)\n", status=status_of("alice")).ok
    assert plan_job("print(1)\n", status=status_of("dave")).refused_by == "access"
    assert plan_job(PUSH.format(user="bob"), status=status_of("bob")).refused_by == "access"


def test_a_bad_given_dependency_is_bad_input_not_a_crash():
    plan = plan_job("print(1)\n", dependencies=["two\nlines"])
    assert plan.refused_by == "input" and "dependency" in plan.refusals[0]

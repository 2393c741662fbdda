"""Access inference from code, access checks against real logins (whoami through the real client against
the emulator), and least-privilege advice."""

from __future__ import annotations

import inspect
import json

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from hfsecure_jupyter.hub import access
from hfsecure_jupyter.hub.access import AccessNeed, Reason, check_access, recommend_token, required_access
from hfsecure_jupyter.hub.auth import AuthStatus, TokenSource


def calls(src: str) -> list[tuple]:
    return [(r.line, r.call, r.level, r.repo_id) for r in required_access(src).reasons]


# --- required_access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("src, call, repo", [
    ("model.push_to_hub('carol/m')", "push_to_hub", "carol/m"),
    ("ds.push_to_hub(repo_id='carol/data')", "push_to_hub", "carol/data"),
    ("api.upload_file(path_or_fileobj='a.bin', path_in_repo='a.bin', repo_id='carol/m')", "upload_file", "carol/m"),
    ("upload_folder(folder_path='out', repo_id='acme/m')", "upload_folder", "acme/m"),
    ("HfApi().create_repo('carol/new', private=True)", "create_repo", "carol/new"),
    ("api.create_commit('carol/m', operations=[], commit_message='x')", "create_commit", "carol/m"),
    ("api.delete_file('a.bin', 'carol/m')", "delete_file", "carol/m"),
    ("api.delete_folder('logs', repo_id='carol/m')", "delete_folder", "carol/m"),
    ("delete_repo('carol/old')", "delete_repo", "carol/old"),
    ("api.delete_branch('carol/m', branch='dev')", "delete_branch", "carol/m"),
])
def test_writes_with_literal_repo(src, call, repo):
    need = required_access(src)
    assert need.level == "write"
    assert calls(src) == [(1, call, "write", repo)]
    assert need.permissions == {"repo.write"} and need.repos == [repo]


def test_repo_id_positions_match_huggingface_hub_signatures():
    # The table says where each call takes its repo id; the real HfApi must agree.
    for name, (pos, kw) in {**access._WRITE_CALLS, **access._READ_CALLS}.items():
        fn = getattr(HfApi, name, None)
        if fn is None:
            continue  # transformers/datasets/sentence-transformers calls, or not in this release
        params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
        names = [p.name for p in params]
        assert kw in names, (name, kw)
        if pos is None:
            assert params[names.index(kw)].kind is inspect.Parameter.KEYWORD_ONLY, name
        else:
            assert names.index(kw) == pos and params[pos].kind is not inspect.Parameter.KEYWORD_ONLY, name


def test_variables_assigned_a_literal_resolve():
    src = "REPO = 'carol/model'\nname: str = 'acme/data'\nmodel.push_to_hub(REPO)\nds.push_to_hub(name)\n" \
          "model.push_to_hub(f'{user}/x')"
    assert calls(src) == [(3, "push_to_hub", "write", "carol/model"), (4, "push_to_hub", "write", "acme/data"),
                          (5, "push_to_hub", "write", None)]


def test_training_arguments_push_to_hub():
    src = ("from transformers import Trainer, TrainingArguments\n"
           "args = TrainingArguments(output_dir='out', push_to_hub=True, hub_model_id='carol/ft')\n"
           "cfg = SFTConfig(output_dir='o', push_to_hub=True)\n"
           "quiet = TrainingArguments(output_dir='out', push_to_hub=False)\n"
           "trainer = Trainer(model=m, args=args)\ntrainer.train()\ntrainer.push_to_hub()\n")
    assert calls(src) == [(2, "TrainingArguments(push_to_hub=True)", "write", "carol/ft"),
                          (3, "SFTConfig(push_to_hub=True)", "write", None),
                          (7, "push_to_hub", "write", None)]


def test_conditional_reads():
    src = ("tok = AutoTokenizer.from_pretrained('gpt2')\n"
           "m = AutoModel.from_pretrained(pretrained_model_name_or_path='acme/private-model')\n"
           "local = AutoModel.from_pretrained('./checkpoints/step-10')\n"
           "ds = load_dataset('acme/data', split='train')\n"
           "csv = load_dataset('csv', data_files='a.csv')\n"
           "p = hf_hub_download('acme/x', 'config.json')\n"
           "snapshot_download(repo_id='acme/y', repo_type='space')\n")
    need = required_access(src)
    assert need.level == "read" and not need.needs_token
    assert [(r.line, r.repo_id, r.repo_type) for r in need.reasons] == [
        (1, "gpt2", "model"), (2, "acme/private-model", "model"), (4, "acme/data", "dataset"), (6, "acme/x", None),
        (7, "acme/y", "space")]
    assert all(r.conditional and r.permission == "repo.content.read" for r in need.reasons)
    assert "only if private or gated" in need.summary()


def test_jobs_need_job_write():
    src = ("api.run_uv_job('train.py', namespace='acme', secrets={'HF_TOKEN': '$HF_TOKEN'})\n"
           "run_job(image='x', command=['y'])")
    need = required_access(src)
    assert need.level == "write" and need.permissions == {"job.write"}
    assert [(r.line, r.namespace) for r in need.reasons] == [(1, "acme"), (2, None)]
    assert "runs a job in acme (job.write)" in need.reasons[0].why


def test_ipython_lines_and_shell_commands():
    src = ("%pip install -q transformers\n"
           "import os\n"
           "!hf upload carol/demo ./out --commit-message 'first'\n"
           "files = !huggingface-cli upload --repo-type dataset acme/data ./d\n"
           "!hf jobs uv run --namespace acme --secrets HF_TOKEN train.py\n"
           "!hf download gpt2 config.json\n"
           "!hf upload $REPO .\n"
           "model.push_to_hub('carol/m')\n")
    need = required_access(src)
    got = [(r.line, r.call, r.repo_id, r.repo_type, r.namespace, r.permission) for r in need.reasons]
    assert got == [
        (3, "hf upload", "carol/demo", None, None, "repo.write"),
        (4, "huggingface-cli upload", "acme/data", "dataset", None, "repo.write"),
        (5, "hf jobs uv run", None, None, "acme", "job.write"),
        (6, "hf download", "gpt2", None, None, "repo.content.read"),
        (7, "hf upload", None, None, None, "repo.write"),
        (8, "push_to_hub", "carol/m", None, None, "repo.write"),
    ]


def test_cell_magics():
    assert calls("%%bash\necho start\nhf upload acme/big ./big\n") == [(3, "hf upload", "write", "acme/big")]
    assert calls("%%writefile push.sh\nhf upload acme/big ./big\n") == []  # writes a file, runs nothing
    job = required_access("%%hfjob --namespace acme\nm = AutoModel.from_pretrained('acme/private-model')")
    assert [(r.line, r.call, r.namespace, r.permission) for r in job.reasons] == [
        (1, "%%hfjob", "acme", "job.write"), (2, "from_pretrained", None, "repo.content.read")]
    assert calls("%%time\nmodel.push_to_hub('carol/m')") == [(2, "push_to_hub", "write", "carol/m")]


def test_nothing_hub_related():
    need = required_access("import numpy as np\nx = np.zeros(3)\nprint(x.sum())\nd = {}\nd.pop('a', None)")
    assert need.level == "none" and need.reasons == []
    # delete_* is a write even when its argument is not a repo id (a webhook id): the repo stays unknown
    assert calls("api.delete_webhook('123')") == [(1, "delete_webhook", "write", None)]
    need = required_access("x = 1\n")
    assert need.level == "none" and need.reasons == [] and need.summary() == "no Hub access needed"


def test_code_that_does_not_parse_is_scanned_by_pattern_and_says_so():
    need = required_access("model.push_to_hub('carol/m'\nfor\nrun_uv_job('x.py')")
    assert need.level == "write"
    assert {r.call for r in need.reasons} == {"push_to_hub", "run_uv_job"}
    assert need.notes and "does not parse" in need.notes[0]


def test_bad_input_is_one_clear_error():
    with pytest.raises(TypeError, match="expects the script's text"):
        required_access(None)  # type: ignore[arg-type]


def test_to_dict_is_json():
    d = required_access("model.push_to_hub('carol/m')").to_dict()
    assert json.loads(json.dumps(d))["reasons"][0]["why"] == "line 1: push_to_hub writes to carol/m"


# --- check_access with real logins -------------------------------------------------------------------

@pytest.fixture
def status_of(hub):
    """AuthStatus of an emulator user, from whoami-v2 through the real client."""

    def make(user: str) -> AuthStatus:
        data = HfApi().whoami(token=hub.token(user))
        return AuthStatus.from_whoami(data, source=TokenSource("env:HF_TOKEN"))

    return make


@pytest.mark.parametrize("user, src, expected", [
    ("bob", "model.push_to_hub('bob/m')", False),
    ("alice", "model.push_to_hub('alice/m')", True),
    ("alice", "model.push_to_hub('acme/m')", True),          # admin of acme
    ("alice", "model.push_to_hub('zed/m')", False),          # neither her account nor her org
    ("carol", "model.push_to_hub('carol/m')", True),         # repo.write on user carol
    ("carol", "model.push_to_hub('my-model')", True),        # no owner: her own namespace
    ("carol", "model.push_to_hub('acme/m')", False),
    ("carol", "AutoModel.from_pretrained('acme/private-model')", True),
    ("carol", "AutoModel.from_pretrained('acme/other')", None),  # fine only if public
    ("bob", "AutoModel.from_pretrained('acme/other')", True),
    ("carol", "api.run_uv_job('t.py')", True),
    ("carol", "api.run_uv_job('t.py', namespace='acme')", False),
    ("dave", "api.run_uv_job('t.py')", False),
    ("bob", "run_job(image='x', command=['y'])", False),
    ("alice", "x = 1", True),
])
def test_check_access_matrix(status_of, user, src, expected):
    verdict = check_access(status_of(user), required_access(src))
    assert verdict.allowed is expected, verdict
    assert verdict.reason
    if expected is False:
        assert verdict.fix


def test_check_access_fix_is_least_privilege(status_of):
    v = check_access(status_of("bob"), required_access("model.push_to_hub('bob/m')"))
    assert "fine-grained token with repo.write on bob/m" in v.fix and "rather than a broad write token" in v.fix
    v = check_access(status_of("dave"), required_access("api.run_uv_job('t.py')"))
    assert "job.write on dave" in v.fix


def test_verdict_agrees_with_what_the_hub_does_for_jobs(hub, status_of):
    # The emulator enforces job.write: our prediction must match the real client's outcome.
    for user, ns in [("alice", "alice"), ("bob", "bob"), ("carol", "carol"), ("carol", "acme"), ("dave", "dave")]:
        need = required_access(f"run_job(image='x', command=['y'], namespace='{ns}')")
        predicted = check_access(status_of(user), need)
        try:
            job = HfApi().run_job(image="python:3.12", command=["true"], namespace=ns, token=hub.token(user))
            HfApi().cancel_job(job_id=job.id, namespace=ns, token=hub.token(user))
            actual = True
        except HfHubHTTPError as e:
            assert e.response.status_code == 403
            actual = False
        assert predicted.allowed is actual, (user, ns, predicted)


def test_namespace_argument_targets_the_org():
    alice = AuthStatus("ok", user="alice", role="write", orgs=[("acme", "admin"), ("lab", "contributor"),
                                                              ("club", "read")])
    need = required_access("model.push_to_hub('my-model')")
    assert check_access(alice, need, namespace="acme").allowed is True
    assert check_access(alice, need, namespace="lab").allowed is None
    assert check_access(alice, need, namespace="club").allowed is False


def test_states_other_than_ok():
    write = required_access("model.push_to_hub('bob/m')")
    public = required_access("AutoModel.from_pretrained('gpt2')")
    assert check_access(AuthStatus("logged-out"), write).allowed is False
    assert "log in" in check_access(AuthStatus("logged-out"), write).fix
    assert check_access(AuthStatus("logged-out"), public).allowed is None
    assert check_access(AuthStatus("invalid"), public).allowed is False
    for state in ("unreachable", "checking", "rate-limited", "unknown"):
        v = check_access(AuthStatus(state, error="x"), write)
        assert v.allowed is None and state in v.reason
    assert check_access(AuthStatus("logged-out"), AccessNeed()).allowed is True


# --- recommend_token ---------------------------------------------------------------------------------

def test_recommend_token():
    assert recommend_token(required_access("x = 1")).startswith("No token needed")
    pub = recommend_token(required_access("AutoModel.from_pretrained('acme/private-model')"))
    assert pub.startswith("No token needed for public repos") and "repo.content.read on acme/private-model" in pub
    w = recommend_token(required_access("model.push_to_hub('finetuned')"), "carol")
    assert "repo.write on carol/finetuned" in w and "rather than a broad write token" in w
    j = recommend_token(required_access("run_uv_job('t.py', namespace='acme')\nm.push_to_hub('acme/m')"))
    assert "job.write on acme" in j and "repo.write on acme/m" in j
    assert 'secrets={"HF_TOKEN": "$HF_TOKEN"}' in j
    unknown = recommend_token(required_access("m.push_to_hub(name)"), "carol")
    assert "repo.write on just the target repo" in unknown


def test_reason_why_texts():
    r = Reason(4, "push_to_hub", "write", None, "repo.write")
    assert r.why == "line 4: push_to_hub writes to a repo"


@pytest.mark.parametrize("code,call", [
    ('import os\nprint(os.environ["HF_TOKEN"][:3])', 'os.environ["HF_TOKEN"]'),
    ('import os\nt = os.getenv("HF_TOKEN")', 'getenv("HF_TOKEN")'),
    ('import os\nt = os.environ.get("HUGGING_FACE_HUB_TOKEN")', 'get("HUGGING_FACE_HUB_TOKEN")'),
    ("from huggingface_hub import get_token\nheaders = {'authorization': get_token()}", "get_token()"),
])
def test_a_script_that_reads_the_token_needs_one(code, call):
    need = access.required_access(code)
    assert need.needs_token and need.level == "read"
    [reason] = need.reasons
    assert reason.call == call and reason.permission == access.TOKEN_USE
    assert reason.why == f"line 2: {call} reads the token itself"


def test_reading_another_variable_needs_no_token():
    assert not access.required_access('import os\nmode = os.environ["MODE"]').needs_token


@pytest.mark.parametrize("code,call", [
    ("from huggingface_hub import whoami\nprint(whoami()['name'])", "whoami()"),
    ("from huggingface_hub import HfApi\nme = HfApi().whoami()", "whoami()"),
    ("from huggingface_hub import list_jobs\njobs = list_jobs()", "list_jobs()"),
])
def test_a_call_that_needs_a_login_needs_a_token(code, call):
    # Issue 7 item 6: a job calling whoami() got no HF_TOKEN (no repo, no scope: it was not seen at all).
    need = access.required_access(code)
    assert need.needs_token and need.level == "read"
    [reason] = need.reasons
    assert reason.call == call and reason.permission == access.LOGIN
    assert reason.why == f"line 2: {call} needs a login (any valid token)"
    assert access.recommend_token(need).startswith("Any valid token")


def test_a_login_call_is_allowed_for_any_valid_token_and_refused_logged_out():
    from hfsecure_jupyter.hub.auth import AuthStatus

    need = access.required_access("whoami()")
    assert access.check_access(AuthStatus("ok", user="bob", role="read"), need).allowed is True
    assert access.check_access(AuthStatus("ok", user="dave", role="fineGrained"), need).allowed is True
    assert access.check_access(AuthStatus("logged-out"), need).allowed is False


def test_login_calls_exist_in_huggingface_hub():
    import huggingface_hub

    for name in access._LOGIN_CALLS:
        assert hasattr(HfApi, name) and hasattr(huggingface_hub, name), name

"""Token sources (checked against huggingface_hub's own get_token) and AuthStatus built from whoami-v2.
The status service (whoami, cache, timeouts) is tested in test_status.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from hfsecure_jupyter.hub import auth
from hfsecure_jupyter.hub.auth import AuthStatus, Grant, TokenSource
from hfsecure_jupyter.testing import fake_token


# isolated and svc: tests/hub/conftest.py
pytestmark = pytest.mark.usefixtures("isolated")


def write_login(home, token: str, stored: dict[str, str] | None = None) -> None:
    """What `hf auth login` leaves behind: the token file and the stored tokens INI."""
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "token"), "w") as f:
        f.write(token + "\n")
    if stored:
        with open(os.path.join(home, "stored_tokens"), "w") as f:
            for name, value in stored.items():
                f.write(f"[{name}]\nhf_token = {value}\n\n")


# --- token_source --------------------------------------------------------------------------------------

def test_no_token():
    src = auth.token_source()
    assert src.name == "none" and src.shadows == [] and not src.logged_in
    assert auth.current_token() is None and auth.masked_token() is None


def test_env_token_shadows_a_different_stored_login(monkeypatch, tmp_path):
    stored = fake_token()
    write_login(tmp_path / "hf-home", stored, {"laptop": stored, "ci": fake_token()})
    assert auth.token_source().name == "file"
    assert auth.token_source().active_token_name == "laptop"
    env = fake_token()
    monkeypatch.setenv("HF_TOKEN", env)
    src = auth.token_source()
    assert src.name == "env:HF_TOKEN" and src.shadows == ["file"]
    assert src.stored_token_names == ["laptop", "ci"] and src.active_token_name is None
    assert "overrides" in src.describe()
    assert auth.current_token() == env
    monkeypatch.setenv("HF_TOKEN", stored)  # the same token as the login: nothing is hidden
    assert auth.token_source().shadows == [] and auth.token_source().active_token_name == "laptop"


def test_legacy_env_name(monkeypatch):
    legacy = fake_token()
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", legacy)
    assert auth.token_source().name == "env:HUGGING_FACE_HUB_TOKEN"
    monkeypatch.setenv("HF_TOKEN", fake_token())
    src = auth.token_source()
    assert src.name == "env:HF_TOKEN" and src.shadows == ["env:HUGGING_FACE_HUB_TOKEN"]


def test_blank_env_var_is_no_token(monkeypatch, tmp_path):
    write_login(tmp_path / "hf-home", fake_token())
    monkeypatch.setenv("HF_TOKEN", "  \n")
    assert auth.token_source().name == "file"


def test_token_path_override(monkeypatch, tmp_path):
    other = tmp_path / "elsewhere"
    write_login(other, fake_token())
    assert auth.token_source().name == "none"
    monkeypatch.setenv("HF_TOKEN_PATH", str(other / "token"))
    assert auth.token_source().name == "file" and auth.token_source().token_path == str(other / "token")


def test_oidc_is_reported_without_any_exchange(monkeypatch, tmp_path, svc):
    write_login(tmp_path / "hf-home", fake_token())
    monkeypatch.setenv("HF_TOKEN", fake_token())
    monkeypatch.setenv("HF_OIDC_RESOURCE", "carol/model")
    src = auth.token_source()  # no CI provider here: an exchange would raise, so this proves none happened
    assert src.name == "oidc" and src.shadows == ["env:HF_TOKEN", "file"]
    assert auth.current_token() is None  # the exchange fails here: no token, no crash
    st = svc.get_status(timeout=5)
    assert st.state == "unknown" and "OIDC" in st.error


def test_colab_secret_is_the_last_source(monkeypatch, tmp_path):
    """In Colab (a stand-in google.colab here), huggingface_hub's own vault lookup supplies the token."""
    import types

    from huggingface_hub import get_token
    from huggingface_hub.utils import _auth as hf_auth
    from huggingface_hub.utils import _runtime

    secret = fake_token()

    class NotebookAccessError(Exception):
        pass

    class SecretNotFoundError(Exception):
        pass

    userdata = types.SimpleNamespace(get=lambda name: secret if name == "HF_TOKEN" else None,
                                     NotebookAccessError=NotebookAccessError, SecretNotFoundError=SecretNotFoundError)
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    errors_mod = types.ModuleType("google.colab.errors")
    errors_mod.Error = RuntimeError
    google = types.ModuleType("google")
    google.colab = colab
    for name, mod in (("google", google), ("google.colab", colab), ("google.colab.errors", errors_mod)):
        monkeypatch.setitem(sys.modules, name, mod)
    from huggingface_hub import constants

    # huggingface_hub fixed its token path at import: point it where this test's HF_HOME is.
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", auth.token_file_path())
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", os.path.join(str(tmp_path / "hf-home"), "stored_tokens"))
    monkeypatch.setattr(_runtime, "_is_google_colab", True)
    monkeypatch.setattr(hf_auth, "_IS_GOOGLE_COLAB_CHECKED", False)
    monkeypatch.setattr(hf_auth, "_GOOGLE_COLAB_SECRET", None)
    src = auth.token_source()
    assert src.name == "colab" and auth.current_token() == secret == get_token()
    stored = fake_token()
    write_login(tmp_path / "hf-home", stored)  # a stored login comes first in 2.4.0
    assert auth.token_source().name == "file" and get_token() == stored == auth.current_token()


@pytest.mark.slow
def test_resolution_agrees_with_huggingface_hub_get_token(tmp_path):
    """The real get_token() and ours pick the same token in every set-up (compared in the child; no value printed)."""
    home = tmp_path / "child-home"
    script = textwrap.dedent("""
        import json, os, sys
        from huggingface_hub import get_token
        from hfsecure_jupyter.hub import auth
        from hfsecure_jupyter.testing import fake_token
        home = os.environ["HF_HOME"]; os.makedirs(home, exist_ok=True)
        path = os.path.join(home, "token")
        file_tok, env_tok, legacy_tok = fake_token(), fake_token(), fake_token()
        cases = {"none": {}, "file": {"file": 1}, "env": {"env": 1, "file": 1}, "legacy": {"legacy": 1, "file": 1},
                 "both": {"env": 1, "legacy": 1}, "blank-env": {"blank": 1, "file": 1}}
        out = {}
        for name, c in cases.items():
            for k in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
                os.environ.pop(k, None)
            if os.path.exists(path):
                os.remove(path)
            if c.get("file"):
                open(path, "w").write(file_tok)
            if c.get("env"):
                os.environ["HF_TOKEN"] = env_tok
            if c.get("blank"):
                os.environ["HF_TOKEN"] = " "
            if c.get("legacy"):
                os.environ["HUGGING_FACE_HUB_TOKEN"] = legacy_tok
            out[name] = [get_token() == auth.current_token(), auth.token_source().name]
        print(json.dumps(out))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH")}
    env["HF_HOME"] = str(home)
    res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got == {"none": [True, "none"], "file": [True, "file"], "env": [True, "env:HF_TOKEN"],
                   "legacy": [True, "env:HUGGING_FACE_HUB_TOKEN"], "both": [True, "env:HF_TOKEN"],
                   "blank-env": [True, "file"]}


@pytest.mark.slow
def test_importing_auth_and_reading_the_source_does_not_import_huggingface_hub():
    code = ("import sys, hfsecure_jupyter.hub.auth as a, hfsecure_jupyter.hub.access, hfsecure_jupyter.hub.errors\n"
            "a.token_source(); a.masked_token()\n"
            "print('huggingface_hub' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


# --- AuthStatus from whoami-v2 ---------------------------------------------------------------------------

def test_from_whoami_parses_everything():
    import datetime as dt

    data = {"name": "alice", "fullname": "Alice", "orgs": [{"name": "acme", "roleInOrg": "admin"}, {"name": "x"}],
            "auth": {"accessToken": {"displayName": "laptop", "role": "fineGrained",
                                     "createdAt": "2025-01-01T00:00:00.000Z",
                                     "fineGrained": {"canReadGatedRepos": True, "global": ["discussion.write"],
                                                     "scoped": [{"entity": {"type": "dataset", "name": "acme/d"},
                                                                 "permissions": ["repo.content.read", "repo.write"]},
                                                                {"entity": {"type": "org", "name": "acme"},
                                                                 "permissions": ["job.write", "org.read"]}]}}}}
    st = AuthStatus.from_whoami(data, now=dt.datetime(2025, 1, 31, tzinfo=dt.timezone.utc))
    assert st.state == "ok" and st.user == "alice" and st.fullname == "Alice"
    assert st.orgs == [("acme", "admin"), ("x", None)] and st.org_role("x") == "" and st.org_role("y") is None
    assert st.token_name == "laptop" and st.role == "fineGrained" and st.age_days == 30
    assert st.grants[0] == Grant("dataset", "acme/d", ("repo.content.read", "repo.write"))
    assert st.scopes == ("write on datasets/acme/d, jobs in acme, read org settings on acme/*, discussions, "
                         "read public gated repos")


def test_token_source_has_no_value_field():
    fields = {f for f in TokenSource.__dataclass_fields__} | {f for f in AuthStatus.__dataclass_fields__}
    assert not fields & {"token", "value", "secret", "hf_token"}

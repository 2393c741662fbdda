"""Login status: token sources (checked against huggingface_hub's own get_token), whoami through the real
client against the emulator, the cache, timeouts and background refresh under injected faults, and a canary
token that must never leave as text."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub import auth
from hfsecure_jupyter.hub.auth import AuthStatus, Grant, TokenSource
from hfsecure_jupyter.testing import fake_token


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No token from the session, a private HF_HOME, a fresh cache and short timeouts for every test."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE", "HF_OIDC_ID_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    auth.clear_cache()
    auth.configure(HFSecure(hub_timeout=2.0, status_ttl=60.0))
    yield
    auth.configure(None)
    auth.clear_cache()


def write_login(home, token: str, stored: dict[str, str] | None = None) -> None:
    """What `hf auth login` leaves behind: the token file and the stored tokens INI."""
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "token"), "w") as f:
        f.write(token + "\n")
    if stored:
        with open(os.path.join(home, "stored_tokens"), "w") as f:
            for name, value in stored.items():
                f.write(f"[{name}]\nhf_token = {value}\n\n")


def whoami_calls(hub) -> int:
    """whoami-v2 calls the emulator answered, once the count has settled (it records a call just after
    answering it, so the client can be a moment ahead of the record)."""
    count, deadline = -1, time.monotonic() + 3
    while time.monotonic() < deadline:
        now = len(hub.calls("/api/whoami-v2"))
        if now == count:
            return now
        count = now
        time.sleep(0.1)
    return count


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


def test_oidc_is_reported_without_any_exchange(monkeypatch, tmp_path):
    write_login(tmp_path / "hf-home", fake_token())
    monkeypatch.setenv("HF_TOKEN", fake_token())
    monkeypatch.setenv("HF_OIDC_RESOURCE", "carol/model")
    src = auth.token_source()  # no CI provider here: an exchange would raise, so this proves none happened
    assert src.name == "oidc" and src.shadows == ["env:HF_TOKEN", "file"]
    assert auth.current_token() is None  # the exchange fails here: no token, no crash
    st = auth.get_status(timeout=5)
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


# --- against the emulator ------------------------------------------------------------------------------

@pytest.mark.parametrize("user, role, scopes, orgs", [
    ("alice", "write", "read and write everything this account can", [("acme", "admin")]),
    ("bob", "read", "read everything this account can read", []),
    ("carol", "fineGrained", "write on carol/*, jobs in carol, read on acme/private-model", []),
    ("dave", "fineGrained", "read on dave/*", []),
])
def test_whoami_ok(hub, logged_in, user, role, scopes, orgs):
    logged_in(user)
    st = auth.get_status(timeout=5)
    assert st.state == "ok" and st.user == user and st.role == role and st.scopes == scopes and st.orgs == orgs
    assert st.token_name and st.created_at and st.age_days is not None and st.checked_at
    assert st.source.name == "env:HF_TOKEN"
    assert st.masked_token == "hf_****" + logged_in.token[-4:]


def test_invalid_token(hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", fake_token())
    st = auth.get_status(timeout=5)
    assert st.state == "invalid" and "401" in st.error


def test_logged_out_makes_no_call(hub):
    st = auth.get_status(timeout=5)
    assert st.state == "logged-out" and st.summary() == "logged out"
    assert whoami_calls(hub) == 0


class _Clock:
    """``auth``'s view of the ``time`` module, with a monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_cached_per_token_with_ttl(hub, logged_in, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(auth, "time", clock)  # the TTL runs on this clock, however slow the machine is
    auth.configure(HFSecure(hub_timeout=2.0, status_ttl=60))
    assert auth.get_status().user == "alice"
    assert auth.get_status().user == "alice"
    assert whoami_calls(hub) == 1                     # the second answer came from the cache
    logged_in("bob")
    assert auth.get_status().user == "bob"            # a different token is a different entry
    assert whoami_calls(hub) == 2
    assert auth.get_status(refresh=True).user == "bob"
    assert whoami_calls(hub) == 3
    clock.offset += 61                                # past the TTL
    assert auth.get_status().user == "bob"
    assert whoami_calls(hub) == 4


def test_hub_unreachable(monkeypatch, tmp_path):
    from huggingface_hub import constants

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", fake_token())
    st = auth.get_status(timeout=5)
    # "unreachable", not "checking": the refused connection was reported, not waited out
    assert st.state == "unreachable" and "unreachable" in st.error.lower()


def test_server_errors_are_unreachable(hub, logged_in):
    hub.faults.status = 503
    assert auth.get_status(timeout=5).state == "unreachable"


def test_rate_limited(hub, logged_in):
    hub.faults.status = 429
    st = auth.get_status(timeout=5)
    assert st.state == "rate-limited" and "429" in st.error


def test_slow_hub_never_blocks_past_the_timeout_and_resolves_in_background(hub, logged_in):
    hub.faults.hold = release = threading.Event()  # the Hub answers nothing until the test releases it
    seen: list[AuthStatus] = []
    arrived = threading.Event()
    unsubscribe = auth.subscribe(lambda s: (seen.append(s), arrived.set()))
    try:
        st = auth.get_status(timeout=0.2)
        assert st.state == "checking", st  # it came back while the Hub was still silent
        assert st.masked_token == "hf_****" + logged_in.token[-4:]
        assert not arrived.is_set()
        release.set()
        assert arrived.wait(30)
        assert seen[0].state == "ok" and seen[0].user == "alice"
        hub.faults.hold = threading.Event()  # silent again: only the cache can answer now
        assert auth.get_status(timeout=0).state == "ok"
        assert whoami_calls(hub) == 1  # one check in flight served both callers
    finally:
        unsubscribe()


def test_stale_answer_while_refreshing(hub, logged_in):
    auth.configure(HFSecure(hub_timeout=2.0, status_ttl=0.2))
    assert auth.get_status().state == "ok"
    time.sleep(0.3)
    hub.faults.hold = threading.Event()  # the refresh gets no answer until the hub fixture releases it
    st = auth.get_status(timeout=0.1)
    assert st.state == "ok" and st.stale and st.summary().endswith("[stale]")


def test_refresh_in_background_returns_at_once(hub, logged_in):
    hub.faults.hold = release = threading.Event()
    got: list[AuthStatus] = []
    done = threading.Event()
    fut = auth.refresh_in_background(lambda s: (got.append(s), done.set()))
    assert not fut.done()  # back while the Hub is still silent
    release.set()
    assert done.wait(30) and got[0].state == "ok" and fut.result(1).user == "alice"


def test_a_hung_call_ends_as_unreachable(hub, logged_in, monkeypatch):
    monkeypatch.setattr(auth, "_STALL_MIN", 0.3)
    monkeypatch.setattr(auth, "_STALL_FACTOR", 1)
    auth.configure(HFSecure(hub_timeout=0.1, status_ttl=60))  # stall window: max(0.3, 1 * 0.1) s
    hub.faults.hold = release = threading.Event()  # silent past the stall window: this worker is given up on
    assert auth.get_status(timeout=0.05).state == "checking"
    time.sleep(0.4)
    st = auth.get_status(timeout=0.05)  # the lost call is reported, and a new one starts
    assert st.state == "unreachable" and "did not answer" in st.error
    release.set()
    for _ in range(100):  # each round waits for the Hub's answer, up to 30 s per check
        if auth.get_status(timeout=30).state == "ok":
            break
    assert auth.get_status(timeout=0).user == "alice"


def test_status_for_a_lost_worker_says_so(monkeypatch):
    # Unit-level: a worker that never returns is reported as unreachable once the stall window passes.
    release = threading.Event()
    monkeypatch.setattr(auth, "_check", lambda src, token: (release.wait(10), AuthStatus("ok", user="x"))[1])
    monkeypatch.setattr(auth, "_STALL_MIN", 0.2)
    monkeypatch.setenv("HF_TOKEN", fake_token())
    auth.configure(HFSecure(hub_timeout=0.1, status_ttl=60))
    src, token = auth._resolve(False)
    fut = auth._start_check(auth._key(src, token), src, token, 60, 0.2)
    time.sleep(0.3)
    auth._start_check(auth._key(src, token), src, token, 60, 0.2)
    lost = fut.result(1)
    assert lost.state == "unreachable" and "did not answer" in lost.error
    release.set()


# --- canary: a real token never leaves as text ------------------------------------------------------------

def test_canary_token_never_in_any_rendering_or_log(hub, logged_in, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, huggingface_hub and httpx included
    real = logged_in("carol")
    canary = fake_token()
    texts = []
    for value in (real, canary):  # a valid token (ok) and an unknown one (invalid)
        os.environ["HF_TOKEN"] = value
        for st in (auth.get_status(timeout=5), auth.get_status(timeout=5, refresh=True),
                   auth.refresh_in_background().result(5)):
            assert st.state in ("ok", "invalid")
            texts += [repr(st), str(st), st.summary(), json.dumps(st.to_dict()), repr(st.source),
                      st.source.describe(), json.dumps(st.source.to_dict())]
        texts += [repr(auth.token_source()), str(auth.masked_token())]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    out = capsys.readouterr()
    texts += [out.out, out.err]
    blob = "\n".join(texts)
    assert "carol-jobs" in blob and "invalid" in blob  # the texts are the real ones
    for value in (real, canary):
        assert value not in blob and value[3:] not in blob
        assert value[:7] not in blob  # not even a prefix beyond "hf_"
    assert all(k.startswith("sha256:") and real not in k and canary not in k for k in auth._CACHE)


def test_token_source_has_no_value_field():
    fields = {f for f in TokenSource.__dataclass_fields__} | {f for f in AuthStatus.__dataclass_fields__}
    assert not fields & {"token", "value", "secret", "hf_token"}

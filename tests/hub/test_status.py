"""The login status service: whoami through the real client against the emulator, the cache by token hash,
timeouts and background refresh under injected faults, one service's cache apart from another's, and a
canary token that must never leave as text."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub import StatusService, auth, status
from hfsecure_jupyter.hub.auth import AuthStatus
from hfsecure_jupyter.testing import fake_token


# isolated and svc: tests/hub/conftest.py
pytestmark = pytest.mark.usefixtures("isolated")


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


# --- against the emulator ------------------------------------------------------------------------------

@pytest.mark.parametrize("user, role, scopes, orgs", [
    ("alice", "write", "read and write everything this account can", [("acme", "admin")]),
    ("bob", "read", "read everything this account can read", []),
    ("carol", "fineGrained", "write on carol/*, jobs in carol, read on acme/private-model", []),
    ("dave", "fineGrained", "read on dave/*", []),
])
def test_whoami_ok(svc, hub, logged_in, user, role, scopes, orgs):
    logged_in(user)
    st = svc.get_status(timeout=5)
    assert st.state == "ok" and st.user == user and st.role == role and st.scopes == scopes and st.orgs == orgs
    assert st.token_name and st.created_at and st.age_days is not None and st.checked_at
    assert st.source.name == "env:HF_TOKEN"
    assert st.masked_token == "hf_****" + logged_in.token[-4:]


def test_invalid_token(svc, hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", fake_token())
    st = svc.get_status(timeout=5)
    assert st.state == "invalid" and "401" in st.error


def test_logged_out_makes_no_call(svc, hub):
    st = svc.get_status(timeout=5)
    assert st.state == "logged-out" and st.summary() == "logged out"
    assert whoami_calls(hub) == 0


class _Clock:
    """``status``'s view of the ``time`` module, with a monotonic clock the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def __getattr__(self, name: str):
        return getattr(time, name)


def test_cached_per_token_with_ttl(svc, hub, logged_in, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(status, "time", clock)  # the TTL runs on this clock, however slow the machine is
    svc.settings.hub_timeout, svc.settings.status_ttl = 2.0, 60
    assert svc.get_status().user == "alice"
    assert svc.get_status().user == "alice"
    assert whoami_calls(hub) == 1                     # the second answer came from the cache
    logged_in("bob")
    assert svc.get_status().user == "bob"            # a different token is a different entry
    assert whoami_calls(hub) == 2
    assert svc.get_status(refresh=True).user == "bob"
    assert whoami_calls(hub) == 3
    clock.offset += 61                                # past the TTL
    assert svc.get_status().user == "bob"
    assert whoami_calls(hub) == 4


def test_hub_unreachable(svc, monkeypatch, tmp_path):
    from huggingface_hub import constants

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_TOKEN", fake_token())
    st = svc.get_status(timeout=5)
    # "unreachable", not "checking": the refused connection was reported, not waited out
    assert st.state == "unreachable" and "unreachable" in st.error.lower()


def test_server_errors_are_unreachable(svc, hub, logged_in):
    hub.faults.status = 503
    assert svc.get_status(timeout=5).state == "unreachable"


def test_rate_limited(svc, hub, logged_in):
    hub.faults.status = 429
    st = svc.get_status(timeout=5)
    assert st.state == "rate-limited" and "429" in st.error


def test_slow_hub_never_blocks_past_the_timeout_and_resolves_in_background(svc, hub, logged_in):
    hub.faults.hold = release = threading.Event()  # the Hub answers nothing until the test releases it
    seen: list[AuthStatus] = []
    arrived = threading.Event()
    unsubscribe = svc.subscribe(lambda s: (seen.append(s), arrived.set()))
    try:
        st = svc.get_status(timeout=0.2)
        assert st.state == "checking", st  # it came back while the Hub was still silent
        assert st.masked_token == "hf_****" + logged_in.token[-4:]
        assert not arrived.is_set()
        release.set()
        assert arrived.wait(30)
        assert seen[0].state == "ok" and seen[0].user == "alice"
        hub.faults.hold = threading.Event()  # silent again: only the cache can answer now
        assert svc.get_status(timeout=0).state == "ok"
        assert whoami_calls(hub) == 1  # one check in flight served both callers
    finally:
        unsubscribe()


def test_stale_answer_while_refreshing(svc, hub, logged_in):
    svc.settings.hub_timeout, svc.settings.status_ttl = 2.0, 0.2
    assert svc.get_status().state == "ok"
    time.sleep(0.3)
    hub.faults.hold = threading.Event()  # the refresh gets no answer until the hub fixture releases it
    st = svc.get_status(timeout=0.1)
    assert st.state == "ok" and st.stale and st.summary().endswith("[stale]")


def test_refresh_in_background_returns_at_once(svc, hub, logged_in):
    hub.faults.hold = release = threading.Event()
    got: list[AuthStatus] = []
    done = threading.Event()
    fut = svc.refresh_in_background(lambda s: (got.append(s), done.set()))
    assert not fut.done()  # back while the Hub is still silent
    release.set()
    assert done.wait(30) and got[0].state == "ok" and fut.result(1).user == "alice"


def test_a_hung_call_ends_as_unreachable(svc, hub, logged_in, monkeypatch):
    monkeypatch.setattr(svc, "stall_min", 0.3)
    monkeypatch.setattr(svc, "stall_factor", 1)
    svc.settings.hub_timeout, svc.settings.status_ttl = 0.1, 60  # stall window: max(0.3, 1 * 0.1) s
    hub.faults.hold = release = threading.Event()  # silent past the stall window: this worker is given up on
    assert svc.get_status(timeout=0.05).state == "checking"
    time.sleep(0.4)
    st = svc.get_status(timeout=0.05)  # the lost call is reported, and a new one starts
    assert st.state == "unreachable" and "did not answer" in st.error
    release.set()
    for _ in range(100):  # each round waits for the Hub's answer, up to 30 s per check
        if svc.get_status(timeout=30).state == "ok":
            break
    assert svc.get_status(timeout=0).user == "alice"


def test_status_for_a_lost_worker_says_so(svc, monkeypatch):
    # Unit-level: a worker that never returns is reported as unreachable once the stall window passes.
    release = threading.Event()
    monkeypatch.setattr(svc, "_check", lambda src, token: (release.wait(10), AuthStatus("ok", user="x"))[1])
    monkeypatch.setattr(svc, "stall_min", 0.2)
    monkeypatch.setenv("HF_TOKEN", fake_token())
    svc.settings.hub_timeout, svc.settings.status_ttl = 0.1, 60
    src, token = auth.resolve_token(False)
    fut = svc._start_check(status._key(src, token), src, token, 60, 0.2)
    time.sleep(0.3)
    svc._start_check(status._key(src, token), src, token, 60, 0.2)
    lost = fut.result(1)
    assert lost.state == "unreachable" and "did not answer" in lost.error
    release.set()


# --- canary: a real token never leaves as text ------------------------------------------------------------

def test_canary_token_never_in_any_rendering_or_log(svc, hub, logged_in, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, huggingface_hub and httpx included
    real = logged_in("carol")
    canary = fake_token()
    texts = []
    for value in (real, canary):  # a valid token (ok) and an unknown one (invalid)
        os.environ["HF_TOKEN"] = value
        for st in (svc.get_status(timeout=5), svc.get_status(timeout=5, refresh=True),
                   svc.refresh_in_background().result(5)):
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
    assert all(k.startswith("sha256:") and real not in k and canary not in k for k in svc.cache_keys())


# --- one service per owner ----------------------------------------------------------------------------------

def calls_by(hub, user: str) -> int:
    """whoami-v2 calls answered for ``user`` (a check left over from another test is someone else's)."""
    count, deadline = -1, time.monotonic() + 3
    while time.monotonic() < deadline:
        now = sum(1 for r in hub.calls("/api/whoami-v2") if r.user == user)
        if now == count:
            return now
        count = now
        time.sleep(0.1)
    return count


def test_two_services_keep_their_own_cache_and_listeners(hub, logged_in):
    logged_in("dave")
    first, second = StatusService(HFSecure(hub_timeout=5.0)), StatusService(HFSecure(hub_timeout=5.0))
    heard: list[str] = []
    first.subscribe(lambda s: heard.append(s.state))
    assert first.get_status().user == "dave" and calls_by(hub, "dave") == 1
    assert first.get_status().user == "dave" and calls_by(hub, "dave") == 1   # its own cache
    assert second.get_status().user == "dave" and calls_by(hub, "dave") == 2  # not the first one's
    second.clear_cache()
    assert first.get_status().user == "dave" and calls_by(hub, "dave") == 2   # untouched by the other's clear
    assert heard == ["ok"]                                                    # only its own check


def test_settings_are_read_at_each_call(hub, logged_in, svc):
    hub.faults.hold = threading.Event()  # silent until the hub fixture releases it
    svc.settings.hub_timeout = 0.1
    assert svc.get_status().state == "checking"  # the owner's new timeout applies at once
    assert svc.masked_token() == "hf_****" + logged_in.token[-4:]
    svc.settings.mask_show_last = 2
    assert svc.masked_token() == "hf_****" + logged_in.token[-2:]


def test_user_for_token_shares_the_status_cache(hub, logged_in, svc):
    dave = logged_in("dave")
    assert svc.get_status(timeout=5).user == "dave" and calls_by(hub, "dave") == 1
    assert svc.user_for_token(dave) == "dave" and calls_by(hub, "dave") == 1  # from the cache
    carol = logged_in("carol")
    assert svc.user_for_token(carol) == "carol" and calls_by(hub, "carol") == 1
    assert svc.get_status(timeout=5).user == "carol" and calls_by(hub, "carol") == 1  # the same entry
    assert all(carol not in k and dave not in k for k in svc.cache_keys())


def test_user_for_token_raises_the_clients_error(hub, svc):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError):
        svc.user_for_token(fake_token())


def test_the_hub_layer_reads_no_shell_and_keeps_no_module_cache():
    """No get_ipython() anywhere in hub/, and no module-level cache, lock or listener list in auth/status."""
    import ast
    import pathlib

    import hfsecure_jupyter.hub as hub_pkg

    for path in pathlib.Path(hub_pkg.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "get_ipython" not in text, path.name
        if path.name not in ("auth.py", "status.py"):
            continue
        for node in ast.parse(text).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                v = node.value
                empty = isinstance(v, (ast.Dict, ast.List, ast.Set)) and not (getattr(v, "keys", None) or
                                                                             getattr(v, "elts", None))
                lock = isinstance(v, ast.Call) and "Lock" in ast.unparse(v.func)
                assert not (empty or lock), (path.name, ast.unparse(node))

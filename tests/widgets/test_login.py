"""LoginStatus through a recording comm, against the emulator with the real huggingface_hub client."""

from __future__ import annotations

import threading
import time

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub import StatusService, auth
from hfsecure_jupyter.hub.auth import AuthStatus, TokenSource
from hfsecure_jupyter.widgets import login as L


def wait_for(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def test_shows_the_user_and_never_sends_the_token(wire, hub, logged_in):
    token = logged_in.token
    w = L.LoginStatus(StatusService(HFSecure(hub_timeout=5)))
    wait_for(lambda: w.status.state == "ok")
    assert w.status.user == "alice" and "alice" in w.panel.value
    assert "alice" in w.text() and "HF_TOKEN environment variable" in w.text()
    assert w._repr_mimebundle_()["text/plain"] == w.text()
    wire.assert_clean(token)
    assert "alice" in wire.text()  # the state did go out
    w.close()


def test_renders_at_once_with_a_stalled_hub_and_updates_from_the_worker(wire, monkeypatch, home):
    token = "x" * 10  # any token; the Hub never answers
    monkeypatch.setenv("HF_TOKEN", token)
    release = threading.Event()

    def stalled_check(self, src, tok):
        release.wait(10)
        return AuthStatus("unreachable", source=src, error="no answer")

    monkeypatch.setattr(StatusService, "_check", stalled_check)
    w = L.LoginStatus(StatusService())
    assert w.status.state == "checking" and "checking" in w.panel.value  # shown before the Hub answered
    release.set()
    wait_for(lambda: w.status.state == "unreachable")
    assert "Hub unreachable" in w.panel.value
    assert any("Hub unreachable" in s.get("value", "") for s in wire.states(w.panel))
    w.close()


@pytest.mark.parametrize("state,words", [("invalid", "invalid token"), ("rate-limited", "rate limited"),
                                         ("unreachable", "Hub unreachable"), ("logged-out", "logged out")])
def test_every_hub_state_has_its_label(state, words):
    assert words in L.status_html(AuthStatus(state, error="e"))
    assert words in L.status_text(AuthStatus(state, error="e"))


def test_fine_grained_scopes_rotation_and_shadowing_are_shown():
    st = AuthStatus("ok", user="carol", role="fineGrained", scopes="write on carol/*, jobs in carol", age_days=200,
                    source=TokenSource("env:HF_TOKEN", shadows=["file"]), orgs=[("acme", "admin")])
    html = L.status_html(st, rotate_after_days=90)
    assert "fine-grained (write on carol/*, jobs in carol)" in html
    assert "consider rotating" in html and "overrides" in html and "acme (admin)" in html
    assert "consider rotating" not in L.status_html(st, rotate_after_days=365)
    assert L.initials("carol", "Carol Danvers") == "CD"


def test_rotate_after_days_comes_from_the_settings(wire, home):
    w = L.LoginStatus(StatusService(HFSecure(rotate_after_days=7)))
    assert w.rotate_after_days == 7
    w.close()


def test_device_login_shows_the_code_stores_the_token_in_the_file_never_on_the_wire(wire, hub, home):
    hub.device_auto_approve = 3
    svc = StatusService(HFSecure(hub_timeout=5))
    w = L.LoginStatus(svc)
    assert w.status.state == "logged-out"
    seen_codes = []
    orig = w._on_code
    w._on_code = lambda code: (seen_codes.append(code), orig(code))  # type: ignore[method-assign]
    w.login_button.click()
    result = w.device_login.future.result(timeout=30)
    assert result.ok
    assert seen_codes and any(seen_codes[0].user_code in s.get("value", "") for s in wire.states(w.code))
    try:
        wait_for(lambda: w.status.state == "ok", 5)
    except AssertionError:
        raise AssertionError(repr(w.status) + w.message.value)
    token = auth.current_token()
    assert token and open(auth.token_file_path()).read().strip() == token
    assert "logged in as" in w.message.value
    wire.assert_clean(token)
    assert token not in repr(vars(w)) and token not in w.text()
    w.close()


def test_switch_and_logout_with_stored_tokens(wire, hub, home):
    from huggingface_hub import login

    a, b = hub.token("alice"), hub.token("bob")
    login(token=a, add_to_git_credential=False)
    login(token=b, add_to_git_credential=False)
    svc = StatusService(HFSecure(hub_timeout=5))
    w = L.LoginStatus(svc)
    wait_for(lambda: w.status.state == "ok" and w.status.user == "bob")
    names = list(w.switch_choice.options)
    assert len(names) == 2 and w.switch_button.layout.display == ""
    other = next(n for n in names if n != w.status.source.active_token_name)
    w.switch_choice.value = other
    w.switch_button.click()
    wait_for(lambda: w.status.user == "alice")
    w.logout().join(10)
    wait_for(lambda: w.status.state == "logged-out")
    wire.assert_clean(a, b)
    w.close()


def test_logout_with_hf_token_in_env_says_how(wire, hub, logged_in):
    w = L.LoginStatus(StatusService(HFSecure(hub_timeout=5)))
    w.logout().join(10)
    assert "HF_TOKEN is set" in w.message.value
    wire.assert_clean(logged_in.token)
    w.close()

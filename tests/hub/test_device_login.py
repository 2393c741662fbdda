"""The device-code login in a worker thread, with the real client against the emulator."""

from __future__ import annotations

import os

import pytest

from hfsecure_jupyter.hub import StatusService, auth
from hfsecure_jupyter.hub.device_login import DeviceLogin


@pytest.fixture
def home(tmp_path, monkeypatch):
    from huggingface_hub import constants  # its paths were read from the environment at import

    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "stored_tokens"))


def test_device_login_saves_the_token_to_the_file_and_reports_no_value(hub, home):
    hub.device_auto_approve = 2
    seen = []
    svc = StatusService()
    login = DeviceLogin(on_code=seen.append, on_done=seen.append, status=svc)
    result = login.start().result(timeout=30)
    assert result.ok, result
    assert login.state == "done" and result.user and not result.shadowed_by
    code = seen[0]
    assert code.user_code and code.verification_uri.startswith(hub.url)
    token = auth.current_token()
    assert token and open(auth.token_file_path()).read().strip() == token
    assert token not in repr(seen) and token not in repr(vars(login))
    assert svc.get_status(timeout=10).user == result.user


def test_device_login_denied_or_hub_down_is_a_failure_not_a_raise(hub, home, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "ENDPOINT", "http://127.0.0.1:9")
    result = DeviceLogin().start().result(timeout=30)
    assert not result.ok and result.error
    assert not os.path.exists(auth.token_file_path())

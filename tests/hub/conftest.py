"""Fixtures shared by the hub tests: a test with no token from the session, and a status service of its own."""

from __future__ import annotations

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub.status import StatusService

# Every variable huggingface_hub reads a token (or where to find one) from.
_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_OIDC_RESOURCE", "HF_OIDC_ID_TOKEN")


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No token from the session and a private HF_HOME (modules opt in with ``usefixtures``)."""
    for name in _TOKEN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture
def svc() -> StatusService:
    """A login status service of its own (fresh cache) with short timeouts."""
    return StatusService(HFSecure(hub_timeout=2.0, status_ttl=60.0))

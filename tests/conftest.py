"""Shared fixtures: fake secrets are built at run time (the repository holds no token-shaped string).

Hub set-up: huggingface_hub reads ``HF_ENDPOINT`` when it is imported, so this module (imported by
pytest before any test module) reserves a loopback port and points the environment at the offline Hub
emulator that the ``hub_emulator`` fixture serves on that port. Subprocesses (``hf ...``, kernels)
inherit the same environment.
"""

from __future__ import annotations

import os
import socket
import tempfile

# --- before anything can import huggingface_hub ---------------------------------------------------------
_HUB_SOCKET = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_HUB_SOCKET.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
_HUB_SOCKET.bind(("127.0.0.1", 0))
_HUB_SOCKET.listen(128)  # connections made before the server starts wait in the backlog
HUB_PORT: int = _HUB_SOCKET.getsockname()[1]
HUB_URL = f"http://127.0.0.1:{HUB_PORT}"
_HF_HOME = tempfile.mkdtemp(prefix="hfsecure-tests-hf-home-")

os.environ["HF_ENDPOINT"] = HUB_URL
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
os.environ["HF_HUB_DISABLE_EXPERIMENTAL_WARNING"] = "1"
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH", "HF_HUB_OFFLINE"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402

from hfsecure_jupyter.testing import fake_token  # noqa: E402


@pytest.fixture
def tok() -> str:
    """A fresh, valid-looking Hugging Face user token (letters and digits)."""
    return fake_token()


@pytest.fixture
def make_token():
    """Factory: ``make_token("openai")`` -> a fresh fake secret of that kind."""
    return fake_token


@pytest.fixture(scope="session")
def hub_emulator():
    """The offline Hub (``EmulatorServer`` with the test accounts) on ``HF_ENDPOINT``, for the session."""
    from hfsecure_jupyter.emulator import EmulatorServer, Timings, test_accounts

    server = EmulatorServer(test_accounts(), sock=_HUB_SOCKET,
                            timings=Timings(scheduling=0.1, line_interval=0.02, running=0.2),
                            device_auto_approve=2, device_interval=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub(hub_emulator):
    """The session's Hub emulator with jobs, faults, timings and the request record reset for this test.

    ``hub.url``, ``hub.accounts``, ``hub.token("alice")`` (in-process only), ``hub.faults``, ``hub.jobs``,
    ``hub.calls(path)``, ``hub.timings``, ``hub.local_run``.
    """
    hub_emulator.reset()
    yield hub_emulator
    hub_emulator.reset()


class _Login:
    """Callable returned by ``logged_in``: ``logged_in("bob")`` switches the login; repr shows no token."""

    def __init__(self, hub, monkeypatch) -> None:
        self._hub, self._mp = hub, monkeypatch
        self.user: str | None = None

    def __call__(self, user: str = "alice") -> str:
        value = self._hub.token(user)
        self._mp.setenv("HF_TOKEN", value)
        self.user = user
        return value

    @property
    def token(self) -> str:
        """The active user's token (in-process only)."""
        return self._hub.token(self.user)

    def __repr__(self) -> str:
        return f"<logged in as {self.user}>"


@pytest.fixture
def logged_in(hub, monkeypatch):
    """Log in for one test: ``HF_TOKEN`` is alice's token from the start; ``logged_in("bob")`` switches to
    bob and returns his token (in-process only); ``logged_in.user`` / ``logged_in.token`` tell who is active.
    The variable is restored after the test.
    """
    login = _Login(hub, monkeypatch)
    login("alice")
    return login

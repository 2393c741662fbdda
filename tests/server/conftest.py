"""Server fixtures: a jupyter_server with the extension enabled and authentication on (pytest-jupyter).

``jp_fetch`` sends the server's token; ``anon_fetch`` sends none. ``server_log`` captures everything the
server and the extension log, to check that no secret is ever written there.
"""

from __future__ import annotations

import io
import json
import logging

import pytest

# pytest-jupyter's fixtures and hooks for this folder only. ``pytest_plugins = ("pytest_jupyter.jupyter_server",)``
# is refused by pytest outside the top-level conftest, and there its autouse fixtures (a ServerApp
# cleanup and a fresh event loop per test) and its test-call hook would apply to every test of the project.
from pytest_jupyter.jupyter_server import *  # noqa: E402,F401,F403


@pytest.fixture
def hfsecure_config() -> dict:
    """``c.HFSecure`` for the test server (override in a test module or with ``@pytest.mark.parametrize``)."""
    return {}


@pytest.fixture(params=["FileContentsManager", "AsyncLargeFileManager"])
def jp_server_config(request, hfsecure_config):
    """Auth on, the extension enabled; every server test runs on both stock contents managers (the sync
    one and the async one jupyter_server uses by default)."""
    managers = {"FileContentsManager": "jupyter_server.services.contents.filemanager.FileContentsManager",
                "AsyncLargeFileManager": "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager"}
    return {
        "ServerApp": {"jpserver_extensions": {"hfsecure_jupyter": True}, "allow_unauthenticated_access": False,
                      "contents_manager_class": managers[request.param]},
        "HFSecure": hfsecure_config,
    }


@pytest.fixture
def server_log(jp_serverapp):
    """Everything logged while the test runs (server, tornado, extension), as one growing text."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [jp_serverapp.log, logging.getLogger(), logging.getLogger("tornado.access"),
               logging.getLogger("tornado.application"), logging.getLogger("tornado.general"),
               logging.getLogger("hfsecure_jupyter"), jp_serverapp.web_app.settings["hfsecure_jupyter"].log]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield buf
    for lg, level in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)


@pytest.fixture
def core(jp_serverapp):
    """The running extension's ServerCore."""
    return jp_serverapp.web_app.settings["hfsecure_core"]


@pytest.fixture
def anon_fetch(jp_fetch):
    """``jp_fetch`` without credentials."""
    def fetch(*parts, **kw):
        kw.setdefault("headers", {})["Authorization"] = ""
        return jp_fetch(*parts, raise_error=False, **kw)

    return fetch


@pytest.fixture
def api(jp_fetch):
    """``await api("scan", body)`` -> (status, JSON answer); GET when body is None."""
    async def call(route, body=None, *, params=None, raw=None):
        kw = {"raise_error": False, "params": params}
        if body is not None or raw is not None:
            kw.update(method="POST", body=raw if raw is not None else json.dumps(body))
        resp = await jp_fetch("hfsecure", route, **kw)
        return resp.code, json.loads(resp.body.decode())

    return call

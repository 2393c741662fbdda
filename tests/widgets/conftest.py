"""Widget tests without a browser: every comm a widget opens is a recorder (as ipywidgets' own tests swap
in a ``DummyComm``), which keeps the opening state and every message sent, so a test can search all of
what the kernel would send for a canary token, and feed messages back as the browser would."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest


class RecordingComm:
    """A comm that records ``comm_open`` data and every ``send``; ``receive`` plays a browser message."""

    kernel = "Truthy"

    def __init__(self, log: list, **kwargs: Any) -> None:
        self.comm_id = kwargs.get("comm_id") or uuid.uuid4().hex
        self.log = log
        self.handler = None
        log.append(("comm_open", {"data": kwargs.get("data"), "comm_id": self.comm_id}))

    def open(self, *a: Any, **k: Any) -> None:
        pass

    def on_msg(self, handler: Any) -> None:
        self.handler = handler

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        self.log.append(("comm_msg", {"data": data, "comm_id": self.comm_id, "buffers": buffers}))

    def close(self, *a: Any, **k: Any) -> None:
        self.log.append(("comm_close", {"comm_id": self.comm_id}))

    def on_close(self, *a: Any) -> None:
        pass


class Wire:
    """Everything sent to the (absent) browser."""

    def __init__(self) -> None:
        self.messages: list = []

    def text(self) -> str:
        return json.dumps(self.messages, default=repr)

    def assert_clean(self, *secrets: str) -> None:
        text = self.text()
        for s in secrets:
            assert s and s not in text, "a secret went out on a comm"

    def states(self, widget: Any) -> list[dict]:
        """Every state the browser received for ``widget``, in order."""
        out = []
        for kind, msg in self.messages:
            if msg["comm_id"] == widget.model_id and msg.get("data") and "state" in msg["data"]:
                out.append(msg["data"]["state"])
        return out

    def browser_sets(self, widget: Any, **state: Any) -> None:
        """The browser changes ``state`` of ``widget`` (as a user typing would)."""
        widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
                            "buffers": []})


@pytest.fixture
def wire(monkeypatch):
    import comm
    import ipywidgets.widgets.widget as widget_mod

    w = Wire()
    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(w.messages, **kw))
    monkeypatch.setattr(widget_mod.comm, "create_comm", lambda **kw: RecordingComm(w.messages, **kw), raising=False)
    yield w


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HF_HOME with no login."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH"):
        monkeypatch.delenv(name, raising=False)
    os.makedirs(tmp_path / "hf", exist_ok=True)
    from huggingface_hub import constants  # its paths were read from the environment at import

    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf" / "token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "hf" / "stored_tokens"))
    return tmp_path / "hf"


# Not collected as a doctest module (it would clash with the other conftest.py files under --doctest-modules).
collect_ignore = ["conftest.py"]

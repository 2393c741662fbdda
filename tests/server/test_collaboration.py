"""The save hook with jupyter-collaboration: the server saves the shared document itself (no PUT from the
browser), through the same contents manager, so the hook masks what it writes. Skipped unless
jupyter-collaboration (jupyter_server_ydoc, pycrdt) is importable."""

from __future__ import annotations

import asyncio
import json

import pytest

ydoc = pytest.importorskip("jupyter_server_ydoc")
pycrdt = pytest.importorskip("pycrdt")
from jupyter_ydoc import YNotebook  # noqa: E402


@pytest.fixture
def jp_server_config(jp_root_dir):
    return {
        "ServerApp": {"jpserver_extensions": {"hfsecure_jupyter": True, "jupyter_server_ydoc": True,
                                              "jupyter_server_fileid": True},
                      "allow_unauthenticated_access": False},
        "YDocExtension": {"document_save_delay": 0.2},
        "SQLiteYStore": {"db_path": str(jp_root_dir / ".rtc.db")},
        "BaseFileIdManager": {"root_dir": str(jp_root_dir), "db_path": str(jp_root_dir / ".fid.db"),
                              "db_journal_mode": "OFF"},
    }


class TornadoChannel:
    """pycrdt's Channel over a tornado websocket client."""

    def __init__(self, ws, path):
        self._ws, self._path = ws, path

    @property
    def path(self):
        return self._path

    def __aiter__(self):
        return self

    async def __anext__(self):
        msg = await self._ws.read_message()
        if msg is None:
            raise StopAsyncIteration
        return msg

    async def send(self, message):
        await self._ws.write_message(bytes(message), binary=True)

    async def recv(self):
        return await self.__anext__()


async def test_collaborative_autosave_is_masked(jp_fetch, jp_http_port, jp_base_url, jp_auth_header, jp_root_dir,
                                                tok, core):
    import nbformat
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x = 1"))
    (jp_root_dir / "rtc.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    resp = await jp_fetch("api", "collaboration", "session", "rtc.ipynb", method="PUT",
                          body=json.dumps({"format": "json", "type": "notebook"}))
    data = json.loads(resp.body)
    room = f"json:notebook:{data['fileId']}"
    # The room name keeps its colons (jp_ws_fetch would percent-encode them into a different room).
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}api/collaboration/room/{room}?sessionId={data['sessionId']}"
    ws = await websocket_connect(HTTPRequest(url, headers=jp_auth_header))
    doc = YNotebook()
    synced = asyncio.Event()
    doc.observe(lambda target, event: synced.set() if target == "cells" else None)
    async with pycrdt.Provider(doc.ydoc, TornadoChannel(ws, room)):
        await asyncio.wait_for(synced.wait(), 10)
        source = doc.ycells[0]["source"]
        source += f"\ntok = '{tok}'"  # typed by a collaborator: never run, never PUT by a browser
        text = ""
        for _ in range(100):
            await asyncio.sleep(0.1)
            text = (jp_root_dir / "rtc.ipynb").read_text(encoding="utf-8")
            if "tok = " in text:
                break
        assert "tok = " in text, "the collaborative save did not happen"
        assert tok not in text and f"hf_****{tok[-4:]}" in text
        assert "x = 1" in text
    ws.close()
    events = core.saves.take("rtc.ipynb")
    assert events and events[0]["cells"] == [0]

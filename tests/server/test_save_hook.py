"""SaveHook on contents-manager models, without a server: redact, refuse, off, failures."""

from __future__ import annotations

import base64
import copy
import logging

import pytest
from tornado.web import HTTPError

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.server.core import ServerCore
from hfsecure_jupyter.server.save_hook import SaveHook


def _hook(on_save="redact"):
    core = ServerCore(HFSecure(on_save=on_save), status=object())
    return SaveHook(core, logging.getLogger("test.hfsecure")), core


def _model(tok):
    return {"type": "notebook", "format": "json", "content": {
        "cells": [{"cell_type": "code", "id": "a", "metadata": {"tags": ["x"]}, "execution_count": 3,
                   "source": ["x = 1\n", f"t = '{tok}'"],
                   "outputs": [{"output_type": "error", "ename": "E", "evalue": tok, "traceback": ["l1", tok]}]},
                  {"cell_type": "raw", "id": "b", "metadata": {}, "source": "plain"}],
        "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}}


def test_redact_changes_only_the_secret_strings(tok):
    hook, core = _hook()
    model = _model(tok)
    before = copy.deepcopy(model)
    hook(model=model, path="n.ipynb", contents_manager=None)
    cell = model["content"]["cells"][0]
    mask = f"hf_****{tok[-4:]}"
    assert cell["source"] == ["x = 1\n", f"t = '{mask}'"]
    assert cell["outputs"][0]["evalue"] == mask and cell["outputs"][0]["traceback"] == ["l1", mask]
    for key in ("id", "metadata", "execution_count", "cell_type"):
        assert cell[key] == before["content"]["cells"][0][key]
    assert model["content"]["cells"][1] == before["content"]["cells"][1]
    assert model["content"]["metadata"] == before["content"]["metadata"]
    [event] = core.saves.take("n.ipynb")
    assert (event["cells"], event["count"], event["mode"]) == ([0], 3, "redact")


def test_refuse_raises_http_400_and_leaves_the_model(tok):
    hook, core = _hook("refuse")
    model = _model(tok)
    before = copy.deepcopy(model)
    with pytest.raises(HTTPError) as err:
        hook(model=model, path="n.ipynb")
    assert err.value.status_code == 400 and "cell 1" in err.value.log_message and tok not in err.value.log_message
    assert model == before
    assert core.saves.take()[0]["error"] == "refused"


def test_refuse_names_lines_of_text_files(tok):
    hook, _ = _hook("refuse")
    with pytest.raises(HTTPError) as err:
        hook(model={"type": "file", "format": "text", "content": f"a\nb\n{tok}\n"}, path="100%.txt")
    assert "line 3" in err.value.log_message and "%" not in err.value.log_message


def test_off_does_nothing(tok):
    hook, core = _hook("off")
    model = _model(tok)
    hook(model=model, path="n.ipynb")
    assert tok in str(model) and core.saves.take() == []


def test_a_failure_is_logged_recorded_and_the_model_kept(tok, caplog, monkeypatch):
    hook, core = _hook()
    model = _model(tok)
    before = copy.deepcopy(model)

    def boom(*a, **k):
        raise MemoryError(tok)

    monkeypatch.setattr(core, "redact_model", boom)
    with caplog.at_level(logging.ERROR, "test.hfsecure"):
        hook(model=model, path="n.ipynb")  # does not raise: jupyter_server would save anyway
    assert model == before
    assert "MemoryError" in caplog.text and tok not in caplog.text
    [event] = core.saves.take()
    assert "saved unchecked" in event["error"]


@pytest.mark.parametrize("model", [
    {"type": "directory", "content": None},
    {"type": "file", "format": "base64", "content": "!!not base64!!"},
    {"type": "notebook", "content": "not a dict"},
    {"type": "file", "format": "text"},
])
def test_other_models_pass_through(model):
    hook, core = _hook()
    before = copy.deepcopy(model)
    hook(model=model, path="x")
    assert model == before and core.saves.take() == []


def test_base64_text_keeps_its_bytes(tok):
    hook, _ = _hook()
    data = b"\xef\xbb\xbfA=\xc3\xa9\r\nT=" + tok.encode() + b"\r\n\xff\r\n"  # BOM, CRLF, a stray byte
    model = {"type": "file", "format": "base64", "content": base64.b64encode(data).decode()}
    hook(model=model, path="x.env")
    assert base64.b64decode(model["content"]) == data.replace(tok.encode(), f"hf_****{tok[-4:]}".encode())


def test_a_notebook_saved_as_a_text_file_stays_valid_json(tok):
    import json

    hook, core = _hook()
    content = _model(tok)["content"]
    content["cells"][0]["outputs"][0]["evalue"] = f"E: {tok}"  # two identical secret strings make the core re-serialise
    text = json.dumps(content, indent=1)
    model = {"type": "file", "format": "text", "content": text}
    hook(model=model, path="raw.ipynb")
    assert tok not in model["content"]
    assert model["content"] == text.replace(tok, f"hf_****{tok[-4:]}")
    json.loads(model["content"])
    assert core.saves.take()[0]["cells"] == [0]


def _chunked(hook, tmp_path, data, name="up.txt"):
    """What jupyter_server does with a chunked upload: pre-save on chunk 1 only, post-save after chunk -1."""
    first, rest = data[:len(data) // 2], data[len(data) // 2:]
    model = {"type": "file", "format": "base64", "chunk": 1, "content": base64.b64encode(first).decode()}
    hook(model=model, path=name)
    target = tmp_path / name
    target.write_bytes(base64.b64decode(model["content"]) + rest)
    hook.post_save(model={"path": name, "type": "file"}, os_path=str(target))
    return target


def test_refuse_mode_masks_a_finished_chunked_upload(tok, tmp_path):
    hook, core = _hook("refuse")
    target = _chunked(hook, tmp_path, f"a = 1\nt = {tok}\n".encode())
    assert target.read_bytes() == f"a = 1\nt = hf_****{tok[-4:]}\n".encode()
    [event] = core.saves.take("up.txt")
    assert event["mode"] == "redact" and event["lines"] == [2] and "cannot be refused" in event["note"]


def test_post_save_leaves_other_saves_alone_and_survives_a_crash(tok, tmp_path, monkeypatch, caplog):
    hook, core = _hook()
    plain = tmp_path / "plain.txt"
    plain.write_text(f"t = {tok}\n")  # not a chunked upload: the pre-save hook saw it, nothing to reread
    hook.post_save(model={"path": "plain.txt"}, os_path=str(plain))
    assert tok in plain.read_text()
    from hfsecure_jupyter import detect

    monkeypatch.setattr(detect, "redact_file", lambda *a, **k: 1 / 0)
    with caplog.at_level(logging.ERROR):
        target = _chunked(hook, tmp_path, f"t = {tok}\n".encode())
    assert tok in target.read_text()  # saved as sent, never lost
    assert "ZeroDivisionError" in caplog.text and tok not in caplog.text
    assert "failed" in core.saves.take("up.txt")[0]["error"]

"""The REST routes through a real jupyter_server (auth on), with a canary token that must never come back."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest
from hfsecure_jupyter.server.handlers import ROUTES, HFSecureHandler


def _nb(*cells, metadata=None):
    return {"cells": list(cells), "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5}


def _code(source, outputs=(), cell_id="c1"):
    return {"cell_type": "code", "id": cell_id, "source": source, "outputs": list(outputs), "metadata": {},
            "execution_count": None}


# -- authentication ---------------------------------------------------------------------------------------

def test_routes_list_every_hfsecure_handler(jp_serverapp):
    """ROUTES (what the auth test walks) holds every hfsecure handler the server serves."""
    served = set()
    stack = [jp_serverapp.web_app.default_router, jp_serverapp.web_app.wildcard_router]
    while stack:  # tornado nests a router per add_handlers() call
        router = stack.pop()
        for rule in getattr(router, "rules", []):
            if isinstance(rule.target, type) and issubclass(rule.target, HFSecureHandler):
                served.add(rule.target)
            else:
                stack.append(rule.target)
    assert served == {handler for _, handler, _ in ROUTES}
    assert len(ROUTES) == 7


@pytest.mark.parametrize("route,handler,methods", ROUTES, ids=[r[0] for r in ROUTES])
async def test_every_route_rejects_unauthenticated_requests(anon_fetch, tok, route, handler, methods):
    for method in methods:
        body = json.dumps({"text": tok}) if method == "POST" else None
        resp = await anon_fetch(*route.split("/"), method=method, body=body)
        assert resp.code == 403, (route, method, resp.code)
        assert tok not in resp.body.decode()


@pytest.mark.parametrize("route,handler,methods", ROUTES, ids=[r[0] for r in ROUTES])
def test_every_handler_method_is_decorated_authenticated(route, handler, methods):
    import inspect

    for method in methods:
        fn = getattr(handler, method.lower())
        src = inspect.getsource(fn)
        assert "@tornado.web.authenticated" in src, (handler, method)


async def test_post_needs_the_xsrf_token_when_authenticated_by_cookie(jp_fetch, jp_serverapp, http_server_client,
                                                                       jp_base_url):
    """A browser (cookie login) must send the XSRF header: XSRF is on for every POST route."""
    token = jp_serverapp.identity_provider.token
    login = await jp_fetch("login", raise_error=False, headers={"Authorization": ""})
    cookies = {}
    for header in login.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    xsrf = cookies["_xsrf"]
    form = urllib.parse.urlencode({"_xsrf": xsrf, "password": token})
    resp = await jp_fetch("login", method="POST", body=form, follow_redirects=False, raise_error=False,
                          headers={"Authorization": "", "Cookie": f"_xsrf={xsrf}"})
    for header in resp.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status = await jp_fetch("hfsecure", "status", headers={"Authorization": "", "Cookie": cookie})
    assert status.code == 200  # the cookie logs us in
    body = json.dumps({"text": "x = 1"})
    without = await jp_fetch("hfsecure", "scan", method="POST", body=body, raise_error=False,
                             headers={"Authorization": "", "Cookie": cookie})
    assert without.code == 403
    with_xsrf = await jp_fetch("hfsecure", "scan", method="POST", body=body, raise_error=False,
                               headers={"Authorization": "", "Cookie": cookie, "X-XSRFToken": xsrf})
    assert with_xsrf.code == 200


# -- status -----------------------------------------------------------------------------------------------

async def test_status_answers_at_once_and_never_holds_the_token(api, logged_in, server_log, core):
    code, body = await api("status")
    assert code == 200
    assert body["status"]["state"] in ("checking", "ok")
    assert body["on_save"] == "redact" and body["rotation_days"] == 90 and body["version"]
    core.status_service.get_status(timeout=5)  # let the background check land
    code, body = await api("status")
    assert body["status"]["state"] == "ok" and body["status"]["user"] == "alice"
    assert body["status"]["masked_token"].startswith("hf_****")
    code, _ = await api("status", params={"refresh": "1"})
    assert code == 200
    assert logged_in.token not in json.dumps(body) and logged_in.token not in server_log.getvalue()


@pytest.fixture
def stalled_hub(hub):
    """Every Hub answer takes 3 s (set before the server starts: its warm-up check stalls too)."""
    hub.faults.latency = 3.0
    yield hub
    hub.faults.reset()


async def test_status_while_the_hub_stalls_is_checking(stalled_hub, logged_in, api, core):
    code, body = await api("status")
    assert code == 200 and body["status"]["state"] == "checking"
    code, body = await api("jobs")  # no Hub call on the request path either
    assert code == 200 and body["state"] == "checking"


@pytest.mark.parametrize("hfsecure_config", [{"on_save": "refuse", "rotate_after_days": 30,
                                              "max_request_bytes": 4096}])
async def test_server_config_takes_effect(api, hfsecure_config):
    code, body = await api("status")
    assert (body["on_save"], body["rotation_days"]) == ("refuse", 30)
    code, body = await api("scan", raw="x" * 5000)
    assert code == 413 and body["error"]["code"] == "too-large"


# -- scan, redact, fix --------------------------------------------------------------------------------------

async def test_scan_a_notebook_finds_source_and_output_with_cells(api, tok, server_log):
    nb = _nb(_code("x = 1"), _code(f"login('{tok}')", cell_id="c2",
                                   outputs=[{"output_type": "stream", "name": "stdout", "text": f"{tok}\n"}]))
    code, body = await api("scan", {"notebook": nb, "path": "a.ipynb"})
    assert code == 200
    got = [(f["cell_index"], f["cell_id"], f["field"], f["line"], f["preview"][:7]) for f in body["findings"]]
    assert got == [(1, "c2", "source", 1, "hf_****"), (1, "c2", "outputs", 1, "hf_****")]
    assert body["summary"] == {"secrets": 2, "warnings": 0, "suppressed": 0}
    assert tok not in json.dumps(body) and tok not in server_log.getvalue()


async def test_scan_changed_cells_carries_the_index_and_id_given(api, tok):
    cells = [{"id": "abc", "index": 7, "cell_type": "code", "source": f"x = 1\ny = '{tok}'", "outputs": []}]
    code, body = await api("scan", {"cells": cells, "path": "a.ipynb"})
    [f] = body["findings"]
    assert (f["cell_index"], f["cell_id"], f["location"], f["line"], f["column"]) == (7, "abc", "cells[7].source", 2, 6)


async def test_scan_text_and_misuse_warnings(api, tok):
    code, body = await api("scan", {"text": f"import os\nTOKEN = '{tok}'\n", "path": "train.py"})
    assert [(f["rule"], f["line"]) for f in body["findings"]] == [("hf-user-token", 2)]
    code, body = await api("scan", {"text": "from huggingface_hub import get_token\nprint(get_token())\n",
                                    "kind": "python"})
    assert body["summary"]["warnings"] == 1 and body["findings"][0]["kind"] == "misuse"


async def test_redact_a_notebook_keeps_everything_else(api, tok):
    nb = _nb(_code(["a = 1\n", f"t = '{tok}'\n", "b = 2"],
                   outputs=[{"output_type": "stream", "name": "stdout", "text": ["ok\n", f"{tok}\n"]}]),
             metadata={"kernelspec": {"name": "python3"}, "custom": [1, 2.5, None, True]})
    code, body = await api("redact", {"notebook": nb})
    assert code == 200 and body["changed"] is True and len(body["findings"]) == 2
    out = body["notebook"]
    assert tok not in json.dumps(out)
    assert out["cells"][0]["source"][0] == "a = 1\n" and out["cells"][0]["source"][2] == "b = 2"
    assert out["cells"][0]["outputs"][0]["text"][0] == "ok\n"
    assert out["metadata"] == nb["metadata"] and out["cells"][0]["id"] == "c1"


async def test_redact_cells_and_text(api, tok):
    code, body = await api("redact", {"cells": [{"id": "z", "index": 3, "cell_type": "code", "source": "x",
                                                 "outputs": [{"output_type": "stream", "name": "stdout",
                                                              "text": tok}]}]})
    [cell] = body["cells"]
    assert (cell["id"], cell["index"]) == ("z", 3) and tok not in json.dumps(body)
    assert body["findings"][0]["cell_index"] == 3
    code, body = await api("redact", {"text": "nothing here"})
    assert body == {"text": "nothing here", "findings": [], "changed": False}


async def test_fix_replaces_the_literal(api, tok):
    code, body = await api("fix", {"source": f"x = 1\nkey = '{tok}'", "line": 2, "column": 8,
                                   "rule": "hf-user-token"})
    assert code == 200
    assert body == {"source": 'import os\nx = 1\nkey = os.environ["HF_TOKEN"]', "replacement": 'os.environ["HF_TOKEN"]',
                    "imports": ["import os"]}


@pytest.mark.parametrize("route,raw,code,error", [
    ("scan", "{not json", 400, "bad-json"),
    ("scan", "[1, 2]", 400, "bad-body"),
    ("scan", json.dumps({"text": 1}), 400, "bad-body"),
    ("scan", json.dumps({"text": "a", "notebook": {}}), 400, "bad-body"),
    ("scan", json.dumps({"text": "a", "kind": "cobol"}), 400, "bad-body"),
    ("scan", json.dumps({"cells": [1]}), 400, "bad-body"),
    ("redact", "", 400, "bad-json"),
    ("fix", json.dumps({"source": "x = 1", "line": 1, "column": 1}), 409, "no-secret-here"),
    ("fix", json.dumps({"source": "x", "line": "1", "column": 1}), 400, "bad-body"),
    ("plan", json.dumps({"flavor": "cpu-basic"}), 400, "bad-body"),
    ("plan", json.dumps({"script": "print(1)", "env": {"A": 1}}), 400, "bad-body"),
])
async def test_bad_bodies_get_json_errors(api, route, raw, code, error):
    got, body = await api(route, raw=raw)
    assert (got, body["error"]["code"]) == (code, error)
    assert body["error"]["message"].endswith(".")


async def test_bad_query_and_crash_are_json(api, core, monkeypatch, tok, server_log):
    code, body = await api("jobs", params={"limit": "many"})
    assert (code, body["error"]["code"]) == (400, "bad-query")

    def boom(raw):
        raise RuntimeError(f"bug quoting {tok}")

    monkeypatch.setattr(core, "scan", boom)
    code, body = await api("scan", {"text": "x"})
    assert (code, body["error"]["code"]) == (500, "internal")
    assert tok not in json.dumps(body) and tok not in server_log.getvalue()
    assert f"RuntimeError: bug quoting hf_****{tok[-4:]}" in server_log.getvalue()  # the traceback, masked


# -- plan ---------------------------------------------------------------------------------------------------

async def test_plan_a_script_with_the_login(api, core, logged_in):
    core.status_service.get_status(timeout=5)
    script = ("from huggingface_hub import HfApi\n"
              "HfApi().upload_file(path_or_fileobj=b'x', path_in_repo='x', repo_id='alice/data')\n")
    code, body = await api("plan", {"script": script, "flavor": "cpu-basic", "timeout": "30m", "dependencies": None})
    assert code == 200 and body["ok"] is True
    assert body["verdict"]["allowed"] is True  # compared with alice's login
    assert body["spec"]["secrets"] == {"HF_TOKEN": "$HF_TOKEN"} and body["renderings"]["cli"]
    # the token's value in env: refused, and the answer holds it masked only
    code, body = await api("plan", {"script": script, "env": {"HF_TOKEN": logged_in.token}})
    assert code == 200 and body["ok"] is False and body["refused_by"] == "secret"
    assert logged_in.token not in json.dumps(body)


async def test_plan_refuses_a_literal_secret(api, tok):
    code, body = await api("plan", {"script": f"print('{tok}')"})
    assert code == 200 and body["ok"] is False and body["refusals"]
    assert tok not in json.dumps(body)


async def test_plan_without_plan_job_is_501(api, core, monkeypatch):
    import hfsecure_jupyter.jobs as jobs

    monkeypatch.delattr(jobs, "plan_job")
    code, body = await api("plan", {"script": "print(1)"})
    assert (code, body["error"]["code"]) == (501, "not-ready")


# -- jobs ---------------------------------------------------------------------------------------------------

async def test_jobs_logged_out_and_from_the_hub(api, core, hub, logged_in, tok):
    from hfsecure_jupyter.jobs import JobSpec, submit

    handle = submit(JobSpec.uv("print('hi')", flavor="cpu-basic").with_token_secret())
    core.status_service.get_status(timeout=5)
    code, body = await api("jobs")  # first call: a background fetch starts
    assert code == 200 and body["state"] in ("checking", "ok")
    core.list_jobs(5, wait=5)
    code, body = await api("jobs", params={"limit": "5"})
    assert body["state"] == "ok"
    assert [j["id"] for j in body["jobs"]] == [handle.id]
    assert body["jobs"][0]["owner"] == "alice" and logged_in.token not in json.dumps(body)


async def test_jobs_logged_out(api, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "none"))
    code, body = await api("jobs")
    assert (code, body) == (200, {"jobs": [], "state": "logged-out"})


# -- the save hook through the contents API ----------------------------------------------------------------

async def _put(jp_fetch, path, model):
    return await jp_fetch("api", "contents", path, method="PUT", body=json.dumps(model), raise_error=False)


def _leaky_notebook(tok):
    import base64

    widget = {"application/vnd.jupyter.widget-state+json": {"version_major": 2, "version_minor": 0, "state": {
        "m1": {"model_name": "PasswordModel", "model_module": "@jupyter-widgets/controls",
               "model_module_version": "2.0.0", "state": {"value": tok}}}}}
    attachment = base64.b64encode(f"key: {tok}\n".encode()).decode()
    return _nb(
        {"cell_type": "markdown", "id": "m0", "metadata": {}, "source": "# Title ünïcode\n",
         "attachments": {"note.txt": {"text/plain": attachment}}},
        _code(["x = 1\n", f"login('{tok}')"], cell_id="c1", outputs=[
            {"output_type": "stream", "name": "stdout", "text": ["ok\n", f"token {tok}\n"]},
            {"output_type": "execute_result", "execution_count": 1, "metadata": {},
             "data": {"text/plain": f"'{tok}'", "text/html": f"<b>{tok}</b>"}}]),
        _code("y = 2", cell_id="c2"),
        metadata={"widgets": widget, "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                    "language": "python"}, "note": f"{tok}"})


def _read_nb(data):
    """A notebook as nbformat reads it (multiline strings joined), from its text or its dict."""
    import nbformat

    text = data if isinstance(data, str) else json.dumps(data)
    return json.loads(json.dumps(nbformat.reads(text, as_version=4)))


def _strip_secret_strings(value, tok):
    """``value`` with every string that held (or now holds the mask of) a secret replaced by a marker."""
    if isinstance(value, dict):
        return {k: _strip_secret_strings(v, tok) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secret_strings(v, tok) for v in value]
    if isinstance(value, str) and (tok in value or "hf_****" in value or value.startswith(("a2V5", "key:"))):
        return "<secret>"
    return value


async def test_save_redacts_everywhere_and_keeps_every_other_value(jp_fetch, jp_root_dir, tok, server_log, api):
    nb = _leaky_notebook(tok)
    resp = await _put(jp_fetch, "leaky.ipynb", {"type": "notebook", "content": nb})
    assert resp.code in (200, 201)
    raw = (jp_root_dir / "leaky.ipynb").read_text(encoding="utf-8")
    assert tok not in raw
    saved = _read_nb(raw)
    # every field that held the secret now holds the mask, everything else as sent
    assert _strip_secret_strings(saved, tok) == _strip_secret_strings(_read_nb(nb), tok)
    assert saved["cells"][1]["source"] == f"x = 1\nlogin('hf_****{tok[-4:]}')"
    assert saved["cells"][1]["outputs"][0]["text"] == f"ok\ntoken hf_****{tok[-4:]}\n"
    assert "hf_****" in json.dumps(saved["metadata"]["widgets"])
    log = server_log.getvalue()
    assert "masked 7 secret(s) in leaky.ipynb (cells 1, 2)" in log and tok not in log
    code, body = await api("saves", params={"path": "leaky.ipynb"})
    [event] = body["events"]
    assert (event["path"], event["cells"], event["count"], event["mode"]) == ("leaky.ipynb", [0, 1], 7, "redact")
    assert (await api("saves", params={"path": "leaky.ipynb"}))[1] == {"events": []}  # read once
    # the first checkpoint is made from the saved file, and a new one too
    cp = await jp_fetch("api", "contents", "leaky.ipynb", "checkpoints", method="POST", body="")
    assert cp.code == 201
    for f in (jp_root_dir / ".ipynb_checkpoints").iterdir():
        assert tok not in f.read_text(encoding="utf-8")
    # and restoring a checkpoint gives back the masked file
    cp_id = json.loads(cp.body)["id"]
    await jp_fetch("api", "contents", "leaky.ipynb", "checkpoints", cp_id, method="POST", body="")
    assert tok not in (jp_root_dir / "leaky.ipynb").read_text(encoding="utf-8")


async def test_save_of_text_files_text_and_base64(jp_fetch, jp_root_dir, tok):
    import base64

    resp = await _put(jp_fetch, "train.py", {"type": "file", "format": "text",
                                              "content": f"# ü\nTOKEN = '{tok}'\nprint(1)\n"})
    assert resp.code in (200, 201)
    assert (jp_root_dir / "train.py").read_text(encoding="utf-8") == f"# ü\nTOKEN = 'hf_****{tok[-4:]}'\nprint(1)\n"
    data = f"HF_TOKEN={tok}\r\nOTHER=1\r\n".encode()
    resp = await _put(jp_fetch, "env.txt", {"type": "file", "format": "base64",
                                             "content": base64.b64encode(data).decode()})
    assert resp.code in (200, 201)
    assert (jp_root_dir / "env.txt").read_bytes() == f"HF_TOKEN=hf_****{tok[-4:]}\r\nOTHER=1\r\n".encode()
    blob = bytes(range(256)) + tok.encode()  # binary: written as sent
    await _put(jp_fetch, "blob.bin", {"type": "file", "format": "base64", "content": base64.b64encode(blob).decode()})
    assert (jp_root_dir / "blob.bin").read_bytes() == blob


async def test_clean_save_is_written_as_sent(jp_fetch, jp_root_dir, api):
    nb = _nb(_code("x = 1"), metadata={"kernelspec": {"name": "python3", "display_name": "P", "language": "python"}})
    await _put(jp_fetch, "clean.ipynb", {"type": "notebook", "content": nb})
    assert _read_nb((jp_root_dir / "clean.ipynb").read_text()) == _read_nb(nb)
    assert (await api("saves"))[1] == {"events": []}


@pytest.mark.parametrize("hfsecure_config", [{"on_save": "refuse"}])
async def test_refuse_mode_refuses_with_the_cells_named(jp_fetch, jp_root_dir, tok, server_log, hfsecure_config):
    nb = _nb(_code("x = 1"), _code(f"login('{tok}')", cell_id="c2"))
    resp = await _put(jp_fetch, "r.ipynb", {"type": "notebook", "content": nb})
    assert resp.code == 400
    msg = json.loads(resp.body)["message"]
    assert "cell 2" in msg and "Not saved" in msg and tok not in resp.body.decode()
    assert not (jp_root_dir / "r.ipynb").exists()
    assert tok not in server_log.getvalue()
    ok = await _put(jp_fetch, "r.ipynb", {"type": "notebook", "content": _nb(_code("x = 1"))})
    assert ok.code == 201


@pytest.mark.parametrize("hfsecure_config", [{"on_save": "off"}])
async def test_off_mode_saves_as_sent(jp_fetch, jp_root_dir, tok, hfsecure_config):
    await _put(jp_fetch, "o.py", {"type": "file", "format": "text", "content": f"t = '{tok}'\n"})
    assert tok in (jp_root_dir / "o.py").read_text()


async def test_a_crash_in_the_hook_still_saves_and_is_reported(jp_fetch, jp_root_dir, core, monkeypatch, tok,
                                                               server_log, api):
    def boom(model, path, change=True):
        raise RuntimeError(f"bug near {tok}")

    monkeypatch.setattr(core, "redact_model", boom)
    nb = _nb(_code("x = 1"))
    resp = await _put(jp_fetch, "crash.ipynb", {"type": "notebook", "content": nb})
    assert resp.code == 201
    assert _read_nb((jp_root_dir / "crash.ipynb").read_text()) == _read_nb(nb)
    log = server_log.getvalue()
    assert re.search(r"ERROR hfsecure: the hfsecure save check failed \(RuntimeError\); crash.ipynb was saved", log)
    assert tok not in log and f"RuntimeError: bug near hf_****{tok[-4:]}" in log
    [event] = (await api("saves", params={"path": "crash.ipynb"}))[1]["events"]
    assert "failed" in event["error"]


async def test_canary_never_in_any_response_or_log(api, jp_fetch, tok, server_log, logged_in, core):
    """Every route, given the user's own token (the canary), answers without it; so does the log."""
    canary = logged_in.token
    core.status_service.get_status(timeout=5)
    nb = _nb(_code(f"t = '{canary}'", outputs=[{"output_type": "stream", "name": "stdout", "text": canary}]))
    bodies = []
    for route, body in [("status", None), ("jobs", None), ("saves", None),
                        ("scan", {"notebook": nb}), ("scan", {"text": canary}),
                        ("redact", {"notebook": nb}), ("redact", {"text": canary, "path": canary}),
                        ("fix", {"source": f"t = '{canary}'", "line": 1, "column": 6}),
                        ("fix", {"source": f"!echo {canary}", "line": 1, "column": 7}),
                        ("plan", {"script": f"print('{canary}')"}), ("scan", {"text": canary, "kind": canary})]:
        code, answer = await api(route, body)
        bodies.append(json.dumps(answer))
    resp = await _put(jp_fetch, "c.py", {"type": "file", "format": "text", "content": canary})
    bodies.append(resp.body.decode())
    bodies.append(json.dumps((await api("saves"))[1]))
    assert all(canary not in b for b in bodies)
    assert canary not in server_log.getvalue()


async def test_both_contents_managers_mask_saves_and_checkpoints(jp_fetch, jp_root_dir, jp_serverapp, tok):
    nb = _nb(_code(f"t = '{tok}'"))
    resp = await _put(jp_fetch, "m.ipynb", {"type": "notebook", "content": nb})
    assert resp.code == 201
    await jp_fetch("api", "contents", "m.ipynb", "checkpoints", method="POST", body="")
    files = [jp_root_dir / "m.ipynb", *(jp_root_dir / ".ipynb_checkpoints").iterdir()]
    assert len(files) == 2 and all(tok not in f.read_text(encoding="utf-8") for f in files)


async def _upload_in_chunks(jp_fetch, path, data, cut):
    """PUT ``data`` as JupyterLab uploads a large file: base64 chunks numbered 1, 2, ..., -1 (the last)."""
    import base64

    pieces = [data[a:b] for a, b in zip([0, *cut], [*cut, len(data)])]
    for i, piece in enumerate(pieces):
        chunk = -1 if i == len(pieces) - 1 else i + 1
        resp = await _put(jp_fetch, path, {"type": "file", "format": "base64", "chunk": chunk,
                                            "content": base64.b64encode(piece).decode()})
        assert resp.code in (200, 201), resp.body


@pytest.mark.parametrize("name", ["train.py", "big.ipynb"])
async def test_a_chunked_upload_with_a_token_split_across_chunks_is_masked_on_disk(
        jp_fetch, jp_root_dir, jp_serverapp, tok, server_log, api, name):
    if not hasattr(jp_serverapp.contents_manager, "_save_large_file"):
        pytest.skip("this contents manager does not take chunked uploads")
    if name.endswith(".py"):
        data = f"# ü setup\r\nTOKEN = '{tok}'\nprint('done')\n".encode()
    else:
        data = (json.dumps(_nb(_code("x = 1"), _code(f"login('{tok}')", cell_id="c2")), indent=3) + "\n").encode()
    at = data.index(tok.encode()) + 17  # the token's first 17 characters end the first chunk
    mask = f"hf_****{tok[-4:]}".encode()
    await _upload_in_chunks(jp_fetch, name, data, [at])
    assert (jp_root_dir / name).read_bytes() == data.replace(tok.encode(), mask)  # every other byte as sent
    [event] = (await api("saves", params={"path": name}))[1]["events"]
    assert event["count"] == 1 and event["mode"] == "redact"
    assert event["cells"] == ([1] if name.endswith(".ipynb") else []) and tok not in server_log.getvalue()
    # three chunks, the token in the middle one only (never seen by a pre-save hook)
    start = data.index(tok.encode())
    await _upload_in_chunks(jp_fetch, name, data, [start - 3, start + len(tok) + 2])
    assert (jp_root_dir / name).read_bytes() == data.replace(tok.encode(), mask)

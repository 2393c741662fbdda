"""ServerCore without a server: bodies, scan and redact forms, status, the jobs cache, plan, save events."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from types import SimpleNamespace as NS

import pytest

from hfsecure_jupyter.config import HFSecure
from hfsecure_jupyter.hub.auth import AuthStatus
from hfsecure_jupyter.server.core import JobsCache, SaveEvents, ServerCore, cell_of, field_of, job_record
from hfsecure_jupyter.server.errors import CoreError, error_body


class FakeStatus:
    """A StatusService stand-in: a fixed status; counts refreshes."""

    def __init__(self, status: AuthStatus) -> None:
        self.status, self.refreshes, self.timeouts = status, 0, []

    def get_status(self, timeout=None, refresh=False):
        self.timeouts.append(timeout)
        return self.status

    def refresh_in_background(self, callback=None):
        self.refreshes += 1
        fut: Future = Future()
        fut.set_result(self.status)
        return fut


OK = AuthStatus("ok", user="alice", masked_token="hf_****abcd")


def make_core(status=OK, **kw):
    return ServerCore(HFSecure(**kw.pop("settings", {})), status=FakeStatus(status), **kw)


def enc(body) -> bytes:
    return json.dumps(body).encode()


# -- bodies ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,code", [(b"{", "bad-json"), (b"", "bad-json"), (b"\xff", "bad-json"),
                                      (b'"x"', "bad-body"), (b"[" * 100_000, "bad-json")])
def test_parse_body_errors(raw, code):
    with pytest.raises(CoreError) as err:
        make_core().parse_body(raw)
    assert err.value.code == code and err.value.status == 400


def test_too_large_is_413_with_the_setting_named():
    core = make_core(settings={"max_request_bytes": 2048})
    with pytest.raises(CoreError) as err:
        core.scan(b" " * 2049)
    assert (err.value.status, err.value.code) == (413, "too-large")
    assert "max_request_bytes" in err.value.fix


def test_error_messages_are_masked(tok):
    err = CoreError(400, "bad-body", f"bad {tok}", fix=f"not {tok}")
    assert tok not in json.dumps(err.to_json()) and tok not in str(err)
    status, body = error_body(KeyError(tok))
    assert status == 500 and tok not in json.dumps(body)


# -- scan -----------------------------------------------------------------------------------------------------

def test_locations_helpers():
    assert [cell_of(x) for x in ("cells[12].source", "metadata", "cells[x]")] == [12, None, None]
    assert [field_of(x) for x in ("cells[0].attachments.a.png", "cells[1].metadata.tags[0]", "metadata.widgets")] \
        == ["attachments", "metadata", "metadata"]


def test_scan_notebook_metadata_finding_has_no_cell(tok):
    nb = {"cells": [{"cell_type": "code", "id": "i", "source": "x", "metadata": {}, "outputs": []}],
          "metadata": {"widgets": {"state": {"value": tok}}}}
    [f] = make_core().scan(enc({"notebook": nb}))["findings"]
    assert (f["cell_index"], f["cell_id"], f["field"]) == (None, None, "metadata")


def test_scan_cells_without_index_uses_position(tok):
    cells = [{"cell_type": "markdown", "source": "hi"}, {"cell_type": "markdown", "source": tok}]
    [f] = make_core().scan(enc({"cells": cells}))["findings"]
    assert (f["cell_index"], f["cell_id"], f["location"]) == (1, None, "cells[1].source")


def test_scan_text_kinds(tok):
    core = make_core()
    nb_text = json.dumps({"cells": [{"cell_type": "code", "source": f"t = '{tok}'", "metadata": {}, "outputs": []}],
                          "metadata": {}})
    [f] = core.scan(enc({"text": nb_text, "kind": "notebook"}))["findings"]
    assert f["cell_index"] == 0 and f["location"] == "cells[0].source"
    out = core.scan(enc({"text": "{broken", "path": "x.ipynb"}))
    assert out["findings"] == [] and out["notes"] == []  # nothing to find: not even parsed
    out = core.scan(enc({"text": "{" + tok, "path": "x.ipynb"}))
    assert out["notes"] and out["findings"][0]["cell_index"] is None
    # a path holding a token is masked where it is echoed
    out = core.scan(enc({"text": tok, "path": f"{tok}.txt"}))
    assert tok not in json.dumps(out)


def test_scan_suppressed_counts(tok):
    out = make_core().scan(enc({"text": f"t = '{tok}'  # hfsecure: allow", "kind": "python"}))
    assert out["summary"] == {"secrets": 0, "warnings": 0, "suppressed": 1}


# -- redact ---------------------------------------------------------------------------------------------------

def test_redact_python_text_masks_folded_literals(tok):
    src = f"t = '{tok[:10]}' '{tok[10:]}'\nx = 1\n"
    out = make_core().redact(enc({"text": src, "kind": "python"}))
    assert tok[10:] not in out["text"] and out["text"].endswith("\nx = 1\n") and out["changed"]


def test_redact_notebook_text_keeps_bytes(tok):
    text = '{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["' + tok + '"]}],  "metadata": {}}'
    out = make_core().redact(enc({"text": text, "kind": "notebook"}))
    assert out["text"] == text.replace(tok, f"hf_****{tok[-4:]}") and len(out["findings"]) == 1


def test_redact_uses_the_configured_mask(tok):
    core = make_core(settings={"mask_fill": "...", "mask_show_last": 0})
    assert core.redact(enc({"text": tok}))["text"] == "hf_..."


# -- status ---------------------------------------------------------------------------------------------------

def test_status_never_waits_and_refresh_is_background():
    fake = FakeStatus(AuthStatus("checking"))
    core = ServerCore(HFSecure(rotate_after_days=7, on_save="off"), status=fake)
    out = core.status(refresh=True)
    assert out["status"]["state"] == "checking" and (out["rotation_days"], out["on_save"]) == (7, "off")
    assert fake.timeouts == [0] and fake.refreshes == 1


def test_default_status_service_uses_the_server_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "none"))
    from hfsecure_jupyter.hub import StatusService

    core = ServerCore(HFSecure(hub_timeout=1.5))
    assert isinstance(core.status_service, StatusService) and core.status_service.settings is core.settings
    assert core.status()["status"]["state"] == "logged-out"


# -- jobs -----------------------------------------------------------------------------------------------------

def _job(i, stage="RUNNING", command=("python", "-c", "print(1)")):
    return NS(id=f"j{i}", owner=NS(name="alice"), status=NS(stage=stage, message=None), created_at=None,
              flavor="cpu-basic", url=f"http://hub/jobs/alice/j{i}", command=list(command), arguments=[])


def test_job_record_masks_the_command(tok):
    rec = job_record(_job(1, command=("sh", "-c", f"curl -H 'Authorization: Bearer {tok}' x")))
    assert tok not in json.dumps(rec) and rec["stage"] == "RUNNING"


def test_jobs_cache_never_blocks_on_a_stalled_hub():
    release = threading.Event()
    calls = []

    def stalled(namespace, limit, timeout):
        calls.append((namespace, limit, timeout))
        release.wait(10)
        return [_job(1), _job(2)]

    core = make_core(jobs_lister=stalled, settings={"hub_timeout": 2.5})
    assert core.list_jobs(20) == {"jobs": [], "state": "checking"}  # answered while the lister hangs
    assert core.list_jobs(20) == {"jobs": [], "state": "checking"}
    assert len(calls) == 1 and calls[0] == ("alice", JobsCache.MAX, 2.5)  # one fetch in flight, bounded
    release.set()
    out = core.list_jobs(1, wait=5)
    assert out["state"] == "ok" and [j["id"] for j in out["jobs"]] == ["j1"]


def test_jobs_cache_keeps_the_last_list_when_the_hub_fails():
    answers = [[_job(1)], RuntimeError("down")]

    def lister(namespace, limit, timeout):
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a

    core = make_core(jobs_lister=lister, settings={"jobs_ttl": 0.0})
    core.list_jobs(wait=5)
    assert core.list_jobs(wait=5)["state"] in ("ok", "unreachable")
    out = core.list_jobs(wait=0)
    assert out == {"jobs": [job_record(_job(1))], "state": "unreachable"}


@pytest.mark.parametrize("limit", ["0", "101", "x", None])
def test_jobs_limit_is_checked(limit):
    with pytest.raises(CoreError) as err:
        make_core().list_jobs(limit)
    assert err.value.code == "bad-query"


def test_jobs_logged_out_makes_no_call():
    core = make_core(status=AuthStatus("logged-out"), jobs_lister=lambda *a: pytest.fail("called the Hub"))
    assert core.list_jobs() == {"jobs": [], "state": "logged-out"}


# -- plan -----------------------------------------------------------------------------------------------------

def test_plan_with_a_planner(tok):
    seen = {}

    def plan_job(script, **kw):
        seen.update(kw, script=script)
        return NS(to_dict=lambda: {"ok": True, "notes": [f"moved {tok}"]})

    core = make_core(plan=plan_job)
    out = core.plan(enc({"script": "print(1)", "flavor": "t4-small", "timeout": "30m", "env": {"A": "1"},
                         "dependencies": ["datasets"], "python": None}))
    assert out["ok"] is True and tok not in json.dumps(out)
    assert seen["status"] is OK and seen["flavor"] == "t4-small" and "python" not in seen
    assert seen["misuse"] == "warn"  # c.HFSecure.misuse


@pytest.mark.parametrize("body", [{}, {"script": 1}, {"script": "x", "env": {"A": 1}},
                                  {"script": "x", "dependencies": "datasets"}, {"script": "x", "timeout": True}])
def test_plan_bad_bodies(body):
    with pytest.raises(CoreError) as err:
        make_core(plan=lambda *a, **k: None).plan(enc(body))
    assert err.value.status == 400


# -- save events ----------------------------------------------------------------------------------------------

def test_save_events_are_bounded_newest_first_and_read_once():
    ev = SaveEvents(maxlen=3)
    for i in range(5):
        ev.record({"path": "a" if i % 2 else "b", "n": i})
    assert [e["n"] for e in ev.take("b")] == [4, 2]
    assert [e["n"] for e in ev.take()] == [3]
    assert ev.take() == []


# -- what the server reads of a notebook ----------------------------------------------------------------------

def test_scan_redact_and_save_agree_on_what_they_read(tok):
    """Binary image payloads are read by none of them (findings = what a save masks)."""
    import base64

    from hfsecure_jupyter.server.save_hook import SaveHook

    png = base64.b64encode(b"\x89PNG\r\n" + f" {tok} ".encode() + bytes(40)).decode()

    def nb():
        return {"cells": [{"cell_type": "code", "id": "a", "source": f"t = '{tok}'", "metadata": {},
                           "outputs": [{"output_type": "display_data", "metadata": {},
                                        "data": {"image/png": png, "text/plain": "fig"}}]}], "metadata": {}}

    core = make_core()
    scanned = [f["location"] for f in core.scan(enc({"notebook": nb()}))["findings"]]
    redacted = core.redact(enc({"notebook": nb()}))
    model = {"type": "notebook", "content": nb()}
    SaveHook(core)(model=model, path="n.ipynb")
    assert scanned == [f["location"] for f in redacted["findings"]] == ["cells[0].source"]
    assert model["content"]["cells"][0]["outputs"][0]["data"]["image/png"] == png  # the plot is written as sent
    assert redacted["notebook"]["cells"][0]["outputs"][0]["data"]["image/png"] == png
    assert core.saves.take()[0]["count"] == 1


def test_model_candidates_matches_the_raw_prefilter(tok):
    from hfsecure_jupyter.detect.engine import raw_candidates
    from hfsecure_jupyter.server.core import model_candidates

    for nb in ({"cells": [{"source": "from huggingface_hub import hf_hub_download"}]},
               {"cells": [{"source": ["x = ('hf_ab'\n", " 'cd')"]}]},
               {"metadata": {tok: 1}}, {"a": [f"\\x68f_{tok[3:]}"]}, {"cells": []}):
        assert model_candidates(nb) == raw_candidates(json.dumps(nb, ensure_ascii=False).encode()), nb


def _many_cells(n, tok=None, at=()):
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["from huggingface_hub import hf_hub_download\n", f"x = {i}\n"]} for i in range(n)]
    for i in at:
        cells[i]["source"][1] = f"t = '{tok}'\n"
    return {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def test_candidate_cells_finds_exactly_the_flagged_cells(tok):
    from hfsecure_jupyter.server.core import candidate_cells

    assert candidate_cells(_many_cells(50)) is None
    assert candidate_cells(_many_cells(50, tok, at=(0, 17, 49))) == (frozenset({0, 17, 49}), False)
    nb = _many_cells(5)
    nb["metadata"]["note"] = tok
    assert candidate_cells(nb) == (frozenset(), True)
    assert candidate_cells({"cells": "odd", "metadata": {"x": tok}}) == (frozenset(), True)
    assert candidate_cells(_many_cells(80, tok, at=range(40))) == (frozenset(range(80)), True)  # too many: all


def test_a_save_that_masks_a_token_rewalks_only_its_cell(tok, monkeypatch):
    # Counting work: the model walked after the prefilter holds the flagged cell and empty placeholders.
    from hfsecure_jupyter import detect

    seen = []
    real = detect.redact_notebook_model
    monkeypatch.setattr(detect, "redact_notebook_model",
                        lambda nb, *a, **k: seen.append([c for c in nb["cells"] if c]) or real(nb, *a, **k))
    core = ServerCore(HFSecure(), status=object())
    model = {"type": "notebook", "content": _many_cells(200, tok, at=(120,))}
    found = core.redact_model(model, "n.ipynb")
    assert [c["id"] for c in seen[0]] == ["c120"]
    assert [f.location for f in found] == ["cells[120].source"]
    assert model["content"]["cells"][120]["source"][1] == f"t = 'hf_****{tok[-4:]}'\n"  # edits land in the model
    # refuse mode scans a copy, the model stays as sent
    model = {"type": "notebook", "content": _many_cells(200, tok, at=(7,))}
    assert [f.location for f in core.redact_model(model, "n.ipynb", change=False)] == ["cells[7].source"]
    assert tok in model["content"]["cells"][7]["source"][1]

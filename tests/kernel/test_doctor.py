"""The error doctor: Hub errors show their diagnosis; another extension's handler keeps working."""

from __future__ import annotations

import sys

import pytest

from hfsecure_jupyter.kernel import doctor, extension
from hfsecure_jupyter.testing import fake_token


class OtherExtError(Exception):
    """An exception another extension handles through the custom-exception slot."""


def _other_handler(seen):
    def handler(shell, etype, value, tb, tb_offset=None):
        seen.append(value)
        print("OTHER HANDLER SAW IT")

    return handler


@pytest.fixture
def hub_errors():
    return pytest.importorskip("huggingface_hub.errors")


def test_hub_error_shows_diagnosis_and_other_handler_still_works(new_shell, hub_errors, capsys):
    sh = new_shell()
    seen = []
    sh.set_custom_exc((OtherExtError,), _other_handler(seen))
    prev_types, prev_handler = sh.custom_exceptions, sh.CustomTB
    st = extension.load(sh)
    sh.run_cell("x = 1", store_history=True)  # pre_run_cell: huggingface_hub is imported -> attach
    assert st.doctor.attached and hub_errors.LocalTokenNotFoundError in sh.custom_exceptions
    t = fake_token()
    sh.user_ns.update(E=hub_errors.LocalTokenNotFoundError, O=OtherExtError, parts=(t[:9], t[9:]))
    r = sh.run_cell("raise E('Token is required but no token found ' + ''.join(parts))", store_history=True)
    out = capsys.readouterr().out
    assert isinstance(r.error_in_exec, hub_errors.LocalTokenNotFoundError)
    assert "fix:" in out and "login" in out and "%tb" in out
    assert "Traceback" not in out and t not in out
    assert sys.last_value is r.error_in_exec  # so %tb can show the full traceback
    sh.run_cell("raise O('mine')", store_history=True)
    assert "OTHER HANDLER SAW IT" in capsys.readouterr().out and len(seen) == 1
    sh.run_cell("raise KeyError('plain')", store_history=True)
    assert "Traceback" in capsys.readouterr().out  # everything else: IPython's usual traceback
    extension.unload(sh)
    assert sh.custom_exceptions == prev_types and sh.CustomTB == prev_handler
    sh.run_cell("raise O('again')", store_history=True)
    assert len(seen) == 2


def test_unknown_hub_error_gets_the_normal_traceback(new_shell, hub_errors, capsys, monkeypatch):
    monkeypatch.setattr(doctor, "_diagnose_fn", lambda: (lambda exc: None))
    sh = new_shell()
    extension.load(sh)
    sh.user_ns["E"] = hub_errors.LocalTokenNotFoundError
    sh.run_cell("raise E('x')", store_history=True)
    assert "Traceback" in capsys.readouterr().out


def test_first_cell_that_imports_the_hub_is_diagnosed(new_shell, hub_errors, capsys, monkeypatch):
    """The slot is taken before the next cell; the importing cell is diagnosed as its traceback is shown."""
    saved = {k: v for k, v in sys.modules.items() if k == "huggingface_hub" or k.startswith("huggingface_hub.")}
    for k in saved:
        monkeypatch.delitem(sys.modules, k)
    sh = new_shell()
    st = extension.load(sh)
    assert not st.doctor.attached
    for k, v in saved.items():
        monkeypatch.setitem(sys.modules, k, v)  # "the user's cell imports it"
    sh.user_ns["E"] = hub_errors.LocalTokenNotFoundError
    st.doctor.attached = False
    st.doctor.detached = False
    # run the cell without the pre_run_cell attach, as in the importing cell
    sh.events.unregister("pre_run_cell", st.doctor.attach_if_ready)
    sh.run_cell("raise E('Token is required')", store_history=True)
    out = capsys.readouterr().out
    assert "fix:" in out and "Traceback" not in out
    assert st.doctor.attached  # post_run_cell took the slot for the following cells
    sh.events.register("pre_run_cell", st.doctor.attach_if_ready)


def test_loading_never_imports_the_hub_for_the_doctor(new_shell, monkeypatch):
    saved = [k for k in sys.modules if k == "huggingface_hub" or k.startswith("huggingface_hub.")]
    for k in saved:
        monkeypatch.delitem(sys.modules, k)
    sh = new_shell()
    st = extension.load(sh)
    sh.run_cell("x = 1", store_history=True)
    assert "huggingface_hub" not in sys.modules and not st.doctor.attached


def test_handler_failure_falls_back_to_the_traceback(new_shell, hub_errors, capsys, monkeypatch):
    def broken(exc):
        raise RuntimeError("diagnose broke")

    monkeypatch.setattr(doctor, "_diagnose_fn", lambda: broken)
    sh = new_shell()
    st = extension.load(sh)
    sh.run_cell("x = 1", store_history=True)
    sh.user_ns["E"] = hub_errors.LocalTokenNotFoundError
    sh.run_cell("raise E('x')", store_history=True)
    assert "Traceback" in capsys.readouterr().out
    assert sh.CustomTB == st.doctor._ours  # IPython did not unregister it


def test_connection_errors_to_the_hub_are_diagnosed_others_keep_their_traceback(new_shell, hub_errors, capsys):
    from huggingface_hub import constants

    http = sys.modules.get("httpx2") or sys.modules.get("httpx")
    assert http is not None, "huggingface_hub's HTTP client is loaded with it"
    sh = new_shell()
    extension.load(sh)
    try:
        sh.run_cell("x = 1", store_history=True)
        hub_req = http.Request("GET", constants.ENDPOINT + "/api/whoami-v2")
        other_req = http.Request("GET", "http://127.0.0.1:1/elsewhere")
        sh.user_ns.update(CE=http.ConnectError, hub_req=hub_req, other_req=other_req)
        sh.run_cell("raise CE('Connection refused', request=hub_req)", store_history=True)
        out = capsys.readouterr().out
        assert "Hugging Face Hub unreachable" in out and "fix:" in out and "Traceback" not in out
        sh.run_cell("raise CE('Connection refused', request=other_req)", store_history=True)
        out = capsys.readouterr().out
        assert "Traceback" in out and "Hub unreachable" not in out
    finally:
        extension.unload(sh)

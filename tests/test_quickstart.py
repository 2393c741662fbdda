"""The shipped quickstart runs top to bottom, headless (nbclient), against the emulator set up as
``hfsecure demo`` sets it up (demo account, isolated HF_HOME, the guard in the kernel's config)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbclient  # in the test extra: CI runs the quickstart, it never skips it
import nbformat
import pytest

from hfsecure_jupyter.cli import demo

pytestmark = pytest.mark.slow


def _text(cell: dict) -> str:
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append(o["text"])
        elif o["output_type"] == "error":
            out.append("\n".join(o.get("traceback", [])) + o.get("evalue", ""))
        else:
            out.append(str(o.get("data", {}).get("text/plain", "")))
    return "".join(out)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    from hfsecure_jupyter.emulator import EmulatorServer
    from hfsecure_jupyter.emulator.jobs import Timings

    base = tmp_path_factory.mktemp("qs")
    accounts, account = demo.demo_account()
    hub = EmulatorServer(accounts, timings=Timings(scheduling=0.2, line_interval=0.05, running=0.5),
                         local_run=True, use_uv=False).start()
    try:
        env = demo.lab_environment(base / "state", hub.url)
        demo.prepare_home(Path(env["HF_HOME"]), account)
        nb_path = demo.copy_quickstart(base / "work")
        nb = nbformat.read(nb_path, as_version=4)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                             resources={"metadata": {"path": str(nb_path.parent)}})
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if os.environ.get("HFSECURE_QS_DUMP"):
            nbformat.write(nb, os.environ["HFSECURE_QS_DUMP"])
        yield {c["id"]: c for c in nb.cells}, account, hub, nb_path
    finally:
        hub.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_the_quickstart_holds_no_token_and_tags_its_failing_cells() -> None:
    from hfsecure_jupyter import detect

    path = demo._quickstart_source()
    text = path.read_text(encoding="utf-8")
    assert detect.find_secrets(text) == []
    nb = json.loads(text)
    tagged = [c["id"] for c in nb["cells"] if "raises-exception" in c.get("metadata", {}).get("tags", [])]
    assert tagged == ["forbidden"]


def test_login_status_shows_the_demo_account(executed) -> None:
    cells, account, _, _ = executed
    status = _text(cells["whoami"]) + _text(cells["status"])
    assert "logged in as demo with the token demo-write (write)" in status
    assert "token source: file" in status
    assert account.tokens["demo-write"] not in status


def test_the_guard_blocks_the_pasted_token(executed) -> None:
    cells, _, _, _ = executed
    blocked = cells["blocked"]
    assert any(o["output_type"] == "error" for o in blocked["outputs"])
    text = _text(blocked)
    assert "blocked: True | HF_TOKEN defined: False" in text
    assert "hf_****" in text


def test_outputs_are_redacted(executed) -> None:
    cells, _, _, _ = executed
    text = _text(cells["redaction"])
    assert "the token is hf_****" in text
    assert text.count("hf_****") >= 2


def test_job_builder_dry_run_and_real_job(executed) -> None:
    cells, account, _, _ = executed
    assert "$HF_TOKEN" in _text(cells["builder"])
    dry = _text(cells["dry-run"])
    assert "$HF_TOKEN" in dry and "secrets" in dry
    logs = _text(cells["logs"])
    assert "hello from demo" in logs and "stage: COMPLETED" in logs
    for value in account.tokens.values():
        assert value not in dry + logs


def test_the_doctor_explains_the_read_tokens_403(executed) -> None:
    cells, _, _, _ = executed
    text = _text(cells["forbidden"])
    assert "Permission denied (403 Forbidden)" in text and "Use a write token" in text
    assert "Traceback" not in text
    assert "created with the write token" in _text(cells["switch-back"])


def test_the_saved_file_holds_no_token(executed) -> None:
    cells, _, _, _ = executed
    text = _text(cells["scan"])
    assert "No secrets found in 1 file." in text

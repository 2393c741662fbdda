"""Autosave in a real JupyterLab: a token typed into a cell and never saved by hand reaches the disk masked.

The module's JupyterLab autosaves every 2 seconds (``@jupyterlab/docmanager-extension`` settings in its
``JUPYTERLAB_SETTINGS_DIR``). Nothing here presses save: the test types a token and waits (bounded) until
the file on disk changes.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from hfsecure_jupyter.testing import fake_token
from tests.ui.ui_helpers import code_cell, notebook, start_lab

pytestmark = pytest.mark.slow

CURRENT = "window.jupyterapp.shell.currentWidget"


@pytest.fixture(scope="module")
def lab(ui_ready, hub_emulator, tmp_path_factory):
    """The shared fixture's JupyterLab, with autosave every 2 s (read when the page loads its settings)."""
    base = tmp_path_factory.mktemp("lab-autosave")
    server = start_lab(base, {"HF_TOKEN": hub_emulator.token("alice")})
    docmanager = base / "settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True, exist_ok=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": True, "autosaveInterval": 2}))
    try:
        yield server
    finally:
        server.stop()


def _wait_for_change(page, path, before: bytes, timeout: float = 90.0) -> bytes:
    """The file's bytes once they differ from ``before`` and parse as JSON (bounded wait, no time assert).

    Waits with ``page.wait_for_timeout`` (not ``time.sleep``): Playwright's sync API delivers the page's
    events (the request recorder) only while the test is inside one of its calls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = path.read_bytes()
        if data != before:
            try:
                json.loads(data)
                return data
            except ValueError:
                pass  # caught mid-write: read again
        page.wait_for_timeout(200)
    pytest.fail(f"{path.name} was not autosaved within {timeout:.0f} s")


def test_autosave_leaves_no_token_on_disk_and_every_other_byte(page, lab, artifacts):
    settings = page.evaluate("""async () => {
        const s = await window.jupyterapp.serviceManager.settings.fetch('@jupyterlab/docmanager-extension:plugin');
        return s.raw;
    }""")
    assert json.loads(settings) == {"autosave": True, "autosaveInterval": 2}  # the page reads our settings
    tok = fake_token()
    path = lab.root / "autosave.ipynb"
    path.write_text(json.dumps(notebook([code_cell("import os\nx = 1  # é, unicode kept\n", cid="a"),
                                         code_cell("", cid="b")])))
    sent_bodies: list[str] = []

    def keep(route):  # (a request listener sees no body for these PUTs; a route does)
        if route.request.method == "PUT" and route.request.post_data:
            sent_bodies.append(route.request.post_data)
        route.continue_()

    page.route("**/api/contents/autosave.ipynb?*", keep)
    try:
        page.evaluate("""async (path) => {
            const app = window.jupyterapp;
            const w = await app.commands.execute('docmanager:open', {path});
            await w.context.ready;
            app.shell.activateById(w.id);
        }""", "autosave.ipynb")
        page.wait_for_function(f"{CURRENT} && {CURRENT}.context.path === 'autosave.ipynb'")
        before = path.read_bytes()
        page.evaluate("([i, s]) => window.jupyterapp.shell.currentWidget.content.model.cells.get(i)"
                      ".sharedModel.setSource(s)", [1, f'login(token="{tok}")\nprint("done")\n'])
        _wait_for_change(page, path, before)  # no save command: only autosave writes it
        page.wait_for_function(f"!{CURRENT}.context.model.dirty", timeout=30_000)
    finally:
        page.unroute("**/api/contents/autosave.ipynb?*", keep)
    on_disk = path.read_bytes()  # the last write (autosave may have run more than once)
    assert tok.encode() not in on_disk
    with_token = [json.loads(b)["content"] for b in sent_bodies if tok in b]
    assert with_token, "the browser never sent the token: the test did not exercise the hook"
    sent = with_token[-1]
    saved_source = "".join(json.loads(on_disk)["cells"][1]["source"])
    prefix, suffix = 'login(token="', '")\nprint("done")\n'
    assert saved_source.startswith(prefix) and saved_source.endswith(suffix)
    mask = saved_source[len(prefix):-len(suffix)]
    assert mask == f"hf_****{tok[-4:]}"
    # Every other byte as the browser sent it, written as Jupyter writes a notebook.
    expected = nbformat.writes(nbformat.from_dict(json.loads(json.dumps(sent).replace(tok, mask))),
                               version=nbformat.NO_CONVERT)
    assert on_disk.decode("utf-8").rstrip("\n") == expected.rstrip("\n")
    # A checkpoint, if JupyterLab made one, holds no token either; and one made now neither.
    page.evaluate(f"{CURRENT}.context.createCheckpoint()")
    checkpoints = list((lab.root / ".ipynb_checkpoints").glob("autosave-checkpoint.ipynb"))
    assert checkpoints and all(tok.encode() not in p.read_bytes() for p in checkpoints)
    events = lab.api("/hfsecure/saves?path=autosave.ipynb")
    assert tok not in json.dumps(events)
    page.screenshot(path=str(artifacts / "autosave.png"))

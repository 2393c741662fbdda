"""The extension loads in Notebook 7 too: its notebook page has a right area, and the panel works there."""

from __future__ import annotations

import json

import pytest

from hfsecure_jupyter.testing import fake_token
from tests.ui.ui_helpers import CHROMIUM, CHROMIUM_ARGS, code_cell, notebook, start_lab

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nb7(ui_ready, hub_emulator, tmp_path_factory):
    pytest.importorskip("notebook.app", reason="Notebook 7 is not installed (pip install 'notebook>=7')")
    server = start_lab(tmp_path_factory.mktemp("nb7"), {"HF_TOKEN": hub_emulator.token("alice")}, app="notebook")
    try:
        yield server
    finally:
        server.stop()


def test_the_panel_loads_in_notebook_7_and_shows_a_typed_token(nb7, artifacts):
    from playwright.sync_api import sync_playwright

    tok = fake_token()
    (nb7.root / "n7.ipynb").write_text(json.dumps(notebook([code_cell("")])))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{nb7.url}/notebooks/n7.ipynb?token={nb7.token}")
            page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
            page.evaluate("window.jupyterapp.restored")
            page.wait_for_function("window.jupyterapp.shell.currentWidget && "
                                   "window.jupyterapp.shell.currentWidget.context", timeout=60_000)
            page.evaluate("window.jupyterapp.shell.currentWidget.context.ready")
            page.evaluate("window.jupyterapp.commands.execute('hfsecure:open-panel')")
            page.wait_for_selector("#hfsecure-panel", state="visible", timeout=30_000)
            page.evaluate("(s) => window.jupyterapp.shell.currentWidget.content.model.cells.get(0)"
                          ".sharedModel.setSource(s)", f'token = "{tok}"\n')
            page.wait_for_selector("#hfsecure-panel [data-hfs=finding]", timeout=30_000)
            assert page.text_content('#hfsecure-panel [data-hfs="user"]') == "alice"
            page.screenshot(path=str(artifacts / "notebook7.png"))
            assert not [e for e in errors if "hfsecure" in e]
        finally:
            browser.close()

"""The widgets in real Chromium (Playwright, Debian's /usr/bin/chromium) against a JupyterLab and the Hub
emulator started on loopback: log in by device code, build a job, type the token into env and see it
replaced, submit and watch it complete, save the notebook with widget state; nothing the browser received
(every websocket frame and HTTP response) nor the saved file holds the user's token. Screenshots in light
and dark themes go to tests/ui/artifacts/ (git-ignored) or $HFSECURE_ARTIFACTS.

Without /usr/bin/chromium the tests skip (install it with `apt-get install chromium`); under CI they fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.ui.lab_server import CHROMIUM, CHROMIUM_ARGS, Received, start_lab

pytestmark = pytest.mark.slow

LOGIN_CELL = "from hfsecure_jupyter.widgets import LoginStatus\nw = LoginStatus()\nw"
BUILDER_CELL = ("from hfsecure_jupyter.widgets import JobSpecBuilder\n"
                "b = JobSpecBuilder(\"import os\\nprint('hello from the job', bool(os.environ.get('HF_TOKEN')))\\n"
                "from huggingface_hub import whoami\\n\")\nb")


@pytest.fixture(scope="module")
def artifacts() -> Path:
    path = Path(os.environ.get("HFSECURE_ARTIFACTS") or Path(__file__).parent / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _need_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        msg = f"{CHROMIUM} is absent: install Debian's browser with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def lab(hub_emulator, tmp_path_factory):
    _need_chromium()
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()


def _run_cell(page, index: int, source: str) -> None:
    page.evaluate("""([i, src]) => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        while (nb.widgets.length <= i) { window.jupyterapp.commands.execute('notebook:insert-cell-below'); }
        nb.activeCellIndex = i;
        nb.widgets[i].model.sharedModel.setSource(src);
        return window.jupyterapp.commands.execute('notebook:run-cell');
    }""", [index, source])


def test_login_build_submit_save_and_no_token_received(lab, hub_emulator, artifacts):
    from playwright.sync_api import sync_playwright

    hub = hub_emulator
    hub.reset()
    hub.device_auto_approve, hub.device_interval, hub.local_run = 2, 0, True
    received = Received()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
            received.attach(page)
            page.goto(f"{lab.url}/lab?token={lab.token}")
            page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
            page.evaluate("window.jupyterapp.restored")
            page.evaluate("window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'})")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel"
                                   "?.status === 'idle'", timeout=120_000)

            # 1. Log in by device code: the code and the link appear, then the status flips to the user.
            _run_cell(page, 0, LOGIN_CELL)
            login = page.get_by_role("button", name="Log in")
            login.wait_for(timeout=60_000)
            page.screenshot(path=str(artifacts / "login-logged-out-light.png"))
            login.click()
            page.get_by_text("logged in as").wait_for(timeout=60_000)
            page.locator(".jp-OutputArea-output").get_by_text("Alice Example").first.wait_for(timeout=60_000)
            token_file = lab.hf_home / "token"
            canary = token_file.read_text().strip()
            assert canary
            page.screenshot(path=str(artifacts / "login-logged-in-light.png"))

            # 2. Build a job; type the token into env: it moves to secrets as $HF_TOKEN, in the browser too.
            _run_cell(page, 1, BUILDER_CELL)
            env = page.locator('textarea[placeholder^="KEY=value"]')
            env.wait_for(timeout=60_000)
            env.fill(f"MODE=fast\nHF_TOKEN={canary}")
            env.blur()
            page.wait_for_function("""() => [...document.querySelectorAll('textarea')].some(
                t => t.placeholder.startsWith('HF_TOKEN=') && t.value.includes('HF_TOKEN=$HF_TOKEN'))""",
                                   timeout=30_000)
            assert env.input_value() == "MODE=fast"
            page.get_by_text("moved HF_TOKEN from env to secrets").wait_for(timeout=30_000)
            page.screenshot(path=str(artifacts / "builder-light.png"), full_page=True)

            # 3. Submit: the monitor reaches COMPLETED with the job's logs.
            page.get_by_role("button", name="Submit").click()
            page.get_by_text("hello from the job True").wait_for(timeout=120_000)
            page.locator(".jp-OutputArea-output").get_by_text("COMPLETED").first.wait_for(timeout=120_000)
            page.screenshot(path=str(artifacts / "monitor-light.png"), full_page=True)

            # 4. Dark theme.
            page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', "
                          "{theme: 'JupyterLab Dark'})")
            page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(artifacts / "widgets-dark.png"), full_page=True)

            # 5. Save with widget state and read the file.
            # context.save() (not docmanager:save, which asks to rename an untitled notebook first); the widget
            # manager writes the widget state into the model on the context's saveState signal.
            page.evaluate("window.jupyterapp.shell.currentWidget.context.save()")
            page.wait_for_function("!window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000)
            saved = next(lab.root.glob("*.ipynb"))
            text = saved.read_text()
            nb = json.loads(text)
            assert "application/vnd.jupyter.widget-state+json" in nb["metadata"].get("widgets", {})
            assert canary not in text
            assert "$HF_TOKEN" in text  # the secrets table, as the browser holds it
            leaks = received.leaks(canary)
            assert len(received.frames) > 50
            assert not leaks, leaks
        finally:
            browser.close()


def test_the_widgets_render_in_notebook_7(hub_emulator, tmp_path, artifacts):
    """The same widgets in Notebook 7: the login status and the builder render and answer."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    server = start_lab(tmp_path, app="notebook")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}, "outputs": [],
                     "source": LOGIN_CELL + "\n"}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    (server.root / "widgets.ipynb").write_text(json.dumps(nb))
    received = Received()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                received.attach(page)
                page.goto(f"{server.url}/notebooks/widgets.ipynb?token={server.token}")
                page.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
                page.wait_for_function("window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
                                       "?.status === 'idle'", timeout=120_000)
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                page.get_by_role("button", name="Log in").wait_for(timeout=60_000)
                page.get_by_text("logged out").first.wait_for(timeout=60_000)
                page.screenshot(path=str(artifacts / "notebook7-login.png"))
            finally:
                browser.close()
    finally:
        server.stop()
    assert len(received.frames) > 10

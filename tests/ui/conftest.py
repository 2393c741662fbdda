"""Browser fixtures: Debian's chromium driven by Playwright against a JupyterLab started for the module.

Never downloads a browser: without ``/usr/bin/chromium`` the tests skip (and fail when ``CI`` is set).
Screenshots go to ``$HFSECURE_ARTIFACTS`` or ``tests/ui/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.ui_helpers import CHROMIUM, CHROMIUM_ARGS, LABEXTENSION, Received, start_lab


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("HFSECURE_ARTIFACTS") or Path(__file__).parent / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def ui_ready() -> None:
    """Skip (fail under CI) without Debian's chromium or the built labextension."""
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is absent: install Debian's browser with `apt-get install chromium`")
    if not (LABEXTENSION / "package.json").exists():
        _missing(f"the labextension is not built ({LABEXTENSION}): run `pip install -e .` (needs Node)")


@pytest.fixture(scope="module")
def lab(ui_ready, hub_emulator, tmp_path_factory):
    """A JupyterLab with hfsecure's labextension and server extension, logged in as alice (HF_TOKEN)."""
    canary = hub_emulator.token("alice")
    server = start_lab(tmp_path_factory.mktemp("lab"), {"HF_TOKEN": canary})
    server.canary = canary  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def received() -> Received:
    return Received()


@pytest.fixture(scope="module")
def page(lab, received):
    """One JupyterLab page for the module (``window.jupyterapp`` ready), recording what it receives."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            pg = context.new_page()
            received.attach(pg)
            pg.goto(f"{lab.url}/lab?token={lab.token}")
            pg.wait_for_function("window.jupyterapp && window.jupyterapp.started", timeout=120_000)
            pg.evaluate("window.jupyterapp.restored")
            pg.wait_for_selector("#hfsecure-panel", state="attached", timeout=60_000)
            yield pg
        finally:
            browser.close()

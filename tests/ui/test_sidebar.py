"""The Hugging Face panel in a real JupyterLab, in Debian's chromium (one page for the module).

Each test opens its own notebook. The last test checks everything the browser received in the whole
module (websocket frames and HTTP bodies) for the user's own token.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from hfsecure_jupyter.testing import fake_token
from tests.ui.ui_helpers import code_cell, notebook, stream

pytestmark = pytest.mark.slow

#: Fake tokens made at run time, used across the module (the canary test checks the recorder with one).
TOKENS: dict[str, str] = {}

CURRENT = "window.jupyterapp.shell.currentWidget"


def open_notebook(page, lab, name: str, cells: list[dict]) -> None:
    """Write ``name`` on disk, open it in JupyterLab and wait until its kernel answers."""
    (lab.root / name).write_text(json.dumps(notebook(cells)))
    page.evaluate(
        """async (path) => {
            const app = window.jupyterapp;
            const w = await app.commands.execute('docmanager:open', {path});
            await w.context.ready;
            await w.sessionContext.ready;
            app.shell.activateById(w.id);
        }""",
        name,
    )
    page.wait_for_function(f"{CURRENT} && {CURRENT}.context.path === {json.dumps(name)}")
    page.wait_for_function(f"{CURRENT}.sessionContext.session && {CURRENT}.sessionContext.session.kernel")


def show_panel(page) -> None:
    page.evaluate("window.jupyterapp.commands.execute('hfsecure:open-panel')")
    page.wait_for_selector("#hfsecure-panel", state="visible")


def set_source(page, index: int, source: str) -> None:
    page.evaluate("([i, s]) => window.jupyterapp.shell.currentWidget.content.model.cells.get(i)"
                  ".sharedModel.setSource(s)", [index, source])


def findings(page, count: int) -> list[dict]:
    """Wait until the panel lists ``count`` findings and return their text and field."""
    page.wait_for_function(f"document.querySelectorAll('#hfsecure-panel [data-hfs=finding]').length === {count}",
                           timeout=30_000)
    return page.evaluate("""() => Array.from(document.querySelectorAll('#hfsecure-panel [data-hfs=finding]'))
        .map(li => ({text: li.textContent, field: li.dataset.hfsField}))""")


def model_json(page) -> dict:
    return page.evaluate(f"{CURRENT}.context.model.toJSON()")


def test_sidebar_shows_the_emulator_user(page, lab, artifacts):
    show_panel(page)
    user = page.wait_for_selector('#hfsecure-panel [data-hfs="user"]', timeout=60_000)
    assert user.text_content() == "alice"
    state = page.get_attribute("#hfsecure-panel [data-hfs-state]", "data-hfs-state")
    assert state == "ok"
    panel_text = page.text_content("#hfsecure-panel")
    assert "alice-write" in panel_text and "hf_****" in panel_text  # token name, masked token
    assert lab.canary not in panel_text


def test_a_typed_token_shows_before_the_cell_runs(page, lab, artifacts):
    TOKENS["typed"] = tok = fake_token()
    open_notebook(page, lab, "typed.ipynb", [code_cell("")])
    show_panel(page)
    page.wait_for_selector('#hfsecure-panel [data-hfs="no-findings"]')
    set_source(page, 0, f'client = make_client(token="{tok}")\n')
    rows = findings(page, 1)
    assert rows[0]["field"] == "source"
    assert "Cell 1, line 1" in rows[0]["text"] and tok not in rows[0]["text"] and "hf_" in rows[0]["text"]
    # Neither run nor saved: the finding came from the model as typed.
    assert page.evaluate(f"{CURRENT}.content.model.cells.get(0).executionCount") is None
    assert tok not in (lab.root / "typed.ipynb").read_text()
    page.screenshot(path=str(artifacts / "sidebar-light.png"))
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applies after the attribute changes
    page.screenshot(path=str(artifacts / "sidebar-dark.png"))
    page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.wait_for_function("document.body.dataset.jpThemeLight === 'true'", timeout=30_000)


TAB = "document.querySelector('.jp-SideBar.jp-mod-right .lm-TabBar-tab[data-id=\"hfsecure-panel\"]')"


def tab_mark(page) -> dict:
    return page.evaluate(f"(() => {{ const t = {TAB}; return {{cls: t.className, title: t.title}}; }})()")


def test_the_panels_tab_marks_a_token_while_the_panel_is_closed(page, lab, artifacts):
    # With the panel closed, a typed token still shows: a dot on the panel's tab and a tooltip that
    # counts; a misuse warning has its own colour; none of it holds the token.
    tok = fake_token()
    open_notebook(page, lab, "closed.ipynb", [code_cell("")])
    page.evaluate("window.jupyterapp.shell.collapseRight()")
    page.wait_for_selector("#hfsecure-panel", state="hidden")
    assert "hfs-mod-" not in tab_mark(page)["cls"]
    set_source(page, 0, f'api = HfApi(token="{tok}")\n')
    page.wait_for_function(f"{TAB}.classList.contains('hfs-mod-secret')", timeout=30_000)
    mark = tab_mark(page)
    assert mark["title"] == "Hugging Face: 1 token in this notebook" and tok not in str(mark)
    assert not page.is_visible("#hfsecure-panel")
    page.locator(".jp-SideBar.jp-mod-right").screenshot(path=str(artifacts / "tab-marked.png"))
    set_source(page, 0, 'run_job(image="x", command=["a"], env={"HF_TOKEN": os.environ["HF_TOKEN"]})\n')
    page.wait_for_function(f"{TAB}.classList.contains('hfs-mod-warning')", timeout=30_000)
    assert tab_mark(page)["title"] == "Hugging Face: 1 warning in this notebook"
    set_source(page, 0, "x = 1\n")
    page.wait_for_function(f"!{TAB}.className.includes('hfs-mod-')", timeout=30_000)
    assert tab_mark(page)["title"] == "Hugging Face"


def test_a_token_in_a_cell_and_in_an_output_are_two_findings_and_mask_outputs_clears_one(page, lab):
    TOKENS["cell"] = in_cell = fake_token()
    TOKENS["output"] = in_output = fake_token()
    open_notebook(page, lab, "two.ipynb", [
        code_cell(f'key = "{in_cell}"', cid="a"),
        code_cell("print(secret)", [stream(f"the token is {in_output}\n")], cid="b"),
    ])
    show_panel(page)
    rows = findings(page, 2)
    assert sorted(r["field"] for r in rows) == ["outputs", "source"]
    assert not any(in_cell in r["text"] or in_output in r["text"] for r in rows)
    page.click('#hfsecure-panel [data-hfs="mask"]')
    rows = findings(page, 1)
    assert rows[0]["field"] == "source"
    outputs = model_json(page)["cells"][1]["outputs"]
    text = "".join(outputs[0]["text"]) if isinstance(outputs[0]["text"], list) else outputs[0]["text"]
    assert in_output not in text and text.startswith("the token is ")  # the rest of the output is kept


def test_clicking_a_finding_jumps_to_its_cell_and_line(page, lab):
    tok = fake_token()
    open_notebook(page, lab, "jump.ipynb", [
        code_cell("a = 1", cid="a"), code_cell("b = 2", cid="b"),
        code_cell(f"x = 1\ny = '{tok}'\n", cid="c"),
    ])
    show_panel(page)
    page.evaluate(f"{CURRENT}.content.activeCellIndex = 0")
    rows = findings(page, 1)
    assert "Cell 3, line 2" in rows[0]["text"]
    page.click("#hfsecure-panel [data-hfs=finding] .hfs-finding-main")
    page.wait_for_function(f"{CURRENT}.content.activeCellIndex === 2")
    cursor = page.evaluate(f"{CURRENT}.content.activeCell.editor.getCursorPosition()")
    assert cursor["line"] == 1


def test_replace_leaves_code_that_reads_the_token(page, lab):
    tok = fake_token()
    open_notebook(page, lab, "fix.ipynb", [code_cell(f'from huggingface_hub import HfApi\napi = HfApi(token="{tok}")\n')])
    show_panel(page)
    findings(page, 1)
    page.click('#hfsecure-panel [data-hfs="fix"]')
    page.wait_for_selector('#hfsecure-panel [data-hfs="no-findings"]', timeout=30_000)
    source = page.evaluate(f"{CURRENT}.content.model.cells.get(0).sharedModel.getSource()")
    assert tok not in source
    assert 'os.environ["HF_TOKEN"]' in source or "get_token()" in source
    assert "from huggingface_hub import HfApi\napi = HfApi(token=" in source  # the rest of the cell is kept
    compile(source, "cell", "exec")  # still Python


def _without(value, tok: str, mask: str):
    """``value`` (a notebook JSON) with ``tok`` replaced by ``mask`` in every string."""
    return json.loads(json.dumps(value).replace(tok, mask))


def test_saving_and_a_checkpoint_leave_no_token_on_disk_and_every_other_byte(page, lab, artifacts):
    tok = fake_token()
    open_notebook(page, lab, "save.ipynb", [
        code_cell("import os\nx = 1  # é, unicode kept\n", cid="a"),
        code_cell("", cid="b"),
    ])
    set_source(page, 1, f'login(token="{tok}")\nprint("done")\n')
    sent_bodies: list = []

    def keep(route):
        if route.request.method == "PUT":
            sent_bodies.append(route.request.post_data)
        route.continue_()

    page.route("**/api/contents/save.ipynb*", keep)
    try:
        page.evaluate(f"{CURRENT}.context.save()")
    finally:
        page.unroute("**/api/contents/save.ipynb*", keep)
    assert len(sent_bodies) == 1 and sent_bodies[0]
    sent = json.loads(sent_bodies[0])["content"]  # exactly what the browser sent
    assert tok in json.dumps(sent)
    on_disk = (lab.root / "save.ipynb").read_text(encoding="utf-8")
    assert tok not in on_disk
    saved_source = "".join(json.loads(on_disk)["cells"][1]["source"])
    prefix, suffix = 'login(token="', '")\nprint("done")\n'
    assert saved_source.startswith(prefix) and saved_source.endswith(suffix)
    mask = saved_source[len(prefix):-len(suffix)]
    assert "*" in mask and tok not in mask
    # Every other byte: what the browser sent, with the token replaced by the mask, written as Jupyter writes.
    expected = nbformat.writes(nbformat.from_dict(_without(sent, tok, mask)), version=nbformat.NO_CONVERT)
    assert on_disk.rstrip("\n") == expected.rstrip("\n")
    # The user is told, naming the cell.
    toast = page.wait_for_selector(".Toastify__toast:has-text('before writing it to disk')", timeout=30_000)
    assert "cell(s) 2" in toast.text_content() and tok not in toast.text_content()
    page.screenshot(path=str(artifacts / "save-notification.png"))
    # A checkpoint goes through the same path.
    page.evaluate(f"{CURRENT}.context.createCheckpoint()")
    checkpoints = list((lab.root / ".ipynb_checkpoints").glob("save-checkpoint.ipynb"))
    assert checkpoints and all(tok not in p.read_text(encoding="utf-8") for p in checkpoints)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:dismiss-all-notifications')"
                  ".catch(() => undefined)")


def test_the_guard_button_loads_the_guard_and_outputs_are_masked(page, lab, artifacts):
    open_notebook(page, lab, "guard.ipynb", [code_cell("import os\nprint('token:', os.environ['HF_TOKEN'])\n")])
    show_panel(page)
    page.wait_for_selector('#hfsecure-panel [data-hfs-guard="off"]', timeout=60_000)
    page.click('#hfsecure-panel [data-hfs="enable-guard"]')
    page.wait_for_selector('#hfsecure-panel [data-hfs-guard="on"]', timeout=60_000)
    # The probe and the load ran silently: no execution count, no output in the notebook.
    assert page.evaluate(f"{CURRENT}.content.model.cells.get(0).executionCount") is None
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
    page.wait_for_function(f"{CURRENT}.content.model.cells.get(0).outputs.length > 0", timeout=60_000)
    page.wait_for_function(f"JSON.stringify({CURRENT}.content.model.cells.get(0).outputs.toJSON()).includes('token:')",
                           timeout=30_000)
    text = json.dumps(page.evaluate(f"{CURRENT}.content.model.cells.get(0).outputs.toJSON()"))
    assert lab.canary not in text and "hf_" in text
    page.screenshot(path=str(artifacts / "guard-on.png"))


def test_commands_are_in_the_palette(page):
    ids = ["hfsecure:open-panel", "hfsecure:scan-now", "hfsecure:mask-outputs", "hfsecure:enable-guard"]
    labels = page.evaluate("(ids) => ids.map(id => window.jupyterapp.commands.hasCommand(id) ? "
                           "window.jupyterapp.commands.label(id) : null)", ids)
    assert all(label and label.startswith("Hugging Face:") for label in labels), labels
    page.keyboard.press("Control+Shift+C")  # the command palette
    page.fill(".lm-CommandPalette-input", "Hugging Face")
    items = page.locator(".lm-CommandPalette-item").all_text_contents()
    page.keyboard.press("Escape")
    assert sum("Hugging Face:" in i for i in items) == len(ids), items


def test_nothing_the_browser_received_holds_the_users_token(page, lab, received):
    canary = lab.canary.encode()
    assert received.frames, "no websocket frame recorded"
    assert not [f for f in received.frames if canary in f]
    bodies, unread = received.bodies()
    assert any("/hfsecure/status" in url for url, _ in bodies)
    assert not [url for url, body in bodies if canary in body]
    # The recorder sees what it should: the notebook opened with a token in a cell came back in a body.
    assert "cell" in TOKENS and any(TOKENS["cell"].encode() in body for _, body in bodies)
    # Only bodiless answers may escape the check (204s, redirects): every JSON answer was read.
    assert not [u for m, u, status in unread if status == 200 and ("/hfsecure/" in u or "/api/contents" in u)]

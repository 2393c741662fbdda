"""The 20 cases every detector here must get right (shared/SCANNING.md), one test per row.

Tokens are built at run time; "Flag" means an unsuppressed secret finding, "Allow" means none.
"""

from __future__ import annotations

import base64
import json

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.testing import fake_token


@pytest.fixture(params=[False, True], ids=["letters", "digits"])
def T(request) -> str:
    return fake_token(digits=request.param)


def secrets(findings):
    return [f for f in findings if f.is_secret and not f.suppressed]


def notebook(cells, metadata=None) -> bytes:
    return json.dumps({"cells": cells, "metadata": metadata or {}, "nbformat": 4, "nbformat_minor": 5},
                      indent=1).encode()


def code_cell(source, outputs=()):
    return {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": source, "outputs": list(outputs)}


def test_row01_login_call(T):
    [f] = secrets(detect.scan_cell(f'login(token="{T}")'))
    assert (f.rule, f.line, f.column, f.preview) == ("hf-user-token", 1, 14, "hf_****" + T[-4:])


def test_row02_raw_ipynb_line(T):
    line = '"hf_token = \\"' + T + '\\"\\n",'
    [f] = secrets(detect.scan_text(line))
    assert f.column == line.index("hf_", 2) + 1
    # and the same line inside a real notebook file, found in the cell's source
    nb = notebook([code_cell([f'hf_token = "{T}"\n', "print(1)\n"])])
    [g] = detect.scan_notebook(nb).secrets
    assert (g.location, g.line, g.column) == ("cells[0].source", 1, 13)


def test_row03_token_with_digits():
    T = fake_token(digits=True)
    while not any(c.isdigit() for c in T[3:]):
        T = fake_token(digits=True)
    assert [f.rule for f in secrets(detect.scan_cell(f"x = '{T}'"))] == ["hf-user-token"]


def test_row04_git_clone_url(T):
    [f] = secrets(detect.scan_cell(f"!git clone https://u:{T}@huggingface.co/spaces/u/x"))
    assert f.column == len("!git clone https://u:") + 1


def test_row05_prose(T):
    [f] = secrets(detect.scan_cell(f"your token ({T}) was saved", cell_type="markdown"))
    assert f.column == 13


def test_row06_constant_concatenation(T):
    src = f'tok = "{T[:12]}" + "{T[12:]}"'
    [f] = secrets(detect.scan_cell(src))
    assert f.encoding == "concatenation" and f.line == 1
    redacted = detect.apply_edits(src, f.edits)
    assert T[:12] not in redacted and T[12:] not in redacted and "hf_****" in redacted


def test_row07_implicit_join_across_lines(T):
    src = f'tok = (\n    "{T[:15]}"\n    "{T[15:]}"\n)'
    [f] = secrets(detect.scan_cell(src))
    assert (f.line, f.encoding) == (2, "concatenation")


def test_row08_base64(T):
    enc = base64.b64encode(T.encode()).decode()
    [f] = secrets(detect.scan_cell(f'base64.b64decode("{enc}")'))
    assert f.encoding == "base64" and f.preview.endswith(T[-4:])


def test_row09_percent_encoded(T):
    [f] = secrets(detect.scan_text(f"https://example.com/?token=hf%5F{T[3:]}"))
    assert f.encoding == "percent-encoded" and f.preview == "hf_****" + T[-4:]


def test_row10_reversed_literal_printed_is_redacted(T):
    # The static scan may miss a reversed literal; what it prints must be masked.
    printed = T[::-1][::-1] + "\n"
    redactor = detect.StreamRedactor(detect.Redactor())
    out = redactor.feed(printed) + redactor.flush()
    assert T not in out and "hf_****" + T[-4:] in out


def test_row11_printed_in_two_pieces(T):
    stream = detect.StreamRedactor(detect.Redactor())
    out = stream.feed(T[:20]) + stream.feed(T[20:] + "\n") + stream.flush()
    assert T not in out and out == "hf_****" + T[-4:] + "\n"


def test_row12_traceback_with_ansi(T):
    tb = ["\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
          "\x1b[0;31mHTTPError\x1b[0m: headers={'authorization': 'Bearer \x1b[1;32m" + T + "\x1b[0m'}"]
    nb = notebook([code_cell("raise", [{"output_type": "error", "ename": "HTTPError",
                                        "evalue": "401", "traceback": tb}])])
    [f] = detect.scan_notebook(nb).secrets
    assert f.location == "cells[0].outputs[0].traceback[1]"


def test_row13_saved_password_widget_state(T):
    state = {"application/vnd.jupyter.widget-state+json": {"state": {"abc123": {
        "model_name": "PasswordModel", "model_module": "@jupyter-widgets/controls",
        "state": {"value": T, "description": "Token:"}}}, "version_major": 2, "version_minor": 0}}
    nb = notebook([code_cell("w")], metadata={"widgets": state})
    [f] = detect.scan_notebook(nb).secrets
    assert f.location.startswith("metadata.widgets.") and f.location.endswith(".state.value")


def test_row14_zero_width_between_every_character(T):
    hidden = "\u200b".join(T)
    [f] = secrets(detect.scan_cell(f"x = '{hidden}'"))
    assert f.encoding == "zero-width"
    assert detect.redact(f"x = '{hidden}'") == "x = 'hf_****" + T[-4:] + "'"


def test_row15_legacy_org_token():
    org = fake_token("hf-org")
    [f] = secrets(detect.scan_cell(f'os.environ["X"] = "{org}"'))
    assert f.rule == "hf-org-token" and f.preview == "api_org_****" + org[-4:]


@pytest.mark.parametrize("src", ['"$HF_TOKEN"', '"${HF_TOKEN}"', "{{ secrets.HF_TOKEN }}"])
def test_row16_placeholders(src):
    assert detect.scan_cell(f"x = {src}" if src[0] == '"' else src, cell_type="markdown") == []
    assert detect.scan_text(src) == []


@pytest.mark.parametrize("fill", ["hf_" + "x" * 34, "hf_" + "X" * 34, "hf_xxxxx", "hf_...", "hf_abc123..."])
def test_row17_fills(fill):
    assert secrets(detect.scan_cell(f'token = "{fill}"')) == []


def test_row18_sequential_fill():
    fill = "hf_" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGH"
    assert secrets(detect.scan_cell(f'login(token="{fill}")')) == []


@pytest.mark.parametrize("src", ["model = hf_" + "AutoModelForSequenceClassification" + ".from_pretrained(x)",
                                 "out = self._call_hf_processor" + "_with_extra_arguments_and_more_words()"])
def test_row19_identifiers(src):
    assert detect.scan_cell(src) == []
    assert detect.scan_text(src) == []


@pytest.mark.parametrize("src", ['tok = os.environ["HF_TOKEN"]', 'tok = userdata.get("HF_TOKEN")',
                                 "tok = get_token()"])
def test_row20_references_not_values(src):
    assert secrets(detect.scan_cell(src)) == []


def test_rows_with_fills_would_be_flagged_if_random(T):
    """Guard against a validator that allows everything: the same places with a real token flag."""
    for src in (f'token = "{T}"', f"x = {T}"):
        assert len(secrets(detect.scan_cell(src))) == 1

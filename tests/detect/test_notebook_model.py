"""detect.redact_notebook_model: masks a parsed notebook in place, every other value untouched."""

from __future__ import annotations

import base64
import copy
import json

from hfsecure_jupyter import detect


def _nb(tok):
    return {"cells": [
        {"cell_type": "code", "id": "a", "metadata": {"tags": ["keep"]}, "execution_count": 1,
         "source": ["a = 1\n", f"t = ('{tok[:9]}'\n", f"     '{tok[9:]}')\n", "b = 2"],
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["x\n", f"{tok}\n"]},
                     {"output_type": "display_data", "metadata": {},
                      "data": {"text/html": f"<i>{tok}</i>", "image/png": base64.b64encode(b"\x89PNG" * 50).decode()}}]},
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "clean",
         "attachments": {"k.txt": {"text/plain": base64.b64encode(f"key={tok}".encode()).decode()}}}],
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {"w": {"state": {
            "value": tok}}}}}, "kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


def test_masks_every_field_and_keeps_the_rest(tok):
    nb = _nb(tok)
    before = copy.deepcopy(nb)
    out, found = detect.redact_notebook_model(nb)
    assert out is nb and tok not in json.dumps(nb) and tok[9:] not in json.dumps(nb)
    assert sorted({f.location for f in found}) == sorted({
        "cells[0].source", "cells[0].outputs[0].text", "cells[0].outputs[1].data.text/html",
        "cells[1].attachments.k.txt.text/plain",
        "metadata.widgets.application/vnd.jupyter.widget-state+json.state.w.state.value"})
    src = nb["cells"][0]["source"]
    assert len(src) == 4 and src[0] == "a = 1\n" and src[3] == "b = 2"  # line boundaries kept
    assert nb["cells"][0]["outputs"][0]["text"][0] == "x\n"
    assert nb["cells"][0]["outputs"][1]["data"]["image/png"] == before["cells"][0]["outputs"][1]["data"]["image/png"]
    assert nb["cells"][0]["metadata"] == before["cells"][0]["metadata"]
    assert nb["metadata"]["kernelspec"] == before["metadata"]["kernelspec"]
    assert nb["cells"][1]["source"] == "clean"


def test_a_clean_notebook_is_unchanged(tok):
    nb = _nb("not a secret")
    before = copy.deepcopy(nb)
    assert detect.redact_notebook_model(nb) == (before, [])


def test_image_payloads_are_read_unless_skipped(tok):
    payload = base64.b64encode(b"\x89PNG\r\n" + f" {tok} ".encode() + b"\x00" * 30).decode()
    nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": [
        {"output_type": "display_data", "metadata": {}, "data": {"image/png": payload}}]}], "metadata": {}}
    _, found = detect.redact_notebook_model(copy.deepcopy(nb))
    assert [f.location for f in found] == ["cells[0].outputs[0].data.image/png"]
    kept, found = detect.redact_notebook_model(copy.deepcopy(nb), skip_images=True)
    assert found == [] and kept == nb

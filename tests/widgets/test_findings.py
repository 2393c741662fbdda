"""Findings: a scan as a table, through a recording comm, with a canary in the scanned notebook."""

from __future__ import annotations

import json

from hfsecure_jupyter import detect
from hfsecure_jupyter.widgets.findings import Findings


def _notebook(tmp_path, tok):
    nb = {"cells": [{"cell_type": "code", "source": ["print(1)\n"], "metadata": {}, "outputs": [],
                     "execution_count": None},
                    {"cell_type": "code", "source": [f"login(token='{tok}')\n"], "metadata": {}, "outputs": [],
                     "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "leaky.ipynb"
    p.write_text(json.dumps(nb))
    return p


def test_a_notebook_scan_shows_where_what_masked_and_the_fix(wire, tmp_path, tok):
    path = _notebook(tmp_path, tok)
    f = Findings.scan(str(path))
    assert len(f.records) == 1
    rec = f.records[0]
    assert rec["location"] == "cells[1].source" and rec["preview"] in f.table.value
    assert "cells[1].source" in f.table.value and rec["fix"] and rec["fix"][:20] in f.table.value.replace("&#x27;", "'")
    assert "1 finding in 1 file" in f.text() and "fix:" in f.text()
    assert f._repr_mimebundle_()["text/plain"] == f.text()
    wire.assert_clean(tok)


def test_a_clean_folder_says_so(wire, tmp_path):
    (tmp_path / "a.py").write_text("print(1)\n")
    f = Findings.scan(str(tmp_path))
    assert f.records == [] and "0 findings in 1 file" in f.table.value


def test_rows_are_capped_with_a_count_of_the_rest(wire, make_token):
    text = "\n".join(f"t{i} = '{make_token()}'" for i in range(30))
    rep = detect.ScanReport(path="many.py", findings=detect.scan_text(text))
    f = Findings([rep], max_rows=10)
    assert f.table.value.count("<tr style") == 10 and "and 20 more" in f.table.value
    assert len(f.text().splitlines()) > 30  # the text form lists them all
    wire.assert_clean(*[line.split("'")[1] for line in text.splitlines()])

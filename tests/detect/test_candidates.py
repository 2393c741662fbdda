"""Where a parsed notebook may hold a secret: the file scan reads only those cells (and all code, for
misuse), and finds what reading every field finds."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter.detect import candidates, notebook
from hfsecure_jupyter.testing import fake_token

_TEXTS = st.sampled_from(["x = 1", "print(os.environ)", "run_job(env={'HF_TOKEN': get_token()})", "hi", "",
                          "hf_hub_download('a', 'b')", "%68f_", "aGZf", "api_key: 'x'"]) | st.builds(
    lambda seed, head: head + fake_token(seed=seed), st.integers(0, 30), st.sampled_from(["", "t = '", "Bearer "]))


def _notebook(cells: list[tuple[str, str, str]], meta: str) -> bytes:
    return json.dumps({"cells": [{"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": src, **(
        {"execution_count": 1, "outputs": [{"output_type": "stream", "name": "stdout", "text": out}]}
        if kind == "code" else {})} for i, (kind, src, out) in enumerate(cells)],
        "metadata": {"widgets": {"state": {"m1": {"value": meta}, "m2": {"value": "1/10"}}}},
        "nbformat": 4, "nbformat_minor": 5}).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["code", "markdown", "raw"]), _TEXTS, _TEXTS), min_size=1, max_size=8),
       _TEXTS)
def test_reading_the_candidate_cells_finds_what_reading_every_field_finds(cells, meta):
    data = _notebook(cells, meta)
    found = [f.to_dict() for f in notebook.scan_notebook(data).findings]
    saved = notebook.candidate_cells
    notebook.candidate_cells = lambda nb: (frozenset(range(len(nb["cells"]))), True)  # (every field)
    try:
        every = [f.to_dict() for f in notebook.scan_notebook(data).findings]
    finally:
        notebook.candidate_cells = saved
    assert found == every


def test_a_token_in_one_cell_does_not_walk_the_widget_state(monkeypatch):
    # A leaked notebook with 2 MB of widget state: 0.81 s a scan, field by field; now the flagged cell,
    # the code cells (misuse) and the language metadata.
    seen = []
    walk = notebook.iter_fields
    monkeypatch.setattr(notebook, "iter_fields", lambda nb: (seen.append(f.location) or f for f in walk(nb)))
    tok = fake_token(seed=9)
    cells = [("code", f"x{i} = {i}", "ok") for i in range(20)]
    cells[7] = ("code", f"login(token='{tok}')", "ok")
    found = notebook.scan_notebook(_notebook(cells, "progress")).findings
    assert [(f.rule, f.location) for f in found] == [("hf-user-token", "cells[7].source")]
    assert seen and not [loc for loc in seen if loc.startswith("metadata.widgets") or ".outputs" in loc
                         and not loc.startswith("cells[7]")]


def test_candidate_view_keeps_every_cell_at_its_index():
    nb = {"cells": [{"cell_type": "markdown", "source": "a"}, {"cell_type": "code", "source": "b", "outputs": [1]},
                    {"cell_type": "raw", "source": "c"}], "metadata": {"language_info": {"name": "python"}, "w": 1}}
    view = candidates.candidate_view(nb, (frozenset({2}), False))
    assert view == {"cells": [{}, {"cell_type": "code", "source": "b"}, {"cell_type": "raw", "source": "c"}],
                    "metadata": {"language_info": {"name": "python"}}}
    assert candidates.candidate_view(nb, (frozenset(), True)) is nb

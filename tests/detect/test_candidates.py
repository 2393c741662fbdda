"""Where a parsed notebook may hold a secret: reading only those cells (and all code, for misuse), as the
server's scan does, finds what reading every field finds."""

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
    nb = json.loads(_notebook(cells, meta))
    where = candidates.candidate_cells(nb)
    view = candidates.code_view(nb) if where is None else candidates.candidate_view(nb, where)
    assert [f.to_dict() for f in notebook.scan_notebook(view).findings] == [
        f.to_dict() for f in notebook.scan_notebook(nb).findings]


def test_a_token_in_one_cell_leaves_the_widget_state_out_of_the_view():
    tok = fake_token(seed=9)
    cells = [("code", f"x{i} = {i}", "ok") for i in range(20)]
    cells[7] = ("code", f"login(token='{tok}')", "ok")
    nb = json.loads(_notebook(cells, "progress"))
    where = candidates.candidate_cells(nb)
    assert where == (frozenset({7}), False)
    view = candidates.candidate_view(nb, where)
    assert "widgets" not in view["metadata"] and view["cells"][7] is nb["cells"][7]
    assert [(f.rule, f.location) for f in notebook.scan_notebook(view).findings] == [("hf-user-token", "cells[7].source")]


def test_candidate_view_keeps_every_cell_at_its_index():
    nb = {"cells": [{"cell_type": "markdown", "source": "a"}, {"cell_type": "code", "source": "b", "outputs": [1]},
                    {"cell_type": "raw", "source": "c"}], "metadata": {"language_info": {"name": "python"}, "w": 1}}
    view = candidates.candidate_view(nb, (frozenset({2}), False))
    assert view == {"cells": [{}, {"cell_type": "code", "source": "b"}, {"cell_type": "raw", "source": "c"}],
                    "metadata": {"language_info": {"name": "python"}}}
    assert candidates.candidate_view(nb, (frozenset(), True)) is nb

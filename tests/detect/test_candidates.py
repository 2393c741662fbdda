"""Where a parsed notebook may hold a secret (what the save hook reads): every cell that holds a finding is
flagged, and a flagged cell is read by few checks."""

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
def test_every_cell_holding_a_secret_is_flagged(cells, meta):
    nb = json.loads(_notebook(cells, meta))
    where = candidates.candidate_cells(nb)
    found = [f for f in notebook.scan_notebook(nb, misuse=False).findings if f.is_secret]
    if not found:
        return
    assert where is not None
    flagged, rest = where
    for f in found:
        if f.location.startswith("cells["):
            assert int(f.location[6:f.location.index("]")]) in flagged, f.location
        else:
            assert rest, f.location


def test_a_flagged_cell_is_not_read_again_at_every_level(monkeypatch):
    # Bisection read a flagged cell once per level (and once more alone): a cell dense in keywords costs
    # ~0.5 s a read. A half whose other half was clean is taken as flagged without a read of its own.
    tok = fake_token(seed=9)
    cells = [("code", f"x{i} = {i}", "ok") for i in range(16)]
    cells[15] = ("code", f"login(token='{tok}')", "ok")
    nb = json.loads(_notebook(cells, "progress"))
    reads = []
    real = candidates.raw_candidates
    monkeypatch.setattr(candidates, "raw_candidates", lambda data: reads.append(tok.encode() in data) or real(data))
    assert candidates.candidate_cells(nb) == (frozenset({15}), False)
    assert sum(reads) <= 2, reads  # (the whole notebook, and no more; bisection read it 6 times)

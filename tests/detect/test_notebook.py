"""Notebooks: every field type, locations, malformed files, and byte-preserving redaction."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import detect
from hfsecure_jupyter.testing import fake_token


def nb_bytes(cells, metadata=None, indent=1) -> bytes:
    nb = {"cells": cells, "metadata": metadata or {"kernelspec": {"language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(nb, indent=indent, sort_keys=True, ensure_ascii=False) + "\n").encode()


def code(source, outputs=(), **extra):
    cell = {"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {}, "outputs": list(outputs),
            "source": source}
    cell.update(extra)
    return cell


def locations(data):
    return [(f.location, f.line, f.column) for f in detect.scan_notebook(data).secrets]


def test_every_output_type_and_mimetype(tok):
    outs = [
        {"output_type": "stream", "name": "stdout", "text": ["loading\n", f"token={tok}\n"]},
        {"output_type": "execute_result", "execution_count": 1, "metadata": {},
         "data": {"text/plain": [f"'{tok}'"], "text/html": [f"<b>{tok}</b>"]}},
        {"output_type": "display_data", "metadata": {}, "data": {"application/json": {"headers": {"auth": tok}}}},
        {"output_type": "error", "ename": "ValueError", "evalue": f"bad token {tok}", "traceback": ["a", f"b {tok}"]},
    ]
    assert locations(nb_bytes([code("x", outs)])) == [
        ("cells[0].outputs[0].text", 2, 7),
        ("cells[0].outputs[1].data.text/html", 1, 4),  # the file's key order (sorted, as nbformat writes)
        ("cells[0].outputs[1].data.text/plain", 1, 2),
        ("cells[0].outputs[2].data.application/json.headers.auth", 1, 1),
        ("cells[0].outputs[3].evalue", 1, 11),
        ("cells[0].outputs[3].traceback[1]", 1, 3),
    ]


def test_markdown_raw_attachments_and_metadata(tok):
    att = {"note.txt": {"text/plain": base64.b64encode(f"token {tok}".encode()).decode()}}
    cells = [
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# Setup\n", f"Paste {tok} here"],
         "attachments": att},
        {"cell_type": "raw", "id": "r", "metadata": {"tags": [tok]}, "source": "raw"},
    ]
    assert locations(nb_bytes(cells, metadata={"secret": {"x": tok}})) == [
        ("cells[0].attachments.note.txt.text/plain", 1, 9),  # base64: the 4-character group holding it
        ("cells[0].source", 2, 7),
        ("cells[1].metadata.tags[0]", 1, 1),
        ("metadata.secret.x", 1, 1),
    ]


def test_code_cell_gets_python_awareness(tok):
    data = nb_bytes([code([f'a = "{tok[:9]}"\n', 'b = a + "x"\n', f'c = ("{tok[:9]}"\n', f' "{tok[9:]}")'])])
    [f] = detect.scan_notebook(data).secrets
    assert (f.location, f.line, f.encoding) == ("cells[0].source", 3, "concatenation")


def test_non_python_kernel_code_is_scanned_as_text(tok):
    data = nb_bytes([code(f'Sys.setenv(HF_TOKEN = "{tok}")')],
                    metadata={"kernelspec": {"language": "R", "name": "ir"}})
    assert locations(data) == [("cells[0].source", 1, 24)]


def test_misuse_in_notebook_cells(tok):
    data = nb_bytes([code("!hf auth token"), code("print('ok')")])
    report = detect.scan_notebook(data)
    assert [(f.rule, f.location) for f in report.warnings] == [("token-printed-by-cli", "cells[0].source")]
    assert report.secrets == []


def test_clean_notebook_with_images_is_not_parsed(monkeypatch):
    png = base64.b64encode(bytes(range(256)) * 400).decode()
    data = nb_bytes([code("from huggingface_hub import hf_hub_download\nplot()",
                          [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png}}])])
    calls = []
    monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append(1))
    assert detect.scan_notebook(data).findings == [] and calls == []


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_notebook_is_scanned_as_text(tok, cut):
    data = nb_bytes([code("print(1)"), code(f'login("{tok}")')])
    start = data.index(tok.encode())
    truncated = data[: max(int(len(data) * cut), start + len(tok) + 2)]
    report = detect.scan_notebook(truncated)
    assert report.kind == "notebook-as-text" and "not valid JSON" in report.notes[0]
    assert len(report.secrets) == 1 and report.secrets[0].location == ""


def test_not_a_notebook_json(tok):
    report = detect.scan_notebook(json.dumps([{"k": tok}]).encode())
    assert "not a notebook" in report.notes[0] and len(report.secrets) == 1


def test_redact_notebook_changes_only_the_secret_bytes(tok, make_token):
    other = make_token("openai")
    cells = [code([f'login("{tok}")\n', "print(1)\n"],
                  [{"output_type": "stream", "name": "stdout", "text": [f"key {other}\n"]}]),
             {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "déjà vu — ünïcode"}]
    data = nb_bytes(cells)
    new, report = detect.redact_notebook(data)
    assert len(report.secrets) == 2
    assert tok.encode() not in new and other.encode() not in new
    expected = data.replace(tok.encode(), ("hf_****" + tok[-4:]).encode()).replace(
        other.encode(), ("sk-****" + other[-4:]).encode())
    assert new == expected
    json.loads(new)


def test_redact_notebook_folds_concatenation(tok):
    data = nb_bytes([code(f'tok = "{tok[:10]}" + "{tok[10:]}"')])
    new, _ = detect.redact_notebook(data)
    assert tok[:10].encode() not in new and tok[10:].encode() not in new
    src = json.loads(new)["cells"][0]["source"]
    assert src == f'tok = "hf_****{tok[-4:]}" + ""'
    assert detect.scan_notebook(new).secrets == []


def test_redact_notebook_clean_is_identity():
    data = nb_bytes([code("x = 1")])
    assert detect.redact_notebook(data)[0] is data


def test_redact_file_keeps_mode_and_other_bytes(tmp_path, tok):
    p = tmp_path / "train.py"
    p.write_text(f"# setup\nTOKEN = '{tok}'\r\nprint('done')\n", newline="")
    p.chmod(0o640)
    detect.redact_file(p)
    assert p.read_bytes() == f"# setup\nTOKEN = 'hf_****{tok[-4:]}'\r\nprint('done')\n".encode()
    assert (p.stat().st_mode & 0o777) == 0o640


# Issue 8 item 7: parts of a notebook that were never scanned.
def _odd_places(t: str) -> dict[str, tuple[dict, str]]:
    cell = {"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {}, "outputs": [], "source": "x = 1"}
    meta = {"kernelspec": {"language": "python", "name": "python3"}}

    def nb(cells, metadata=meta, **top):
        return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5, **top}

    out = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "x", t: "y"}}
    return {
        "metadata-key": (nb([cell], {**meta, "widgets": {t: {"state": {}}}}), "metadata.widgets.hf_****{l}#key"),
        "cell-metadata-key": (nb([{**cell, "metadata": {t: True}}]), "cells[0].metadata.hf_****{l}#key"),
        "output-data-key": (nb([{**cell, "outputs": [out]}]), "cells[0].outputs[0].data.hf_****{l}#key"),
        "cell-key": (nb([{**cell, t: 1}]), "cells[0].hf_****{l}#key"),
        "top-level-key": (nb([cell], **{t: {}}), "hf_****{l}#key"),
        "cell-id": (nb([{**cell, "id": t}]), "cells[0].id"),
        "cell-type-value": (nb([{**cell, "cell_type": t}]), "cells[0].cell_type"),
        "cells-a-dict": (nb({"first": {"source": t}}), "cells.first.source"),
        "cells-a-string": (nb(t), "cells"),
    }


ODD = list(_odd_places("hf_" + "A" * 34))


@pytest.mark.parametrize("name", ODD)
def test_every_part_of_a_notebook_is_scanned_and_redacted(tok, name):
    doc, where = _odd_places(tok)[name]
    data = json.dumps(doc, indent=1).encode()
    report = detect.scan_notebook(data)
    assert [f.location for f in report.secrets] == [where.format(l=tok[-4:])]
    assert all(tok not in f.location and tok not in repr(f) for f in report.findings)
    out, _ = detect.redact_notebook(data)
    assert tok.encode() not in out
    redone = json.loads(out)  # still JSON, nothing else lost
    assert json.dumps(redone).count(detect.mask_secret(tok)) == 1
    assert len(json.dumps(redone)) == len(json.dumps(doc)) - len(tok) + len(detect.mask_secret(tok))


def test_a_key_holding_a_secret_keeps_its_value_and_place(tok):
    doc = {"cells": [], "metadata": {"a": 1, tok: {"inner": [1, 2]}, "z": 3}, "nbformat": 4, "nbformat_minor": 5}
    out, _ = detect.redact_notebook(json.dumps(doc).encode())
    assert list(json.loads(out)["metadata"].items()) == [("a", 1), (detect.mask_secret(tok), {"inner": [1, 2]}),
                                                         ("z", 3)]


_SAFE = st.text(alphabet="abcdefghij_-/ .", max_size=6)
_TREE = st.recursive(st.none() | st.integers() | _SAFE,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_SAFE, inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TREE, st.data())
def test_a_token_anywhere_in_a_notebook_is_found_and_redacted(tree, data):
    tok = fake_token(seed=5)
    doc = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "", "x": tree}], "metadata": {}}
    # walk down to a random container and put the token there, as a key or as a value
    node = doc["cells"][0]
    while True:
        children = [v for v in (node.values() if isinstance(node, dict) else node) if isinstance(v, (dict, list))]
        if not children or data.draw(st.booleans()):
            break
        node = data.draw(st.sampled_from(children))
    if isinstance(node, dict):
        if data.draw(st.booleans()):
            node[tok] = data.draw(_TREE)
        else:
            node[data.draw(_SAFE) + "!"] = tok
    else:
        node.insert(data.draw(st.integers(0, len(node))), tok)
    raw = json.dumps(doc).encode()
    report = detect.scan_notebook(raw)
    assert len(report.secrets) == 1 and all(tok not in f.location for f in report.findings)
    out, _ = detect.redact_notebook(raw)
    assert tok.encode() not in out and json.loads(out) is not None


@pytest.mark.parametrize("shape", ["list", "string", "bom", "surrogate"])
def test_redact_notebook_odd_but_valid_json(tok, shape):
    # Each raised before: a top level that is not an object, a UTF-8 BOM, an encoded lone surrogate.
    data = {
        "list": json.dumps([{"note": tok}, 3]).encode(),
        "string": json.dumps(tok).encode(),
        "bom": b"\xef\xbb\xbf" + nb_bytes([{"cell_type": "markdown", "metadata": {}, "source": [tok]}]),
        # an escaped lone surrogate and a raw "é" in one string: no written form of it is found, so
        # the notebook is re-serialised, and the surrogate must stay an escape
        "surrogate": ('{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["\\ud800 \u00e9 '
                      + tok + '"]}]}').encode(),
    }[shape]
    out, report = detect.redact_notebook(data)
    assert tok.encode() not in out and report.secrets
    text = out.decode("utf-8-sig")
    json.loads(text)
    assert out.startswith(b"\xef\xbb\xbf") == (shape == "bom")


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                       ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_redact_file_wide_notebook_folds_concatenation(tmp_path, tok, codec, bom):
    # UTF-16/32 notebooks were redacted as plain text: a token split over two literals stayed.
    nb = {"cells": [code([f'x = "{tok[:10]}" + "{tok[10:]}"\n', "y = '\u00e9'"])], "metadata": {}}
    path = tmp_path / "n.ipynb"
    path.write_bytes(bom + json.dumps(nb, indent=1, ensure_ascii=False).encode(codec))
    report = detect.redact_file(path)
    raw = path.read_bytes()
    assert report.secrets and raw.startswith(bom)
    text = raw[len(bom):].decode(codec)
    assert tok[10:] not in text and "\u00e9" in text
    assert json.loads(text)["cells"][0]["source"][1] == "y = '\u00e9'"


def _layout(nb, indent, sort_keys, ensure_ascii) -> bytes:
    # Not nbformat's own layout (which a re-serialisation would reproduce): keys in the order given,
    # a chosen indent, escapes or not.
    return (json.dumps(nb, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii) + "\n").encode()


def test_redact_notebook_same_secret_string_twice_keeps_the_layout(tok):
    # Two markdown cells whose source is just the token: one JSON string, twice in the file.
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"zeta": 1, "alpha": "ünï"},
          "cells": [{"source": tok, "cell_type": "markdown", "metadata": {}, "id": "m1"},
                    {"source": tok, "cell_type": "markdown", "metadata": {}, "id": "m2"}]}
    data = _layout(nb, 3, False, False)
    new, report = detect.redact_notebook(data)
    assert report.notes == [] and len(report.secrets) == 2
    assert new == data.replace(tok.encode(), ("hf_****" + tok[-4:]).encode())


_PLACES = st.sampled_from(["markdown", "markdown-lines", "code", "stream", "html", "metadata", "key", "evalue"])


def _cell(place, value):
    if place == "markdown":
        return {"cell_type": "markdown", "metadata": {}, "source": value}
    if place == "markdown-lines":
        return {"cell_type": "markdown", "metadata": {}, "source": ["intro\n", value]}
    if place == "code":
        return {"cell_type": "code", "outputs": [], "metadata": {}, "execution_count": None,
                "source": f"login('{value}')"}
    if place == "key":
        return {"cell_type": "raw", "metadata": {value: "v"}, "source": "x"}
    outputs = {"stream": {"output_type": "stream", "name": "stdout", "text": [value]},
               "html": {"output_type": "display_data", "metadata": {}, "data": {"text/html": value}},
               "evalue": {"output_type": "error", "ename": "E", "evalue": value, "traceback": [value]},
               "metadata": None}[place]
    if outputs is None:
        return {"cell_type": "code", "outputs": [], "metadata": {"note": value}, "source": "", "execution_count": 1}
    return {"cell_type": "code", "outputs": [outputs], "metadata": {}, "source": "", "execution_count": 1}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_PLACES, st.integers(0, 2), st.sampled_from(["", "é ", "x "])), min_size=2, max_size=8),
       st.sampled_from([None, 1, 2, 4]), st.booleans(), st.booleans(), st.integers(0, 2**20))
def test_redact_notebook_repeated_secrets_change_only_the_token_spans(cells, indent, sort_keys, ensure_ascii, seed):
    tokens = [fake_token(seed=seed + i) for i in range(3)]
    # Each cell holds one of three tokens, alone or after a short prefix: the same string repeats often.
    nb = {"metadata": {"b": 1, "a": 2}, "nbformat": 4, "nbformat_minor": 5,
          "cells": [_cell(place, prefix + tokens[which]) for place, which, prefix in cells]}
    data = _layout(nb, indent, sort_keys, ensure_ascii)
    new, report = detect.redact_notebook(data)
    expected = data
    for t in tokens:
        expected = expected.replace(t.encode(), ("hf_****" + t[-4:]).encode())
    assert new == expected
    assert report.notes == []


def _widget_notebook(models: int, secret: str = "") -> dict:
    state = {f"{i:032x}": {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
                           "state": {"layout": f"IPY_MODEL_{i * 7:032x}", "value": f" {i}/1000 [00:10<00:00]",
                                     "description": secret if i == models // 2 else "progress"}}
             for i in range(models)}
    return {"cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": "run()", "execution_count": 1,
                       "outputs": []}], "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}}}}


def test_a_parsed_notebooks_short_strings_are_scanned_in_batches(tok, monkeypatch):
    # Widget state: tens of thousands of short strings, each scanned alone (~15 us each: 3.6 MB/s); now one
    # engine pass per batch, and a secret among them is found where it stands.
    from hfsecure_jupyter.detect import engine, notebook

    calls = []
    real = engine.prefilter_mask
    monkeypatch.setattr(engine, "prefilter_mask", lambda text: calls.append(1) or real(text))
    found = notebook.scan_notebook(_widget_notebook(2000, tok))
    assert [(f.rule, f.location) for f in found.findings] == [
        ("hf-user-token", f"metadata.widgets.application/vnd.jupyter.widget-state+json.state.{1000:032x}"
                          ".state.description")]
    texts = 2000 * 5
    assert len(calls) < texts // 2, len(calls)  # (one a field: 10,000, and one a dict's keys)


_FIELD_PIECES = st.sampled_from(["x", " ", "\n", "hf_", "%68f_", "\\u0068f_", "aGZf", "api_key = '", "'", '"',
                                 "token: ", "Bearer ", "sk-", "AKIA", "é"]) | st.builds(
    lambda seed, cut: fake_token(seed=seed)[:cut], st.integers(0, 50), st.sampled_from([8, 20, 37]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_FIELD_PIECES, max_size=6).map("".join), min_size=1, max_size=40))
def test_batched_fields_find_what_each_field_alone_finds(texts):
    from hfsecure_jupyter.detect import notebook

    nb = {"cells": [{"cell_type": "markdown", "metadata": {"tags": texts[:5]}, "source": t} for t in texts],
          "metadata": {"k": {str(i): t for i, t in enumerate(texts)}}, "nbformat": 4, "nbformat_minor": 5}
    batched = [f.to_dict() for f in notebook.scan_notebook(nb).findings]
    saved = notebook._BATCH_FIELDS
    notebook._BATCH_FIELDS = 1  # (every field flushed alone: scan_text, as before)
    try:
        alone = [f.to_dict() for f in notebook.scan_notebook(nb).findings]
    finally:
        notebook._BATCH_FIELDS = saved
    assert batched == alone

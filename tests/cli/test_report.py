"""hfsecure_jupyter.report: the three formats on hand-made findings and on real scans."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsecure_jupyter import __version__, detect, report
from hfsecure_jupyter.detect import Finding, ScanReport


def finding(rule: str = "hf-user-token", *, kind: str = "secret", location: str = "", line: int = 2,
            column: int = 5, suppressed: bool = False, preview: str = "hf_****abcd", fp: str = "0123456789abcdef",
            fix: str = "do this instead", message: str = "a message") -> Finding:
    return Finding(rule=rule, kind=kind, severity="error" if kind == "secret" else "warning", location=location,
                   line=line, column=column, end_line=line, end_column=column + 11, preview=preview,
                   fingerprint=fp, suppressed=suppressed, message=message, fix=fix)


def test_text_lines_with_and_without_location() -> None:
    reps = [ScanReport("nb/a.ipynb", [finding(location="cells[3].source"),
                                      finding(location="cells[4].outputs[0].text", line=1, column=1)], "notebook"),
            ScanReport("b.py", [finding(rule="secret-in-job-env", kind="misuse", preview='"HF_TOKEN"',
                                        fix="use secrets", message="env is plain text"),
                                finding(suppressed=True)], "python")]
    lines = report.render_text(reps, files_scanned=5).splitlines()
    assert lines == [
        "nb/a.ipynb:cells[3].source:2:5: hf-user-token hf_****abcd",
        "    fix: do this instead",
        "nb/a.ipynb:cells[4].outputs[0].text:1:1: hf-user-token hf_****abcd",
        'b.py:2:5: secret-in-job-env "HF_TOKEN" [warning]',
        "    env is plain text",
        "    fix: use secrets",
        "b.py:2:5: hf-user-token hf_****abcd [suppressed]",
        "",
        "Found 2 secrets and 1 warning in 2 files, 1 suppressed (5 files scanned).",
    ]


@pytest.mark.parametrize("reps, files, line", [
    ([], 0, "No secrets found in 0 files."),
    ([ScanReport("a", [finding(suppressed=True)])], 1, "No secrets found in 1 file (1 suppressed finding)."),
    ([ScanReport("a", [finding()])], 1, "Found 1 secret in 1 file (1 file scanned)."),
    ([ScanReport("a", [finding(kind="misuse")]), ScanReport("b", [])], 2,
     "Found 1 warning in 1 file (2 files scanned)."),
])
def test_summary_line(reps, files, line) -> None:
    assert report.render_text(reps, files_scanned=files).splitlines()[-1] == line


def test_text_notes_errors_and_control_characters() -> None:
    rep = ScanReport("evil\x1b[2Jname.txt", [finding()], notes=["not valid JSON: scanned as text"])
    out = report.render_text([rep], notes=["skipped 2 binary files"], errors=["x: cannot read"])
    assert "\x1b" not in out
    assert "evil?[2Jname.txt:2:5:" in out
    assert "note: evil?[2Jname.txt: not valid JSON: scanned as text" in out
    assert "note: skipped 2 binary files" in out and "error: x: cannot read" in out


def test_json_record_order_and_fields() -> None:
    rep = ScanReport("nb.ipynb", [finding(location="cells[0].source")], "notebook", ["a note"])
    data = report.to_json([rep], files_scanned=7, notes=["n2"], errors=["e1"])
    assert list(data["findings"][0])[:8] == ["rule", "path", "location", "line", "column", "end_line",
                                             "end_column", "preview"]
    rec = data["findings"][0]
    assert (rec["path"], rec["location"], rec["fingerprint"], rec["suppressed"], rec["kind"]) == (
        "nb.ipynb", "cells[0].source", "0123456789abcdef", False, "secret")
    assert data["files_scanned"] == 7
    assert data["notes"] == ["nb.ipynb: a note", "n2"]
    assert data["errors"] == ["e1"]
    assert data["version"] == __version__
    assert json.loads(report.render_json([rep])) == report.to_json([rep])


def test_json_and_sarif_put_each_finding_on_its_own_line() -> None:
    # Written by the C encoder a record at a time (json.dumps with indent is pure Python: ~60 us a finding,
    # a second for a file of 20,000 findings), and still the document the dict says.
    reps = [ScanReport("nb.ipynb", [finding(line=n, message="quote \" and é") for n in range(1, 4)], "notebook")]
    text = report.render_json(reps)
    lines = text.splitlines()
    assert [ln.rstrip(",") for ln in lines if '"rule": ' in ln] == [
        "    " + json.dumps(rec, ensure_ascii=False) for rec in report.to_json(reps)["findings"]]
    assert lines[:2] == ["{", '  "findings": ['] and text.endswith("}\n") and json.loads(text) == report.to_json(reps)
    sarif = report.render_sarif(reps)
    assert json.loads(sarif) == report.to_sarif(reps) and "é" in sarif
    assert sum('"physicalLocation"' in ln for ln in sarif.splitlines()) == 3


def test_sarif_rules_cover_every_rule_and_results_point_at_them(check_sarif) -> None:
    reps = [ScanReport("./dir/my file.ipynb", [finding(location="cells[3].source"),
                                               finding(rule="secret-echoed", kind="misuse", preview="print(x)")]),
            ScanReport("x.py", [finding(rule="a-rule-from-the-future")])]
    log = report.to_sarif(reps, notes=["a note"], errors=[])
    assert check_sarif(log) == []
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {r.id for r in detect.RULES} | set(detect.MISUSE_RULES) | {"a-rule-from-the-future"} == set(ids)
    levels = {r["id"]: r["defaultConfiguration"]["level"] for r in run["tool"]["driver"]["rules"]}
    assert levels["hf-user-token"] == "error" and levels["secret-echoed"] == "warning"
    first, second, third = run["results"]
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dir/my%20file.ipynb"
    f0 = reps[0].findings[0]
    assert first["locations"][0]["logicalLocations"] == [
        {"name": "cells[3].source", "fullyQualifiedName": f"cells[3].source:{f0.line}:{f0.column}", "kind": "member"}]
    assert first["message"]["text"].endswith(f"in cells[3].source:{f0.line}:{f0.column}")
    assert (first["level"], second["level"]) == ("error", "warning")
    assert "print(x)" in second["message"]["text"]
    assert "logicalLocations" not in third["locations"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == "a note"


def test_sarif_same_secret_twice_in_a_file_stays_two_results() -> None:
    rep = ScanReport("a.py", [finding(line=1), finding(line=9)])
    fps = [r["partialFingerprints"] for r in report.to_sarif([rep])["runs"][0]["results"]]
    assert fps[0]["hfsecure/v1"] == fps[1]["hfsecure/v1"]
    assert fps[0]["hfsecureLocation/v1"] != fps[1]["hfsecureLocation/v1"]


def test_sarif_errors_mark_the_run_unsuccessful() -> None:
    run = report.to_sarif([], errors=["a: cannot read"])["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"


@pytest.mark.parametrize("path, uri", [
    ("a/b.py", "a/b.py"), ("./a/b.py", "a/b.py"), ("a b/c#d.py", "a%20b/c%23d.py"), ("-", "stdin"),
    ("/abs/x.py", "file:///abs/x.py"),
])
def test_sarif_uris(path: str, uri: str) -> None:
    assert report._uri(path) == uri


@pytest.mark.parametrize("fmt", report.FORMATS)
def test_no_renderer_prints_a_secret_even_from_a_path(fmt: str, tok: str) -> None:
    # A Finding never holds the value, but a path or a note might: the rendered text is masked again.
    rep = ScanReport(f"leak-{tok}.txt", [finding()], notes=[f"odd note {tok}"])
    out = report.render(fmt, [rep], files_scanned=1, notes=[f"another {tok}"])
    assert tok not in out and tok[3:] not in out
    assert detect.mask_secret(tok) in out


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        report.render("xml", [])


def test_real_scan_round_trip(tok: str, check_sarif) -> None:
    rep = detect.scan_bytes(f'print("x")\nlogin(token="{tok}")\n'.encode(), path="cell.py")
    assert report.summarize([rep]).secrets == 1
    rec = report.to_json([rep])["findings"][0]
    assert (rec["line"], rec["column"], rec["preview"]) == (2, 14, detect.mask_secret(tok))
    log = report.to_sarif([rep])
    assert check_sarif(log) == []
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 14, "endLine": 2, "endColumn": 14 + len(tok)}


def test_text_summary_says_when_some_input_was_not_scanned():
    from hfsecure_jupyter.report import render_text

    assert render_text([], files_scanned=0) == "No secrets found in 0 files.\n"
    out = render_text([], files_scanned=0, unreadable=1)
    assert out == "No secrets found in 0 files; 1 path could not be scanned (see the errors).\n"


def _layout_reference(value, level: int, depth: int) -> str:
    # json_text's layout as first written: every value through the encoder, one call each.
    compact = json.JSONEncoder(ensure_ascii=False).encode
    if level >= depth or not value or not isinstance(value, (dict, list)):
        return compact(value)
    pad = "\n" + "  " * (level + 1)
    if isinstance(value, dict):
        items = [pad + compact(str(k)) + ": " + _layout_reference(v, level + 1, depth) for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * level + "}"
    return "[" + ",".join(pad + _layout_reference(v, level + 1, depth) for v in value) + "\n" + "  " * level + "]"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(_JSON_VALUES, st.integers(0, 6))
def test_json_text_lays_out_any_document_as_the_encoder_would_value_by_value(doc, depth) -> None:
    # Leaves are written without a call each (a str by the C escaper itself): the same text.
    text = report.shape.json_text(doc, depth)
    assert text == _layout_reference(doc, 0, depth) + "\n"
    assert json.loads(text) == doc


class _HistoryReport(ScanReport):
    def finding_extra(self, f: Finding) -> dict:
        return {"commit": "c0ffee" + str(f.line), "at_head": f.line == 2}


def test_json_and_sarif_carry_the_fields_a_report_kind_adds() -> None:
    rep = _HistoryReport("a.py", [finding(line=1), finding(line=2)], "python")
    records = report.to_json([rep, ScanReport("b.py", [finding(line=3)], "python")])["findings"]
    assert [(r.get("commit"), r.get("at_head")) for r in records] == [("c0ffee1", False), ("c0ffee2", True),
                                                                      (None, None)]
    results = report.to_sarif([rep])["runs"][0]["results"]
    assert [r["properties"]["commit"] for r in results] == ["c0ffee1", "c0ffee2"]

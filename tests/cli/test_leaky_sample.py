"""``hfsecure demo --scan-only``: a valid leaky notebook, found in every place it leaks, offline, nothing printed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hfsecure_jupyter import detect, leaky_sample
from hfsecure_jupyter.cli import scan as scan_cli


def _tokens_in(folder: Path) -> list[str]:
    """The (fake) secrets the demo wrote, read back in-process."""
    out = []
    for p in folder.iterdir():
        out += [h.secret for h in detect.find_secrets(p.read_text(encoding="utf-8"))]
    return out


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_demo_writes_a_valid_leaky_notebook_and_reports_every_leak(tmp_path: Path, monkeypatch, capsys,
                                                                   offline) -> None:
    import nbformat

    monkeypatch.chdir(tmp_path)
    assert leaky_sample.main([]) == 0
    out, err = capsys.readouterr()
    folder = tmp_path / "hfsecure-demo"
    nb_path = folder / leaky_sample.NOTEBOOK_NAME
    nbformat.validate(nbformat.read(str(nb_path), as_version=4))
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"

    rep = detect.scan_file(nb_path)
    places = ("cells[1].source", "cells[2].outputs[0].text", "cells[3].source", "cells[4].outputs[0].traceback",
              "metadata.widgets.application/vnd.jupyter.widget-state+json.state.")
    assert sorted(next(p for p in places if f.location.startswith(p)) for f in rep.secrets) == sorted(places)
    assert {f.rule for f in rep.warnings} >= {"secret-in-job-env"}
    job = detect.scan_file(folder / leaky_sample.JOB_SCRIPT_NAME)
    assert [f.rule for f in job.findings] == ["secret-in-job-env"] and not job.secrets

    for loc in ("cells[1].source", "cells[2].outputs[0].text", "cells[3].source", "cells[4].outputs[0].traceback",
                "metadata.widgets"):
        assert f"hfsecure-demo/{leaky_sample.NOTEBOOK_NAME}:{loc}" in out
    assert f"hfsecure-demo/{leaky_sample.JOB_SCRIPT_NAME}:8:" in out
    assert "Found 5 secrets and" in out
    for hint in ("hfsecure install-guard", "%load_ext hfsecure_jupyter", "hfsecure scan --redact hfsecure-demo"):
        assert hint in out
    tokens = _tokens_in(folder)
    assert len(tokens) == 5
    assert not [t for t in tokens if t in out + err or t[3:] in out + err]


def test_demo_tokens_are_fresh_each_run(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert leaky_sample.main(["--dir", str(a)]) == 0 and leaky_sample.main(["--dir", str(b)]) == 0
    capsys.readouterr()
    assert set(_tokens_in(a)).isdisjoint(_tokens_in(b))


def test_demo_report_matches_hfsecure_scan(tmp_path: Path, capsys) -> None:
    d = tmp_path / "demo"
    assert leaky_sample.main(["--dir", str(d), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert scan_cli.main([str(d), "--format", "json"]) == 1  # the same folder fails a real scan
    assert capsys.readouterr().out == out


def test_demo_into_an_impossible_folder_exits_2_with_one_line(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert leaky_sample.main(["--dir", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hfsecure demo --scan-only: error: cannot write the sample to")


def test_demo_dispatched_by_the_hfsecure_command(tmp_path: Path, capsys) -> None:
    from hfsecure_jupyter import cli

    assert cli.main(["demo", "--scan-only", "--dir", str(tmp_path / "d")]) == 0
    assert "What next" in capsys.readouterr().out


def test_the_redact_command_the_demo_suggests_cleans_it(tmp_path: Path, capsys) -> None:
    import nbformat

    d = tmp_path / "hfsecure-demo"
    assert leaky_sample.main(["--dir", str(d)]) == 0
    before = (d / leaky_sample.NOTEBOOK_NAME).read_bytes()
    tokens = _tokens_in(d)
    assert scan_cli.main(["--redact", str(d)]) == 1
    after = (d / leaky_sample.NOTEBOOK_NAME).read_bytes()
    expected = before
    for t in tokens:
        expected = expected.replace(t.encode(), detect.mask_secret(t).encode())
    assert after == expected
    nbformat.validate(nbformat.reads(after.decode(), as_version=4))
    assert scan_cli.main([str(d)]) == 0  # only the misuse warnings are left
    assert scan_cli.main(["--strict", str(d)]) == 1
    capsys.readouterr()


def test_demo_never_overwrites_files_it_did_not_write(tmp_path: Path, capsys) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.env\n")
    (tmp_path / "submit_job.py").write_text("print('mine')\n")
    assert leaky_sample.main(["--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not written by 'hfsecure demo'" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.env\n"
    assert (tmp_path / "submit_job.py").read_text() == "print('mine')\n"
    # its own folder is rewritten on a second run (the README's first command can be run again)
    mine = tmp_path / "d"
    assert leaky_sample.main(["--dir", str(mine)]) == 0
    assert leaky_sample.main(["--dir", str(mine)]) == 0

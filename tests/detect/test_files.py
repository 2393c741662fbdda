"""Whole files: text encodings, binary sniffing, in-place redaction."""

from __future__ import annotations

import codecs
import os
import stat

import pytest

from hfsecure_jupyter.detect import files as detect


@pytest.mark.parametrize("codec,bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                       ("utf-32-le", codecs.BOM_UTF32_LE)])
def test_utf16_and_utf32_text_files_are_scanned_and_redacted_in_their_encoding(tmp_path, tok, codec, bom):
    # What PowerShell's `>` writes: a BOM and NUL bytes, which a NUL sniff alone calls binary.
    p = tmp_path / "settings.env"
    p.write_bytes(bom + f"MODE=fast\r\nHF_TOKEN={tok}\r\n".encode(codec))
    [f] = detect.scan_file(p).findings
    assert (f.line, f.column, f.rule) == (2, 10, "hf-user-token")
    detect.redact_file(p)
    data = p.read_bytes()
    assert data.startswith(bom)
    assert data[len(bom):].decode(codec) == f"MODE=fast\r\nHF_TOKEN=hf_****{tok[-4:]}\r\n"


def test_binary_files_are_not_scanned(tmp_path, tok):
    p = tmp_path / "model.bin"
    p.write_bytes(b"\x00\x01" + tok.encode())
    report = detect.scan_file(p)
    assert report.kind == "binary" and report.findings == []


# -- rewriting in place: links, owner, concurrent writes ------------------------------------------------------

def _masked(tok: str) -> str:
    return detect.mask_secret(tok)


def test_redact_through_a_symlink_redacts_the_target_and_keeps_the_link(tmp_path, tok):
    target = tmp_path / "real.py"
    target.write_text(f"T = '{tok}'\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    detect.redact_file(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == f"T = '{_masked(tok)}'\n"


def test_redact_a_hard_linked_file_changes_every_name(tmp_path, tok):
    a = tmp_path / "a.env"
    a.write_text(f"HF_TOKEN={tok}\nMODE=1\n")
    b = tmp_path / "b.env"
    os.link(a, b)
    detect.redact_file(a)
    assert a.read_text() == b.read_text() == f"HF_TOKEN={_masked(tok)}\nMODE=1\n"
    assert os.stat(a).st_ino == os.stat(b).st_ino


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_redact_as_root_keeps_owner_group_and_mode(tmp_path, tok):
    p = tmp_path / "user.py"
    p.write_text(f"T = '{tok}'\n")
    os.chown(p, 4321, 4322)
    os.chmod(p, 0o640)
    detect.redact_file(p)
    st = os.stat(p)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4322, 0o640)
    assert tok not in p.read_text()


def test_a_write_made_during_the_redaction_is_kept_and_redacted(tmp_path, tok, make_token, monkeypatch):
    p = tmp_path / "log.txt"
    p.write_text(f"1 {tok}\n")
    later = make_token()
    real_redact = detect.redacted_bytes
    calls = []

    def racing(data, *args):
        calls.append(1)
        if len(calls) == 1:  # the user's program appends while the first redaction is computed
            with open(p, "a") as fh:
                fh.write(f"2 {later}\n")
        return real_redact(data, *args)

    monkeypatch.setattr(detect, "redacted_bytes", racing)
    detect.redact_file(p)
    assert p.read_text() == f"1 {_masked(tok)}\n2 {_masked(later)}\n"
    assert len(calls) == 2


def test_bytes_appended_through_an_open_descriptor_during_the_swap_are_kept(tmp_path, tok, make_token,
                                                                             monkeypatch):
    p = tmp_path / "train.log"
    p.write_text(f"1 {tok}\n")
    writer = open(p, "a")  # a process that keeps its log open
    later = make_token()
    real_replace = os.replace

    def replace_then_write(src, dst):
        real_replace(src, dst)
        if str(dst) == str(p) and writer is not None and not writer.closed:
            writer.write(f"2 {later}\n")  # lands in the old inode, after the swap
            writer.close()

    monkeypatch.setattr(os, "replace", replace_then_write)
    detect.redact_file(p)
    assert p.read_text() == f"1 {_masked(tok)}\n2 {_masked(later)}\n"


def test_a_file_that_never_stops_changing_is_refused_with_its_newest_content(tmp_path, tok):
    p = tmp_path / "busy.txt"
    p.write_text(f"{tok}\n")
    n = 0

    def transform(data: bytes) -> bytes:
        nonlocal n
        n += 1
        with open(p, "a") as fh:
            fh.write(f"line {n}\n")
        return data.replace(tok.encode(), b"masked")

    with pytest.raises(detect.FileChanged, match="kept changing"):
        detect.rewrite_file(p, transform)
    assert p.read_text() == f"{tok}\n" + "".join(f"line {i}\n" for i in range(1, n + 1))
    assert n == detect.REWRITE_ATTEMPTS


def test_redact_in_a_folder_that_is_not_writable_rewrites_the_file_itself(tmp_path, tok, monkeypatch):
    import tempfile

    p = tmp_path / "a.txt"
    p.write_text(f"{tok}\n")

    def no_temp_files(*args, **kwargs):
        raise PermissionError(13, "Permission denied")  # a read-only folder holding a writable file

    monkeypatch.setattr(tempfile, "mkstemp", no_temp_files)
    detect.redact_file(p)
    assert p.read_text() == f"{_masked(tok)}\n"


# -- UTF-16 and UTF-32 without a byte-order mark --------------------------------------------------------------

WIDE = ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]


def _notebook_text(tok: str) -> str:
    import json

    cell = {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {}, "outputs": [],
            "source": ["import os\n", f"login(token='{tok}')  # d\u00e9j\u00e0 vu \u2713\n"]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1,
                      ensure_ascii=False) + "\n"


@pytest.mark.parametrize("codec", WIDE)
def test_a_text_file_in_utf16_or_utf32_without_a_bom_is_scanned_and_redacted_in_its_encoding(tmp_path, tok, codec):
    text = f"MODE=fast\r\nNAME=caf\u00e9\r\nHF_TOKEN={tok}\r\n"
    data = text.encode(codec)
    assert not detect.is_binary(data)
    [f] = detect.scan_bytes(data, path="settings.env").findings
    assert (f.line, f.column, f.rule) == (3, 10, "hf-user-token")
    p = tmp_path / "settings.env"
    p.write_bytes(data)
    [f] = detect.scan_file(p).findings
    assert (f.line, f.column) == (3, 10)
    detect.redact_file(p)
    assert p.read_bytes() == text.replace(tok, _masked(tok)).encode(codec)  # same encoding, no BOM added


@pytest.mark.parametrize("codec", WIDE)
def test_a_notebook_in_utf16_or_utf32_without_a_bom_is_scanned_and_redacted_in_its_encoding(tmp_path, tok, codec):
    text = _notebook_text(tok)
    p = tmp_path / "leak.ipynb"
    p.write_bytes(text.encode(codec))
    [f] = detect.scan_bytes(text.encode(codec), path="leak.ipynb").findings
    assert (f.location, f.line, f.column) == ("cells[0].source", 2, 14)
    assert [f.location for f in detect.scan_file(p).findings] == ["cells[0].source"]
    detect.redact_file(p)
    assert p.read_bytes() == text.replace(tok, _masked(tok)).encode(codec)


@pytest.mark.parametrize("codec,bom", [(c, b"") for c in WIDE] + [("utf-16-le", codecs.BOM_UTF16_LE),
                                                                  ("utf-32-be", codecs.BOM_UTF32_BE)])
def test_cli_redacts_a_wide_notebook_in_place_in_its_encoding(tmp_path, tok, codec, bom):
    from hfsecure_jupyter.cli import scan as scan_cli

    text = _notebook_text(tok)
    p = tmp_path / "leak.ipynb"
    p.write_bytes(bom + text.encode(codec))
    (tmp_path / "notes.txt").write_bytes(f"see {tok}\n".encode(codec))
    assert scan_cli.main(["--redact", str(tmp_path)]) == 1  # found (and masked)
    assert p.read_bytes() == bom + text.replace(tok, _masked(tok)).encode(codec)
    assert (tmp_path / "notes.txt").read_bytes() == f"see {_masked(tok)}\n".encode(codec)
    assert scan_cli.main([str(tmp_path)]) == 0


@pytest.mark.parametrize("data", [bytes(64), b"\x00\x01" * 40, (b"\x05\x00\x00\x00" * 30),
                                  bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100),
                                  "x".encode("utf-16-le")[:1] + bytes(7)])
def test_binary_data_with_nuls_is_still_binary(data):
    assert detect.is_binary(data)
    assert detect.as_utf8(data) == data


def test_read_bytes_reads_files_whose_size_the_system_does_not_know(tmp_path):
    from hfsecure_jupyter.detect.files import read_bytes

    p = tmp_path / "a.bin"
    p.write_bytes(b"x" * 70_000)
    assert read_bytes(str(p)) == b"x" * 70_000
    assert read_bytes(str(tmp_path / "a.bin")) is not None
    if os.path.exists("/proc/self/status"):  # st_size 0, content not empty
        assert b"Name:" in read_bytes("/proc/self/status")

"""Whole files: text encodings, binary sniffing, in-place redaction."""

from __future__ import annotations

import codecs

import pytest

from hfsecure_jupyter import detect


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

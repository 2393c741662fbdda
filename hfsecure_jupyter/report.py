"""Scan reports for people and machines: text, JSON and SARIF 2.1.0.

Every renderer takes the :class:`~hfsecure_jupyter.detect.ScanReport` objects of one scan (each with
``path`` set to the path as the user gave it) and returns a string. None of them can print a secret:
findings hold masked previews only, and the rendered text goes through :func:`detect.redact` once more
before it is returned (a file name or a misuse quote could hold a token too).

Used by ``hfsecure scan`` and by the server extension.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> rep = detect.scan_bytes(f'login(token="{tok}")'.encode(), path="a.py")
    >>> print(render_text([rep], files_scanned=1).splitlines()[0])
    a.py:1:14: hf-user-token hf_****oOOL
    >>> to_json([rep])["findings"][0]["path"]
    'a.py'
    >>> to_sarif([rep])["runs"][0]["results"][0]["ruleId"]
    'hf-user-token'
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from . import detect
from .detect import Finding, ScanReport
from .detect.walk import Region  # start line, start column, end line, end column: in the file

__all__ = ["Summary", "summarize", "finding_record", "to_json", "to_sarif", "render", "render_text",
           "render_json", "render_sarif", "clean_text", "file_regions", "shown", "FORMATS", "SARIF_SCHEMA", "TOOL_URI"]

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/hfsecure/hfsecure-jupyter"
STDIN_PATH = "-"
# Control characters (other than tab) would let a hostile file name rewrite the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(text: str) -> str:
    """``text`` as valid Unicode: a file name's bytes that are not UTF-8 (kept by Python as lone
    surrogates) are shown as ``\\xe9`` escapes, so every report is valid UTF-8.

    Example:
        >>> shown(b"caf\\xe9.py".decode("utf-8", "surrogateescape"))
        'caf\\\\xe9.py'
    """
    return _SURROGATE.sub(_escape_surrogate, text) if _SURROGATE.search(text) else text


def _escape_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    # 0xDC80-0xDCFF: an undecodable byte (surrogateescape); others: a lone surrogate from the data
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


@dataclass(frozen=True)
class Summary:
    """Counts over a scan.

    Attributes:
        secrets: unsuppressed literal secrets (these fail a scan).
        warnings: unsuppressed misuse warnings (these fail only a strict scan).
        suppressed: findings on a line marked ``hfsecure: allow`` (listed, never failing).
        files_with_findings: documents holding at least one unsuppressed finding.
    """

    secrets: int
    warnings: int
    suppressed: int
    files_with_findings: int


def summarize(reports: Iterable[ScanReport]) -> Summary:
    """Count secrets, warnings and suppressed findings over ``reports``.

    Example:
        >>> summarize([])
        Summary(secrets=0, warnings=0, suppressed=0, files_with_findings=0)
    """
    secrets = warnings = suppressed = files = 0
    for rep in reports:
        secrets += len(rep.secrets)
        warnings += len(rep.warnings)
        suppressed += sum(1 for f in rep.findings if f.suppressed)
        files += bool(rep.secrets or rep.warnings)
    return Summary(secrets, warnings, suppressed, files)


def _sorted(reports: Iterable[ScanReport]) -> list[tuple[ScanReport, Finding]]:
    return [(rep, f) for rep in reports for f in rep.findings]


def _version() -> str:
    from .version import package_version  # read on first use (it may open package metadata)

    return package_version()


def _extra(rep: ScanReport, f: Finding) -> dict[str, Any]:
    """Fields a report kind adds to each finding (a git history scan: commit, author, date, at_head)."""
    extra = getattr(rep, "finding_extra", None)
    return dict(extra(f)) if callable(extra) else {}


def _extra_text(extra: dict[str, Any]) -> str:
    if not extra.get("commit"):
        return ""
    head = ", still at HEAD" if extra.get("at_head") else ""
    return f" (commit {str(extra['commit'])[:12]}, {extra.get('author', '')}, {extra.get('date', '')}{head})"


def finding_record(path: str, finding: Finding) -> dict[str, Any]:
    """One finding as a JSON object, with the document's ``path`` first.

    Example:
        >>> f = Finding("r", "secret", "error", "cells[0].source", 2, 3, 2, 9, "hf_****abcd", "0f")
        >>> rec = finding_record("nb.ipynb", f)
        >>> [rec[k] for k in ("path", "location", "line", "column", "suppressed")]
        ['nb.ipynb', 'cells[0].source', 2, 3, False]
    """
    d = finding.to_dict()
    record: dict[str, Any] = {"rule": d.pop("rule"), "path": shown(path)}
    for key in ("location", "line", "column", "end_line", "end_column", "preview", "fingerprint", "suppressed",
                "kind", "severity", "message", "fix", "encoding"):
        record[key] = d.pop(key, None)
    record.update(d)  # fields a later core adds
    return record


# -- JSON -------------------------------------------------------------------------------------------------

def to_json(reports: Sequence[ScanReport], *, files_scanned: int | None = None, notes: Sequence[str] = (),
            errors: Sequence[str] = (), skipped: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON report as a dict: ``findings``, ``files_scanned``, ``notes``, ``errors``, ``skipped`` (the
    folders a walk did not enter), ``summary``, ``version``.

    Notes of each document (``not valid JSON: scanned as text``) are included, prefixed by its path.

    Example:
        >>> sorted(to_json([]))
        ['errors', 'files_scanned', 'findings', 'notes', 'skipped', 'summary', 'version']
    """
    s = summarize(reports)
    return {
        "findings": [{**finding_record(rep.path, f), **_extra(rep, f)} for rep, f in _sorted(reports)],
        "files_scanned": len(reports) if files_scanned is None else files_scanned,
        "notes": _all_notes(reports, notes),
        "errors": [shown(e) for e in errors],
        "skipped": [shown(p) for p in skipped],
        "summary": {"secrets": s.secrets, "warnings": s.warnings, "suppressed": s.suppressed,
                    "files_with_findings": s.files_with_findings},
        "version": _version(),
    }


def _all_notes(reports: Sequence[ScanReport], notes: Sequence[str]) -> list[str]:
    out = [f"{rep.path or STDIN_PATH}: {n}" for rep in reports for n in rep.notes]
    return [shown(n) for n in out + list(notes)]


def render_json(reports: Sequence[ScanReport], **kw: Any) -> str:
    """:func:`to_json`, serialised (indented, ends with a newline).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token()
        >>> text = render_json([detect.scan_bytes(f'login(token="{tok}")'.encode(), path="a.py")])
        >>> json.loads(text)["summary"]["secrets"], tok in text  # masked previews only
        (1, False)
    """
    return _safe(json.dumps(to_json(reports, **kw), indent=2, ensure_ascii=False) + "\n")


# -- SARIF ------------------------------------------------------------------------------------------------

def _secret_rule_help(rule: detect.Rule) -> str:
    where = f" Revoke it at {rule.revoke_url} if it was real." if rule.revoke_url else ""
    if rule.provider == "Hugging Face":
        return ("Remove the token from the file (hfsecure scan --redact masks it in place). Authenticate with "
                "huggingface_hub.login() or the HF_TOKEN environment variable instead, and pass it to Jobs "
                "through secrets={'HF_TOKEN': '$HF_TOKEN'}, never env." + where)
    return ("Remove it from the file (hfsecure scan --redact masks it in place) and read it from an environment "
            "variable or a secret store instead." + where)


def _rule_descriptors() -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for r in detect.RULES:
        help_text = _secret_rule_help(r)
        rules[r.id] = {
            "id": r.id,
            "name": _camel(r.id),
            "shortDescription": {"text": f"{r.description} in a file"},
            "fullDescription": {"text": f"A literal {r.description} ({r.provider}) is written in the file. "
                                        "Anyone who can read the file, its git history or a copy of it can "
                                        "use it."},
            "help": {"text": help_text, "markdown": help_text},
            "helpUri": r.revoke_url or TOOL_URI,
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["security", "secret", *r.tags], "precision": "very-high",
                           "security-severity": "9.0"},
        }
    for rid, (description, fix) in detect.MISUSE_RULES.items():
        rules[rid] = {
            "id": rid,
            "name": _camel(rid),
            "shortDescription": {"text": description.split(". ")[0].rstrip(".")},
            "fullDescription": {"text": description},
            "help": {"text": fix, "markdown": fix},
            "helpUri": TOOL_URI,
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": ["security", "secret-misuse"], "precision": "high",
                           "security-severity": "6.5"},
        }
    return rules


def _camel(rule_id: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in rule_id.split("-"))


def _uri(path: str) -> str:
    """A SARIF artifact URI: relative paths stay relative (forward slashes, percent-encoded)."""
    if not path or path == STDIN_PATH:
        return "stdin"
    p = path.replace(os.sep, "/")
    if os.path.isabs(path):
        p = p if p.startswith("/") else "/" + p
        return "file://" + urllib.parse.quote(os.fsencode(p))  # the name's own bytes, UTF-8 or not
    while p.startswith("./"):
        p = p[2:]
    return urllib.parse.quote(os.fsencode(p)) or "."




def file_regions(rep: ScanReport, data: bytes | str) -> list[Region | None]:
    """Where each finding of a notebook report is in the file ``data`` it was scanned from (SARIF regions
    are lines of the file, not of a cell), aligned with ``rep.findings``; None for a finding that has no
    field (a notebook scanned as text) or whose field is not found.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import os\\n", f"t = '{tok}'"]}
        >>> raw = json.dumps({"cells": [cell]}, indent=1)
        >>> rep = detect.scan_notebook(raw)
        >>> [(f.location, f.line, f.column) for f in rep.findings], file_regions(rep, raw)
        ([('cells[0].source', 2, 6)], [(9, 11, 9, 48)])
    """
    if not any(f.location for f in rep.findings):
        return [None] * len(rep.findings)
    from .detect.jsonpos import FilePositions

    text = data if isinstance(data, str) else detect._as_utf8(data).decode("utf-8", "replace")
    positions = FilePositions(text)
    by_field: dict[str, list[int]] = {}
    for k, f in enumerate(rep.findings):
        if f.location:
            by_field.setdefault(f.location, []).append(k)
    out: list[Region | None] = [None] * len(rep.findings)
    for location, ks in by_field.items():
        points = [(rep.findings[k].line, rep.findings[k].column) for k in ks]
        points += [(rep.findings[k].end_line or rep.findings[k].line, rep.findings[k].end_column or
                    rep.findings[k].column) for k in ks]
        found = positions.file_positions(location, points)
        for n, k in enumerate(ks):
            start, end = found[n], found[n + len(ks)]
            if start is not None:
                out[k] = (*start, *(end if end is not None else start))
    return out


def _level(f: Finding) -> str:
    return "error" if f.is_secret else "warning"


def _sarif_location(rep: ScanReport, f: Finding, in_file: Region | None, in_cell: str) -> dict[str, Any]:
    """A SARIF location: the region in the file when known, else the line and column in the field."""
    if in_file is not None:
        region = dict(zip(("startLine", "startColumn", "endLine", "endColumn"), in_file))
    else:
        region = {"startLine": max(1, f.line), "startColumn": max(1, f.column),
                  "endLine": max(1, f.end_line or f.line), "endColumn": max(1, f.end_column or f.column)}
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": _uri(rep.path)}, "region": region},
    }
    if f.location:
        location["logicalLocations"] = [{"name": f.location, "fullyQualifiedName": in_cell, "kind": "member"}]
    return location


def to_sarif(reports: Sequence[ScanReport], *, notes: Sequence[str] = (), errors: Sequence[str] = (),
             files_scanned: int | None = None, skipped: Sequence[str] = (),
             regions: dict[str, Sequence[Region | None]] | None = None) -> dict[str, Any]:
    """The SARIF 2.1.0 log as a dict (one run; every rule described; suppressed results marked).

    Notebook findings carry their place in the cell (``cells[3].source:2:14``) in the message and as a
    logical location; their region is the place in the file when ``regions`` (report path ->
    :func:`file_regions`) gives it, else the line and column inside the field.

    Example:
        >>> log = to_sarif([])
        >>> log["version"], log["runs"][0]["tool"]["driver"]["name"]
        ('2.1.0', 'hfsecure')
    """
    descriptors = _rule_descriptors()
    results = []
    occurrences: dict[tuple[str, str], int] = {}
    placed = [(rep, f, (regions or {}).get(rep.path, ())) for rep in reports for f in rep.findings]
    index: dict[int, int] = {}
    for rep, f, reg in placed:
        k = index[id(rep)] = index.get(id(rep), -1) + 1
        in_file = reg[k] if k < len(reg) else None
        if f.rule not in descriptors:  # a rule a later core adds: describe it from the finding
            descriptors[f.rule] = {
                "id": f.rule, "name": _camel(f.rule),
                "shortDescription": {"text": f.message or f.rule},
                "fullDescription": {"text": f.message or f.rule},
                "help": {"text": f.fix or f.message or f.rule},
                "defaultConfiguration": {"level": _level(f)},
            }
        in_cell = f"{f.location}:{f.line}:{f.column}" if f.location else ""
        text = (f.message or f.rule) + (f" in {in_cell}" if in_cell else "")
        if not f.is_secret and f.preview:
            text += f": {f.preview}"
        location = _sarif_location(rep, f, in_file, in_cell)
        key = (rep.path, f.fingerprint)
        occurrences[key] = occurrences.get(key, 0) + 1
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _level(f),
            "message": {"text": text},
            "locations": [location],
            "partialFingerprints": {
                "hfsecure/v1": f.fingerprint,
                # The same secret twice in one file: two results, not one.
                "hfsecureLocation/v1": f"{f.fingerprint}:{f.location}:{occurrences[key]}",
            },
            "properties": {"preview": f.preview, "kind": f.kind, **_extra(rep, f)},
        }
        if f.encoding:
            result["properties"]["encoding"] = f.encoding
        if f.suppressed:
            result["suppressions"] = [{"kind": "inSource", "justification": "marked 'hfsecure: allow'"}]
        results.append(result)
    order = list(descriptors)
    for r in results:
        r["ruleIndex"] = order.index(r["ruleId"])
    notifications = [{"level": "note", "message": {"text": n}} for n in _all_notes(reports, notes)]
    notifications += [{"level": "error", "message": {"text": shown(e)}} for e in errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "hfsecure", "informationUri": TOOL_URI, "version": _version(),
                            "semanticVersion": _version(), "rules": list(descriptors.values())}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{"executionSuccessful": not errors, "toolExecutionNotifications": notifications}],
    }
    props: dict[str, Any] = {} if files_scanned is None else {"filesScanned": files_scanned}
    if skipped:
        props["skippedFolders"] = [shown(p) for p in skipped]
    if props:
        run["properties"] = props
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(reports: Sequence[ScanReport], **kw: Any) -> str:
    """:func:`to_sarif`, serialised (indented, ends with a newline).

    Example:
        >>> text = render_sarif([])
        >>> json.loads(text)["version"], text.endswith("\\n")
        ('2.1.0', True)
    """
    return _safe(json.dumps(to_sarif(reports, **kw), indent=2, ensure_ascii=False) + "\n")


# -- text -------------------------------------------------------------------------------------------------

def clean_text(text: str) -> str:
    """``text`` with control characters shown as ``?`` (safe to print on a terminal).

    Example:
        >>> clean_text("evil\\x1b[2Jname\\n\\tok")  # tab is kept
        'evil?[2Jname?\\tok'
    """
    return _CONTROL.sub("?", text)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(reports: Sequence[ScanReport], *, files_scanned: int | None = None, notes: Sequence[str] = (),
                errors: Sequence[str] = (), show_fix: bool = True, unreadable: int = 0) -> str:
    """One line per finding (``path:location:line:col: rule preview``), each rule's fix once, notes, and a
    summary line.

    Suppressed findings end with ``[suppressed]``, misuse warnings with ``[warning]``. For plain files the
    location part is left out, so editors can jump to ``path:line:col``.

    Example:
        >>> render_text([], files_scanned=3)
        'No secrets found in 3 files.\\n'
    """
    lines: list[str] = []
    fixed: set[str] = set()
    for rep, f in _sorted(reports):
        path = clean_text(shown(rep.path or STDIN_PATH))
        where = f"{path}:{clean_text(f.location)}:" if f.location else f"{path}:"
        tags = (" [warning]" if not f.is_secret else "") + (" [suppressed]" if f.suppressed else "")
        history = clean_text(_extra_text(_extra(rep, f)))
        lines.append(f"{where}{f.line}:{f.column}: {f.rule} {clean_text(f.preview)}{tags}{history}")
        if show_fix and f.rule not in fixed:
            fixed.add(f.rule)
            if not f.is_secret and f.message:
                lines.append(f"    {f.message}")
            if f.fix:
                lines.append(f"    fix: {f.fix}")
    for n in _all_notes(reports, notes):
        lines.append(f"note: {clean_text(n)}")
    for e in errors:
        lines.append(f"error: {clean_text(shown(e))}")
    if lines:
        lines.append("")
    summary = _summary_line(summarize(reports), len(reports) if files_scanned is None else files_scanned)
    failed = max(unreadable, len(errors))
    if failed:  # "nothing found" must not read as "all clear" when some input was never scanned
        summary = summary[:-1] + f"; {_plural(failed, 'path')} could not be scanned (see the errors)."
    lines.append(summary)
    return _safe("\n".join(lines) + "\n")


def _summary_line(s: Summary, files: int) -> str:
    scanned = _plural(files, "file")
    if not s.secrets and not s.warnings:
        extra = f" ({_plural(s.suppressed, 'suppressed finding')})" if s.suppressed else ""
        return f"No secrets found in {scanned}{extra}."
    parts = []
    if s.secrets:
        parts.append(_plural(s.secrets, "secret"))
    if s.warnings:
        parts.append(_plural(s.warnings, "warning"))
    extra = f", {s.suppressed} suppressed" if s.suppressed else ""
    return (f"Found {' and '.join(parts)} in {_plural(s.files_with_findings, 'file')}{extra} "
            f"({scanned} scanned).")


# -- all formats ------------------------------------------------------------------------------------------

def render(fmt: str, reports: Sequence[ScanReport], **kw: Any) -> str:
    """Render ``reports`` as ``text``, ``json`` or ``sarif`` (keyword arguments as for each renderer).

    Example:
        >>> json.loads(render("json", [], files_scanned=0))["files_scanned"]
        0
    """
    if fmt == "text":
        return render_text(reports, **kw)
    kw.pop("show_fix", None)
    if fmt == "json":
        return render_json(reports, **kw)
    if fmt == "sarif":
        return render_sarif(reports, **kw)
    raise ValueError(f"unknown report format {fmt!r} (choose from {', '.join(FORMATS)})")


def _safe(text: str) -> str:
    # Defence in depth: a path or a quoted line could hold a secret the findings themselves never do.
    return detect.redact(text) if detect.might_contain_secret(text) else text

"""The SARIF 2.1.0 report: one run, every rule described, notebook findings placed in the file.

Example:
    >>> to_sarif([])["version"]
    '2.1.0'
"""

from __future__ import annotations

import os
import urllib.parse

from .. import detect
from ..detect import Finding, ScanReport
from ..detect.walk import Region, file_regions  # Region: start line, start column, end line, end column
from .shape import (SARIF_SCHEMA, STDIN_PATH, TOOL_URI, all_notes, extras_of, json_text, safe_text, shown,
                    tool_version)

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    from typing import Any, Sequence

__all__ = ['to_sarif', 'render_sarif', 'file_regions', 'artifact_uri', 'Region']


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


def artifact_uri(path: str) -> str:
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




def _level(f: Finding) -> str:
    return "error" if f.is_secret else "warning"


def _sarif_location(uri: str, f: Finding, in_file: Region | None, in_cell: str) -> dict[str, Any]:
    """A SARIF location: the region in the file when known, else the line and column in the field."""
    if in_file is not None:
        region = dict(zip(("startLine", "startColumn", "endLine", "endColumn"), in_file))
    else:
        region = {"startLine": max(1, f.line), "startColumn": max(1, f.column),
                  "endLine": max(1, f.end_line or f.line), "endColumn": max(1, f.end_column or f.column)}
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": uri}, "region": region},
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
    # (what is the same for a report's findings, worked out once per report)
    placed = [(rep, f, k, reg, uri, extra) for rep in reports
              for reg, uri, extra in (((regions or {}).get(rep.path, ()), artifact_uri(rep.path), extras_of(rep)),)
              for k, f in enumerate(rep.findings)]
    for rep, f, k, reg, uri, extra in placed:
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
        location = _sarif_location(uri, f, in_file, in_cell)
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
            "properties": {"preview": f.preview, "kind": f.kind, **extra(f)},
        }
        if f.encoding:
            result["properties"]["encoding"] = f.encoding
        if f.suppressed:
            result["suppressions"] = [{"kind": "inSource", "justification": "marked 'hfsecure: allow'"}]
        results.append(result)
    order = {rule: i for i, rule in enumerate(descriptors)}
    for r in results:
        r["ruleIndex"] = order[r["ruleId"]]
    notifications = [{"level": "note", "message": {"text": n}} for n in all_notes(reports, notes)]
    notifications += [{"level": "error", "message": {"text": shown(e)}} for e in errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "hfsecure", "informationUri": TOOL_URI, "version": tool_version(),
                            "semanticVersion": tool_version(), "rules": list(descriptors.values())}},
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
        >>> import json; json.loads(text)["version"], text.endswith("\\n")
        ('2.1.0', True)
    """
    # (down to a result's fields and a rule: a location, a rule on one line each)
    return safe_text(json_text(to_sarif(reports, **kw), 6))

"""Helpers for the CLI tests: notebooks built at run time, a result type and a SARIF structure check."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any


def notebook(cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid nbformat 4.5 notebook."""
    return {"cells": cells, "metadata": metadata or {"language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def code_cell(source: str, outputs: list[dict[str, Any]] | None = None, n: int = 1) -> dict[str, Any]:
    return {"cell_type": "code", "execution_count": n, "id": f"c{n}", "metadata": {},
            "outputs": outputs or [], "source": source.splitlines(keepends=True)}


def write_notebook(path: os.PathLike[str] | str, nb: dict[str, Any]) -> bytes:
    """Write ``nb`` as Jupyter does (indent 1, trailing newline); return the bytes written."""
    data = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()
    with open(path, "wb") as fh:
        fh.write(data)
    return data


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def sarif_problems(log: Any) -> list[str]:
    """Structural check of what code-scanning dashboards require of a SARIF 2.1.0 log (no jsonschema)."""
    problems: list[str] = []

    def need(cond: bool, what: str) -> None:
        if not cond:
            problems.append(what)

    need(isinstance(log, dict), "log is an object")
    if problems:
        return problems
    need(log.get("version") == "2.1.0", "version is 2.1.0")
    need(isinstance(log.get("$schema"), str) and "sarif" in log["$schema"], "$schema names SARIF")
    runs = log.get("runs")
    need(isinstance(runs, list) and len(runs) == 1, "exactly one run")
    if problems:
        return problems
    run = runs[0]
    driver = run.get("tool", {}).get("driver", {})
    for key in ("name", "informationUri", "version"):
        need(isinstance(driver.get(key), str) and driver[key], f"tool.driver.{key}")
    rules = driver.get("rules")
    need(isinstance(rules, list) and rules, "tool.driver.rules is a non-empty list")
    ids = []
    for r in rules or []:
        ids.append(r.get("id"))
        for key in ("shortDescription", "fullDescription", "help"):
            need(isinstance(r.get(key), dict) and isinstance(r[key].get("text"), str) and r[key]["text"],
                 f"rule {r.get('id')}: {key}.text")
        need(r.get("defaultConfiguration", {}).get("level") in ("error", "warning", "note"),
             f"rule {r.get('id')}: defaultConfiguration.level")
    need(len(ids) == len(set(ids)), "rule ids are unique")
    for i, res in enumerate(run.get("results", [])):
        where = f"results[{i}]"
        need(res.get("ruleId") in ids, f"{where}.ruleId names a rule")
        if "ruleIndex" in res:
            need(0 <= res["ruleIndex"] < len(ids) and ids[res["ruleIndex"]] == res.get("ruleId"),
                 f"{where}.ruleIndex points at its rule")
        need(res.get("level") in ("error", "warning", "note", "none"), f"{where}.level")
        need(isinstance(res.get("message", {}).get("text"), str) and res["message"]["text"], f"{where}.message")
        locs = res.get("locations")
        need(isinstance(locs, list) and len(locs) >= 1, f"{where}.locations")
        for loc in locs or []:
            phys = loc.get("physicalLocation", {})
            uri = phys.get("artifactLocation", {}).get("uri")
            need(isinstance(uri, str) and uri and "\\" not in uri and " " not in uri, f"{where} uri {uri!r}")
            region = phys.get("region", {})
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                need(isinstance(region.get(key), int) and region[key] >= 1, f"{where}.region.{key} >= 1")
            if all(isinstance(region.get(k), int) for k in ("startLine", "endLine")):
                need(region["endLine"] >= region["startLine"], f"{where} region ends after it starts")
            for ll in loc.get("logicalLocations", []):
                need(isinstance(ll.get("fullyQualifiedName"), str), f"{where} logical location name")
        fp = res.get("partialFingerprints", {})
        need(isinstance(fp.get("hfsecure/v1"), str) and fp["hfsecure/v1"], f"{where}.partialFingerprints")
        for s in res.get("suppressions", []):
            need(s.get("kind") in ("inSource", "external"), f"{where}.suppressions kind")
    return problems

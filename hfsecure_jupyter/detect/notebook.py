"""Notebooks: walk an .ipynb by its structure, and scan or redact every field.

Fields and their locations: ``cells[3].source`` (code as IPython, markdown and raw as text),
``cells[5].outputs[0].text`` (streams), ``cells[5].outputs[1].data.text/html`` (every mimetype),
``cells[2].outputs[0].evalue`` and ``.traceback[4]`` (ANSI codes are stripped by the engine),
``cells[1].attachments.image.png/text/plain``, ``cells[0].metadata...``, ``metadata...`` (saved widget
state lives at ``metadata.widgets``).

Raw bytes are checked first: a notebook whose bytes hold none of the rules' keywords (or encoding
markers) is not parsed at all. A file that is not valid JSON is scanned as text, and the report says so.

Example:
    >>> import json
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> nb = {"cells": [{"cell_type": "code", "source": [f"login('{tok}')"], "outputs": [], "metadata": {}}],
    ...       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    >>> [(f.location, f.line, f.column) for f in scan_notebook(json.dumps(nb)).findings]
    [('cells[0].source', 1, 8)]
"""

from __future__ import annotations


from . import engine
from .engine import hits_to_findings, might_contain_secret, scan_text
from .findings import Edit, Finding
from .lazy import field, lazy_import, record
from .misuse import RAW_MARKERS_RE2, MarkerLines, might_misuse, might_misuse_bytes
from .python import scan_python, secrets_of_each
from .redact import Redactor, apply_edits, redact

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported by a scan: start-up time)
    import json
    from typing import Any, Iterator
else:  # imported when first used: a scan of Python files only never loads it
    json = lazy_import("json", globals())

__all__ = ["ScanReport", "scan_notebook", "iter_fields", "redact_notebook", "redact_notebook_model", "NotebookField"]



@record
class ScanReport:
    """The result of scanning one document.

    Attributes:
        path: the path as given (``""`` for standard input or in-memory data).
        findings: secrets and misuse warnings, in document order.
        kind: ``notebook``, ``python``, ``text`` or ``notebook-as-text`` (a notebook that is not valid JSON).
        notes: things the user should know about how it was scanned (``"not valid JSON: scanned as text"``).
    """

    path: str = ""
    findings: list[Finding] = field(default_factory=list)
    kind: str = "text"
    notes: list[str] = field(default_factory=list)

    @property
    def secrets(self) -> list[Finding]:
        """Unsuppressed literal secrets."""
        return [f for f in self.findings if f.is_secret and not f.suppressed]

    @property
    def warnings(self) -> list[Finding]:
        """Unsuppressed misuse warnings."""
        return [f for f in self.findings if not f.is_secret and not f.suppressed]


@record
class NotebookField:
    """One text field of a notebook, with where it lives and how it is scanned."""

    location: str
    text: str
    mode: str               # "code" (IPython source) or "text"
    container: Any          # the dict or list holding the value (for redaction)
    key: Any                # key or index of the value in the container


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


class _Keys:
    """The keys of a dict as a container of :class:`NotebookField`: ``keys[k]`` is ``k``, and setting it
    renames the key in place (same position), so that redaction treats a key like any other string."""

    __slots__ = ("d",)

    def __init__(self, d: dict[str, Any]) -> None:
        self.d = d

    def __getitem__(self, k: str) -> str:
        return k

    def __setitem__(self, k: str, new: str) -> None:
        if new == k or k not in self.d:
            return
        base, n = new, 2
        while new in self.d:  # never merge two entries (that would lose one)
            new, n = f"{base}-{n}", n + 1
        items = [(new if key == k else key, v) for key, v in self.d.items()]
        self.d.clear()
        self.d.update(items)


def _secret_keys(d: dict[Any, Any]) -> frozenset[str]:
    """The keys of ``d`` that may hold a secret (one prefilter for all of them: almost always none)."""
    keys = [k for k in d if isinstance(k, str)]
    if not keys or not might_contain_secret("\n".join(keys)):
        return frozenset()
    return frozenset(k for k in keys if might_contain_secret(k))


def _name(k: Any, flagged: frozenset[str]) -> str:
    # A key that holds a secret is masked in the locations built from it (they are shown in reports).
    return redact(k) if k in flagged else str(k)


def _key_fields(d: dict[str, Any], location: str, flagged: frozenset[str]) -> Iterator[NotebookField]:
    keys = _Keys(d)
    for k in [k for k in d if k in flagged]:
        yield NotebookField(f"{location}.{_name(k, flagged)}#key" if location else f"{_name(k, flagged)}#key",
                            k, "text", keys, k)


def _walk_generic(value: Any, location: str, container: Any, key: Any) -> Iterator[NotebookField]:
    # Iterative (a stack, not recursion): deeply nested metadata must not crash the scan.
    stack: list[tuple[Any, ...]] = [(value, location, container, key)]
    while stack:
        item = stack.pop()
        if len(item) == 3:  # the keys of a dict, after its values (renaming a key moves its values)
            yield from _key_fields(*item)
            continue
        value, location, container, key = item
        # nbformat's multiline strings (source, stream text, mime bundles) are lists to join; any
        # other list of strings (a traceback, tags) holds separate values.
        text = value if isinstance(value, str) else (
            _text_of(value) if key in ("source", "text") or "/" in str(key) else None)
        if text is not None:
            yield NotebookField(location, text, "text", container, key)
        elif isinstance(value, dict):
            flagged = _secret_keys(value)
            if flagged:
                stack.append((value, location, flagged))
            stack.extend((v, f"{location}.{_name(k, flagged)}" if location else _name(k, flagged), value, k)
                         for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((v, f"{location}[{i}]", value, i) for i, v in reversed(list(enumerate(value))))


def _is_python(nb: dict[str, Any]) -> bool:
    """Whether the notebook's code cells are (I)Python (the default when the metadata does not say)."""
    meta: dict[str, Any] = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}  # type: ignore[assignment]
    info: dict[str, Any] = meta.get("language_info") if isinstance(meta.get("language_info"), dict) else {}  # type: ignore[assignment]
    spec: dict[str, Any] = meta.get("kernelspec") if isinstance(meta.get("kernelspec"), dict) else {}  # type: ignore[assignment]
    return str(info.get("name") or spec.get("language") or "python").lower() in ("python", "python3", "ipython")


def iter_fields(nb: dict[str, Any]) -> Iterator[NotebookField]:
    """Every text field of a parsed notebook, cells first, in document order.

    Example:
        >>> nb = {"cells": [{"cell_type": "markdown", "source": "hi", "metadata": {}}], "metadata": {}}
        >>> [(f.location, f.mode) for f in iter_fields(nb)]
        [('cells[0].cell_type', 'text'), ('cells[0].source', 'text')]
    """
    python = _is_python(nb)
    cells = nb.get("cells")
    if isinstance(cells, list):
        for i, cell in enumerate(cells):
            base = f"cells[{i}]"
            if not isinstance(cell, dict):
                yield from _walk_generic(cell, base, cells, i)
                continue
            flagged = _secret_keys(cell)
            # (every field, the cell's id and cell_type too: a 37-character token is a valid id)
            for key, value in list(cell.items()):
                loc = f"{base}.{_name(key, flagged)}"
                if key == "source":
                    text = _text_of(value)
                    if text is not None:
                        code = cell.get("cell_type") == "code" and python
                        yield NotebookField(loc, text, "code" if code else "text", cell, key)
                    else:
                        yield from _walk_generic(value, loc, cell, key)
                elif key == "outputs" and isinstance(value, list):
                    for j, out in enumerate(value):
                        yield from _walk_generic(out, f"{loc}[{j}]", value, j)
                else:
                    yield from _walk_generic(value, loc, cell, key)
            yield from _key_fields(cell, base, flagged)
    elif cells is not None:
        yield from _walk_generic(cells, "cells", nb, "cells")
    flagged = _secret_keys(nb)
    for key, value in list(nb.items()):
        if key != "cells":
            yield from _walk_generic(value, _name(key, flagged), nb, key)
    yield from _key_fields(nb, "", flagged)


def _code_fields(nb: dict[str, Any]) -> Iterator[NotebookField]:
    """Only the code cells' sources (misuse checks need nothing else)."""
    cells = nb.get("cells")
    if not _is_python(nb) or not isinstance(cells, list):
        return
    for i, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = _text_of(cell.get("source"))
            if text is not None:
                yield NotebookField(f"cells[{i}].source", text, "code", cell, "source")


def scan_notebook(data: bytes | str | dict[str, Any], *, path: str = "", misuse: bool = True) -> ScanReport:
    """Scan a notebook given as raw bytes, text or an already parsed dict.

    Raw input is parsed only when its bytes hold a candidate: a rule keyword followed by a full body
    (or by a short one ending at a quote, which may continue in a concatenation), an encoding marker,
    or, for misuse warnings, one of their markers; and then only the fields that can hold one are
    scanned.

    Example:
        >>> scan_notebook(b'{"cells": []}').findings
        []
        >>> from hfsecure_jupyter.testing import fake_token
        >>> truncated = ('{"cells": [{"source": ["' + fake_token(seed=1)).encode()
        >>> report = scan_notebook(truncated)
        >>> report.kind, [f.line for f in report.findings]
        ('notebook-as-text', [1])
    """
    report = ScanReport(path=path, kind="notebook")
    if isinstance(data, dict):
        nb = data
        secrets_possible = True
    else:
        raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
        secrets_possible, misuse_possible, stripped = _gates(raw, misuse)
        if not secrets_possible and not misuse_possible:
            return report
        try:
            nb = _parse(raw, raw if secrets_possible else stripped)
        except (ValueError, RecursionError) as exc:
            text = raw.decode("utf-8", "replace")
            report.kind = "notebook-as-text"
            report.notes.append(f"not valid JSON ({_short(exc)}): scanned as text")
            report.findings = scan_text(text)
            return report
        if not isinstance(nb, dict):
            report.notes.append("not a notebook (top level is not an object): scanned its strings")
            nb = {"": nb}
    if not isinstance(nb.get("cells"), list):
        report.notes.append("no cells list: scanned every string in the document")
    fields = iter_fields(nb) if secrets_possible else _code_fields(nb)
    # Text fields go to the engine in batches, one pass each (a notebook's widget state holds tens of
    # thousands of short strings: ~15 us each scanned alone), code cells one by one, in document order.
    pending: list[NotebookField] = []
    size = 0
    for f in fields:
        if f.mode == "code":
            report.findings += _text_findings(pending)
            if secrets_possible or might_misuse(f.text):
                report.findings += scan_python(f.text, location=f.location, misuse=misuse)
        elif secrets_possible and len(f.text) > _SHORT_FIELD:  # (alone: joining it to others only copies it)
            report.findings += _text_findings(pending)
            report.findings += scan_text(f.text, location=f.location)
        elif secrets_possible:
            pending.append(f)
            size += len(f.text)
            if len(pending) >= _BATCH_FIELDS or size >= _BATCH_CHARS:
                report.findings += _text_findings(pending)
                size = 0
    report.findings += _text_findings(pending)
    return report


_SHORT_FIELD = 4096  # characters: a longer text field is scanned alone
_BATCH_FIELDS = 256
_BATCH_CHARS = 1 << 16


def _text_findings(fields: list[NotebookField]) -> list[Finding]:
    """``scan_text`` of each field, in order, from one engine pass over them all (:func:`secrets_of_each`);
    ``fields`` is emptied."""
    if not fields:
        return []
    if len(fields) == 1:
        out = scan_text(fields[0].text, location=fields[0].location)
    else:
        out = []
        for f, hits in zip(fields, secrets_of_each([f.text for f in fields])):
            if hits:
                out += hits_to_findings(f.text, hits, f.location)
    fields.clear()
    return out


def _gates(raw: bytes, misuse: bool) -> tuple[bool, bool, bytes]:
    """Whether a notebook's raw bytes may hold a secret, and a misuse, and the bytes without their image
    payloads (``raw`` when they were not cut): with the accelerator, one DFA pass over the raw bytes
    first (the image payloads a match falls in skipped) settles most notebooks; the exact tests run on
    what it flags, once each, on the bytes without their image payloads."""
    at = engine.raw_gate(raw, RAW_MARKERS_RE2 if misuse else b"", where=misuse)  # (only _markers_only reads it)
    if at is not None:  # (None: no accelerator, the exact tests alone)
        if at < 0:
            return False, False, raw
        misuse_possible = _markers_only(raw, at) if misuse else None
        if misuse_possible is not None:
            return False, misuse_possible, raw
    stripped = engine.without_images(raw)
    # (Past the gate, it saw a match of the superset, or one it could not tell from it: _markers_only
    # answers None only there. The exact tests alone then: they accept nothing the superset would not.)
    return (engine.raw_candidates_stripped(stripped, superset_seen=at is not None),
            misuse and might_misuse_bytes(stripped), stripped)


_MARKER_STEPS = 256  # matches read one by one before the gate's last pass falls back to two (linear)


def _markers_only(raw: bytes, at: int) -> bool | None:
    """From the gate's first match at ``at`` on, one pass of the gate (image payloads skipped) reading
    what each match is: None at the first place that may hold a secret (the exact tests decide then),
    else whether a misuse marker stands on a line that may be misuse. Cutting the images and checking the
    cut bytes again, or two more passes (secrets, then markers), cost more than the notebook's first pass.
    A notebook dense with markers is read in two passes after ``_MARKER_STEPS`` of them."""
    lines = MarkerLines(raw)
    line_end = -1  # the markers before it are on a line that cannot be misuse
    pos = at
    for _ in range(_MARKER_STEPS):
        if engine.raw_superset_at(raw, pos):
            return None
        if pos >= line_end:
            line_end = lines.clears(pos)
            if line_end < 0:  # a misuse may be there: is a secret too?
                return True if engine.raw_gate(raw, b"", pos + 1) == -1 else None
        pos = engine.raw_gate(raw, RAW_MARKERS_RE2, pos + 1)  # type: ignore[assignment]  # (not None: at was not)
        if pos < 0:
            return False
    if engine.raw_gate(raw, b"", pos) != -1:
        return None
    return might_misuse_bytes(raw, pos)


def _parse(raw: bytes, stripped: bytes) -> Any:
    """The parsed notebook: from ``stripped`` when it is not ``raw`` (for misuse alone the code cells
    are what counts, and the bytes without their images parse faster), else, or when those do not parse
    (a payload cut where it should not have been), from ``raw``."""
    if stripped is not raw:
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            pass
    return json.loads(raw)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _edit_parts(parts: list[str], edits: list[Edit]) -> list[str]:
    """Apply edits made on ``"".join(parts)`` to the parts themselves, keeping their boundaries.

    An edit that spans parts puts its replacement in the first and removes its text from the others.
    """
    out = []
    pos = 0
    for part in parts:
        start, end = pos, pos + len(part)
        local = []
        for e in edits:
            lo, hi = max(e.start, start), min(e.end, end)
            if lo < hi or (e.start == e.end == lo and start <= lo < end):
                local.append(Edit(lo - start, hi - start, e.replacement if e.start >= start else ""))
        out.append(apply_edits(part, local))
        pos = end
    return out


def _field_edits(f: NotebookField, redactor: Redactor) -> list[Edit]:
    edits = [e for fd in scan_python(f.text, misuse=False) for e in fd.edits] if f.mode == "code" else []
    edits += redactor.edits(f.text)
    edits.sort(key=lambda e: (e.start, -(e.end - e.start)))
    kept: list[Edit] = []
    for e in edits:
        if kept and e.start < kept[-1].end:
            continue
        kept.append(e)
    return kept


def _string_starts(text: str, enc: str) -> list[int]:
    """Where the JSON string ``enc`` (quotes included) stands in ``text``: only at a quote that is not
    escaped (a quote after an odd run of backslashes is inside another string)."""
    starts = []
    i = text.find(enc)
    while i >= 0:
        k = i - 1
        while k >= 0 and text[k] == "\\":
            k -= 1
        if (i - 1 - k) % 2 == 0:
            starts.append(i)
        i = text.find(enc, i + 1)
    return starts


def _splice_strings(text: str, replacements: list[tuple[str, str]]) -> str | None:
    """``text`` with each changed JSON string replaced where it stands, every other character kept.

    The same string may hold a secret in several fields (two cells holding just the token): each one
    is counted, and the occurrences in the file must be exactly as many (written with or without
    ``\\u`` escapes). None when they are not, or when one old string would need two different new
    ones: the caller then re-serialises the document.
    """
    wanted: dict[str, list[str]] = {}
    for old, new in replacements:
        wanted.setdefault(old, []).append(new)
    spans: list[tuple[int, int, str]] = []
    for old, news in wanted.items():
        if len(set(news)) != 1:
            return None
        found = []
        for ensure_ascii in ((False,) if old.isascii() else (False, True)):
            enc = json.dumps(old, ensure_ascii=ensure_ascii)
            new_enc = json.dumps(news[0], ensure_ascii=ensure_ascii)
            found += [(i, i + len(enc), new_enc) for i in _string_starts(text, enc)]
        if len(found) != len(news):
            return None
        spans += found
    spans.sort()
    pieces, pos = [], 0
    for start, end, new_enc in spans:
        if start < pos:  # overlapping matches: not two separate strings
            return None
        pieces += [text[pos:start], new_enc]
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def redact_notebook(data: bytes, redactor: Redactor | None = None) -> tuple[bytes, ScanReport]:
    """Mask every secret in a notebook's bytes, keeping every other byte where it can.

    Each changed JSON string is replaced where it stands in the file, so formatting, key order and
    unrelated content are untouched; only if a string cannot be found as written does the whole
    document get re-serialised in nbformat's style (and the report says so). Suppressed findings are
    redacted too only when they are secrets; misuse is reported, not rewritten.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> out, rep = redact_notebook(('{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["'
        ...                             + tok + '"]}]}').encode())
        >>> out.decode()
        '{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["hf_****oOOL"]}]}'
    """
    redactor = redactor or Redactor()
    report = scan_notebook(data, misuse=False)
    if not any(f.is_secret for f in report.findings):
        return data, report
    if report.kind == "notebook-as-text":
        text = data.decode("utf-8", "surrogateescape")
        return redactor.redact(text).encode("utf-8", "surrogateescape"), report
    # As json.loads read it: UTF-8 with or without a BOM, UTF-16 or UTF-32 (written back the same way).
    encoding = json.detect_encoding(data)
    text = data.decode(encoding, "surrogatepass")
    doc = json.loads(text)
    nb = doc if isinstance(doc, dict) else {"": doc}  # valid JSON, not a notebook: its strings still
    replacements: list[tuple[str, str]] = []
    for f in iter_fields(nb):
        if not might_contain_secret(f.text):
            continue
        edits = _field_edits(f, redactor)
        if not edits:
            continue
        value = f.container[f.key]
        old_parts = value if isinstance(value, list) else [value]
        new_parts = _edit_parts(old_parts, edits)
        replacements += [(o, n) for o, n in zip(old_parts, new_parts) if o != n]
        f.container[f.key] = new_parts if isinstance(value, list) else new_parts[0]
    spliced = _splice_strings(text, replacements)
    ok = spliced is not None
    out = spliced if spliced is not None else text
    indent = 1 if text.startswith("{\n ") and not text.startswith("{\n  ") else 2
    doc = nb if isinstance(doc, dict) else nb[""]
    if not ok:
        out = json.dumps(doc, indent=indent, ensure_ascii=False, sort_keys=True) + "\n"
        report.notes.append("the notebook was re-serialised in nbformat's layout to redact it")
    try:
        return out.encode(encoding), report
    except UnicodeEncodeError:  # a lone surrogate (written as an escape): keep it an escape
        out = json.dumps(doc, indent=indent, ensure_ascii=True, sort_keys=True) + "\n"
        if "the notebook was re-serialised in nbformat's layout to redact it" not in report.notes:
            report.notes.append("the notebook was re-serialised in nbformat's layout to redact it")
        return out.encode(encoding), report



_IMAGE_KEYS = frozenset(("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"))
_B64_DELETE = str.maketrans("", "", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n")


def redact_notebook_model(model: dict[str, Any], redactor: Redactor | None = None, *, skip_images: bool = False
                          ) -> tuple[dict[str, Any], list[Finding]]:
    """Mask every secret in a parsed notebook (the dict a contents manager or a frontend holds), in place.

    Only the strings that hold a secret change (sources, outputs, metadata, attachments, saved widget
    state); list-of-lines values keep their line boundaries; every other key and value stays as given.
    Returns the same dict and the secrets found (locations as :func:`scan_notebook` gives them).
    ``skip_images`` leaves plain base64 payloads of binary images (``image/png`` ...) unread, as the raw
    prefilter of :func:`scan_notebook` does (they are most of a large notebook's bytes).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> nb = {"cells": [{"cell_type": "code", "source": ["x = 1\\n", f"login('{tok}')"], "outputs": [],
        ...                  "metadata": {}}], "metadata": {}}
        >>> nb, found = redact_notebook_model(nb)
        >>> nb["cells"][0]["source"], [f.location for f in found]
        (['x = 1\\n', "login('hf_****oOOL')"], ['cells[0].source'])
    """
    redactor = redactor or Redactor()
    findings: list[Finding] = []
    for f in iter_fields(model):
        if f.key in _IMAGE_KEYS and f.text.isascii() and not f.text.translate(_B64_DELETE):
            # A plain base64 image: its JSON form is itself, so the exact raw check applies (it decodes only
            # where a marker is; the text prefilter would flag most large random payloads).
            if skip_images or not engine.raw_candidates(f.text.encode("ascii")):
                continue
        elif not might_contain_secret(f.text):
            continue
        found = [fd for fd in (scan_python(f.text, location=f.location, misuse=False) if f.mode == "code"
                               else scan_text(f.text, location=f.location)) if fd.is_secret]
        if not found and not redactor.known_count:  # the common case: a keyword, no secret (one scan)
            continue
        edits = _field_edits(f, redactor)
        if not edits:
            continue
        findings += found
        value = f.container[f.key]
        parts = _edit_parts(value if isinstance(value, list) else [value], edits)
        f.container[f.key] = parts if isinstance(value, list) else parts[0]
    return model, findings

"""Where in a parsed notebook a secret may be: the core's raw-bytes prefilter over its keys and strings.

A save asks of a parsed notebook which cells, and whether the rest, may hold a secret (the server's save
hook reads only those). One raw check answers for the whole notebook (almost always: nowhere), then
bisection over the cells finds the flagged ones.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> candidate_cells({"cells": [{"source": "x = 1"}, {"source": fake_token()}], "metadata": {}})
    (frozenset({1}), False)
"""

from __future__ import annotations

from .engine import raw_candidates
from .lazy import lazy_import

TYPE_CHECKING = False
if TYPE_CHECKING:
    import json
    from typing import Any
else:  # (a scan that finds no candidate in a file's bytes never asks: start-up time)
    json = lazy_import("json", globals())

__all__ = ["candidate_cells", "code_view", "model_candidates", "is_image_payload"]

_IMAGE_KEYS = frozenset(("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"))
_B64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n"


def _strings(value: Any, out: list[str]) -> list[str]:
    """Every key and string under ``value`` into ``out`` (plain base64 image payloads left out)."""
    # Strings are taken where they are met (never pushed on the stack): most of a notebook is lines.
    append = out.append
    if isinstance(value, str):
        append(value)
    stack = [value] if isinstance(value, (dict, list)) else []
    push = stack.append
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                append(k if isinstance(k, str) else str(k))
                if isinstance(v, str):
                    if not (k in _IMAGE_KEYS and _is_b64(v)):
                        append(v)
                elif isinstance(v, (dict, list)):
                    push(v)
        else:
            for v in value:
                if isinstance(v, str):
                    append(v)
                elif isinstance(v, (dict, list)):
                    push(v)
    return out


def _encode(strings: list[str]) -> bytes:
    return json.dumps(strings, ensure_ascii=False).encode("utf-8", "surrogatepass")


def model_candidates(nb: Any) -> bool:
    """The core's raw-bytes prefilter (``engine.raw_candidates``) for a parsed notebook: every key and string
    as a JSON array, plain base64 image payloads left out as the raw prefilter leaves them out of a file.
    About 3x cheaper than serialising the notebook (20 MB with images: ~15 ms).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> model_candidates({"cells": [{"source": "from huggingface_hub import hf_hub_download"}]})
        False
        >>> model_candidates({"metadata": {"x": [fake_token()]}})
        True
    """
    return raw_candidates(_encode(_strings(nb, [])))


_MAX_FLAGGED = 32  # cells located one by one; past that, the whole notebook is walked (still linear)


def candidate_cells(nb: dict[str, Any]) -> tuple[frozenset[int], bool] | None:
    """Where :func:`model_candidates` would find a candidate: None for nowhere (the usual save), else the
    indices of the cells that may hold a secret and whether the rest of the notebook may (True also
    when the cells cannot be told apart: no cells list, or too many flagged cells).

    One raw check over the whole notebook, as :func:`model_candidates`; after a hit, halves of the cells
    are checked again (bisection) until the flagged cells are found: a token costs about one more pass.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> cells = [{"source": "x = 1"}, {"source": f"t = '{fake_token()}'"}, {"source": "y = 2"}]
        >>> candidate_cells({"cells": cells, "metadata": {}})
        (frozenset({1}), False)
        >>> candidate_cells({"cells": cells[:1], "metadata": {}}) is None
        True
    """
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return (frozenset(), True) if model_candidates(nb) else None
    parts = [_encode(_strings(cell, [])) for cell in cells]
    rest = _encode(_strings({k: v for k, v in nb.items() if k != "cells"}, ["cells"]))
    if not raw_candidates(b",".join([*parts, rest])):
        return None
    # A range whose other half (or the rest) was clean while their union was not is taken as flagged
    # without a check of its own: each check of a flagged cell reads it whole (~0.5 s for a MB dense in
    # keywords), and taking a range for flagged only scans more.
    in_rest = raw_candidates(rest)
    flagged: list[int] = []
    ranges = [(0, len(parts), not in_rest)]
    while ranges:
        lo, hi, known = ranges.pop()
        if not known and not raw_candidates(b",".join(parts[lo:hi])):
            continue
        if hi - lo == 1:
            flagged.append(lo)
            if len(flagged) > _MAX_FLAGGED:
                return frozenset(range(len(parts))), True
            continue
        mid = (lo + hi) // 2
        if raw_candidates(b",".join(parts[lo:mid])):
            ranges += [(mid, hi, False), (lo, mid, True)]
        else:
            ranges.append((mid, hi, True))
    return frozenset(flagged), in_rest


def _is_b64(value: str) -> bool:
    # (bytes.translate deletes by a table: ~25 % faster than str.translate on an 80 KB payload)
    return value.isascii() and not value.encode("ascii").translate(None, _B64_BYTES)


def is_image_payload(key: Any, value: Any) -> bool:
    """Whether ``value`` under ``key`` is a plain base64 image payload (``image/png``: ``iVBOR...``), which
    the raw prefilter leaves out of a notebook's bytes.

    Example:
        >>> is_image_payload("image/png", "iVBORw0KGgo="), is_image_payload("text/plain", "iVBORw0KGgo=")
        (True, False)
    """
    return key in _IMAGE_KEYS and isinstance(value, str) and _is_b64(value)


def code_view(nb: dict[str, Any]) -> dict[str, Any]:
    """Only what a misuse check reads: code cells' sources (at their indices) and the language metadata."""
    cells = nb.get("cells")
    cells = cells if isinstance(cells, list) else []
    meta = nb.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return {"cells": [{"cell_type": "code", "source": c.get("source", "")}
                      if isinstance(c, dict) and c.get("cell_type") == "code" else {} for c in cells],
            "metadata": {k: meta[k] for k in ("language_info", "kernelspec") if k in meta}}

"""The detection core: does this text, cell, output or notebook hold a secret, and exactly where?

Pure Python (standard library only). Every adapter (kernel guard, output redaction, save hook,
sidebar, CLI, job builder) calls these functions; none has a matcher of its own.

Example:
    >>> from hfsecure_jupyter import detect
    >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
    >>> [f.preview for f in detect.scan_cell(f'login(token="{tok}")')]
    ['hf_****oOOL']
    >>> detect.redact(f"echo {tok}")
    'echo hf_****oOOL'
"""

from __future__ import annotations

from .engine import find_secrets, line_col, might_contain_secret, scan_text
from .findings import Edit, Finding, fingerprint, mask_secret
from .misuse import MISUSE_RULES, is_secret_name, scan_misuse
from .notebook import ScanReport, iter_fields, redact_notebook, redact_notebook_model, scan_notebook
from .python import mask_ipython, scan_cell, scan_python
from .redact import Redactor, StreamRedactor, apply_edits, redact, redact_strict
from .rules import RULES, Rule, looks_like_placeholder, rule_by_id
from .files import (REWRITE_ATTEMPTS, FileChanged, is_binary, kind_for_path, redact_bytes, redact_file,
                    redacted_bytes, rewrite_file, scan_bytes, scan_file)

__all__ = [
    "Edit", "Finding", "MISUSE_RULES", "RULES", "Redactor", "Rule", "ScanReport", "StreamRedactor",
    "apply_edits", "find_secrets", "fingerprint", "is_secret_name", "iter_fields", "line_col",
    "looks_like_placeholder", "mask_ipython", "mask_secret", "might_contain_secret", "redact",
    "redact_bytes", "redact_file", "rewrite_file", "FileChanged", "redact_notebook", "redact_notebook_model", "redact_strict",
    "rule_by_id", "scan_bytes", "is_binary", "kind_for_path", "redacted_bytes", "REWRITE_ATTEMPTS", "scan_cell", "scan_file", "scan_misuse",
    "scan_notebook", "scan_python", "scan_text",
]

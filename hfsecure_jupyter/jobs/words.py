"""Words the job spec and its renderings share: placeholder names and the ``uv run`` command line.

Example:
    >>> placeholder_name("$HF_TOKEN"), uv_run_words(["rich"], None, ["job.py"], [])
    ('HF_TOKEN', ['uv', 'run', '--with', 'rich', 'job.py'])
"""

from __future__ import annotations

import shlex
from typing import Any, Iterable

from ..constants import PLACEHOLDER_RE as _PLACEHOLDER

__all__ = ["placeholder_name", "uv_run_words"]


def placeholder_name(value: str) -> str | None:
    """The variable a ``$NAME`` / ``${NAME}`` placeholder names, or None for any other text.

    Example:
        >>> placeholder_name("$HF_TOKEN"), placeholder_name("${WANDB_API_KEY}"), placeholder_name("abc")
        ('HF_TOKEN', 'WANDB_API_KEY', None)
    """
    m = _PLACEHOLDER.match(value.strip()) if isinstance(value, str) else None
    return (m.group("b") or m.group("p")) if m else None


def uv_run_words(dependencies: Iterable[str], python: str | None, script: list[str], script_args: Iterable[str],
                 *, joined: bool = False) -> Any:
    """``uv run [--with DEP]... [--python PY] SCRIPT [ARGS]`` as a list (or a shell-quoted string)."""
    words = ["uv", "run"]
    for dep in dependencies:
        words += ["--with", dep]
    if python:
        words += ["--python", python]
    words += list(script) + list(script_args)
    return shlex.join(words) if joined else words

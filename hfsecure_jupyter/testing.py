"""Fake secrets for tests, docs and demos, built at run time.

The project never commits a token-shaped string (hosting services reject pushes holding one, and
``hfsecure scan .`` must find nothing in its own tree), so every example token is made here.

Example:
    >>> tok = fake_token(seed=1)
    >>> tok.startswith("hf_") and len(tok) == 37
    True
    >>> fake_token(seed=1) == tok
    True
"""

from __future__ import annotations

import random
from typing import Callable

__all__ = ["fake_token", "FAKE_KINDS"]

def _kinds() -> "dict[str, Callable[[random.Random, bool], str]]":
    # Derived from the rules: each rule record says how its fake is made.
    from .detect.rules import RULES

    return {r.fake_kind: r.make_fake for r in RULES if r.fake}


#: kind -> maker(rng, digits), one per rule (its ``fake_kind``).
FAKE_KINDS = _kinds()


def fake_token(kind: str = "hf", *, seed: int | None = None, digits: bool = True) -> str:
    """A random, valid-looking secret of ``kind`` (see :data:`FAKE_KINDS`), made now.

    Args:
        kind: ``hf`` (default), ``hf-org``, ``openai``, ``anthropic``, ``github``,
            ``github-fine-grained``, ``aws``, ``google`` or ``slack``.
        seed: make the same token every time (for doctests); None for a fresh one.
        digits: for ``hf`` kinds, draw the body from letters and digits (True) or letters only.

    Example:
        >>> fake_token("aws", seed=3)[:4]
        'AKIA'
    """
    rng = random.Random(seed)
    return FAKE_KINDS[kind](rng, digits)

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
import string

__all__ = ["fake_token", "FAKE_KINDS"]

_ALNUM = string.ascii_letters + string.digits


def _body(rng: random.Random, n: int, alphabet: str) -> str:
    # Guarantee the mixed case a real body has (a random 34-letter body lacks it once in 10^10).
    while True:
        body = "".join(rng.choice(alphabet) for _ in range(n))
        if any(c.islower() for c in body) and any(c.isupper() for c in body):
            return body


def _hf(rng: random.Random, digits: bool) -> str:
    return "hf_" + _body(rng, 34, _ALNUM if digits else string.ascii_letters)


FAKE_KINDS = {
    "hf": lambda rng, digits: _hf(rng, digits),
    "hf-org": lambda rng, digits: "api" + "_org_" + _body(rng, 34, _ALNUM if digits else string.ascii_letters),
    "openai": lambda rng, digits: "sk-" + "proj-" + _body(rng, 40, _ALNUM) + "T3Blbk" + "FJ" + _body(rng, 40, _ALNUM),
    "anthropic": lambda rng, digits: "sk-" + "ant-api03-" + _body(rng, 93, _ALNUM + "-_") + "AA",
    "github": lambda rng, digits: "gh" + "p_" + _body(rng, 36, _ALNUM),
    "github-fine-grained": lambda rng, digits: "github" + "_pat_" + _body(rng, 22, _ALNUM) + "_" + _body(rng, 59, _ALNUM),
    "aws": lambda rng, digits: "AK" + "IA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
    "google": lambda rng, digits: "AI" + "za" + _body(rng, 35, _ALNUM + "-_"),
    "slack": lambda rng, digits: "xox" + "b-" + "".join(rng.choice(string.digits) for _ in range(12)) + "-"
    + "".join(rng.choice(string.digits) for _ in range(13)) + "-" + _body(rng, 24, _ALNUM),
}


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

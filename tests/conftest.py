"""Shared fixtures: fake secrets are built at run time (the repository holds no token-shaped string)."""

from __future__ import annotations

import pytest

from hfsecure_jupyter.testing import fake_token


@pytest.fixture
def tok() -> str:
    """A fresh, valid-looking Hugging Face user token (letters and digits)."""
    return fake_token()


@pytest.fixture
def make_token():
    """Factory: ``make_token("openai")`` -> a fresh fake secret of that kind."""
    return fake_token

"""The private huggingface_hub names hfsecure reads, pinned against the installed version: an upgrade that
renames or reshapes one fails here instead of silently finding nothing (a token left unmasked)."""

from __future__ import annotations

import importlib
import inspect
import re
import sys

from hfsecure_jupyter.hub import client_internals
from hfsecure_jupyter.testing import fake_token


def test_every_name_exists_with_its_shape_in_the_installed_version():
    import huggingface_hub

    mod = importlib.import_module(client_internals.MODULE)
    for name, keys in client_internals.NAMES.items():
        assert hasattr(mod, name), f"huggingface_hub {huggingface_hub.__version__} has no {name}"
        value = getattr(mod, name)
        if keys == ("function",):
            assert callable(value) and not inspect.signature(value).parameters, name
        elif keys == ("",):
            assert value is None or isinstance(value, str), name
        else:  # a dict once filled, None before
            assert value is None or isinstance(value, dict), name
    # The shapes of the dicts, as the module fills them (read from its source: they start empty).
    source = inspect.getsource(mod)
    for name, keys in client_internals.NAMES.items():
        if keys not in (("function",), ("",)):
            for key in keys:  # a TypedDict field or a subscript
                assert re.search(rf"""["']{key}["']|^\s+{key}:""", source, re.M), \
                    f"{name}[{key!r}] is not set by {client_internals.MODULE}"


def test_pinned_version_is_the_installed_one():
    import huggingface_hub

    assert huggingface_hub.__version__ == client_internals.PINNED_VERSION, (
        "huggingface_hub changed: check client_internals.NAMES against it, then update PINNED_VERSION")


def test_cached_tokens_reads_what_the_client_holds(monkeypatch):
    mod = importlib.import_module(client_internals.MODULE)
    oidc, colab = fake_token(), fake_token()
    monkeypatch.setattr(mod, "_OIDC_TOKEN_CACHE", {"token": oidc, "expires_at": 0})
    monkeypatch.setattr(mod, "_GOOGLE_COLAB_SECRET", colab)
    assert set(client_internals.cached_tokens()) >= {oidc, colab}
    monkeypatch.setattr(mod, "_OIDC_TOKEN_CACHE", ["an unexpected shape"])
    assert oidc not in client_internals.cached_tokens()  # ignored, no error


def test_cached_tokens_never_imports_the_client(monkeypatch):
    monkeypatch.delitem(sys.modules, client_internals.MODULE, raising=False)
    assert client_internals.cached_tokens() == []
    assert client_internals.MODULE not in sys.modules


def test_colab_token_outside_colab_is_none(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert client_internals.colab_token() is None


def test_device_login_names_exist_in_the_installed_version():
    for module, names in client_internals.DEVICE_LOGIN.items():
        mod = importlib.import_module(module)
        for name in names:
            assert callable(getattr(mod, name, None)), f"{module}.{name} is gone"
    params = inspect.signature(importlib.import_module("huggingface_hub.utils._oauth_device").poll_device_token).parameters
    assert "on_pending" in params

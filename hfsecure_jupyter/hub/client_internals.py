"""The one place that reads huggingface_hub's private names (``huggingface_hub.utils._auth``).

huggingface_hub has no public way to ask for the Colab secret or an OIDC token without side effects, nor
to list the tokens it already holds in memory. These helpers read its private names as of the version in
:data:`PINNED_VERSION`; ``tests/hub/test_client_internals.py`` checks every name in :data:`NAMES` against
the installed version, so an upgrade that moves them fails a test instead of silently finding nothing.
Any other shape at run time is treated as "nothing there", never as an error.

Nothing here imports huggingface_hub unless asked to: :func:`cached_tokens` only reads a module that the
user's code already imported.

Example:
    >>> all(isinstance(t, str) for t in cached_tokens())
    True
    >>> sorted(NAMES)[:2]
    ['_GOOGLE_COLAB_SECRET', '_OAUTH_REFRESH_CACHE']
"""

from __future__ import annotations

import sys
from typing import Callable

__all__ = ["DEVICE_LOGIN", "MODULE", "NAMES", "PINNED_VERSION", "cached_tokens", "colab_token", "oidc_token",
           "poll_device_token", "request_device_code", "save_device_token"]

#: The private module read here.
MODULE = "huggingface_hub.utils._auth"
#: The huggingface_hub version these names were read from.
PINNED_VERSION = "2.4.0"
#: Every private name used, with what it is: ``"function"`` or the keys of a dict ("" for a str or None).
NAMES: dict[str, tuple[str, ...]] = {
    "_get_token_from_google_colab": ("function",),
    "_get_token_from_oidc": ("function",),
    "_OIDC_TOKEN_CACHE": ("token",),
    "_OAUTH_REFRESH_CACHE": ("resolved_token", "file_token"),
    "_GOOGLE_COLAB_SECRET": ("",),
}


def colab_token() -> str | None:
    """The Colab secret ``HF_TOKEN`` through huggingface_hub's own vault lookup (it caches the answer and
    handles Colab Enterprise). None outside Colab (``google.colab`` not imported by the runtime).

    Example:
        >>> colab_token() is None   # not in Colab
        True
    """
    if "google.colab" not in sys.modules:
        return None
    try:
        from huggingface_hub.utils._auth import _get_token_from_google_colab
    except ImportError:
        return None
    try:
        value = _get_token_from_google_colab()
    except Exception:  # noqa: BLE001 - the vault can refuse access; that means "no token from Colab"
        return None
    return value if isinstance(value, str) else None


def oidc_token() -> str | None:
    """The token huggingface_hub exchanges for ``HF_OIDC_RESOURCE`` (a network call, cached by it).

    Raises whatever huggingface_hub raises when OIDC is asked for but unavailable (the caller says why).
    """
    from huggingface_hub.utils._auth import _get_token_from_oidc

    value = _get_token_from_oidc()
    return value if isinstance(value, str) else None


def cached_tokens() -> list[str]:
    """Tokens huggingface_hub already holds in memory (OIDC, refreshed OAuth, Colab): read, never fetched.

    ``get_token()`` is not called: under ``HF_OIDC_RESOURCE`` it exchanges a token over the network with
    no timeout, and it may refresh an OAuth token, so calling it before every cell could hang the kernel.
    Empty unless the user's code has imported huggingface_hub.
    """
    mod = sys.modules.get(MODULE)
    if mod is None:
        return []
    found: list[str] = []
    for name, keys in NAMES.items():
        if keys == ("function",):
            continue
        try:
            value = getattr(mod, name, None)
            values = [value.get(k) for k in keys] if isinstance(value, dict) else [value] if keys == ("",) else []
            found += [v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= 8]
        except Exception:  # noqa: BLE001 - a changed internal shape must not stop the cell
            continue
    return found


# --- the device-code login (huggingface_hub 2.4's notebook_login, without its HTML displays) ------------
#: Private functions of the device-code login: module -> names. ``notebook_login()`` displays HTML and
#: blocks the cell while it polls; a widget needs the same three steps, run in a worker thread.
DEVICE_LOGIN: dict[str, tuple[str, ...]] = {
    "huggingface_hub.utils._oauth_device": ("request_device_code", "poll_device_token"),
    "huggingface_hub._login": ("_save_oauth_token",),
}


def request_device_code() -> dict:
    """``POST /oauth/device``: a dict with ``user_code``, ``verification_uri``, ``verification_uri_complete``,
    ``device_code``, ``interval``, ``expires_in`` (the device code is a one-time poll handle, not a token)."""
    from huggingface_hub.utils._oauth_device import request_device_code as request

    return dict(request())


def poll_device_token(info: dict, on_pending: "Callable[[], None] | None" = None) -> dict:
    """Poll ``POST /oauth/token`` until the user approves; the response holds the token: pass it straight to
    :func:`save_device_token` and drop it. Raises huggingface_hub's ``DeviceCodeError`` on denial/expiry."""
    from huggingface_hub.utils._oauth_device import poll_device_token as poll

    return dict(poll(info, on_pending=on_pending))  # type: ignore[arg-type]


def save_device_token(response: dict) -> tuple[str, str]:
    """Validate and store the token of a device-login response as huggingface_hub does (the token file and
    ``stored_tokens``, active). Returns ``(token name, user name)``."""
    from huggingface_hub._login import _save_oauth_token

    return _save_oauth_token(response)  # type: ignore[arg-type]

"""The secret values this process holds: Hugging Face tokens (env, token files, huggingface_hub's memory)
and secret-looking environment variables; what output redaction and the widgets mask by value.

Never touches the network and never imports huggingface_hub.

Example:
    >>> isinstance(known_secret_values(), list)
    True
"""

from __future__ import annotations

import os
import sys
from typing import Iterable

from .. import detect

__all__ = ["known_secret_values", "token_file_paths"]

# Names the secret-name pattern matches that hold no secret (a path, a socket).
_NOT_SECRET_NAMES = frozenset({"PWD", "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "GPG_AGENT_INFO", "KRB5CCNAME",
                               "HF_TOKEN_PATH", "SSH_AUTH_SOCK_PATH"})

def token_file_paths() -> list[str]:
    """Where huggingface_hub keeps the logged-in token and the stored tokens .

    Example:
        >>> all(p.endswith(("token", "stored_tokens")) for p in token_file_paths())
        True
    """
    from . import auth

    return [auth.token_file_path(), auth.stored_tokens_path()]


_FILE_CACHE: dict[str, tuple[float, int, tuple[str, ...]]] = {}


def _values_in_file(path: str) -> tuple[str, ...]:
    """Secret values in a token file (a bare token) or stored_tokens (INI ``hf_token = ...``)."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    cached = _FILE_CACHE.get(path)
    if cached and cached[0] == st.st_mtime and cached[1] == st.st_size:
        return cached[2]
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(65536)
    except OSError:
        return ()
    values = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("[", "#", ";")):
            continue
        if "=" in line:  # stored_tokens: "hf_token = <value>" (a token itself holds no "=")
            key, _, val = line.partition("=")
            if "token" in key.lower():
                values.append(val.strip())
        else:
            values.append(line)
    out = tuple(v for v in values if len(v) >= 8)
    _FILE_CACHE[path] = (st.st_mtime, st.st_size, out)
    return out


def _looks_like_value(value: str) -> bool:
    # Paths, flags and sentences are not secrets, and masking them would garble normal output.
    return (len(value) >= 8 and not os.path.isabs(value) and not value.startswith("~")
            and not any(c.isspace() for c in value) and value.lower() not in ("true", "false", "none"))


def known_secret_values(extra_env: Iterable[str] = (), *, use_hub: bool | None = None) -> list[str]:
    """Secret values this process holds: the HF token(s), secret-looking env vars, ``extra_env`` names.

    Never touches the network (this runs before every cell): env vars and token files are read directly.
    ``use_hub`` (default: when huggingface_hub is already imported) also takes the tokens huggingface_hub
    keeps in memory, such as an OIDC token it already exchanged; it never imports huggingface_hub and
    never calls ``get_token()``.

    Example:
        >>> import os; from hfsecure_jupyter.testing import fake_token
        >>> os.environ["MY_SERVICE_API_KEY"] = value = fake_token("github")
        >>> value in known_secret_values()
        True
        >>> del os.environ["MY_SERVICE_API_KEY"]
    """
    extra = set(extra_env)
    values = {v for k, v in os.environ.items()
              if k not in _NOT_SECRET_NAMES and (k in extra or detect.is_secret_name(k)) and _looks_like_value(v)}
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):  # huggingface_hub strips them; so do we
        v = (os.environ.get(name) or "").replace("\r", "").replace("\n", "").strip()
        if len(v) >= 8:
            values.add(v)
    for path in token_file_paths():
        values.update(_values_in_file(path))
    if use_hub is None:
        use_hub = "huggingface_hub" in sys.modules
    if use_hub:
        from . import client_internals

        values.update(client_internals.cached_tokens())
    return sorted(values)

"""huggingface_hub's job calls, made safe at call time: a secret in ``env`` goes to ``secrets`` instead.

``env`` is plain text in every job listing; ``secrets`` are encrypted by the Hub and listed by name only.
The guard warns about ``run_job(..., env={"HF_TOKEN": get_token()})`` (policy ``warn``) but lets it run,
so in a kernel with the extension loaded the calls themselves are wrapped: ``HfApi.run_job``,
``run_uv_job``, ``create_scheduled_job``, ``create_scheduled_uv_job`` and their module-level aliases
(``huggingface_hub.run_job``...). Each ``env`` entry whose name looks secret (``detect.is_secret_name``) or
whose value holds a secret (the detector, or a value this kernel knows is secret) moves to ``secrets``
with a one-line notice on stderr. When it cannot move (the same name in ``secrets`` with another value,
an ``env`` that is not a dict), the call is refused with :class:`JobEnvSecretError`, whose message says the
fix and never the value. Policy ``misuse = "off"`` leaves the calls alone.

Loading the extension does not import huggingface_hub: :func:`install` wraps it now if it is imported
already, else an import hook wraps ``huggingface_hub.hf_api`` as it is first imported (before
``from huggingface_hub import run_job`` can bind the original). :func:`install` returns the undo.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> env, secrets, moved = move_env_secrets({"MODE": "fast", "HF_TOKEN": fake_token()}, None)
    >>> env, sorted(secrets), moved
    ({'MODE': 'fast'}, ['HF_TOKEN'], ['HF_TOKEN'])
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
import threading
import types
from typing import Any, Callable, Mapping, Sequence

from .. import detect
from ..errors import JobEnvSecretError

__all__ = ["JOB_CALLS", "JobEnvSecretError", "install", "is_installed", "move_env_secrets"]

#: The HfApi methods (and module-level aliases of the same names) that take ``env`` and ``secrets``.
JOB_CALLS: tuple[str, ...] = ("run_job", "run_uv_job", "create_scheduled_job", "create_scheduled_uv_job")
_MODULE = "huggingface_hub.hf_api"
_MARK = "__hfsecure_jobcalls__"


def move_env_secrets(env: Any, secrets: Any, *, is_secret_value: Callable[[str], bool] | None = None,
                     call: str = "run_job") -> tuple[Any, Any, list[str]]:
    """``(env, secrets, moved names)`` with every secret-looking ``env`` entry moved to ``secrets``.

    New dicts are returned (the caller's are not changed); with nothing to move, the inputs come back as
    they are. Raises :class:`JobEnvSecretError` when a move is impossible.

    Example:
        >>> move_env_secrets({"MODE": "fast"}, None)
        ({'MODE': 'fast'}, None, [])
        >>> move_env_secrets({"API_KEY": "one-value"}, {"API_KEY": "another"})
        Traceback (most recent call last):
        ...
        hfsecure_jupyter.errors.JobEnvSecretError: run_job: env['API_KEY'] looks secret and secrets['API_KEY'] holds another value; nothing was sent. Fix: pass API_KEY once, in secrets= (env is plain text in every job listing).
    """
    if not env:
        return env, secrets, []
    if not isinstance(env, Mapping):
        raise JobEnvSecretError(f"{call}: env must be a dict of names to strings, not {type(env).__name__}; "
                                "nothing was sent")
    secret_value = is_secret_value or _holds_secret
    moving = [k for k, v in env.items()
              if isinstance(k, str) and (detect.is_secret_name(k) or (isinstance(v, str) and secret_value(v)))]
    if not moving:
        return env, secrets, []
    if secrets is not None and not isinstance(secrets, Mapping):
        raise JobEnvSecretError(f"{call}: env holds a secret ({', '.join(moving)}) and secrets is not a dict "
                                f"({type(secrets).__name__}), so it cannot move there; nothing was sent. Fix: pass "
                                "secrets={...} as a dict with " + ", ".join(moving) + " in it, not in env")
    out_secrets = dict(secrets or {})
    for k in moving:
        if k in out_secrets and out_secrets[k] != env[k]:
            raise JobEnvSecretError(f"{call}: env[{k!r}] looks secret and secrets[{k!r}] holds another value; "
                                    f"nothing was sent. Fix: pass {k} once, in secrets= (env is plain text in "
                                    "every job listing).")
        out_secrets[k] = env[k]
    out_env = {k: v for k, v in env.items() if k not in moving}
    return out_env, out_secrets, moving


def _holds_secret(value: str) -> bool:
    return bool(value) and detect.might_contain_secret(value) and bool(detect.find_secrets(value))


class _Patch:
    """The one patch of huggingface_hub in this process, shared by every shell that loaded the extension."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: list[Any] = []  # KernelStates, newest last: the newest one's settings apply
        self.originals: dict[str, Callable[..., Any]] = {}
        self.cls: type | None = None  # the HfApi class the originals came from
        self.hook: _ImportHook | None = None
        self.local = threading.local()  # run_uv_job calls run_job: move (and tell) once

    # -- applying ----------------------------------------------------------------------------------
    def wrap_module(self, module: types.ModuleType) -> None:
        with self.lock:
            cls = getattr(module, "HfApi", None)
            if cls is None or not self.users:
                return
            if cls is not self.cls:  # first wrap, or a reloaded module: a new class to wrap
                self.originals.clear()
                self.cls = cls
            elif self.originals:
                return
            for name in JOB_CALLS:
                original = cls.__dict__.get(name)
                if original is None or getattr(original, _MARK, False):
                    continue
                self.originals[name] = original
                setattr(cls, name, self._wrapper(name, original))
            self._rebind_aliases(module)

    def unwrap_module(self) -> None:
        with self.lock:
            module = sys.modules.get(_MODULE)
            cls = self.cls
            for name, original in self.originals.items():
                if cls is not None and getattr(cls.__dict__.get(name), _MARK, False):
                    setattr(cls, name, original)
            self.originals.clear()
            self.cls = None
            if module is not None:
                self._rebind_aliases(module)

    @staticmethod
    def _rebind_aliases(module: types.ModuleType) -> None:
        """``huggingface_hub.run_job`` is ``api.run_job``, bound at import: bind it again to the class's method."""
        api = getattr(module, "api", None)
        if api is None:
            return
        package = sys.modules.get("huggingface_hub")
        for name in JOB_CALLS:
            old = module.__dict__.get(name)
            if old is None or getattr(old, "__self__", None) is not api:
                continue  # not the alias (or already replaced by someone else): leave it
            new = getattr(api, name)
            setattr(module, name, new)
            if package is not None and package.__dict__.get(name) is old:
                package.__dict__[name] = new

    def _wrapper(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        patch = self

        @functools.wraps(original)
        def call(api: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(patch.local, "depth", 0) or not patch.active():
                return original(api, *args, **kwargs)
            kwargs = patch.checked(name, kwargs)
            patch.local.depth = 1
            try:
                return original(api, *args, **kwargs)
            finally:
                patch.local.depth = 0

        setattr(call, _MARK, True)
        return call

    # -- deciding ----------------------------------------------------------------------------------
    def active(self) -> bool:
        state = self.users[-1] if self.users else None
        return state is not None and state.settings.misuse != "off"

    def checked(self, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        state = self.users[-1]
        redactor = state.redactor

        def known_or_detected(value: str) -> bool:
            return _holds_secret(value) or redactor.redact(value) != value

        env, secrets, moved = move_env_secrets(kwargs.get("env"), kwargs.get("secrets"),
                                               is_secret_value=known_or_detected, call=name)
        if not moved:
            return kwargs
        print(f"hfsecure: {name}: moved env {', '.join(moved)} to secrets (env is plain text in every job "
              "listing; secrets are encrypted). Pass secrets= yourself to skip this notice.", file=sys.stderr)
        return {**kwargs, "env": env, "secrets": secrets}


class _ImportHook(importlib.abc.MetaPathFinder):
    """Wraps ``huggingface_hub.hf_api`` right after it executes, the first time it is imported."""

    def __init__(self, patch: _Patch) -> None:
        self.patch = patch

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None) -> Any:
        if fullname != _MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        real = spec.loader
        if real is None or not hasattr(real, "exec_module"):
            return spec
        loader: importlib.abc.Loader = real
        patch = self.patch

        class _Loader(importlib.abc.Loader):
            def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader...: the real loader's
                return getattr(loader, name)

            def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: types.ModuleType) -> None:
                loader.exec_module(module)
                patch.wrap_module(module)

        spec.loader = _Loader()
        return spec


_PATCH = _Patch()


def install(state: Any) -> Callable[[], None]:
    """Wrap huggingface_hub's job calls for ``state`` (a KernelState); returns the undo.

    Imports nothing of huggingface_hub: wraps it now if it is loaded, else when it is first imported.
    """
    patch = _PATCH
    with patch.lock:
        patch.users.append(state)
        module = sys.modules.get(_MODULE)
        if module is not None:
            patch.wrap_module(module)
        elif patch.hook is None:
            patch.hook = _ImportHook(patch)
            sys.meta_path.insert(0, patch.hook)

    def undo() -> None:
        with patch.lock:
            if state in patch.users:
                patch.users.remove(state)
            if patch.users:
                return
            if patch.hook is not None:
                try:
                    sys.meta_path.remove(patch.hook)
                except ValueError:
                    pass
                patch.hook = None
            patch.unwrap_module()

    return undo


def is_installed() -> bool:
    """True while huggingface_hub's job calls are wrapped, or will be when it is imported.

    Example:
        >>> is_installed() in (True, False)
        True
    """
    return bool(_PATCH.users) and (bool(_PATCH.originals) or _PATCH.hook is not None)

"""Load and unload the kernel side of hfsecure: guard, output redaction, error doctor, magics.

``%load_ext hfsecure_jupyter`` calls :func:`load`; ``%unload_ext hfsecure_jupyter`` calls :func:`unload`.
Everything :func:`load` adds to the shell goes through one registry (:class:`KernelState`), so unload
removes exactly that and restores what was there before. Loading is idempotent and does not import
huggingface_hub (the error doctor attaches itself once the user's code has imported it).

Example:
    >>> from IPython.core.interactiveshell import InteractiveShell
    >>> ip = InteractiveShell.instance()
    >>> state = load(ip)
    >>> load(ip) is state, get_state(ip).settings.guard
    (True, 'block')
    >>> unload(ip); get_state(ip) is None
    True
"""

from __future__ import annotations

import sys
from typing import Any

from .. import detect
from ..config import HFSecure
from .state import KernelState, drop_state, get_state, set_state


__all__ = ["KernelState", "load", "unload", "get_state"]


def _warn(message: str) -> None:
    print(f"hfsecure: {message}", file=sys.stderr)


def load(shell: Any) -> KernelState:
    """Install the guard, output redaction, error doctor and magics in ``shell`` (idempotent).

    Returns the shell's :class:`KernelState`. A part that cannot be installed is reported on stderr and
    the rest still loads.

    Example:
        >>> from traitlets.config import Config
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> c = Config(); c.HistoryManager.hist_file = ":memory:"
        >>> ip = InteractiveShell(config=c)
        >>> state = load(ip)
        >>> load(ip) is state, state.settings.guard, "hfsecure" in ip.magics_manager.magics["line"]
        (True, 'block', True)
        >>> unload(ip)
    """
    existing = get_state(shell)
    if existing is not None:
        return existing
    settings = HFSecure(config=shell.config)
    redactor = detect.Redactor(fill=settings.mask_fill, show_last=settings.mask_show_last)
    from ..hub.status import StatusService  # does not import huggingface_hub

    state = KernelState(shell=shell, settings=settings, redactor=redactor, status=StatusService(settings))
    set_state(shell, state)
    try:
        from .guard import Guard

        state.guard = Guard(state)
        state.guard.install()
        from .redaction import OutputRedaction

        state.output = OutputRedaction(state)
        state.output.install()
        from .doctor import Doctor

        state.doctor = Doctor(state)
        state.doctor.install()
    except Exception:
        # Half-installed hooks are worse than none: take back what was added, then re-raise so
        # IPython shows the failure of %load_ext.
        _undo_all(state)
        drop_state(shell)
        raise
    try:
        from .jobcalls import install as wrap_job_calls

        state.add_undo("jobcalls", wrap_job_calls(state))
    except Exception as exc:  # noqa: BLE001 - any failure there leaves the guard working
        note = (f"huggingface_hub's job calls are not wrapped ({type(exc).__name__}: {exc}): a secret in a "
                "job's env is not moved to secrets")
        state.notes.append(note)
        _warn(note)
    try:
        from .magics import HFSecureMagics

        shell.register_magics(HFSecureMagics)
        state.magics_loaded = True
        state.add_undo("magics", lambda: _unregister_magics(shell, HFSecureMagics))
    except Exception as exc:  # noqa: BLE001 - any failure there leaves the guard working
        note = f"the %hfsecure and %%hfjob magics are unavailable ({type(exc).__name__}: {exc})"
        state.notes.append(note)
        _warn(note)
    return state


def _unregister_magics(shell: Any, cls: type) -> None:
    """Remove every magic ``cls`` defines from the shell's magics manager."""
    mm = shell.magics_manager
    for kind, names in getattr(cls, "magics", {}).items():
        table = mm.magics.get(kind, {})
        for name in names:
            table.pop(name, None)
    mm.registry.pop(cls.__name__, None)


def _undo_all(state: KernelState) -> list[str]:
    errors = []
    while state._undo:
        what, undo = state._undo.pop()
        try:
            undo()
        except Exception as exc:  # noqa: BLE001 - keep removing the rest
            errors.append(f"{what}: {type(exc).__name__}: {exc}")
    return errors


def unload(shell: Any) -> None:
    """Remove every hook :func:`load` added to ``shell`` and restore what was there before.

    Example:
        >>> from traitlets.config import Config
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> c = Config(); c.HistoryManager.hist_file = ":memory:"
        >>> ip = InteractiveShell(config=c)
        >>> _ = load(ip); unload(ip); unload(ip)  # a second unload does nothing
        >>> get_state(ip) is None, "hfsecure" in ip.magics_manager.magics["line"]
        (True, False)
    """
    state = get_state(shell)
    if state is None:
        return
    errors = _undo_all(state)
    drop_state(shell)
    for err in errors:
        _warn(f"could not remove {err}")

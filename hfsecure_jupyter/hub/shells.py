"""Which services hfsecure holds for a shell: one registry that every adapter reads.

The kernel extension registers its state here when it loads (and removes it when it unloads); a widget
finds the kernel's settings and login status service here, so adapters never import each other.

Example:
    >>> class Shell: pass
    >>> shell, held = Shell(), object()
    >>> register(shell, held); lookup(shell) is held
    True
    >>> forget(shell); lookup(shell) is None
    True
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..config import HFSecure
    from .status import StatusService

__all__ = ["ShellServices", "register", "forget", "lookup", "services_for"]


class ShellServices(Protocol):
    """What an owner of a shell's services offers (the kernel extension's state does)."""

    settings: "HFSecure"
    status: "StatusService"


_REGISTRY: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def register(shell: Any, owner: Any) -> None:
    """Record ``owner`` (for instance the kernel extension's state) as what hfsecure holds for ``shell``."""
    _REGISTRY[shell] = owner


def forget(shell: Any) -> None:
    """Remove what :func:`register` recorded for ``shell`` (nothing when there is none)."""
    try:
        _REGISTRY.pop(shell, None)
    except TypeError:  # a shell that cannot be weakly referenced was never registered
        pass


def lookup(shell: Any) -> Any:
    """What :func:`register` recorded for ``shell``, or None."""
    try:
        return _REGISTRY.get(shell)
    except TypeError:  # a shell that cannot be weakly referenced
        return None


def services_for(shell: Any) -> "ShellServices | None":
    """The settings and login status service hfsecure holds for ``shell``, or None when it holds none.

    Example:
        >>> services_for(object()) is None
        True
    """
    owner = lookup(shell)
    if owner is None or not hasattr(owner, "settings") or not hasattr(owner, "status"):
        return None
    return owner  # type: ignore[no-any-return]

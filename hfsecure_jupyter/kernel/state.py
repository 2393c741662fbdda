"""The kernel extension's state: one :class:`KernelState` per shell, and :func:`get_state` to find it.

The kernel parts (guard, output redaction, doctor, magics) import this small module, not the loader
(:mod:`hfsecure_jupyter.kernel.extension`), so nothing imports the loader back. The state is kept in
:mod:`hfsecure_jupyter.hub.shells`, where the widgets find the kernel's settings and login status
without importing the kernel adapter.

Example:
    >>> from IPython.core.interactiveshell import InteractiveShell
    >>> get_state(object()) is None
    True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from .. import detect
from ..config import HFSecure
from ..hub import shells

if TYPE_CHECKING:  # pragma: no cover
    from ..hub.status import StatusService

__all__ = ["KernelPart", "TracebackDoctor", "Rejection", "KernelState", "get_state", "set_state", "drop_state"]


class KernelPart(Protocol):
    """A part the loader installs (guard, output redaction, doctor): it records its own undo steps."""

    def install(self) -> None: ...


class TracebackDoctor(KernelPart, Protocol):
    """The error doctor as the output redaction sees it: it may replace a traceback by a diagnosis."""

    def maybe_replace_traceback(self, etype: type, value: Any, stb: list[str]) -> list[str]: ...


@dataclass
class Rejection:
    """What the guard last blocked (masked: previews, lines and rule ids only).

    Attributes:
        reason: ``secret``, ``misuse`` or ``check-failed``.
        findings: the findings that caused it (they hold no secret).
        execution_count: the cell's number (filled in after the cell ends).
        when: ``time.time()`` of the block.
    """

    reason: str
    findings: tuple[detect.Finding, ...] = ()
    execution_count: int | None = None
    when: float = field(default_factory=time.time)

    @property
    def summary(self) -> str:
        """One masked line.

        Example:
            >>> Rejection("check-failed").summary
            'blocked (check-failed)'
        """
        if not self.findings:
            return f"blocked ({self.reason})"
        f = self.findings[0]
        more = f" and {len(self.findings) - 1} more" if len(self.findings) > 1 else ""
        return f"blocked ({self.reason}): {f.rule} {f.preview} on line {f.line}{more}"


@dataclass
class KernelState:
    """Everything the extension holds for one shell.

    Attributes:
        shell: the IPython shell.
        settings: the :class:`~hfsecure_jupyter.config.HFSecure` configurable (built from the kernel's
            config, so ``c.HFSecure.*`` applies; changes take effect on the next cell).
        redactor: the :class:`~hfsecure_jupyter.detect.Redactor` every output hook uses (its known
            values are the secrets this kernel holds; refreshed before each cell).
        status: this kernel's :class:`~hfsecure_jupyter.hub.StatusService` (login status, built from
            ``settings``; ``%hfsecure status`` and ``%%hfjob`` ask it, so they share one cache).
        last_rejection: masked information on the last cell the guard blocked, or None.
        notes: one-line facts about this load (e.g. "magics unavailable: ...").
    """

    shell: Any
    settings: HFSecure
    redactor: detect.Redactor
    status: "StatusService"
    last_rejection: "Rejection | None" = None
    guard: KernelPart | None = None
    output: KernelPart | None = None
    doctor: TracebackDoctor | None = None
    magics_loaded: bool = False
    notes: list[str] = field(default_factory=list)
    _undo: list[tuple[str, Callable[[], None]]] = field(default_factory=list, repr=False)

    def add_undo(self, what: str, undo: Callable[[], None]) -> None:
        """Record how to remove one hook that was just added (run in reverse order on unload)."""
        self._undo.append((what, undo))

    @property
    def hooks(self) -> list[str]:
        """What is currently installed, in the order it was added (for status and tests)."""
        return [what for what, _ in self._undo]

    def register_event(self, event: str, callback: Callable[..., Any]) -> None:
        """``shell.events.register`` with its undo recorded."""
        self.shell.events.register(event, callback)
        self.add_undo(f"event:{event}", lambda: self.shell.events.unregister(event, callback))


def get_state(shell: Any) -> KernelState | None:
    """The extension's state for ``shell``, or None when it is not loaded there.

    Example:
        >>> from traitlets.config import Config
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> c = Config(); c.HistoryManager.hist_file = ":memory:"
        >>> ip = InteractiveShell(config=c)
        >>> from hfsecure_jupyter.kernel.extension import load, unload
        >>> before = get_state(ip); state = load(ip)
        >>> before is None, get_state(ip) is state
        (True, True)
        >>> unload(ip)
    """
    state = shells.lookup(shell)
    return state if isinstance(state, KernelState) else None


def set_state(shell: Any, state: KernelState) -> None:
    """Record ``state`` as the extension's state for ``shell`` (called by ``extension.load``)."""
    shells.register(shell, state)


def drop_state(shell: Any) -> None:
    """Forget the extension's state for ``shell`` (called by ``extension.unload``); no error when absent."""
    shells.forget(shell)

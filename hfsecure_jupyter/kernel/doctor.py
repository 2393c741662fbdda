"""The error doctor in the shell: a Hub error raised in a cell shows its diagnosis, not a long traceback.

It uses IPython's one custom-exception slot (``shell.set_custom_exc``) for huggingface_hub's error
classes. Those classes live in huggingface_hub, which loading the extension must not import: the doctor
attaches itself before the first cell that runs after the user's code imported huggingface_hub (a
``pre_run_cell`` check of ``sys.modules``) and, for the cell that imported it, replaces the traceback
as it is shown. A handler another extension had in the slot keeps working: its exception types stay in
the slot and its handler is called for them; unload puts it back.

The diagnosis itself comes from :func:`hfsecure_jupyter.hub.errors.diagnose` (cause, fix, link); an
error it does not know is shown with IPython's usual traceback. ``%tb`` shows the full traceback.

Example:
    >>> lines = render_diagnosis("HfHubHTTPError", _Diag("Token not accepted", "It was revoked.",
    ...                          "Log in again: hf auth login", "https://huggingface.co/settings/tokens"),
    ...                          color=False)
    >>> lines[0]
    'HfHubHTTPError: Token not accepted'
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .state import KernelState

__all__ = ["Doctor", "render_diagnosis", "HUB_ERROR_NAMES"]

#: huggingface_hub.errors classes the doctor takes over (those that exist in the installed version).
HUB_ERROR_NAMES = ("HfHubHTTPError", "LocalTokenNotFoundError", "OfflineModeIsEnabled", "EntryNotFoundError",
                   "HFValidationError", "OIDCError", "DeviceCodeError", "InferenceTimeoutError")


def _to_the_hub(exc: BaseException) -> bool:
    """Whether an HTTP client error was raised by a request to the Hub: ``HF_ENDPOINT`` (host and port)
    or huggingface.co."""
    from urllib.parse import urlsplit

    try:
        url = exc.request.url  # type: ignore[attr-defined]
        where = (str(url.host), url.port or (443 if url.scheme == "https" else 80))
    except Exception:  # noqa: BLE001 - no request attached: not ours to explain
        return False
    if where[0] in ("huggingface.co", "hf.co") or where[0].endswith((".huggingface.co", ".hf.co")):
        return True
    constants = sys.modules.get("huggingface_hub.constants")
    endpoint = urlsplit(str(getattr(constants, "ENDPOINT", "") or ""))
    try:
        return (endpoint.hostname, endpoint.port or (443 if endpoint.scheme == "https" else 80)) == where
    except ValueError:  # a malformed port in HF_ENDPOINT
        return False


@dataclass
class _Diag:
    title: str
    cause: str
    fix: str
    link: str = ""


def render_diagnosis(type_name: str, diag: Any, *, color: bool = True) -> list[str]:
    """The lines shown for a diagnosed Hub error (the caller masks secrets in them).

    Example:
        >>> from types import SimpleNamespace
        >>> d = SimpleNamespace(title="Token not accepted", cause="It was revoked.", fix="hf auth login", link="")
        >>> print("\\n".join(render_diagnosis("HfHubHTTPError", d, color=False)))
        HfHubHTTPError: Token not accepted
          cause: It was revoked.
          fix: hf auth login
          (hfsecure's diagnosis; run %tb for the full traceback)
    """
    red, bold, reset = ("\x1b[31m", "\x1b[1m", "\x1b[0m") if color else ("", "", "")
    title = getattr(diag, "title", "") or "Hugging Face Hub error"
    lines = [f"{red}{bold}{type_name}{reset}: {title}"]
    for label, attr in (("cause", "cause"), ("fix", "fix"), ("more", "link")):
        value = getattr(diag, attr, "") or ""
        if value:
            lines.append(f"  {label}: {value}")
    lines.append("  (hfsecure's diagnosis; run %tb for the full traceback)")
    return lines


def _diagnose_fn() -> Callable[[BaseException], Any] | None:
    try:
        from ..hub.errors import diagnose
    except Exception:  # noqa: BLE001 - the hub layer is optional for the doctor
        return None
    return diagnose


class Doctor:
    """Owns the custom-exception slot while the extension is loaded (see the module doc)."""

    def __init__(self, state: "KernelState") -> None:
        self.state = state
        self.shell = state.shell
        self.classes: tuple[type, ...] = ()
        self.attached = False
        self.detached = False
        self._prev_types: tuple[type, ...] = ()
        self._prev_handler: Any = None
        self._had_own_handler = False
        self._ours: Any = None
        self._showing = False

    def install(self) -> None:
        self.state.register_event("pre_run_cell", self.attach_if_ready)
        self.state.register_event("post_run_cell", self.attach_if_ready)
        self.attach_if_ready()
        self.state.add_undo("custom exception handler", self.detach)

    # -- the slot -------------------------------------------------------------------------------
    def _hub_classes(self) -> tuple[type, ...]:
        errors = sys.modules.get("huggingface_hub.errors")
        if errors is None:
            try:
                import huggingface_hub.errors as errors  # already imported by the user: cheap
            except Exception:  # noqa: BLE001
                return ()
        hub = tuple(c for c in (getattr(errors, n, None) for n in HUB_ERROR_NAMES) if isinstance(c, type))
        # The HTTP client's connection errors reach the user unwrapped (HfApi().whoami() with no
        # network): take them too, but diagnose only those whose request went to the Hub (below).
        transport = tuple(c for c in (getattr(sys.modules.get(m), "TransportError", None) for m in ("httpx2", "httpx"))
                          if isinstance(c, type))
        self._transport = transport
        return hub + transport

    def attach_if_ready(self, *_: Any) -> None:
        """Take the custom-exception slot once huggingface_hub is imported (never imports it first)."""
        if self.attached or self.detached or "huggingface_hub" not in sys.modules:
            return
        if _diagnose_fn() is None:
            return
        classes = self._hub_classes()
        if not classes:
            return
        shell = self.shell
        self.classes = classes
        self._prev_types = tuple(getattr(shell, "custom_exceptions", ()) or ())
        self._had_own_handler = "CustomTB" in vars(shell)
        self._prev_handler = getattr(shell, "CustomTB", None)
        shell.set_custom_exc(tuple(dict.fromkeys(self._prev_types + classes)), self._handler)
        self._ours = shell.CustomTB
        self.attached = True

    def detach(self) -> None:
        """Give the slot back to whoever had it (if nobody took it over since)."""
        self.detached = True
        if not self.attached:
            return
        shell = self.shell
        if shell.CustomTB is self._ours:
            shell.custom_exceptions = self._prev_types
            if self._had_own_handler:
                shell.CustomTB = self._prev_handler
            else:
                vars(shell).pop("CustomTB", None)
        self.attached = False

    # -- showing --------------------------------------------------------------------------------
    def _diagnosis_lines(self, etype: type, value: BaseException) -> list[str] | None:
        if not self.classes or not isinstance(value, self.classes):
            return None
        if getattr(self, "_transport", ()) and isinstance(value, self._transport) and not _to_the_hub(value):
            return None  # a connection error of the user's own HTTP calls: their traceback
        diagnose = _diagnose_fn()
        if diagnose is None:
            return None
        diag = diagnose(value)
        if diag is None:
            return None
        return render_diagnosis(etype.__name__, diag)

    def _handler(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
        # IPython ignores the return value and drops a handler that raises: show everything here.
        try:
            lines = None if self.detached else self._diagnosis_lines(etype, value)
            if lines is not None:
                sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb  # for %tb
                if hasattr(sys, "last_exc"):
                    sys.last_exc = value
                self._showing = True
                try:
                    shell._showtraceback(etype, value, lines)
                finally:
                    self._showing = False
                return None
            if self._prev_types and isinstance(value, self._prev_types) and self._prev_handler is not None:
                self._prev_handler(etype, value, tb, tb_offset=tb_offset)
                return None
        except Exception:  # noqa: BLE001 - fall back to the plain traceback below
            pass
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None

    def maybe_replace_traceback(self, etype: type, value: Any, stb: list[str]) -> list[str]:
        """For the cell that first imported huggingface_hub (the slot was not ours yet): diagnose here."""
        if self.attached or self._showing or self.detached or "huggingface_hub" not in sys.modules \
                or not isinstance(value, BaseException):
            return stb
        try:
            if not self.classes:
                self.classes = self._hub_classes()
            lines = self._diagnosis_lines(etype, value)
        except Exception:  # noqa: BLE001
            return stb
        return stb if lines is None else lines

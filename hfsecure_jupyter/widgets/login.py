"""The login status widget: who you are on the Hub, what your token may do, and the actions around it.

:class:`LoginStatus` shows the user (an initials badge), orgs, token name, role (fine-grained scopes
summarised), where the token comes from (with a warning when one source shadows another), the token's age
with a rotation reminder (``c.HFSecure.rotate_after_days``), and the Hub state (checking, ok, invalid,
unreachable, rate limited). It renders at once from the kernel's
:class:`~hfsecure_jupyter.hub.StatusService` (``timeout=0``: never waits) and updates when the background
check answers. Actions: log in with huggingface_hub's device-code flow (the code and link shown, polling in
a worker thread, the token stored in the token file and never in a trait), switch between stored tokens,
log out, refresh.

Example:
    >>> from hfsecure_jupyter.hub.auth import AuthStatus
    >>> print(status_text(AuthStatus("ok", user="alice", role="write", token_name="laptop", age_days=3)))
    Hugging Face login: ok
      user:   alice
      token:  'laptop', role write
      age:    3 days
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as W  # type: ignore[import-untyped]

from ..constants import HF_TOKEN_SETTINGS_URL
from ..hub.auth import AuthStatus, TokenSource
from ._common import COLORS, FG_DIM, MONO, ThreadSafeUpdates, box_html, esc, kernel_status_service, pill, TextForm

if TYPE_CHECKING:  # pragma: no cover
    from ..hub.device_login import DeviceCode, LoginResult
    from ..hub.status import StatusService

__all__ = ["LoginStatus", "status_text", "initials", "source_label", "rotation_note"]

log = logging.getLogger(__name__)

_STATE_KIND = {"ok": "ok", "checking": "info", "invalid": "error", "unreachable": "warn",
               "rate-limited": "warn", "logged-out": "dim", "unknown": "warn"}
_STATE_TEXT = {"ok": "ok", "checking": "checking...", "invalid": "invalid token", "unreachable": "Hub unreachable",
               "rate-limited": "rate limited", "logged-out": "logged out", "unknown": "unknown"}
_SOURCE_TEXT = {"env:HF_TOKEN": "HF_TOKEN environment variable",
                "env:HUGGING_FACE_HUB_TOKEN": "HUGGING_FACE_HUB_TOKEN environment variable (legacy)",
                "file": "token file (stored login)", "colab": "Colab secret HF_TOKEN",
                "oidc": "OIDC (HF_OIDC_RESOURCE)", "none": "none"}


def initials(user: str | None, fullname: str | None = None) -> str:
    """Up to two letters for the badge.

    Example:
        >>> initials("alice", "Alice Liddell"), initials("bob"), initials(None)
        ('AL', 'B', '?')
    """
    words = [w for w in (fullname or "").replace("-", " ").split() if w[:1].isalnum()]
    if len(words) >= 2:
        return (words[0][0] + words[-1][0]).upper()
    name = (fullname or user or "").strip()
    return name[:1].upper() or "?"


def source_label(source: TokenSource) -> str:
    """Where the token comes from, for people (never its value).

    Example:
        >>> source_label(TokenSource("env:HF_TOKEN", active_token_name=None))
        'HF_TOKEN environment variable'
    """
    text = _SOURCE_TEXT.get(source.name, source.name)
    if source.active_token_name:
        text += f", stored as '{source.active_token_name}'"
    return text


def shadow_warning(source: TokenSource) -> str:
    """A warning when the active source hides another token, else ``""``.

    Example:
        >>> shadow_warning(TokenSource("env:HF_TOKEN", shadows=["file"]))
        'HF_TOKEN environment variable overrides: token file (stored login); unset it to use the other login'
    """
    if not source.shadows:
        return ""
    hidden = ", ".join(_SOURCE_TEXT.get(s, s) for s in source.shadows)
    return f"{_SOURCE_TEXT.get(source.name, source.name)} overrides: {hidden}; unset it to use the other login"


def rotation_note(age_days: int | None, rotate_after_days: int) -> str:
    """The rotation reminder, or ``""``.

    Example:
        >>> rotation_note(120, 90)
        'created 120 days ago: consider rotating it (https://huggingface.co/settings/tokens)'
        >>> rotation_note(10, 90), rotation_note(400, 0)
        ('', '')
    """
    if age_days is None or rotate_after_days <= 0 or age_days < rotate_after_days:
        return ""
    return f"created {age_days} days ago: consider rotating it ({HF_TOKEN_SETTINGS_URL})"


def _role_text(status: AuthStatus) -> str:
    if status.role == "fineGrained":
        return "fine-grained" + (f" ({status.scopes})" if status.scopes else "")
    return status.role or "unknown"


def status_text(status: AuthStatus, rotate_after_days: int = 90) -> str:
    """The plain-text form (consoles, logs, the widget's ``text/plain``); names and masks only."""
    lines = [f"Hugging Face login: {_STATE_TEXT.get(status.state, status.state)}"
             + (" (stale)" if status.stale else "")]
    if status.state == "ok":
        lines.append(f"  user:   {status.user}" + (f" ({status.fullname})" if status.fullname else ""))
        if status.orgs:
            lines.append("  orgs:   " + ", ".join(f"{n} ({r})" if r else n for n, r in status.orgs))
        name = f"'{status.token_name}', " if status.token_name else ""
        lines.append(f"  token:  {name}role {_role_text(status)}")
        if status.age_days is not None:
            lines.append(f"  age:    {status.age_days} days")
        note = rotation_note(status.age_days, rotate_after_days)
        if note:
            lines.append(f"  rotate: {note}")
    elif status.error:
        lines.append(f"  detail: {status.error}")
    if status.source.name != "none":
        lines.append(f"  source: {source_label(status.source)}")
        warn = shadow_warning(status.source)
        if warn:
            lines.append(f"  warning: {warn}")
    return "\n".join(lines)


def _badge(status: AuthStatus) -> str:
    color = COLORS["ok"] if status.ok else COLORS["dim"]
    return (f'<span style="display:inline-block;width:2em;height:2em;line-height:2em;border-radius:50%;'
            f'text-align:center;border:2px solid {color};color:{color};font-weight:bold;margin-right:0.5em">'
            f'{esc(initials(status.user, status.fullname) if status.ok else "?")}</span>')


def status_html(status: AuthStatus, rotate_after_days: int = 90) -> str:
    """The widget's main panel as HTML (escaped, theme colours)."""
    state = pill(_STATE_TEXT.get(status.state, status.state) + (" (stale)" if status.stale else ""),
                 _STATE_KIND.get(status.state, "info"))
    who = esc(status.user) if status.ok else ("not logged in" if status.state == "logged-out"
                                              else "not confirmed by the Hub")
    if status.ok and status.fullname:
        who = f"<b>{esc(status.fullname)}</b>&nbsp;({esc(status.user)})"
    elif status.ok:
        who = f"<b>{who}</b>"
    head = f"{_badge(status)}{who} &nbsp; {state}"
    rows: list[tuple[str, str]] = []
    if status.ok:
        if status.orgs:
            rows.append(("orgs", ", ".join(esc(f"{n} ({r})" if r else n) for n, r in status.orgs)))
        rows.append(("token", (f"'{esc(status.token_name)}' " if status.token_name else "")
                     + f"<code>{esc(status.masked_token or '')}</code>"))
        rows.append(("role", esc(_role_text(status))))
        if status.age_days is not None:
            age = f"{status.age_days} days"
            note = rotation_note(status.age_days, rotate_after_days)
            if note:
                age += f' &nbsp; <span style="color:{COLORS["warn"]}">&#9888; {esc(note)}</span>'
            rows.append(("age", age))
    elif status.error:
        rows.append(("detail", esc(status.error)))
    rows.append(("source", esc(source_label(status.source))))
    warn = shadow_warning(status.source)
    if warn:
        rows.append(("", f'<span style="color:{COLORS["warn"]}">&#9888; {esc(warn)}</span>'))
    table = "".join(f'<tr><td style="color:{FG_DIM};padding-right:1em;vertical-align:top">{esc(k)}</td>'
                    f"<td>{v}</td></tr>" for k, v in rows)
    return box_html(f'<div style="display:flex;align-items:center">{head}</div><table>{table}</table>')


def code_html(code: DeviceCode) -> str:
    """The device code and the page to enter it on."""
    return box_html(
        f'To log in, open <a href="{esc(code.verification_uri_complete)}" target="_blank" rel="noopener" '
        f'style="color:{COLORS["info"]}">{esc(code.verification_uri)}</a> and enter the code '
        f'<b style="font-family:{MONO};font-size:1.4em;letter-spacing:0.2em">{esc(code.user_code)}</b>'
        f'<br><span style="color:{FG_DIM}">waiting for your approval...</span>')


class LoginStatus(TextForm, W.VBox, ThreadSafeUpdates):
    """The login status and its actions, for one kernel.

    Args:
        service: the :class:`~hfsecure_jupyter.hub.StatusService` to ask (default: the kernel's).
        rotate_after_days: the rotation reminder's threshold (default ``c.HFSecure.rotate_after_days``).

    No trait of this widget or its parts ever holds a token: the Hub's answer is names and a mask, and a
    device login writes the token file from a worker thread.
    """

    def __init__(self, service: StatusService | None = None, *, rotate_after_days: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_updates()
        self.service = service or kernel_status_service()
        self.rotate_after_days = (int(self.service.settings.rotate_after_days) if rotate_after_days is None
                                  else rotate_after_days)
        self.fixed_text: str | None = None  # the text form a magic gives (its own status lines)
        self.status: AuthStatus = AuthStatus("checking")
        self.panel = W.HTML()
        self.message = W.HTML()
        self.code = W.HTML()
        self.login_button = W.Button(description="Log in", icon="sign-in", tooltip="Log in with a device code")
        self.cancel_button = W.Button(description="Cancel", icon="times", layout=W.Layout(display="none"))
        self.switch_choice = W.Dropdown(description="", options=[], layout=W.Layout(width="12em"))
        self.switch_button = W.Button(description="Switch", icon="exchange", tooltip="Use this stored token")
        self.logout_button = W.Button(description="Log out", icon="sign-out")
        self.refresh_button = W.Button(description="Refresh", icon="refresh")
        self.login_button.on_click(lambda _: self.login())
        self.cancel_button.on_click(lambda _: self.cancel_login())
        self.switch_button.on_click(lambda _: self.switch(self.switch_choice.value))
        self.logout_button.on_click(lambda _: self.logout())
        self.refresh_button.on_click(lambda _: self.refresh())
        self.actions = W.HBox([self.login_button, self.cancel_button, self.switch_choice, self.switch_button,
                               self.logout_button, self.refresh_button])
        self.children = (self.panel, self.code, self.actions, self.message)
        self.device_login: Any = None
        self._closed = False
        self._unsubscribe = self.service.subscribe(self._on_status)
        self._show(self.service.get_status(timeout=0))  # never waits; the check goes on in the background

    # -- rendering ---------------------------------------------------------------------------------------
    def _show(self, status: AuthStatus) -> None:
        def update() -> None:
            self.status = status
            with self.panel.hold_sync():
                self.panel.value = status_html(status, self.rotate_after_days)
            names = list(status.source.stored_token_names)
            with self.switch_choice.hold_sync():
                self.switch_choice.options = names
                if status.source.active_token_name in names:
                    self.switch_choice.value = status.source.active_token_name
            self.switch_choice.layout.display = self.switch_button.layout.display = "" if len(names) > 1 else "none"
            self.logout_button.disabled = status.source.name == "none"

        self._apply(update)

    def _say(self, text: str, kind: str = "info") -> None:
        color = COLORS.get(kind, COLORS["info"])
        self._apply(lambda: setattr(self.message, "value", f'<span style="color:{color}">{esc(text)}</span>'
                                    if text else ""))

    def _on_status(self, status: AuthStatus) -> None:
        # Called on the StatusService's worker thread after each check of the active token.
        if not self._closed:
            self._show(status)

    def text(self) -> str:
        """The plain-text form (what consoles and logs show)."""
        if self.fixed_text is not None:
            return self.fixed_text
        return status_text(self.status, self.rotate_after_days)

    # -- actions -----------------------------------------------------------------------------------------
    def refresh(self) -> Any:
        """Ask the Hub again in the background (the panel shows the answer when it comes)."""
        self._say("checking with the Hub...")

        def done(status: AuthStatus) -> None:
            self._show(status)
            self._say("")

        self._show(self.service.get_status(timeout=0))
        return self.service.refresh_in_background(done)

    def login(self) -> Any:
        """Start a device-code login (the code and link appear; approval is polled in a worker thread)."""
        from ..hub.device_login import DeviceLogin

        if self.device_login is not None and self.device_login.state in ("requesting", "waiting"):
            return self.device_login.future
        self._say("asking the Hub for a login code...")
        self.device_login = DeviceLogin(on_code=self._on_code, on_done=self._on_login_done, status=self.service)
        self._apply(lambda: setattr(self.cancel_button.layout, "display", ""))
        return self.device_login.start()

    def cancel_login(self) -> None:
        """Stop waiting for a device login (nothing is saved)."""
        if self.device_login is not None:
            self.device_login.cancel()
        self._apply(self._hide_code)
        self._say("login canceled")

    def _on_code(self, code: DeviceCode) -> None:
        self._apply(lambda: setattr(self.code, "value", code_html(code)))
        self._say("")

    def _hide_code(self) -> None:
        self.code.value = ""
        self.cancel_button.layout.display = "none"

    def _on_login_done(self, result: LoginResult) -> None:
        self._apply(self._hide_code)
        if not result.ok:
            self._say(f"login failed: {result.error}", "error" if result.error != "canceled" else "info")
            return
        note = f"logged in as {result.user} (token '{result.token_name}', saved to the token file)"
        if result.shadowed_by:
            note += f"; but {result.shadowed_by} is set and still overrides it: unset it to use this login"
        self._say(note, "warn" if result.shadowed_by else "ok")
        self.service.refresh_in_background(self._show)

    def switch(self, name: str | None) -> threading.Thread | None:
        """Make the stored token ``name`` the active one (``huggingface_hub.auth_switch``), in a worker."""
        if not name:
            return None

        def work() -> None:
            try:
                from huggingface_hub import auth_switch

                auth_switch(name)
            except Exception as exc:  # noqa: BLE001 - shown, never raised in a thread
                self._say(f"could not switch to '{name}': {_one_line(exc)}", "error")
                return
            self.service.clear_cache()
            self._say(f"switched to the stored token '{name}'", "ok")
            self.service.refresh_in_background(self._show)

        return self._in_worker(work)

    def logout(self) -> threading.Thread:
        """Log out of the active stored token (``huggingface_hub.logout``), in a worker."""
        name = self.status.source.active_token_name

        def work() -> None:
            import os

            env = [n for n in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") if (os.environ.get(n) or "").strip()]
            try:
                from huggingface_hub import logout

                if self.status.source.name in ("file", "none") or not env:
                    logout(token_name=name) if name else logout()
            except Exception as exc:  # noqa: BLE001
                self._say(f"could not log out: {_one_line(exc)}", "error")
                return
            self.service.clear_cache()
            if env:
                self._say(f"{env[0]} is set in this kernel's environment and still logs you in: remove it "
                          f"(del os.environ['{env[0]}']) to log out", "warn")
            else:
                self._say("logged out", "ok")
            self.service.refresh_in_background(self._show)

        return self._in_worker(work)

    @staticmethod
    def _in_worker(fn: Any) -> threading.Thread:
        t = threading.Thread(target=fn, name="hfsecure-login-action", daemon=True)
        t.start()
        return t

    def close(self) -> None:
        """Stop listening to the status service and close the widget."""
        self._closed = True
        self._unsubscribe()
        if self.device_login is not None:
            self.device_login.cancel()
        super().close()


def _one_line(exc: BaseException) -> str:
    from ..detect import redact

    return redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])

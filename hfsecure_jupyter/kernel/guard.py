"""The cell guard: a cell that holds a literal secret is rejected before any of it runs.

The check is a string transformer at the head of ``shell.input_transformers_cleanup``: it sees the raw
cell (``%%`` cell magics and their bodies, ``!`` shell lines, ``%env``, comments) and hands it to the
detection core (:func:`hfsecure_jupyter.detect.scan_python`). Raising an
:class:`~IPython.core.error.InputRejected` subclass there is the one way IPython offers to stop a cell
before any statement runs; the exception renders itself (``_render_traceback_``) as one screen that
says what was found (masked), where, why it matters, the fix and where to revoke the token.

Policies (``c.HFSecure.guard`` / ``c.HFSecure.misuse``, read on every cell): ``block``, ``warn``,
``off``. A cell that was blocked or warned about is stored in ``In``, ``_ih``, ``_i*`` and the history
database with its secrets masked: the history manager's ``store_inputs`` is wrapped so the value is
never written, and a ``post_run_cell`` pass checks and scrubs every place again (the SQLite row too).

If the check itself fails (a bug), the cell is *not* run and the user is told why and how to go on
(``%hfsecure guard off`` or ``%unload_ext hfsecure_jupyter``); the cell's text stays in the notebook,
so nothing is lost. ``c.HFSecure.guard_on_error = "warn"`` runs such cells with a warning instead.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> tok = fake_token(seed=7)
    >>> from hfsecure_jupyter import detect
    >>> err = CellRejected(detect.scan_python(f'login(token="{tok}")'), source_lines=1)
    >>> tok in "".join(err._render_traceback_()), "hf_****oOOL" in str(err)
    (False, True)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Sequence

from IPython.core.error import InputRejected

from .. import detect
from ..constants import HF_TOKEN_SETTINGS_URL
from .state import Rejection

if TYPE_CHECKING:  # pragma: no cover
    from .state import KernelState

__all__ = ["CellRejected", "GuardCheckFailed", "Rejection", "Guard", "mask_source", "render_rejection"]

HF_TOKENS_URL = HF_TOKEN_SETTINGS_URL
_MAX_LISTED = 5
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"
# Lines that must get through even when the check itself is broken, so the user can switch it off.
_ESCAPE_HATCHES = ("%hfsecure", "%unload_ext hfsecure_jupyter", "%reload_ext hfsecure_jupyter")


def _describe(f: detect.Finding) -> str:
    try:
        return detect.rule_by_id(f.rule).description
    except Exception:  # noqa: BLE001 - misuse rules are not in RULES
        return f.rule


def _revoke_url(f: detect.Finding) -> str:
    try:
        return detect.rule_by_id(f.rule).revoke_url or ""
    except Exception:  # noqa: BLE001
        return ""


def _is_hf(f: detect.Finding) -> bool:
    return f.rule.startswith("hf-") or _revoke_url(f) == HF_TOKENS_URL


def render_rejection(findings: Sequence[detect.Finding], *, blocked: bool = True, color: bool = True) -> list[str]:
    """The one-screen message for a cell holding secrets (masked previews only).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> lines = render_rejection(detect.scan_python(f'x = "{fake_token(seed=2)}"'), color=False)
        >>> lines[0].startswith("hfsecure blocked this cell"), any("revoke" in l for l in lines)
        (True, True)
    """
    red, bold, reset = (_RED, _BOLD, _RESET) if color else ("", "", "")
    secrets = [f for f in findings if f.kind == "secret"]
    n = len(secrets)
    what = "a secret" if n == 1 else f"{n} secrets"
    if blocked:
        head = f"hfsecure blocked this cell: it holds {what}. Nothing in it ran."
    else:
        head = f"hfsecure warning: this cell holds {what} (it ran because c.HFSecure.guard = 'warn')."
    lines = [f"{red}{bold}{head}{reset}"]
    for f in secrets[:_MAX_LISTED]:
        enc = f" ({f.encoding})" if f.encoding else ""
        lines.append(f"  line {f.line}, column {f.column}: {_describe(f)} {f.preview}{enc}")
    if n > _MAX_LISTED:
        lines.append(f"  ... and {n - _MAX_LISTED} more")
    lines += [
        "Why: a token in a cell is saved with the notebook, its checkpoints and every copy or commit of it;",
        "     whoever reads it can act as you.",
        "Fix: remove it from the cell, then",
        "  - log in once with huggingface_hub.login() (or `hf auth login`), or set the HF_TOKEN",
        "    environment variable: the library finds the token by itself;",
        "  - for Jobs, pass it as a secret: secrets={\"HF_TOKEN\": \"$HF_TOKEN\"} (never env=);",
        "  - a deliberate fake (docs, tests)? end that line with  # hfsecure: allow",
    ]
    urls = list(dict.fromkeys(_revoke_url(f) for f in secrets if _revoke_url(f)))
    if any(_is_hf(f) for f in secrets):
        lines.append(f"If it is real, revoke it now at {HF_TOKENS_URL} and make a new one.")
        lines.append("(Anyone who finds a leaked Hugging Face token can have it revoked, so treat it as burnt.)")
        urls = [u for u in urls if u != HF_TOKENS_URL]
    for url in urls:
        lines.append(f"If it is real, revoke it at {url}.")
    if blocked:
        lines.append("Its text was kept out of In/_ih and the history database; your cell is unchanged.")
        lines.append("(Running several cells? The ones after this one did not run either.)")
    return lines


def render_misuse(findings: Sequence[detect.Finding], *, blocked: bool, color: bool = True) -> list[str]:
    """The message for code that leaks a secret without a literal (warnings, or a block by policy).

    Example:
        >>> render_misuse(detect.scan_python("print(get_token())"), blocked=False, color=False)[0]
        'hfsecure warning: this cell may leak a secret.'
    """
    # Bold, not yellow: JupyterLab shows stderr on a pink background where yellow is hard to read.
    style, reset = ((_RED + _BOLD) if blocked else _BOLD, _RESET) if color else ("", "")
    head = ("hfsecure blocked this cell: it would leak a secret (c.HFSecure.misuse = 'block'). Nothing in it ran."
            if blocked else "hfsecure warning: this cell may leak a secret.")
    lines = [f"{style}{head}{reset}"]
    for f in list(findings)[:_MAX_LISTED]:
        lines.append(f"  line {f.line}: {f.preview}")
        if f.message:
            lines.append(f"    why: {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    if len(findings) > _MAX_LISTED:
        lines.append(f"  ... and {len(findings) - _MAX_LISTED} more")
    lines.append("  (a deliberate case? end the line with  # hfsecure: allow)")
    return lines


class CellRejected(InputRejected):
    """A cell was not run because it holds a secret (or, by policy, leaks one). Holds no secret.

    ``str()`` is one masked line; ``_render_traceback_()`` is the one-screen message IPython shows in
    place of a traceback.
    """

    def __init__(self, findings: Sequence[detect.Finding], *, source_lines: int = 0, misuse: bool = False) -> None:
        self.findings = tuple(findings)
        self.misuse = misuse
        self.source_lines = source_lines
        first = self.findings[0] if self.findings else None
        where = f" on line {first.line}" if first else ""
        what = first.preview if first else "a secret"
        kind = "leaks a secret" if misuse else "holds a secret"
        super().__init__(f"hfsecure blocked this cell: it {kind} ({what}{where}); nothing in it ran")

    def _render_traceback_(self) -> list[str]:
        if self.misuse:
            return render_misuse(self.findings, blocked=True)
        return render_rejection(self.findings, blocked=True)


class GuardCheckFailed(InputRejected):
    """The guard could not check a cell (a bug in hfsecure): the cell was not run, to be safe."""

    def __init__(self, error: BaseException, redactor: detect.Redactor | None = None) -> None:
        self.error_type = type(error).__name__
        # The error text may quote the cell: mask the kernel's known secret values (the redactor) and
        # anything secret-looking. Masking happens before the cut, so no partial value survives it.
        try:
            text = (redactor or detect.Redactor()).redact(str(error))
        except Exception:  # noqa: BLE001 - cannot mask it: do not show it
            text = "(the error text is hidden: masking it failed)"
        self.error_text = text[:300]
        super().__init__(f"hfsecure could not check this cell ({self.error_type}); it was not run")

    def _render_traceback_(self) -> list[str]:
        return [
            f"{_RED}{_BOLD}hfsecure could not check this cell for secrets, so it was not run.{_RESET}",
            f"  the check failed with {self.error_type}: {self.error_text}",
            "Your cell is unchanged. To run cells unchecked: %hfsecure guard off",
            "(or %unload_ext hfsecure_jupyter; or c.HFSecure.guard_on_error = 'warn' to run them with a warning).",
            "Please report this: it is a bug in hfsecure-jupyter.",
        ]


def mask_source(source: str, findings: Sequence[detect.Finding] = (), redactor: detect.Redactor | None = None) -> str:
    """``source`` with every secret masked (finding edits, then the redactor), for history.

    Falls back to a one-line placeholder when a secret would still be left in it.

    Example:
        >>> from hfsecure_jupyter.testing import fake_token
        >>> mask_source(f'login(token="{fake_token(seed=7)}")')
        'login(token="hf_****oOOL")'
    """
    try:
        if not findings:
            findings = detect.scan_python(source, misuse=False)
        text = detect.apply_edits(source, [e for f in findings if f.kind == "secret" for e in f.edits])
        text = (redactor or detect.Redactor()).redact(text)
        if not detect.find_secrets(text) and not detect.scan_python(text, misuse=False):
            return text
    except Exception:  # noqa: BLE001 - never keep the value because masking failed
        pass
    return "# hfsecure: this cell held a secret; its text is not kept in the kernel's history"


class Guard:
    """The string transformer that checks every cell, plus the history scrubbing around it.

    Installed by :func:`hfsecure_jupyter.kernel.extension.load`; reads its policy from
    ``state.settings`` on every cell.
    """

    has_side_effects = True  # so IPython's "is this input complete?" check does not run it

    def __init__(self, state: "KernelState") -> None:
        self.state = state
        self.shell = state.shell
        self._passed = ""  # the last cell that passed: its nested re-transforms (%%time body) skip
        self._pending: dict[str, str] = {}  # raw source (rstripped) -> masked source, for history
        self.checks = 0
        self.blocked = 0
        # Cells that held a secret and ran anyway (guard = "warn"): (In number, findings: masked previews
        # only). Their history is masked, so %hfsecure scan learns of them here.
        self.warned: list[tuple[int, list[detect.Finding]]] = []

    # -- installation ---------------------------------------------------------------------------
    def install(self) -> None:
        """Put the transformer first (it must see the raw cell) and wrap history storage."""
        state, shell = self.state, self.shell
        transforms = shell.input_transformers_cleanup
        transforms.insert(0, self)

        def _remove() -> None:
            if self in transforms:
                transforms.remove(self)

        state.add_undo("input_transformers_cleanup", _remove)
        hm = getattr(shell, "history_manager", None)
        if hm is not None:
            had_own = "store_inputs" in vars(hm)
            previous = hm.store_inputs
            guard = self

            def store_inputs(line_num: int, source: str, source_raw: str | None = None) -> None:
                source, source_raw = guard._masked_for_history(source, source_raw)
                return previous(line_num, source, source_raw)

            hm.store_inputs = store_inputs

            def _restore() -> None:
                if had_own:
                    hm.store_inputs = previous
                else:
                    vars(hm).pop("store_inputs", None)

            state.add_undo("history_manager.store_inputs", _restore)
        logger = getattr(shell, "logger", None)
        if logger is not None and hasattr(logger, "log"):
            had_log = "log" in vars(logger)
            prev_log: Any = logger.log

            def log(line_mod: str, line_ori: str) -> Any:
                masked_mod, masked_ori = self._masked_for_history(line_mod, line_ori)
                return prev_log(masked_mod, masked_ori)

            logger.log = log
            state.add_undo("logger.log", lambda: (setattr(logger, "log", prev_log) if had_log
                                                 else vars(logger).pop("log", None)))
        state.register_event("post_run_cell", self.post_run_cell)
        state.register_event("post_execute", self.post_execute)

    # -- the check ------------------------------------------------------------------------------
    def __call__(self, lines: list[str]) -> list[str]:
        settings = self.state.settings
        policy, misuse_policy = settings.guard, settings.misuse
        if policy == "off" and misuse_policy == "off":
            return lines
        source = "".join(lines)
        if self._passed and source in self._passed:
            return lines  # the body of a cell that already passed, re-transformed by a magic
        self.checks += 1
        try:
            findings = detect.scan_python(source, misuse=misuse_policy != "off")
        except Exception as exc:  # noqa: BLE001 - a bug in the check must not decide silently
            return self._check_failed(source, exc, lines)
        if not findings:
            self._passed = source
            return lines
        # previews in messages and history as the user set them (c.HFSecure.mask_fill / mask_show_last)
        findings = [f.masked_as(fill=settings.mask_fill, show_last=settings.mask_show_last, source=source)
                    for f in findings]
        secrets = [f for f in findings if f.kind == "secret" and not f.suppressed]
        misuse = [f for f in findings if f.kind == "misuse" and not f.suppressed]
        if secrets and policy != "off":
            self._remember_for_history(source, secrets)
            if policy == "block":
                self._reject("secret", secrets)
                raise CellRejected(secrets, source_lines=len(lines))
            self._print(render_rejection(secrets, blocked=False))
            number = int(getattr(self.shell, "execution_count", 0) or 0)
            if self.warned and self.warned[-1][0] == number:
                self.warned.pop()  # the same cell checked again (a completeness check, a re-run transform)
            self.warned.append((number, list(secrets)))
        if misuse and misuse_policy != "off":
            if misuse_policy == "block":
                self._reject("misuse", misuse)
                raise CellRejected(misuse, source_lines=len(lines), misuse=True)
            self._print(render_misuse(misuse, blocked=False))
        self._passed = source
        return lines

    def _check_failed(self, source: str, exc: BaseException, lines: list[str]) -> list[str]:
        first = source.lstrip().split("\n", 1)[0]
        if "\n" not in source.strip() and first.startswith(_ESCAPE_HATCHES):
            self._print([f"hfsecure: the check failed ({type(exc).__name__}); running this command unchecked."])
            return lines
        self._remember_for_history(source, ())
        if self.state.settings.guard_on_error == "warn":
            self._print([f"{_RED}hfsecure could not check this cell ({type(exc).__name__}); it runs UNCHECKED "
                         f"(c.HFSecure.guard_on_error = 'warn').{_RESET}"])
            self._passed = source
            return lines
        self._reject("check-failed", ())
        output = getattr(self.state, "output", None)
        if output is not None:  # the input transform runs before pre_run_cell: take values set since
            output.refresh_known()
        raise GuardCheckFailed(exc, self.state.redactor)

    def _reject(self, reason: str, findings: Sequence[detect.Finding]) -> None:
        self.blocked += 1
        self.state.last_rejection = Rejection(reason, tuple(findings))

    @staticmethod
    def _print(lines: list[str]) -> None:
        print("\n".join(lines), file=sys.stderr)
        try:
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass

    # -- history -------------------------------------------------------------------------------
    def _remember_for_history(self, source: str, findings: Sequence[detect.Finding]) -> None:
        self._pending[source.rstrip("\n")] = mask_source(source, findings, self.state.redactor).rstrip("\n")

    def _masked_for_history(self, source: str, source_raw: str | None) -> tuple[str, str | None]:
        if not self._pending:
            return source, source_raw
        raw = (source_raw if source_raw is not None else source).rstrip("\n")
        masked = self._pending.get(raw)
        if masked is None:
            return source, source_raw
        masked_source = masked if source.rstrip("\n") == raw else mask_source(source, (), self.state.redactor)
        return masked_source, (masked if source_raw is not None else None)

    def post_execute(self) -> None:
        """End of a cell: its nested transforms are over."""
        self._passed = ""

    def post_run_cell(self, result: Any) -> None:
        """After a flagged cell: make sure no copy of its text is left in the kernel (scrub again)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        count = getattr(result, "execution_count", None)
        rej = self.state.last_rejection
        if rej is not None and rej.execution_count is None and result is not None \
                and isinstance(getattr(result, "error_before_exec", None), (CellRejected, GuardCheckFailed)):
            rej.execution_count = count
        try:
            scrub_history(self.shell, pending, count)
        except Exception as exc:  # noqa: BLE001 - tell, do not crash the cell
            self._print([f"hfsecure: could not check the history for a secret ({type(exc).__name__})."])


def _replace_in_list(items: list[Any], pending: dict[str, str]) -> None:
    for i, item in enumerate(items):
        if isinstance(item, str):
            masked = pending.get(item.rstrip("\n"))
            if masked is not None:
                items[i] = masked


def scrub_history(shell: Any, pending: dict[str, str], count: int | None = None) -> None:
    """Replace every stored copy of a flagged cell (``pending``: raw -> masked) with its masked text.

    Covers ``In``/``_ih`` (and the parsed history), ``_i``, ``_ii``, ``_iii``, ``_i<N>``, the history
    manager's write cache and the SQLite database (rows already written are updated with
    ``secure_delete`` on, so the old text is overwritten in the file).
    """
    hm = getattr(shell, "history_manager", None)
    ns = getattr(shell, "user_ns", {})
    if hm is not None:
        _replace_in_list(hm.input_hist_raw, pending)
        _replace_in_list(hm.input_hist_parsed, pending)
        for attr in ("_i00", "_i", "_ii", "_iii"):
            masked = pending.get(str(getattr(hm, attr, "")).rstrip("\n"))
            if masked is not None:
                setattr(hm, attr, masked)
    for key in [k for k in list(ns) if k.startswith("_i") and (k[2:].isdigit() or k in ("_i", "_ii", "_iii"))]:
        value = ns.get(key)
        if isinstance(value, str):
            masked = pending.get(value.rstrip("\n"))
            if masked is not None:
                ns[key] = masked
    if hm is None:
        return
    lock = getattr(hm, "db_input_cache_lock", None)
    if lock is None:
        return
    with lock:  # the saving thread writes under this lock: after it, the file and cache agree
        cache = hm.db_input_cache
        for i, (line, src, raw) in enumerate(cache):
            ms, mr = pending.get(src.rstrip("\n")), pending.get(raw.rstrip("\n"))
            if ms is not None or mr is not None:
                cache[i] = (line, ms if ms is not None else src, mr if mr is not None else raw)
        db = getattr(hm, "db", None)
        if db is None or not getattr(hm, "enabled", True):
            return
        rows = db.execute("SELECT line, source, source_raw FROM history WHERE session = ?"
                          + (" AND line = ?" if count is not None else ""),
                          (hm.session_number, count) if count is not None else (hm.session_number,)).fetchall()
        changes = []
        for line, src, raw in rows:
            ms, mr = pending.get((src or "").rstrip("\n")), pending.get((raw or "").rstrip("\n"))
            if ms is not None or mr is not None:
                changes.append((ms if ms is not None else src, mr if mr is not None else raw, line))
        if changes:
            db.execute("PRAGMA secure_delete = ON")
            with db:
                db.executemany("UPDATE history SET source = ?, source_raw = ? WHERE session = ? AND line = ?",
                               [(s, r, hm.session_number, line) for s, r, line in changes])

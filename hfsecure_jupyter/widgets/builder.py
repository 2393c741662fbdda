"""Build a Hugging Face Job whose token goes in ``secrets`` without knowing the rule: :class:`JobSpecBuilder`.

A uv script (typed, taken from a cell of this notebook through ``In``, or a file) or an image and a command;
dependencies (inferred from the imports, editable), python version, flavor (the Hub's list with prices,
fetched in the background; the built-in list offline), timeout, an env table and a secrets table. Every
decision is :func:`hfsecure_jupyter.jobs.plan_job`'s: the access the script needs against what the logged-in
token allows, the fix when it falls short, and the three renderings (MCP ``hf_jobs``, Python, ``hf jobs``
CLI), which update live, each with a copy button.

Tokens never stay in a field: a token value typed anywhere is replaced by its placeholder (``$HF_TOKEN``) at
once, in the kernel and in the browser's copy (the field is set back; the typed value is not echoed), and a
secret-looking env entry moves to the secrets table with a one-line explanation.

Example:
    >>> from hfsecure_jupyter.testing import fake_token
    >>> scrub(f"token={fake_token(seed=3)}", known=())
    ('token=$HF_TOKEN', 1)
"""

from __future__ import annotations

import json
import shlex
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import ipywidgets as W  # type: ignore[import-untyped]
from traitlets import Unicode

from .. import detect
from ._common import COLORS, FG_DIM, MONO, BORDER, ThreadSafeUpdates, box_html, esc, kernel_status_service, TextForm

if TYPE_CHECKING:  # pragma: no cover
    from ..hub.status import StatusService
    from ..jobs.plan import JobPlan

__all__ = ["JobSpecBuilder", "scrub", "parse_table"]

_HF_RULE_PREFIX = "hf-"


class _Text(W.Text):
    """A standard Text control whose value the kernel never echoes back (it may be a token just typed)."""

    value = Unicode("", help="The text (a typed token is replaced by its placeholder).").tag(sync=True,
                                                                                           echo_update=False)


class _Textarea(W.Textarea):
    """A standard Textarea control whose value the kernel never echoes back."""

    value = Unicode("", help="The text (a typed token is replaced by its placeholder).").tag(sync=True,
                                                                                           echo_update=False)


def _placeholder(hit_rule: str) -> str:
    return "$HF_TOKEN" if hit_rule.startswith(_HF_RULE_PREFIX) else "$SECRET"


def _env_name_of(value: str) -> str | None:
    # A known value is named after the environment variable that holds it ($OPENAI_API_KEY ...).
    import os

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if (os.environ.get(name) or "").strip() == value:
            return "HF_TOKEN"
    return next((k for k, v in os.environ.items() if v == value and detect.is_secret_name(k)), None)


def scrub(text: str, known: Iterable[str] | None = None) -> tuple[str, int]:
    """``text`` with every secret (found by the core, or a ``known`` value: default the kernel's) replaced by
    its placeholder; and how many were replaced.

    Example:
        >>> scrub("nothing here", known=())
        ('nothing here', 0)
    """
    if known is None:
        from ..hub.held import known_secret_values

        known = known_secret_values()
    known = [k for k in known if k]
    if not text or (not known and not detect.might_contain_secret(text)):
        return text, 0
    hits = {(h.start, h.end): h.rule.id for h in detect.find_secrets(text)}
    edits = []
    for e in detect.Redactor(known=known).edits(text):
        rule = hits.get((e.start, e.end))
        name = None if rule else _env_name_of(text[e.start:e.end])
        edits.append(detect.Edit(e.start, e.end, f"${name}" if name else _placeholder(rule or "hf-known")))
    return (detect.apply_edits(text, edits), len(edits)) if edits else (text, 0)


def parse_table(text: str) -> tuple[dict[str, str], list[str]]:
    """``KEY=VALUE`` lines (blank lines and ``#`` comments skipped) and the lines that are not that.

    Example:
        >>> parse_table("A=1\\n# c\\n\\nB = two\\nbad line")
        ({'A': '1', 'B': 'two'}, ['bad line'])
    """
    out: dict[str, str] = {}
    bad: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        key, sep, value = s.partition("=")
        if not sep or not key.strip().replace("_", "a").isalnum():
            bad.append(s)
            continue
        out[key.strip()] = value.strip()
    return out, bad


def _table_text(table: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in table.items())


def _copy_block(title: str, text: str) -> str:
    # A standard HTML control with an inline clipboard button (no widget model of ours); the text is also
    # selectable by hand (click in it, Ctrl+A, Ctrl+C).
    return box_html(
        f'<div style="display:flex;justify-content:space-between;align-items:center"><b>{esc(title)}</b>'
        f'<button class="jupyter-button" title="Copy to the clipboard" '
        f"onclick=\"navigator.clipboard.writeText(this.parentElement.nextElementSibling.innerText)"
        f".then(()=>{{this.textContent='Copied'}})\">Copy</button></div>"
        f'<pre style="font-family:{MONO};font-size:0.85em;white-space:pre-wrap;margin:2px 0 8px 0;'
        f'border:1px solid {BORDER};padding:4px;user-select:all">{esc(text)}</pre>')


class JobSpecBuilder(TextForm, W.VBox, ThreadSafeUpdates):
    """A form that builds a job spec with ``plan_job``, shows its three renderings and submits it.

    Args:
        script: a script to start with.
        service: the :class:`~hfsecure_jupyter.hub.StatusService` of the login to check (default: the kernel's).
        user_ns: the namespace whose ``In`` lists the notebook's cells (default: the shell's).
        fetch_hardware: ask the Hub for the flavors and their prices in the background.
    """

    def __init__(self, script: str = "", *, service: StatusService | None = None,
                 user_ns: dict[str, Any] | None = None, fetch_hardware: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._init_updates()
        from ..jobs import JOB_FLAVORS

        self.service = service or kernel_status_service()
        self.user_ns = user_ns
        self.plan: JobPlan | None = None
        self.monitor: Any = None
        self.submit_error = ""
        self._scrubbing = False
        area = {"layout": W.Layout(width="100%"), "continuous_update": False}
        self.source = W.ToggleButtons(options=[("Script", "script"), ("Cell", "cell"), ("File", "file"),
                                               ("Image", "image")], value="script")
        self.script = _Textarea(value="", placeholder="# a uv script", rows=8, **area)
        self.cell = W.Dropdown(options=[], description="cell")
        self.path = _Text(value="", placeholder="path/to/script.py", description="file", continuous_update=False)
        self.image = _Text(value="", placeholder="python:3.12", description="image", continuous_update=False)
        self.command = _Text(value="", placeholder="python -c 'print(1)'", description="command",
                             continuous_update=False)
        self.dependencies = _Text(value="", placeholder="inferred from the imports", description="with",
                                  continuous_update=False)
        self.python = _Text(value="", placeholder="3.12", description="python", continuous_update=False)
        self.flavor = W.Dropdown(options=[(f, f) for f in JOB_FLAVORS], value="cpu-basic", description="flavor")
        self.timeout = _Text(value="", placeholder="30m", description="timeout", continuous_update=False)
        self.env = _Textarea(value="", placeholder="KEY=value (one per line)", rows=3, **area)
        self.secrets = _Textarea(value="", placeholder="HF_TOKEN=$HF_TOKEN", rows=3, **area)
        self.notice = W.HTML()
        self.access = W.HTML()
        self.renderings = W.HTML()
        self.submit_button = W.Button(description="Submit", icon="play", button_style="primary")
        self.submit_button.on_click(lambda _: self.submit())
        self.monitor_box = W.VBox()
        self._fields: dict[str, Any] = {"script": self.script, "file": self.path, "image": self.image, "command": self.command,
                        "with": self.dependencies, "python": self.python, "timeout": self.timeout,
                        "env": self.env, "secrets": self.secrets}
        for name, control in self._fields.items():
            control.observe(lambda change, name=name: self._on_edit(name, change), names="value")
        for control in (self.source, self.cell, self.flavor):
            control.observe(lambda _: self.update(), names="value")
        self.source_box = W.VBox()
        self.children = (self.source, self.source_box, W.HBox([self.dependencies, self.python]),
                         W.HBox([self.flavor, self.timeout]),
                         W.HTML(box_html("<b>env</b> (plain text in the job listing: no secrets)")), self.env,
                         W.HTML(box_html("<b>secrets</b> (encrypted; <code>$NAME</code> is read from this machine "
                                         "at submission)")), self.secrets,
                         self.notice, self.access, self.renderings, self.submit_button, self.monitor_box)
        self.refresh_cells()
        self._unsubscribe = self.service.subscribe(self._on_status)
        self.hardware_thread: threading.Thread | None = None
        if fetch_hardware:
            self.hardware_thread = threading.Thread(target=self._fetch_hardware, name="hfsecure-hardware",
                                                    daemon=True)
            self.hardware_thread.start()
        if script:
            self.script.value = script
        self.update()

    def _on_status(self, _status: Any) -> None:
        # The login changed (a worker thread): the access check is re-planned against it.
        self.update()

    # -- inputs ---------------------------------------------------------------------------------------------
    def _notebook_inputs(self) -> list[str]:
        ns = self.user_ns
        if ns is None:
            from IPython import get_ipython

            shell = get_ipython()
            ns = shell.user_ns if shell is not None else {}
        cells = ns.get("In") or []
        return [c if isinstance(c, str) else "" for c in cells]

    def refresh_cells(self) -> None:
        """List this notebook's executed cells (``In``) for the "Cell" source, newest first."""
        options = []
        for n, source in enumerate(self._notebook_inputs()):
            first = source.strip().splitlines()[0] if source.strip() else ""
            if first and "JobSpecBuilder" not in source:
                options.append((f"In [{n}]: {first[:60]}", n))
        self.cell.options = list(reversed(options))

    def _cell_script(self) -> str:
        cells = self._notebook_inputs()
        n = self.cell.value
        if not isinstance(n, int) or not 0 <= n < len(cells):
            return ""
        text = cells[n]
        if text.lstrip().startswith("%%hfjob"):  # the body of a %%hfjob cell is its script
            text = text.split("\n", 1)[1] if "\n" in text else ""
        return scrub(text)[0]  # a cell the guard let through in warn mode may still hold one

    def _on_edit(self, name: str, change: dict) -> None:
        if self._scrubbing:
            return
        value = change["new"]
        clean, n = scrub(value)
        moved: list[str] = []
        if name == "env":
            clean, moved = self._move_secret_env(clean)
        if clean != value:
            self._scrubbing = True
            try:
                self._fields[name].value = clean  # the kernel's and the browser's copy both get the placeholder
            finally:
                self._scrubbing = False
        notes = []
        if n:
            notes.append(f"replaced {n} token value{'s' if n != 1 else ''} typed into {name} by its placeholder "
                         "($HF_TOKEN is read from your login at submission, never stored in the notebook)")
        if moved:
            notes.append(f"moved {', '.join(moved)} from env to secrets: env is plain text in every job listing, "
                         "secrets are encrypted")
        if notes:
            self._notice("; ".join(notes))
        self.update()

    def _move_secret_env(self, text: str) -> tuple[str, list[str]]:
        env, bad = parse_table(text)
        secrets, _ = parse_table(self.secrets.value)
        moved = []
        for key in list(env):
            value = env[key]
            if detect.is_secret_name(key) or value == "$HF_TOKEN" or value == "$SECRET":
                placeholder = value if value.startswith("$") and value != "$SECRET" else f"${key}"
                if key in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN") or value == "$HF_TOKEN":
                    placeholder = "$HF_TOKEN"
                secrets.setdefault(key, placeholder)
                del env[key]
                moved.append(key)
        if not moved:
            return text, []
        self._scrubbing = True
        try:
            self.secrets.value = _table_text(secrets)
        finally:
            self._scrubbing = False
        return "\n".join([_table_text(env), *bad]).strip("\n"), moved

    def _notice(self, text: str) -> None:
        self._apply(lambda: setattr(self.notice, "value", box_html(
            f'<span style="color:{COLORS["info"]}">&#8505; {esc(text)}</span>') if text else ""))

    # -- the plan --------------------------------------------------------------------------------------------
    def plan_args(self) -> dict[str, Any]:
        """What the form says, as ``plan_job`` arguments (placeholders only)."""
        source = self.source.value
        env, _ = parse_table(self.env.value)
        secrets, _ = parse_table(self.secrets.value)
        deps = [d.strip() for d in self.dependencies.value.replace("\n", ",").split(",") if d.strip()]
        args: dict[str, Any] = {"flavor": self.flavor.value or "cpu-basic", "env": env, "secrets": secrets,
                                "python": self.python.value.strip() or None,
                                "timeout": self.timeout.value.strip() or None,
                                "dependencies": deps or None}
        if source == "image":
            try:
                command: Any = shlex.split(self.command.value)
            except ValueError:
                command = self.command.value
            args.update(image=self.image.value.strip() or None, command=command or None)
            args.pop("python")
            args.pop("dependencies")
        elif source == "file":
            args["script"] = self.path.value.strip() or None
        elif source == "cell":
            args["script"] = self._cell_script() or None
        else:
            args["script"] = self.script.value or None
        return args

    def update(self) -> JobPlan | None:
        """Plan the job from the form and show the access check, notes and renderings."""
        from ..jobs import plan_job

        with self._update_lock:
            self.source_box.children = {"script": (self.script,), "cell": (self.cell,), "file": (self.path,),
                                        "image": (self.image, self.command)}[self.source.value]
            args = self.plan_args()
            if args.get("script") is None and args.get("image") is None:
                self.plan = None
                self.access.value = box_html(f'<span style="color:{FG_DIM}">write a script, pick a cell or a '
                                             "file, or give an image and a command</span>")
                self.renderings.value = ""
                self.submit_button.disabled = True
                return None
            try:
                plan = plan_job(**args, status=lambda: self.service.get_status(timeout=0))
            except Exception as exc:  # noqa: BLE001 - the form keeps what was typed and says why
                self.plan = None
                self.access.value = box_html(f'<span style="color:{COLORS["error"]}">cannot plan this job: '
                                             f"{esc(detect.redact(str(exc)))}</span>")
                self.submit_button.disabled = True
                return None
            self.plan = plan
            self.access.value = _plan_html(plan)
            self.renderings.value = _renderings_html(plan)
            self.submit_button.disabled = not plan.ok or plan.spec is None
            if not self.dependencies.value and plan.dependencies:
                self.dependencies.placeholder = "inferred: " + ", ".join(plan.dependencies)
            return plan

    # -- flavors ---------------------------------------------------------------------------------------------
    def _fetch_hardware(self) -> None:
        try:
            from huggingface_hub import HfApi

            hardware = HfApi().list_jobs_hardware()
        except Exception:  # noqa: BLE001 - offline: the built-in list stays
            return
        options = []
        for hw in hardware:
            name = str(getattr(hw, "name", "") or "")
            if not name:
                continue
            cost = getattr(hw, "unit_cost_usd", None)
            unit = getattr(hw, "unit_label", "") or "minute"
            label = f"{name} (${cost:.4f}/{unit})" if isinstance(cost, (int, float)) else name
            options.append((label, name))
        if options:
            def apply() -> None:
                current = self.flavor.value
                self.flavor.options = options
                if current in [v for _, v in options]:
                    self.flavor.value = current

            self._apply(apply)

    # -- submit ----------------------------------------------------------------------------------------------
    def submit(self) -> threading.Thread | None:
        """Submit the planned job in a worker thread and open a :class:`~.monitor.JobMonitor` below."""
        plan = self.update()
        if plan is None or not plan.ok or plan.spec is None:
            self._notice("this job cannot be submitted yet: see above")
            return None
        spec = plan.spec
        self.submit_button.disabled = True

        def work() -> None:
            from ..jobs import submit
            from .monitor import JobMonitor

            try:
                handle = submit(spec, status=self.service)
            except Exception as exc:  # noqa: BLE001 - shown (the jobs layer's message is masked and actionable)
                self.submit_error = detect.redact(str(exc))
                self._notice(f"not submitted: {self.submit_error}")
                self._apply(lambda: setattr(self.submit_button, "disabled", False))
                return
            monitor = JobMonitor(handle, env=list(spec.env), secrets=[k for k, _ in spec.secret_items])
            self.monitor = monitor
            def show() -> None:
                self.monitor_box.children = (monitor,)
                self.submit_button.disabled = False

            self._apply(show)

        t = threading.Thread(target=work, name="hfsecure-submit", daemon=True)
        t.start()
        return t

    def text(self) -> str:
        """The plain-text form: the plan and the CLI rendering."""
        plan = self.plan
        if plan is None:
            return "JobSpecBuilder: no job yet"
        lines = [f"job: {'ready' if plan.ok else 'refused'}; access: {plan.login_need.summary()}"]
        lines += plan.refusals + plan.notes
        if plan.spec is not None:
            lines.append(plan.spec.to_cli())
        return detect.redact("\n".join(lines))

    def close(self) -> None:
        self._unsubscribe()
        super().close()


def _plan_html(plan: JobPlan) -> str:
    need = plan.need
    reasons = "".join(f"<li>{esc(r.why)}</li>" for r in need.reasons[:10])
    level = f"{need.level} access" if need.reasons else need.summary()  # the reasons are listed below
    rows = [f"<b>the script needs:</b> {esc(level)}" + (f"<ul style='margin:0'>{reasons}</ul>"
                                                                     if reasons else "")]
    verdict = plan.verdict
    if verdict is not None:
        if verdict.allowed is None:
            color, word = COLORS["warn"], "cannot tell"
        elif verdict.allowed:
            color, word = COLORS["ok"], "your token allows it"
        else:
            color, word = COLORS["error"], "your token falls short"
        rows.append(f'<b>your login:</b> <span style="color:{color}">{esc(word)}</span>: {esc(verdict.reason)}')
        if verdict.fix:
            rows.append(f"<b>fix:</b> {esc(verdict.fix)}")
    if plan.advice:
        rows.append(f'<span style="color:{FG_DIM}">{esc(plan.advice)}</span>')
    for text in plan.refusals:
        rows.append(f'<pre style="color:{COLORS["error"]};white-space:pre-wrap;margin:0">{esc(text)}</pre>')
    for text in plan.misuse:
        rows.append(f'<pre style="color:{COLORS["warn"]};white-space:pre-wrap;margin:0">{esc(text)}</pre>')
    for text in plan.notes:
        rows.append(f'<div style="color:{FG_DIM}">{esc(text)}</div>')
    return box_html("<br>".join(rows))


def _renderings_html(plan: JobPlan) -> str:
    import warnings

    with warnings.catch_warnings(record=True) as caught:  # the renderers warn about what a form cannot carry
        warnings.simplefilter("always")
        d = plan.to_dict()  # redacted again there: a renderer bug must not reach the page
    r = d.get("renderings")
    if not r:
        return ""
    notes = "".join(f'<div style="color:{COLORS["warn"]}">&#9888; {esc(detect.redact(str(w.message)))}</div>'
                    for w in caught)
    return notes + (_copy_block("MCP hf_jobs", json.dumps(r["mcp"], indent=2)) + _copy_block("Python", r["python"])
            + _copy_block("hf CLI", r["cli"]))

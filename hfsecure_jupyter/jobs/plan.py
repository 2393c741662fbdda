"""plan_job: the whole decision before a Job is submitted, pure, for ``%%hfjob``, the builder widget and REST.

:func:`plan_job` takes what the user gave (a script or an image and command, options, a login status) and
answers with a :class:`JobPlan`, making no Hub call and submitting nothing:

1. refuse a literal secret in the options and in the script (masked previews only), and, by policy,
   a script that would leak one (``print(get_token())``);
2. build the :class:`~hfsecure_jupyter.jobs.spec.JobSpec` (secret-looking ``env`` entries move to
   ``secrets``), with the ``--with`` dependencies inferred from the imports when none are given
   (:mod:`.deps`; a PEP 723 header wins);
3. infer what the script needs from the Hub (:func:`hfsecure_jupyter.hub.access.required_access`) and add
   ``HF_TOKEN`` as the ``$HF_TOKEN`` placeholder when it needs a login;
4. compare the need (plus ``job.write`` to run the job at all) with the login ``status``
   (:func:`~hfsecure_jupyter.hub.access.check_access`) and give the least-privilege advice.

Example:
    >>> from hfsecure_jupyter.hub.auth import AuthStatus
    >>> script = "from huggingface_hub import whoami\\nprint(whoami()['name'])\\n"
    >>> plan = plan_job(script, status=AuthStatus("ok", user="bob", role="read"))
    >>> plan.ok, plan.dependencies, plan.spec.secrets
    (False, ['huggingface_hub'], {'HF_TOKEN': '$HF_TOKEN'})
    >>> print(plan.refusals[0])
    a read token cannot run jobs in bob (line 1: the job itself)
    fix: use a fine-grained token with job.write on bob (or a write token)
    least privilege: A fine-grained token with job.write on bob. Create it at https://huggingface.co/settings/tokens; pass it to jobs as secrets={"HF_TOKEN": "$HF_TOKEN"}.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence, Union

from .. import detect
from ..constants import HF_REVOKE, HF_TOKEN_ENV_NAMES
from ..hub.access import AccessNeed, AccessVerdict, Reason, check_access, recommend_token, required_access
from .deps import Dependencies, infer_dependencies
from .spec import JobSpec, SecretMovedWarning, SecretValueError

if TYPE_CHECKING:
    from ..hub.auth import AuthStatus

__all__ = ["JobPlan", "MisusePolicy", "RefusalKind", "StatusArg", "plan_job"]

#: Which check refused a plan: bad input (a flavor, a timeout), a literal secret, a leak by policy, access.
RefusalKind = Literal["input", "secret", "misuse", "access"]
MisusePolicy = Literal["block", "warn", "off"]
#: A login status, or a function that returns one (called only when the job needs a login).
StatusArg = Union["AuthStatus", Callable[[], "AuthStatus"], None]

_TOKEN_SECRET_NAMES = HF_TOKEN_ENV_NAMES
_REVOKE = HF_REVOKE
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class JobPlan:
    """What :func:`plan_job` decided. Holds placeholders and masked previews only, never a secret value.

    Attributes:
        ok: True when the job may be submitted (nothing refused).
        spec: the job (placeholders only), None when refused before one could be built.
        refusals: why it cannot be submitted; each is a reason, then ``fix: ...`` lines (newline-separated).
        refused_by: the check that refused (``input``, ``secret``, ``misuse``, ``access``), None when ok.
        notes: what was changed or inferred (env entry moved to secrets, ``$HF_TOKEN`` added, ``--with``
            inferred), and what could not be checked.
        misuse: warnings (with their fixes) about code that would leak a secret, under policy ``warn``.
        need: the Hub access the script itself needs (Reason lines count from ``first_line``).
        login_need: ``need`` plus ``job.write`` for submitting the job: what the login must allow.
        verdict: ``check_access(status, login_need)``, None when no status was given or the check failed.
        advice: the least-privilege token for ``login_need``.
        dependencies: the ``--with`` dependencies, as given or inferred (a PEP 723 header's when it has one).
        inferred: how the dependencies were found (None when they were given).
    """

    ok: bool
    spec: JobSpec | None = None
    refusals: list[str] = field(default_factory=list)
    refused_by: RefusalKind | None = None
    notes: list[str] = field(default_factory=list)
    misuse: list[str] = field(default_factory=list)
    need: AccessNeed = field(default_factory=AccessNeed)
    login_need: AccessNeed = field(default_factory=AccessNeed)
    verdict: AccessVerdict | None = None
    advice: str = ""
    dependencies: list[str] = field(default_factory=list)
    inferred: Dependencies | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (never a value): with ``renderings`` (``mcp``, ``python``, ``cli``) when a spec exists.

        Example:
            >>> d = plan_job("print(1)").to_dict()
            >>> d["ok"], sorted(d["renderings"]), d["spec"]["kind"]
            (True, ['cli', 'mcp', 'python'], 'uv')
        """
        out: dict[str, Any] = {
            "ok": self.ok, "refusals": list(self.refusals), "refused_by": self.refused_by,
            "notes": list(self.notes), "misuse": list(self.misuse), "need": self.need.to_dict(),
            "login_need": self.login_need.to_dict(),
            "verdict": self.verdict.to_dict() if self.verdict is not None else None,
            "advice": self.advice, "dependencies": list(self.dependencies),
            "inferred": self.inferred.to_dict() if self.inferred is not None else None,
            "spec": None, "renderings": None,
        }
        if self.spec is not None:
            out["spec"] = self.spec.to_dict()
            out["renderings"] = {"mcp": self.spec.to_mcp(), "python": self.spec.to_python(),
                                 "cli": self.spec.to_cli()}
        # Belt and braces: a renderer bug must not put a value in a REST response.
        return _redacted(out)


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return detect.redact(value) if detect.might_contain_secret(value) else value
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return detect.redact(text)


def _masked_hits(text: str) -> list[str]:
    if not text or not detect.might_contain_secret(text):
        return []
    return [detect.mask_secret(h.secret) for h in detect.find_secrets(text)]


def _option_texts(image: str | None, command: Sequence[str] | str | None, dependencies: Sequence[str] | None,
                  python: str | None, flavor: str, timeout: str | int | None, env: Mapping[str, str] | None,
                  secrets: Mapping[str, str] | None, labels: Mapping[str, str] | None, namespace: str | None,
                  script_args: Sequence[str]) -> list[tuple[str, str]]:
    """(where, text) for every option value a user typed (names of env/secrets/labels too)."""
    out: list[tuple[str, str]] = []
    for where, value in (("--image", image), ("--python", python), ("--flavor", flavor), ("--namespace", namespace),
                         ("--timeout", timeout)):
        if isinstance(value, str):
            out.append((where, value))
    if isinstance(command, str):
        out.append(("the command", command))
    for where, values in (("the command", command if not isinstance(command, str) else ()),
                          ("--with", dependencies), ("the script arguments", script_args)):
        out += [(where, v) for v in values or () if isinstance(v, str)]
    for flag, mapping in (("-e", env), ("-s", secrets), ("--label", labels)):
        for key, value in dict(mapping or {}).items():
            out.append((f"{flag} {key}" if not _masked_hits(str(key)) else flag, f"{key}={value}"))
    return out


def _refuse_literal_options(texts: list[tuple[str, str]], env: Mapping[str, str] | None) -> str | None:
    for where, text in texts:
        masked = _masked_hits(text)
        if not masked:
            continue
        if where.startswith("-e ") and env is not None:
            key = where[3:]
            return (f"{where} carries a secret ({masked[0]})\n"
                    f"fix: pass it as a secret: -s {key} (secrets={{'{key}': '${key}'}}), read from this machine "
                    "at submission")
        return (f"the options hold a secret ({', '.join(masked)}, in {where})\n"
                "fix: pass it by name: -s HF_TOKEN (the value is read from your login at submission), "
                "never -e NAME=<value> or -s NAME=<value>\n" + _REVOKE + ": it is now in this notebook's history")
    return None


def _finding_line(f: detect.Finding, first_line: int) -> str:
    where = f"line {f.line + first_line - 1}" if f.line else "the script"
    preview = f" {f.preview}" if f.preview else ""
    return f"  {where}:{preview} {f.message}".rstrip()


def _shift(need: AccessNeed, first_line: int) -> AccessNeed:
    if first_line == 1:
        return need
    reasons = [dataclasses.replace(r, line=r.line + first_line - 1) for r in need.reasons]
    return AccessNeed(need.level, reasons, list(need.repos), list(need.notes))


def _with_job(need: AccessNeed, namespace: str | None, line: int) -> AccessNeed:
    """``need`` plus the ``job.write`` that submitting the job needs."""
    reasons = [Reason(line, "the job itself", "write", None, "job.write", namespace=namespace), *need.reasons]
    return AccessNeed("write", reasons, list(need.repos), list(need.notes))


def _requirement_name(requirement: str) -> str:
    m = _REQUIREMENT_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() if m else requirement.strip().lower()


def _uses_text(reasons: list[Reason]) -> str:
    uses = "reads the token" if all(r.permission == "token" for r in reasons) else "uses the Hub"
    return (f"the script {uses}: " + "; ".join(r.why for r in reasons[:3])
            + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""))


def _build(script: str | None, image: str | None, command: Sequence[str] | str | None, deps: list[str],
           python: str | None, flavor: str, timeout: str | int | None, env: Mapping[str, str] | None,
           secrets: Mapping[str, str] | None, labels: Mapping[str, str] | None, namespace: str | None,
           script_args: Sequence[str]) -> JobSpec:
    with warnings.catch_warnings():  # the same notes come back in spec.warnings
        warnings.simplefilter("ignore", SecretMovedWarning)
        if script is not None:
            return JobSpec.uv(script, dependencies=tuple(deps), python=python, image=image, flavor=flavor,
                              timeout=timeout, env=env or None, secrets=secrets or None, labels=labels or None,
                              namespace=namespace, script_args=tuple(script_args))
        if image is None or command is None:
            raise ValueError("a job needs a script (a uv job) or an image and a command (a container job)")
        return JobSpec.container(image, command, flavor=flavor, timeout=timeout, env=env or None,
                                 secrets=secrets or None, labels=labels or None, namespace=namespace)


def plan_job(script: str | None = None, *, image: str | None = None, command: Sequence[str] | str | None = None,
             dependencies: Sequence[str] | None = None, python: str | None = None, flavor: str = "cpu-basic",
             timeout: str | int | None = None, env: Mapping[str, str] | None = None,
             secrets: Mapping[str, str] | None = None, labels: Mapping[str, str] | None = None,
             namespace: str | None = None, status: StatusArg = None, script_args: Sequence[str] = (),
             local: bool = False, misuse: MisusePolicy = "warn", first_line: int = 1) -> JobPlan:
    """Decide whether and how a job may run; pure: no Hub call, nothing submitted, no value in the answer.

    Args:
        script: a uv script (code, an ``https://`` URL or a ``.py`` path); or None with ``image`` and
            ``command`` for a container job.
        dependencies: ``--with`` requirements; None infers them from the imports (a PEP 723 header wins).
        status: the login to compare the need with (None: do not compare; ``verdict`` stays None), or a
            function that returns it, called only when the job needs a login (so a local run of a script
            that needs no Hub makes no Hub call); an error it raises becomes a note.
        local: the job runs here (``%%hfjob --local``): no ``job.write`` is needed.
        misuse: what a script that would leak a secret gets: refused (``block``), a warning (``warn``,
            in ``misuse``) or nothing (``off``).
        first_line: the line number of the script's first line where the user sees it (2 in a
            ``%%hfjob`` cell), so that every line a message names is the user's.

    Example:
        >>> plan = plan_job("import yaml\\nprint(yaml.safe_dump({'a': 1}))\\n", env={"MODE": "fast"})
        >>> plan.ok, plan.dependencies, plan.spec.env, plan.verdict is None
        (True, ['pyyaml'], {'MODE': 'fast'}, True)
        >>> plan_job("print(1)", flavor="t4-smal").refused_by
        'input'
        >>> plan_job("print(1)", status=lambda: 1 / 0).notes
        ["note: could not check your token's access (division by zero); proceeding"]
    """
    notes: list[str] = []

    def refused(kind: RefusalKind, *lines: str, spec: JobSpec | None = None, **extra: Any) -> JobPlan:
        return JobPlan(False, spec, ["\n".join(lines)], kind, notes, **extra)

    # 1. Literal secrets: the options first (they are shown everywhere), then the script.
    texts = _option_texts(image, command, dependencies, python, flavor, timeout, env, secrets, labels, namespace,
                          script_args)
    why = _refuse_literal_options(texts, env)
    if why is not None:
        return refused("secret", why)
    if script is not None and not isinstance(script, str):
        return refused("input", f"the script must be text, not {type(script).__name__}")
    kind, lines, leak_lines = _script_findings(script, first_line, misuse)
    if kind is not None:
        return refused(kind, *lines)

    # 2. The spec, and the dependencies it installs.
    try:
        spec = _build(script, image, command, list(dependencies or ()), python, flavor, timeout, env, secrets,
                      labels, namespace, script_args)
    except SecretValueError as exc:
        return refused("secret", _one_line(exc), "fix: pass secrets by name: -s NAME (secrets={'NAME': '$NAME'})")
    except (ValueError, TypeError, OSError) as exc:
        return refused("input", _one_line(exc))
    # The builder repeats the misuse findings (without their fix): ours are in `misuse`.
    notes += [w for w in spec.warnings if not w.startswith("script line ")]
    text = spec.script_text if spec.is_inline else None
    spec, deps, inferred = _dependencies(spec, text, dependencies, first_line, notes)

    # 3. What the script needs from the Hub, and the token secret.
    spec, need = _token_secret(spec, text, first_line, notes)

    # 4. The need against the login.
    login_need = need if local else _with_job(need, namespace, max(first_line - 1, 1))
    verdict, login = _verdict(status, login_need, namespace, notes)
    advice = recommend_token(login_need, namespace or (login.user if login is not None else None))
    base: dict[str, Any] = dict(misuse=leak_lines if misuse == "warn" else [], need=need, login_need=login_need,
                                advice=advice, dependencies=deps, inferred=inferred)
    if verdict is not None and verdict.allowed is False:
        lines = [verdict.reason] + ([f"fix: {verdict.fix}"] if verdict.fix else []) + [f"least privilege: {advice}"]
        return refused("access", *lines, spec=spec, verdict=verdict, **base)
    if verdict is not None and verdict.allowed is None:
        notes.append(f"note: could not check your token's access ({verdict.reason}); proceeding")
    return JobPlan(True, spec, [], None, notes, verdict=verdict, **base)


def _script_findings(script: str | None, first_line: int,
                     misuse: MisusePolicy) -> tuple[RefusalKind | None, list[str], list[str]]:
    """(refusal kind or None, refusal lines, misuse warning lines) for the script's literals and leaks."""
    if script is None:
        return None, [], []
    findings = detect.scan_python(script, location="script", misuse=True)
    literal = [f for f in findings if f.is_secret and not f.suppressed]
    if literal:
        return "secret", ["the script holds a secret", *[_finding_line(f, first_line) for f in literal],
                          "fix: read it from the environment (os.environ['HF_TOKEN'], or let huggingface_hub find "
                          "it) and pass it by name: -s HF_TOKEN (secrets={'HF_TOKEN': '$HF_TOKEN'})", _REVOKE], []
    leaks = [f for f in findings if not f.is_secret and not f.suppressed]
    leak_lines = [_finding_line(f, first_line) for f in leaks] + [f"  fix: {f.fix}" for f in leaks if f.fix]
    if leaks and misuse == "block":
        return "misuse", ["the script would leak a secret", *leak_lines], leak_lines
    return None, [], leak_lines


def _dependencies(spec: JobSpec, text: str | None, given: Sequence[str] | None, first_line: int,
                  notes: list[str]) -> tuple[JobSpec, list[str], Dependencies | None]:
    """(spec with its --with, the dependencies, how they were inferred): given ones as they are, else inferred."""
    inferred = infer_dependencies(text) if spec.kind == "uv" and text is not None else None
    if inferred is not None:
        notes += [f"note: {n}" for n in inferred.notes]
    if given is not None:
        deps = [str(d) for d in given]
        if inferred is not None and inferred.source == "imports":
            named = {_requirement_name(d) for d in deps}
            missing = [d for d in inferred.imported if _requirement_name(d.name) not in named]
            if missing:
                notes.append("note: the script imports " + ", ".join(f"{d.module} (line {d.line + first_line - 1})"
                                                                   for d in missing)
                             + ", which no --with names; add " + " ".join(f"--with {d.name}" for d in missing)
                             + " unless the image has it")
        return spec, deps, None
    if inferred is None or not inferred.dependencies:
        return spec, [], inferred
    deps = list(inferred.dependencies)
    if inferred.source == "pep723":  # uv reads the header itself: no --with
        notes.append("dependencies from the script's # /// script header (uv reads it): " + ", ".join(deps))
        return spec, deps, inferred
    try:
        spec = dataclasses.replace(spec, dependencies=tuple(deps))
    except (ValueError, TypeError) as exc:  # an import name that is no requirement: say so, do not guess
        notes.append(f"note: could not use the inferred dependencies ({_one_line(exc)}); add them with --with")
        return spec, [], inferred
    notes.append("--with " + " --with ".join(deps) + " inferred from the imports ("
                 + ", ".join(f"line {d.line + first_line - 1}: {d.module}" for d in inferred.imported)
                 + "); pass --with yourself to choose")
    return spec, deps, inferred


def _token_secret(spec: JobSpec, text: str | None, first_line: int, notes: list[str]) -> tuple[JobSpec, AccessNeed]:
    """What the script needs from the Hub, and the spec with ``$HF_TOKEN`` in its secrets when it needs a login."""
    need = AccessNeed()
    try:
        if text is not None:
            need = required_access(text)
        elif spec.kind == "container":
            need = required_access("!" + shlex.join(spec.command))
    except Exception as exc:  # noqa: BLE001 - cannot tell: say so, do not guess
        notes.append(f"note: could not tell what Hub access the script needs ({_one_line(exc)}); "
                     "add -s HF_TOKEN if it uses the Hub")
    need = _shift(need, first_line)
    has_token = any(name in spec.secrets for name in _TOKEN_SECRET_NAMES)
    if need.reasons and not has_token:
        spec = spec.with_token_secret()
        notes.append("HF_TOKEN added to the job's secrets as $HF_TOKEN (your login token, sent encrypted at "
                     "submission) because " + _uses_text(need.reasons))
    elif not need.reasons and has_token and not any(name in (text or "") for name in _TOKEN_SECRET_NAMES):
        notes.append("note: a token is passed to the job but the script does not seem to use the Hub; "
                     "pass it only if it is needed (least privilege)")
    return spec, need


def _verdict(status: StatusArg, login_need: AccessNeed, namespace: str | None,
             notes: list[str]) -> tuple[AccessVerdict | None, AuthStatus | None]:
    """``check_access`` of the login (asked for only when the job needs one); a failure is a note."""
    if status is None or not login_need.reasons:
        return None, None
    try:
        login = status() if callable(status) else status
        return check_access(login, login_need, namespace=namespace), login
    except Exception as exc:  # noqa: BLE001 - never block on a check that cannot decide
        notes.append(f"note: could not check your token's access ({_one_line(exc)}); proceeding")
        return None, None

"""Three renderings of one :class:`~hfsecure_jupyter.jobs.spec.JobSpec`, none holding a secret value.

* :func:`to_mcp`: the ``hf_jobs`` MCP tool call (``with_deps``, never ``dependencies``; ``secrets`` holds
  ``"$HF_TOKEN"``, which the tool replaces with the caller's token; the token never goes in ``env``).
* :func:`to_python`: huggingface_hub code (``run_job`` / ``run_uv_job``) that reads the token with
  ``get_token()`` when it runs and passes ``namespace`` so the client does not call whoami again.
* :func:`to_cli`: ``hf jobs run ...`` / ``hf jobs uv run ...`` with bare ``--secrets NAME`` (the CLI reads
  the value from your environment or login), never ``-e NAME`` (plain text, and ``--dry-run`` prints it).

How an inline script travels: the Python code and :func:`~hfsecure_jupyter.jobs.submit` send the
self-contained command of :func:`~hfsecure_jupyter.jobs.spec.uv_inline_command` (the script base64-encoded,
decoded by ``/bin/sh`` and piped to ``uv run ... -``). The CLI rendering sends **the same command** through
``hf jobs run <uv image> /bin/sh -c '...'``, so the three describe the same job exactly and
``--dry-run`` shows it. When the caller gives ``script_path`` (where it wrote :attr:`JobSpec.script_text`),
the CLI rendering is the friendlier ``hf jobs uv run ... PATH`` instead (the CLI then uploads the file).
A URL script is rendered as ``hf jobs run <uv image> uv run ... URL``: the command ``run_uv_job`` sends for
a URL (``hf jobs uv run URL`` would download the script and upload it to a bucket instead).
The ``hf_jobs`` tool receives the script's code and builds its own equivalent base64 command.

Example:
    >>> from hfsecure_jupyter.jobs.spec import JobSpec
    >>> spec = JobSpec.container("python:3.12", ["python", "-c", "print(1)"], timeout="1h").with_token_secret()
    >>> to_cli(spec)
    "hf jobs run --timeout 1h --secrets HF_TOKEN -- python:3.12 python -c 'print(1)'"
    >>> to_mcp(spec)["args"]["secrets"]
    {'HF_TOKEN': '$HF_TOKEN'}
"""

from __future__ import annotations

import shlex
import warnings
from typing import Any, Protocol

from .. import detect
from ..constants import DEFAULT_UV_IMAGE
from ..errors import SecretValueError
from .words import placeholder_name, uv_run_words


class SpecView(Protocol):
    """What a rendering reads of a :class:`~hfsecure_jupyter.jobs.spec.JobSpec` (the spec calls these
    renderings from its methods, so this module does not import it); read-only, as the frozen spec is."""

    @property
    def kind(self) -> str: ...
    @property
    def image(self) -> str: ...
    @property
    def script(self) -> str | None: ...
    @property
    def argv(self) -> tuple[str, ...]: ...
    @property
    def dependencies(self) -> tuple[str, ...]: ...
    @property
    def python(self) -> str | None: ...
    @property
    def script_args(self) -> tuple[str, ...]: ...
    @property
    def flavor(self) -> str: ...
    @property
    def timeout(self) -> int | None: ...
    @property
    def env_items(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def secret_items(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def label_items(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def namespace(self) -> str | None: ...

    @property
    def is_inline(self) -> bool: ...
    @property
    def script_text(self) -> str | None: ...
    @property
    def timeout_str(self) -> str | None: ...
    @property
    def env(self) -> dict[str, str]: ...
    @property
    def secrets(self) -> dict[str, str]: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def command(self) -> list[str]: ...

__all__ = ["to_cli", "to_mcp", "to_python"]


def _guard(text: str) -> str:
    """Last line of defence: a rendering never holds a secret value (the spec already refused them)."""
    hits = detect.find_secrets(text) if detect.might_contain_secret(text) else []
    if hits:
        preview = detect.mask_secret(hits[0].secret, prefix_len=hits[0].rule.prefix_len)
        raise SecretValueError(f"refusing to render a job spec that holds a literal {hits[0].rule.description} "
                               f"({preview}): a spec holds placeholders only (was it built past its checks?)",
                               where="rendering", preview=preview)
    return text


def to_mcp(spec: SpecView) -> dict[str, Any]:
    """The ``hf_jobs`` tool call for ``spec``: ``{"operation": "uv"|"run", "args": {...}}``.

    Labels have no ``hf_jobs`` argument and are left out. Only ``$HF_TOKEN`` is substituted by the tool: any
    other placeholder would reach the job as literal text, so it draws a warning.

    Example:
        >>> from hfsecure_jupyter.jobs.spec import JobSpec
        >>> call = to_mcp(JobSpec.uv("print(1)", dependencies=["rich"], timeout=1800).with_token_secret())
        >>> call["operation"], call["args"]["with_deps"], call["args"]["timeout"], call["args"]["secrets"]
        ('uv', ['rich'], '30m', {'HF_TOKEN': '$HF_TOKEN'})
    """
    args: dict[str, Any] = {}
    if spec.kind == "uv":
        operation = "uv"
        args["script"] = spec.script_text
        if spec.dependencies:
            args["with_deps"] = list(spec.dependencies)
        if spec.script_args:
            args["script_args"] = list(spec.script_args)
        if spec.python:
            args["python"] = spec.python
        if spec.image != DEFAULT_UV_IMAGE:
            args["image"] = spec.image
    else:
        operation = "run"
        args["image"] = spec.image
        args["command"] = list(spec.argv)
    args["flavor"] = spec.flavor
    if spec.env:
        args["env"] = spec.env
    if spec.secrets:
        args["secrets"] = spec.secrets
        others = [n for n, v in spec.secret_items if placeholder_name(v) != "HF_TOKEN"]
        if others:
            warnings.warn(f"the hf_jobs tool substitutes only $HF_TOKEN: secret(s) {', '.join(others)} would reach "
                          "the job as literal placeholder text; submit with hfsecure_jupyter.jobs.submit() or the "
                          "CLI rendering instead", UserWarning, stacklevel=3)
    if spec.timeout is not None:
        args["timeout"] = spec.timeout_str
    if spec.namespace:
        args["namespace"] = spec.namespace
    _guard(repr(args))
    return {"operation": operation, "args": args}


def _py_str(text: str) -> str:
    """A Python literal for ``text``: triple-quoted when that reads better and is exact, else repr."""
    if "\n" in text and "'''" not in text and "\\" not in text and not text.endswith("'") \
            and all(c.isprintable() or c in "\n\t" for c in text):
        return "'''\\\n" + text + "'''"
    return repr(text)


def _py_dict(items: dict[str, str]) -> str:
    if not items:
        return "{}"
    return "{\n" + "".join(f"        {k!r}: {v!r},\n" for k, v in items.items()) + "    }"


def to_python(spec: SpecView) -> str:
    """Runnable huggingface_hub code that submits ``spec``; it holds no secret value.

    Secret placeholders become ``_secret("NAME")`` calls that read the token with ``get_token()`` (for
    ``$HF_TOKEN``) or the environment when the code runs. Without a namespace in the spec, the code asks
    ``whoami()`` once and passes the answer on.

    Example:
        >>> from hfsecure_jupyter.jobs.spec import JobSpec
        >>> code = to_python(JobSpec.container("python:3.12", ["python", "-V"], namespace="alice").with_token_secret())
        >>> "secrets={\\n        'HF_TOKEN': _secret('HF_TOKEN'),\\n    }" in code, "namespace = 'alice'" in code
        (True, True)
        >>> compile(code, "<job>", "exec") is not None
        True
    """
    lines = [
        "# Hugging Face Job, generated by hfsecure-jupyter. It holds no token: secrets are read when it runs.",
        "import os",
    ]
    uses_b64 = spec.kind == "uv" and spec.is_inline
    if uses_b64:
        lines.append("from base64 import b64encode")
    call = "run_uv_job" if spec.kind == "uv" and not spec.is_inline else "run_job"
    imports = ["get_token", call] + ([] if spec.namespace else ["whoami"])
    lines.append(f"from huggingface_hub import {', '.join(sorted(imports))}")
    lines += [
        "",
        "",
        "def _secret(name):",
        '    """A secret for the job, read now: HF_TOKEN from your Hugging Face login, others from the environment."""',
        '    value = get_token() if name == "HF_TOKEN" else os.environ.get(name)',
        "    if not value:",
        '        raise SystemExit(f"{name} is not available: " + ("log in first (hf auth login, or '
        'huggingface_hub.login())" if name == "HF_TOKEN" else f"set the {name} environment variable first"))',
        "    return value",
        "",
        "",
    ]
    if spec.namespace:
        lines.append(f"namespace = {spec.namespace!r}")
    else:
        lines.append('namespace = whoami()["name"]  # asked once, then passed on (the client would ask per call)')
    secrets = {k: f"_secret({placeholder_name(v)!r})" for k, v in spec.secret_items}
    secrets_src = "{}" if not secrets else "{\n" + "".join(f"        {k!r}: {v},\n" for k, v in secrets.items()) + "    }"
    kwargs: list[str] = []
    if spec.kind == "uv" and spec.is_inline:
        uv_words = uv_run_words(spec.dependencies, spec.python, ["-"], spec.script_args, joined=True)
        lines += [
            f"script = {_py_str(spec.script_text or '')}",
            "# The script travels inline: base64-encoded, decoded by the job's shell and piped to uv (no upload).",
            f'command = ["/bin/sh", "-c", "echo " + b64encode(script.encode("utf-8")).decode("ascii") '
            f'+ " | base64 -d | " + {uv_words!r}]',
        ]
        kwargs += [f"image={spec.image!r}", "command=command"]
    elif spec.kind == "uv":
        kwargs.append(repr(spec.script))
        if spec.script_args:
            kwargs.append(f"script_args={list(spec.script_args)!r}")
        if spec.dependencies:
            kwargs.append(f"dependencies={list(spec.dependencies)!r}")
        if spec.python:
            kwargs.append(f"python={spec.python!r}")
        kwargs.append(f"image={spec.image!r}")
    else:
        kwargs += [f"image={spec.image!r}", f"command={list(spec.argv)!r}"]
    kwargs += [f"env={_py_dict(spec.env)}", f"secrets={secrets_src}", f"flavor={spec.flavor!r}"]
    if spec.timeout is not None:
        kwargs.append(f"timeout={spec.timeout_str!r}")
    if spec.labels:
        kwargs.append(f"labels={_py_dict(spec.labels)}")
    kwargs.append("namespace=namespace")
    lines.append(f"job = {call}(")
    lines += [f"    {k}," for k in kwargs]
    lines.append(")")
    lines.append('print(f"Job {job.id} submitted: {job.url}")')
    return _guard("\n".join(lines) + "\n")


def _cli_secret(name: str, placeholder: str) -> list[str]:
    var = placeholder_name(placeholder) or name
    if var == name:
        return ["--secrets", name]  # bare: the CLI reads the value itself (HF_TOKEN from your login too)
    # Another variable's value under this name: let the shell expand it when the command runs.
    return ["--secrets", f'"{name}=${var}"']


def to_cli(spec: SpecView, *, script_path: str | None = None, multiline: bool = False) -> str:
    """The ``hf jobs`` command line for ``spec``; every value is shell-quoted, no secret value appears.

    Args:
        script_path: for an inline uv script, a path where the caller writes :attr:`JobSpec.script_text`;
            the command becomes ``hf jobs uv run ... PATH``. Without it, the inline script travels in the same
            self-contained ``/bin/sh -c`` command that the Python rendering and :func:`submit` send.
        multiline: break the command with backslash-newlines for display.

    Example:
        >>> from hfsecure_jupyter.jobs.spec import JobSpec
        >>> spec = JobSpec.uv("print(1)", dependencies=["rich>=13"], flavor="t4-small").with_token_secret()
        >>> to_cli(spec, script_path="job.py")
        "hf jobs uv run --flavor t4-small --secrets HF_TOKEN --with 'rich>=13' -- job.py"
        >>> to_cli(spec).startswith("hf jobs run --flavor t4-small --secrets HF_TOKEN -- ghcr.io/astral-sh/uv:")
        True
    """
    opts: list[list[str]] = []
    if spec.flavor != "cpu-basic":
        opts.append(["--flavor", spec.flavor])
    if spec.timeout is not None:
        opts.append(["--timeout", spec.timeout_str or ""])
    for k, v in spec.env_items:
        opts.append(["-e", shlex.quote(f"{k}={v}")])
    for k, v in spec.secret_items:
        opts.append(_cli_secret(k, v))
    for k, v in spec.label_items:
        opts.append(["-l", shlex.quote(f"{k}={v}")])
    if spec.namespace:
        opts.append(["--namespace", shlex.quote(spec.namespace)])

    if spec.kind == "uv" and script_path and spec.is_inline:
        target = script_path
        head = ["hf", "jobs", "uv", "run"]
        for dep in spec.dependencies:
            opts.append(["--with", shlex.quote(dep)])
        if spec.python:
            opts.append(["--python", shlex.quote(spec.python)])
        if spec.image != DEFAULT_UV_IMAGE:
            opts.append(["--image", shlex.quote(spec.image)])
        tail = ["--", shlex.quote(target)] + [shlex.quote(a) for a in spec.script_args]
    else:
        head = ["hf", "jobs", "run"]
        tail = ["--", shlex.quote(spec.image)] + [shlex.quote(a) for a in spec.command]
    # "--" ends hf's options: without it, a word of the command such as "-e" or "--flavor" would be taken
    # by hf itself (it parses options anywhere on the line).
    groups = [head] + opts + [tail]
    sep = " \\\n    " if multiline else " "
    text = sep.join(" ".join(g) for g in groups)
    return _guard(text)

"""Hugging Face Jobs without a token in sight: a spec that holds placeholders, three renderings, submission.

* :class:`JobSpec` (``JobSpec.uv(...)``, ``JobSpec.container(...)``): one immutable job description; secret
  values are refused or replaced by ``$HF_TOKEN``, secret-looking ``env`` entries move to ``secrets``.
* ``spec.to_mcp()`` / ``spec.to_python()`` / ``spec.to_cli()``: the ``hf_jobs`` tool call, huggingface_hub
  code, the ``hf jobs`` command line; all describe the same job and hold no secret value.
* :func:`submit` -> :class:`JobHandle` (``status()``, ``logs()``, ``cancel()``, ``wait()``); :func:`run_local`
  runs a uv script here first. Placeholders are resolved only inside these calls.

Importing this package does not import huggingface_hub (the calls that need it import it when they run).

Example:
    >>> from hfsecure_jupyter.jobs import JobSpec
    >>> JobSpec.uv("print('hi')", flavor="t4-small").with_token_secret().to_mcp()["args"]["secrets"]
    {'HF_TOKEN': '$HF_TOKEN'}
"""

from .render import to_cli, to_mcp, to_python
from .spec import (
    DEFAULT_UV_IMAGE,
    JOB_FLAVORS,
    JobSpec,
    SecretMovedWarning,
    SecretValueError,
    add_token_check,
    format_timeout,
    parse_timeout,
    placeholder_name,
    uv_inline_command,
)
from .submit import (
    TERMINAL_STAGES,
    JobError,
    JobHandle,
    JobSubmitError,
    JobTimeoutError,
    LocalRun,
    MissingSecretError,
    resolve_secrets,
    run_local,
    submit,
)

__all__ = [
    "DEFAULT_UV_IMAGE", "JOB_FLAVORS", "JobError", "JobHandle", "JobSpec", "JobSubmitError", "JobTimeoutError",
    "LocalRun", "MissingSecretError", "SecretMovedWarning", "SecretValueError", "TERMINAL_STAGES",
    "add_token_check", "format_timeout", "parse_timeout", "placeholder_name", "resolve_secrets", "run_local",
    "submit", "to_cli", "to_mcp", "to_python", "uv_inline_command",
]

"""Hugging Face Jobs without a token in sight: a spec that holds placeholders, three renderings, submission.

* :class:`JobSpec` (``JobSpec.uv(...)``, ``JobSpec.container(...)``): one immutable job description; secret
  values are refused or replaced by ``$HF_TOKEN``, secret-looking ``env`` entries move to ``secrets``.
* ``spec.to_mcp()`` / ``spec.to_python()`` / ``spec.to_cli()``: the ``hf_jobs`` tool call, huggingface_hub
  code, the ``hf jobs`` command line; all describe the same job and hold no secret value.
* :func:`plan_job` -> :class:`JobPlan`: the whole decision before submitting (refusals, inferred ``--with``
  dependencies, the ``$HF_TOKEN`` secret when the script needs a login, access needed against access held,
  least-privilege advice), pure; ``plan.to_dict()`` is JSON-ready. :func:`infer_dependencies` reads a
  script's PEP 723 header or its imports.
* :func:`submit` -> :class:`JobHandle` (``status()``, ``logs()``, ``cancel()``, ``wait()``); :func:`run_local`
  runs a uv script here first. Placeholders are resolved only inside these calls.

Importing this package does not import huggingface_hub (the calls that need it import it when they run).

Example:
    >>> from hfsecure_jupyter.jobs import JobSpec
    >>> JobSpec.uv("print('hi')", flavor="t4-small").with_token_secret().to_mcp()["args"]["secrets"]
    {'HF_TOKEN': '$HF_TOKEN'}
"""

from .deps import IMPORT_TO_DISTRIBUTION, Dependencies, infer_dependencies
from .plan import JobPlan, plan_job
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
    "IMPORT_TO_DISTRIBUTION", "Dependencies", "JobPlan", "infer_dependencies", "plan_job",
    "DEFAULT_UV_IMAGE", "JOB_FLAVORS", "JobError", "JobHandle", "JobSpec", "JobSubmitError", "JobTimeoutError",
    "LocalRun", "MissingSecretError", "SecretMovedWarning", "SecretValueError", "TERMINAL_STAGES",
    "add_token_check", "format_timeout", "parse_timeout", "placeholder_name", "resolve_secrets", "run_local",
    "submit", "to_cli", "to_mcp", "to_python", "uv_inline_command",
]

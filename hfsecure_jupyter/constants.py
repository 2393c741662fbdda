"""Constants written once: URLs, environment variable names, job stages and flavors, key regexes.

Job stages follow huggingface_hub's ``JobStage`` (an Enum of str: a stage compares equal to the string
the Hub sends) and ``TERMINAL_JOB_STAGES``; flavors are its ``JobHardware`` values, kept here as the
offline reference list.

Example:
    >>> JobStage.RUNNING == "RUNNING", "CANCELED" in TERMINAL_JOB_STAGES, "RUNNING" in TERMINAL_JOB_STAGES
    (True, True, False)
    >>> HF_TOKEN_SETTINGS_URL
    'https://huggingface.co/settings/tokens'
    >>> bool(JOB_KEY_RE.match("HF_TOKEN")), bool(JOB_KEY_RE.match("1X"))
    (True, False)
"""

from __future__ import annotations

import enum
import re

from .detect.advice import (
    HF_JOB_SECRET_PLACEHOLDER,
    HF_REVOKE,
    HF_TOKEN_ENV,
    HF_TOKEN_ENV_NAMES,
    HF_TOKEN_SETTINGS_URL,
)

__all__ = [
    "HF_TOKEN_SETTINGS_URL", "HF_REVOKE", "HF_JOB_SECRET_PLACEHOLDER", "DOCS_LINKS",
    "HF_TOKEN_ENV", "HF_TOKEN_ENV_NAMES", "HF_HOME_ENV", "HF_TOKEN_PATH_ENV", "HF_ENDPOINT_ENV",
    "JobStage", "TERMINAL_JOB_STAGES", "JOB_FLAVORS", "DEFAULT_JOB_FLAVOR", "DEFAULT_UV_IMAGE",
    "JOB_KEY_RE", "PLACEHOLDER_RE",
]

# -- URLs ----------------------------------------------------------------------------------------------------

#: Where each fix is documented (the error doctor's links).
DOCS_LINKS = {
    "login": "https://huggingface.co/docs/huggingface_hub/quick-start#authentication",
    "tokens": "https://huggingface.co/docs/hub/security-tokens",
    "settings": HF_TOKEN_SETTINGS_URL,
    "gated": "https://huggingface.co/docs/hub/models-gated",
    "jobs": "https://huggingface.co/docs/huggingface_hub/guides/jobs",
    "rate-limits": "https://huggingface.co/docs/hub/rate-limits",
    "repos": "https://huggingface.co/docs/hub/repositories",
    "oidc": "https://huggingface.co/docs/hub/trusted-publishers",
    "status": "https://status.huggingface.co",
}

# -- environment variables (huggingface_hub's names) ---------------------------------------------------------

#: The Hugging Face cache and config folder (default ``~/.cache/huggingface``).
HF_HOME_ENV = "HF_HOME"
#: The token file (default ``$HF_HOME/token``).
HF_TOKEN_PATH_ENV = "HF_TOKEN_PATH"
#: The Hub's address (the emulator's in the demo and the tests).
HF_ENDPOINT_ENV = "HF_ENDPOINT"

# -- jobs ----------------------------------------------------------------------------------------------------


class JobStage(str, enum.Enum):
    """The stage of a Hub job, as huggingface_hub 2.4.0's ``JobStage``."""

    SCHEDULING = "SCHEDULING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    ERROR = "ERROR"
    DELETED = "DELETED"

    def __str__(self) -> str:
        return self.value


#: Stages a job never leaves (huggingface_hub's ``TERMINAL_JOB_STAGES``), as the strings the Hub sends.
TERMINAL_JOB_STAGES: frozenset[str] = frozenset(
    s.value for s in (JobStage.COMPLETED, JobStage.CANCELED, JobStage.ERROR, JobStage.DELETED))

#: Hardware flavors of huggingface_hub 2.4.0 (``JobHardware``), the offline reference list.
JOB_FLAVORS: tuple[str, ...] = (
    "cpu-basic", "cpu-upgrade", "cpu-performance", "cpu-xl",
    "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4", "l40sx8",
    "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8",
    "h200", "h200x2", "h200x4", "h200x8", "rtx-pro-6000", "rtx-pro-6000x2", "rtx-pro-6000x4", "rtx-pro-6000x8",
)
#: The flavor a job gets when none is given.
DEFAULT_JOB_FLAVOR = "cpu-basic"
#: The image ``run_uv_job`` and the ``hf_jobs`` tool use when none is given.
DEFAULT_UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"

# -- key regexes ---------------------------------------------------------------------------------------------

#: The Hub's rule for job env and secret names.
JOB_KEY_RE = re.compile(r"^[a-zA-Z][_a-zA-Z0-9]*$")
#: A ``$NAME`` / ``${NAME}`` placeholder (group ``b`` or ``p`` holds the name).
PLACEHOLDER_RE = re.compile(r"^\$(?:\{(?P<b>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<p>[A-Za-z_][A-Za-z0-9_]*))$")

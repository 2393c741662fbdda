"""Every exception hfsecure raises, in one module, grouped; all derive from :class:`HFSecureError`.

Messages never hold a secret (``hf_****wxyz`` at most) and end with what to do. The modules that raise
them re-export them under their old names (``hfsecure_jupyter.jobs.SecretValueError`` ...).

Groups:
    detection: :class:`InputTooLarge` (defined in the core, ``detect/errors.py``).
    command line: :class:`CommandLineError`.
    job specs and submission: :class:`SecretValueError`, :class:`SecretMovedWarning`, :class:`JobError`,
        :class:`JobSubmitError`, :class:`MissingSecretError`, :class:`JobTimeoutError`.
    kernel: :class:`JobRefused`, :class:`JobNotSubmitted`, :class:`JobEnvSecretError`,
        :class:`ConfigUnreadable`.

Example:
    >>> from hfsecure_jupyter.errors import HFSecureError, JobSubmitError, SecretValueError
    >>> issubclass(JobSubmitError, HFSecureError), issubclass(SecretValueError, ValueError)
    (True, True)
    >>> JobRefused(["refused: no", "fix: yes"])._render_traceback_()
    ['refused: no', 'fix: yes']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .detect.errors import HFSecureError, InputTooLarge

if TYPE_CHECKING:
    from .hub.errors import Diagnosis

__all__ = [
    "HFSecureError", "InputTooLarge", "CommandLineError",
    "SecretValueError", "SecretMovedWarning", "JobError", "JobSubmitError", "MissingSecretError", "JobTimeoutError",
    "JobRefused", "JobNotSubmitted", "JobEnvSecretError", "ConfigUnreadable",
]


# -- command line ------------------------------------------------------------------------------------------

class CommandLineError(HFSecureError):
    """A bad ``hfsecure`` command line: reported in one line, exit status 2."""


# -- job specs and submission ------------------------------------------------------------------------------

class SecretValueError(HFSecureError, ValueError):
    """A literal secret value where a job spec only accepts placeholders (the message is masked).

    Attributes:
        where: which part of the spec held it (``env['API_KEY']``, ``script line 3``...).
        preview: the masked value (``hf_****wxyz``), never the value.
    """

    def __init__(self, message: str, *, where: str = "", preview: str = "") -> None:
        super().__init__(message)
        self.where = where
        self.preview = preview


class SecretMovedWarning(UserWarning):
    """A secret-looking ``env`` entry was moved to ``secrets`` (or a literal token was replaced).

    A warning, not an error: the spec was fixed and built.
    """


class JobError(HFSecureError, RuntimeError):
    """A job could not be submitted or followed. The message is masked and says how to fix it.

    Attributes:
        diagnosis: the error doctor's :class:`~hfsecure_jupyter.hub.errors.Diagnosis`, when it knew the error.
        status: the HTTP status code, when there was one.
        original: the type name of the underlying exception (the exception itself is not chained: its text
            came from outside and is replaced by a masked summary).
    """

    def __init__(self, message: str, *, diagnosis: "Diagnosis | None" = None, status: int | None = None,
                 original: str = "") -> None:
        super().__init__(message)
        self.diagnosis = diagnosis
        self.status = status
        self.original = original


class JobSubmitError(JobError):
    """The Hub refused the job or could not be reached while submitting it."""


class MissingSecretError(JobError, ValueError):
    """A secret placeholder cannot be resolved here (not logged in, or a variable is not set).

    Attributes:
        names: the secrets that could not be resolved (names only).
    """

    def __init__(self, message: str, *, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.names = list(names or [])


class JobTimeoutError(JobError, TimeoutError):
    """``JobHandle.wait`` gave up before the job finished (the job goes on)."""


# -- kernel ------------------------------------------------------------------------------------------------

class JobRefused(HFSecureError):
    """``%%hfjob`` refused to run a job; nothing was submitted. Shown as its lines, not a traceback.

    Attributes:
        lines: the refusal, its reasons and fixes, one per line (masked).
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = [str(x) for x in lines]
        super().__init__(self.lines[0] if self.lines else "refused")

    def _render_traceback_(self) -> list[str]:
        return list(self.lines)


class JobNotSubmitted(JobRefused):
    """``%%hfjob``: the Hub refused or failed the submission (or a local run failed); the lines hold the
    error doctor's cause and fix. (Was ``kernel.magics.JobSubmitError``, a second class of that name.)"""


class JobEnvSecretError(HFSecureError, ValueError):
    """A job call's ``env`` holds a secret that cannot be moved to ``secrets``; nothing was sent."""


class ConfigUnreadable(HFSecureError, OSError):
    """A kernel config file exists but cannot be read (not UTF-8, a directory, no permission).

    Install and uninstall refuse to touch it; ``str()`` is one line naming the file and the reason.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} is unreadable: {reason}")
        self.path, self.reason = str(path), reason

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
    files (core): :class:`FileChanged`. git history: :class:`GitError`. baselines: :class:`BaselineError`.
    the server core: :class:`CoreError`. the git clean filter: :class:`CleanError`. the emulator: :class:`AccountsError`, :class:`RepoError`.

Example:
    >>> from hfsecure_jupyter.errors import HFSecureError, JobSubmitError, SecretValueError
    >>> issubclass(JobSubmitError, HFSecureError), issubclass(SecretValueError, ValueError)
    (True, True)
    >>> JobRefused(["refused: no", "fix: yes"])._render_traceback_()
    ['refused: no', 'fix: yes']
"""

from __future__ import annotations

from .detect.errors import FileChanged, HFSecureError, InputTooLarge

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Sequence

    from .hub.errors import Diagnosis

__all__ = [
    "HFSecureError", "InputTooLarge", "CommandLineError",
    "SecretValueError", "SecretMovedWarning", "JobError", "JobSubmitError", "MissingSecretError", "JobTimeoutError",
    "JobRefused", "JobNotSubmitted", "JobEnvSecretError", "ConfigUnreadable",
    "FileChanged", "CoreError", "GitError", "BaselineError", "CleanError", "AccountsError", "RepoError",
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


# -- git history -----------------------------------------------------------------------------------

class GitError(HFSecureError):
    """git is missing, the folder is not a repository, or a revision is unknown (one clear line)."""


# -- baselines -------------------------------------------------------------------------------------

class BaselineError(HFSecureError):
    """A baseline file that cannot be read or holds something that is not a fingerprint."""


# -- the git clean filter --------------------------------------------------------------------------

class CleanError(HFSecureError):
    """The filter cannot tell that what it would stage is free of secrets."""


# -- the emulator ----------------------------------------------------------------------------------

class AccountsError(HFSecureError, ValueError):
    """The accounts description is malformed (message says where; never holds a token)."""


# -- the emulator ----------------------------------------------------------------------------------

class RepoError(HFSecureError, ValueError):
    """A bad request about repos (the message is safe to send back)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


# -- the server core ---------------------------------------------------------------------------------

class CoreError(HFSecureError):
    """A request the core cannot serve, with the HTTP status, a kebab-case code, a message and a fix.

    Attributes:
        status: the HTTP status the server answers with (4xx for the client's input, 5xx for ours).
        code: ``bad-json``, ``bad-body``, ``too-large``, ``no-secret-here``, ``cannot-fix``, ``not-ready`` ...
        message: one sentence a person can act on (never a secret: it is masked once more).
        fix: what to do, or ``""``.
    """

    def __init__(self, status: int, code: str, message: str, *, fix: str = "") -> None:
        self.status, self.code = status, code
        from .detect import redact_strict  # masked once more: a message may quote user input

        self.message, self.fix = redact_strict(message), redact_strict(fix)
        super().__init__(f"{code}: {self.message}")

    def to_json(self) -> dict[str, Any]:
        """The response body: ``{"error": {"code", "message", "fix"?}}``."""
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fix:
            err["fix"] = self.fix
        return {"error": err}

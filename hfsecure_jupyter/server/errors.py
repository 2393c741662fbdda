"""How a request the server core cannot serve (:class:`~hfsecure_jupyter.errors.CoreError`) becomes the JSON a person can act on.

Example:
    >>> err = CoreError(400, "bad-json", "The request body is not valid JSON.")
    >>> err.to_json()
    {'error': {'code': 'bad-json', 'message': 'The request body is not valid JSON.'}}
"""

from __future__ import annotations

from typing import Any

from .. import detect
from ..errors import CoreError

__all__ = ["CoreError", "error_body", "safe_traceback"]


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) for any exception a handler meets: a :class:`CoreError` as it says, anything
    else as a 500 that names the exception type only (its text could quote user input).

    Example:
        >>> error_body(ValueError("boom"))
        (500, {'error': {'code': 'internal', 'message': 'The hfsecure server extension failed (ValueError); see the server log.'}})
    """
    if isinstance(exc, CoreError):
        return exc.status, exc.to_json()
    return 500, {"error": {"code": "internal", "message": f"The hfsecure server extension failed "
                                                          f"({type(exc).__name__}); see the server log."}}


def safe_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` for the server log, with any secret in it masked (an exception's text can
    quote the user's input).

    Example:
        >>> from hfsecure_jupyter.testing import fake_token; tok = fake_token(seed=7)
        >>> text = safe_traceback(ValueError(f"bad {tok}"))
        >>> text.splitlines()[-1]
        'ValueError: bad hf_****oOOL'
    """
    import traceback

    return detect.redact_strict("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())

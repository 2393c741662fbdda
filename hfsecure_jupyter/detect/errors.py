"""The base of every exception hfsecure raises, and the ones the detection core itself raises.

It lives in the core because ``detect`` imports nothing from the rest of the package;
:mod:`hfsecure_jupyter.errors` re-exports it beside every other exception of the package.

Example:
    >>> issubclass(InputTooLarge, HFSecureError) and issubclass(InputTooLarge, OSError)
    True
    >>> str(InputTooLarge(1024 * 1024))
    'larger than 1 MB, not scanned'
"""

from __future__ import annotations

__all__ = ["HFSecureError", "InputTooLarge", "FileChanged"]


class HFSecureError(Exception):
    """Base class of every exception hfsecure raises on purpose: ``except HFSecureError`` catches them all.

    Messages are masked (``hf_****wxyz`` at most) and say how to fix the problem.
    """


class InputTooLarge(HFSecureError, OSError):
    """An input larger than the scan cap; it is reported, not scanned.

    Attributes:
        limit: the cap in bytes.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit // (1024 * 1024)} MB, not scanned")
        self.limit = limit
        self.strerror = str(self)


class FileChanged(HFSecureError, OSError):
    """The file kept changing while it was being rewritten: it was left with its newest content."""

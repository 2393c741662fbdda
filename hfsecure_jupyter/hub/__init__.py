"""The Hub layer: who is logged in (token source, login status), what a script needs, Hub errors explained.

Always through huggingface_hub, which is imported only when a call needs it.

Example:
    >>> from hfsecure_jupyter.hub import StatusService
    >>> StatusService().token_source().logged_in in (True, False)
    True
"""

from .auth import AuthStatus, TokenSource
from .status import StatusService

__all__ = ["AuthStatus", "StatusService", "TokenSource"]

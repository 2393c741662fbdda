"""The jupyter_server extension (placeholder until the server helper's app lands here).

Example:
    >>> HFSecureApp.name
    'hfsecure_jupyter'
"""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp

__all__ = ["HFSecureApp"]


class HFSecureApp(ExtensionApp):
    """hfsecure's server extension: REST API under ``/hfsecure`` and the pre-save hook."""

    name = "hfsecure_jupyter"
    load_other_extensions = True

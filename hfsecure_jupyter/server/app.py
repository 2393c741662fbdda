"""The jupyter_server extension app: owns the settings, the status service, the REST routes, the save hook.

Configured like any jupyter_server extension; ``c.HFSecure.*`` in ``jupyter_server_config.py`` sets the
shared settings (``on_save``, ``max_request_bytes``, ``rotate_after_days``, ``hub_timeout`` ...).
Enable it with ``jupyter server extension enable hfsecure_jupyter`` (the package's
``jupyter-config/server-config/hfsecure_jupyter.json`` does it on install).
"""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Instance

from ..version import package_version
from ..config import HFSecure
from .core import ServerCore
from .handlers import ROUTES
from .save_hook import SaveHook

__all__ = ["HFSecureApp"]


class HFSecureApp(ExtensionApp):
    """hfsecure-jupyter's server extension."""

    name = "hfsecure_jupyter"
    version = package_version()
    description = "Keep Hugging Face tokens out of saved notebooks and files; the sidebar's REST API."
    load_other_extensions = True
    classes = [HFSecure]

    core = Instance(ServerCore, allow_none=True, help="The plain-Python core the handlers and the save hook use.")
    save_hook = Instance(SaveHook, allow_none=True, help="The pre-save hook registered on the contents manager.")

    def initialize_settings(self) -> None:
        """Build the settings (the server's ``c.HFSecure``), the core and the save hook."""
        assert self.serverapp is not None  # set by jupyter_server before initialize_settings
        settings = HFSecure(parent=self)  # self.config holds the server's config files and our own
        self.core = ServerCore(settings)
        self.settings["hfsecure_core"] = self.core
        self.save_hook = SaveHook(self.core, self.log)
        self.serverapp.contents_manager.register_pre_save_hook(self.save_hook)
        # jupyter_server checks only the first chunk of a chunked upload: the rest is masked on disk after
        self.serverapp.contents_manager.register_post_save_hook(self.save_hook.post_save)
        self.core.status_service.refresh_in_background()  # warm: the first GET /hfsecure/status is "checking"
        self.log.info("hfsecure_jupyter %s: on_save=%s", package_version(), settings.on_save)

    def initialize_handlers(self) -> None:
        """The REST contract's routes (under the server's base URL)."""
        self.handlers.extend((route, handler) for route, handler, _ in ROUTES)

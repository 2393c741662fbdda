"""The emulated Hub served over HTTP on loopback: :class:`EmulatorServer` and its tornado application.

:class:`EmulatorServer` is a :class:`~.state.HubState` run on a tornado loop in a background thread;
:func:`make_app` maps the Hub's routes to :mod:`.handlers`.

Example:
    >>> import json, urllib.request
    >>> with EmulatorServer() as hub:
    ...     req = urllib.request.Request(hub.url + "/api/whoami-v2",
    ...                                  headers={"Authorization": "Bearer " + hub.token("alice")})
    ...     me = json.load(urllib.request.urlopen(req))
    >>> me["name"], me["orgs"][0]["roleInOrg"], me["auth"]["accessToken"]["role"]
    ('alice', 'admin', 'write')
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import tornado.web

from . import handlers as h
from .state import HubState

__all__ = ["EmulatorServer", "make_app", "start_emulator"]


class EmulatorServer(HubState):
    """The emulated Hub, run on a tornado loop in a background thread.

    Args:
        accounts: the accounts file shape (see :mod:`.accounts`); None -> :func:`~.accounts.test_accounts`.
        host: interface to bind (loopback by default).
        port: TCP port (0 = any free one).
        sock: an already bound listening socket to serve on (host/port are then taken from it).
        **options: the :class:`~.state.HubState` options (``local_run``, ``timings``, ``use_uv``,
            ``device_auto_approve``, ``device_interval``, ``page_size``).

    Example:
        >>> hub = EmulatorServer(port=0).start()
        >>> hub.url.startswith("http://127.0.0.1:")
        True
        >>> hub.stop()
    """

    def __init__(self, accounts: dict | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 sock: socket.socket | None = None, **options: Any) -> None:
        super().__init__(accounts, **options)
        self.host, self.port = host, port
        self._sock = sock
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._http: Any = None
        self._ticker: Any = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None

    def _tick(self) -> None:
        self.run_due_scheduled_jobs()

    def __repr__(self) -> str:
        state = "running" if self._thread and self._thread.is_alive() else "stopped"
        return f"EmulatorServer({self.url if self.port else 'unbound'}, users={sorted(self.users.users)}, {state})"

    # -- life cycle ------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> "EmulatorServer":
        """Bind and serve in a background thread; return self once it accepts connections."""
        if self._thread is not None and self._thread.is_alive():
            return self
        from tornado import netutil

        if self._sock is not None:
            sockets = [self._sock]
            self._sock = None
        else:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sockets = netutil.bind_sockets(self.port, self.host, family=family)
        addr = sockets[0].getsockname()
        self.host, self.port = addr[0], addr[1]
        self._started.clear()
        self._start_error = None
        self._thread = threading.Thread(target=self._serve, args=(sockets,), name="hub-emulator", daemon=True)
        self._thread.start()
        if not self._started.wait(15):
            raise RuntimeError("the hub emulator did not start within 15 s")
        if self._start_error is not None:
            raise RuntimeError(f"the hub emulator failed to start: {self._start_error}")
        return self

    def _serve(self, sockets: list[socket.socket]) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.ioloop import PeriodicCallback

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            for s in sockets:
                if s.type == socket.SOCK_STREAM:
                    try:
                        s.listen(128)
                    except OSError:
                        pass
                s.setblocking(False)

            async def _setup() -> None:
                # Heads up to 1 MiB are read (and answered 431 past 64 kB) instead of cutting the connection.
                self._http = HTTPServer(make_app(self), xheaders=False, idle_connection_timeout=60,
                                        max_header_size=1024 * 1024)
                self._http.add_sockets(sockets)
                self._ticker = PeriodicCallback(self._tick, 5000)
                self._ticker.start()

            loop.run_until_complete(_setup())
        except BaseException as exc:  # report to start()
            self._start_error = exc
            self._started.set()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def stop(self) -> None:
        """Cancel running jobs (killing local runs), stop serving and join the thread."""
        for job in list(self.jobs.values()):
            if not job.terminal:
                job.cancel(self.timings.kill_grace)
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def _shutdown() -> None:
            if self._ticker is not None:
                self._ticker.stop()
            if self._http is not None:
                self._http.stop()
                try:
                    await asyncio.wait_for(self._http.close_all_connections(), 3)
                except (asyncio.TimeoutError, Exception):
                    pass
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            loop.stop()

        try:
            asyncio.run_coroutine_threadsafe(_shutdown(), loop)
        except RuntimeError:
            pass
        thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()



def make_app(server: EmulatorServer):
    """The tornado Application serving ``server``."""

    kw = {"server": server}
    repo = r"([^/]+/[^/]+)"
    kinds = r"(models|datasets|spaces)"
    routes = [
        (r"/api/whoami-v2", h.WhoamiHandler, kw),
        (r"/api/agent-harnesses", h.AgentHarnessesHandler, kw),
        (r"/api/jobs/hardware", h.HardwareHandler, kw),
        (r"/api/jobs/([^/]+)", h.JobsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)", h.JobHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/cancel", h.CancelHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/logs", h.LogsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/metrics", h.MetricsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/labels", h.JobLabelsHandler, kw),
        (r"/api/jobs/([^/]+)/([^/]+)/duplicate", h.JobDuplicateHandler, kw),
        (r"/api/scheduled-jobs/([^/]+)", h.ScheduledJobsHandler, kw),
        (r"/api/scheduled-jobs/([^/]+)/([^/]+)", h.ScheduledJobHandler, kw),
        (r"/api/scheduled-jobs/([^/]+)/([^/]+)/(suspend|resume|run|schedule|labels)", h.ScheduledActionHandler, kw),
        (r"/jobs/([^/]+)/([^/]+)", h.JobPageHandler, kw),
        (r"/api/repos/create", h.CreateRepoHandler, kw),
        (r"/api/repos/delete", h.DeleteRepoHandler, kw),
        (r"/api/validate-yaml", h.ValidateYamlHandler, kw),
        (rf"/api/{kinds}", h.RepoListHandler, kw),
        (rf"/api/{kinds}/([^/]+)", h.RepoInfoHandler, kw),  # a one-part id: never found, as on the Hub
        (rf"/api/{kinds}/{repo}", h.RepoInfoHandler, kw),
        (rf"/api/{kinds}/{repo}/revision/([^/]+)", h.RepoInfoHandler, kw),
        (rf"/api/{kinds}/{repo}/tree/([^/]+)", h.RepoTreeHandler, kw),
        (rf"/api/{kinds}/{repo}/tree/([^/]+)/(.+)", h.RepoTreeHandler, kw),
        (rf"/api/{kinds}/{repo}/refs", h.RepoRefsHandler, kw),
        (rf"/api/{kinds}/{repo}/paths-info/([^/]+)", h.PathsInfoHandler, kw),
        (rf"/api/{kinds}/{repo}/commits/([^/]+)", h.RepoCommitsHandler, kw),
        (rf"/api/{kinds}/{repo}/preupload/([^/]+)", h.PreuploadHandler, kw),
        (rf"/api/{kinds}/{repo}/commit/([^/]+)", h.CommitHandler, kw),
        (rf"/api/{kinds}/{repo}/settings", h.RepoSettingsHandler, kw),
        (r"/oauth/device", h.DeviceHandler, kw),
        (r"/oauth/device/verify", h.DeviceVerifyHandler, kw),
        (r"/oauth/token", h.OAuthTokenHandler, kw),
        (r"/_emulator/faults", h.AdminFaultsHandler, kw),
        (r"/_emulator/reset", h.AdminResetHandler, kw),
        (r"/_emulator/device/approve", h.AdminApproveHandler, kw),
        (r"/", h.RootHandler, kw),
        # file downloads last: /{id}/resolve/... would also match other two-part paths
        (rf"/(datasets|spaces)/{repo}/resolve/([^/]+)/(.+)", h.ResolveHandler, kw),
        (r"/(datasets|spaces)/([^/]+)/resolve/([^/]+)/(.+)", h.ResolveHandler, kw),
        (rf"/(){repo}/resolve/([^/]+)/(.+)", h.ResolveHandler, kw),
        (r"/()([^/]+)/resolve/([^/]+)/(.+)", h.ResolveHandler, kw),
    ]
    return tornado.web.Application(routes, default_handler_class=h.NotFoundHandler, default_handler_args=kw,
                                   log_function=h.make_log_function(server), compress_response=False)




def start_emulator(accounts: dict | None = None, host: str = "127.0.0.1", port: int = 0,
                   **options: Any) -> EmulatorServer:
    """Build an :class:`EmulatorServer` and start it; call ``.stop()`` (or use it as a context manager).

    Example:
        >>> hub = start_emulator(page_size=10)
        >>> hub.page_size, hub.url.startswith("http://127.0.0.1:")
        (10, True)
        >>> hub.stop()
    """
    return EmulatorServer(accounts, host, port, **options).start()

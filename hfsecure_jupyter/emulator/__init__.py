"""An offline Hugging Face Hub on loopback, for tests and demos: ``hfsecure hub-emulator``.

It serves what huggingface_hub 2.4.0 and the ``hf`` command line use for logins and Jobs:
``GET /api/whoami-v2``; ``/api/jobs/{namespace}`` (create, list with ``stage=``/``label=`` filters and
``Link`` paging), ``/api/jobs/{namespace}/{id}`` (inspect), ``.../cancel``, ``.../logs`` (server-sent
events), ``GET /api/jobs/hardware``; and the OAuth device-code login (``POST /oauth/device``,
``POST /oauth/token``). Auth is enforced as on the Hub: 401 for a missing or unknown token, 403 when a
read token or a fine-grained token without ``job.write`` on the namespace creates a job, 404 (the
client's ``JobNotFoundError``) for an unknown job. Secrets are sealed on arrival and only their names
come back. Faults (latency, 5xx, 429 with ``Retry-After``, dropped log streams) are set in-process on
``server.faults`` or through ``/_emulator/faults`` (loopback only).

Point the real client at it by setting ``HF_ENDPOINT`` *before* importing huggingface_hub.

Modules: :mod:`.accounts` (users, orgs, tokens), :mod:`.jobs` (job life cycle, local runs),
:mod:`.state` (the rules, no HTTP), :mod:`.handlers` (thin tornado handlers), :mod:`.app` (the server
and its routes), :mod:`.cli` (``hfsecure hub-emulator``).

Example:
    >>> import json, urllib.request
    >>> with start_emulator() as hub:
    ...     req = urllib.request.Request(hub.url + "/api/whoami-v2",
    ...                                  headers={"Authorization": "Bearer " + hub.token("bob")})
    ...     json.load(urllib.request.urlopen(req))["auth"]["accessToken"]["role"]
    'read'
"""

from __future__ import annotations

from .accounts import AccountsError, demo_accounts, test_accounts
from .app import EmulatorServer, start_emulator
from .cli import main
from .jobs import Job, Timings, parse_inline
from .state import Faults, HubState, RequestRecord, validate_job_spec

__all__ = ["EmulatorServer", "start_emulator", "HubState", "Faults", "Timings", "Job", "RequestRecord",
           "test_accounts", "demo_accounts", "AccountsError", "parse_inline", "validate_job_spec", "main"]

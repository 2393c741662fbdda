"""An offline Hugging Face Hub on loopback, for tests and demos: ``hfsecure hub-emulator``.

It serves what huggingface_hub 2.4.0 and the ``hf`` command line use for logins, repos and Jobs:
``GET /api/whoami-v2`` and the OAuth device-code login; repos of the three types (info, listings, tree,
paths-info, ``resolve`` downloads, create, preupload + commit of small regular files, commits, settings,
delete) seeded from the accounts file; ``/api/jobs/{namespace}`` (create, list with ``stage=``/``label=``
filters and ``Link`` paging, inspect, cancel, logs as server-sent events, metrics, labels, rerun),
``GET /api/jobs/hardware``, the job page ``/jobs/{namespace}/{id}``; ``/api/scheduled-jobs/{namespace}``
(create, list, inspect, suspend, resume, run, schedule, labels, delete). Auth is enforced as on the Hub:
401 for a missing or unknown token, 403 when a read token or a fine-grained token without ``job.write`` /
``repo.write`` writes, 404 with ``X-Error-Code`` ``RepoNotFound`` for another account's private repo,
``GatedRepo`` for a gated one not granted. Secrets are sealed on arrival and only their names come back.
Faults (latency, 5xx, 429 with ``Retry-After``, dropped log streams) are set in-process on
``server.faults`` or through ``/_emulator/faults`` (loopback only). A call it does not serve is a 404
"Not emulated: METHOD PATH" (``server.not_emulated()`` lists them).

Point the real client at it by setting ``HF_ENDPOINT`` *before* importing huggingface_hub.

Modules: :mod:`.accounts` (users, orgs, tokens), :mod:`.jobs` (job life cycle, local runs),
:mod:`.repos` (repos, commits, read/gated/write rules), :mod:`.scheduled` (scheduled jobs, CRON),
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

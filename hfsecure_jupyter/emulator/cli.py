"""``hfsecure hub-emulator``: serve the offline Hub until SIGINT/SIGTERM (also ``python -m hfsecure_jupyter.emulator``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from typing import Any, Sequence

from .accounts import Accounts, AccountsError, demo_accounts, write_private
from .app import EmulatorServer
from .jobs import Timings
from .repos import validate_seeds
from .state import is_loopback_host, log

__all__ = ["main"]


def _write_token_file(value: str, path: str | None) -> str:
    if path is None:
        path = os.path.join(tempfile.mkdtemp(prefix="hfsecure-hub-"), "token")
    write_private(path, value)
    return path


def _load_accounts(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise AccountsError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AccountsError(f"{path} is not valid JSON ({getattr(exc, 'msg', 'bad encoding')}"
                            f"{f' at line {exc.lineno}' if hasattr(exc, 'lineno') else ''})") from None
    Accounts.from_dict(data)
    try:
        validate_seeds(data.get("repos"))
    except ValueError as exc:
        raise AccountsError(str(exc)) from None
    return data


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hfsecure hub-emulator",
        description="Serve an offline Hugging Face Hub (whoami, repos, Jobs, scheduled jobs, device login) for tests "
                    "and demos. "
                    "Point clients at it with HF_ENDPOINT=<url> set before huggingface_hub is imported.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--accounts", metavar="FILE", help="JSON accounts file (default: one demo user)")
    parser.add_argument("--token-file", metavar="FILE",
                        help="where to write the demo user's token (default: a new private temp dir)")
    parser.add_argument("--local-run", action="store_true",
                        help="really run inline uv scripts of jobs on this machine, secrets as env vars")
    parser.add_argument("--auto-approve", type=int, default=2, metavar="N",
                        help="approve device logins after N polls (0: only through the verify page)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to standard error")
    return parser


def _announce(server: EmulatorServer, args: argparse.Namespace) -> str | None:
    """Print what is served; with the demo accounts, write the demo token file and return its path."""
    token_path = None
    if not is_loopback_host(server.host):
        print(f"warning: serving on {server.host}, reachable from other machines; the emulator is for tests "
              "only", file=sys.stderr, flush=True)
    if args.accounts:
        print(f"accounts: {len(server.users.users)} user(s) from {args.accounts}", flush=True)
    else:
        user = next(iter(server.users.users))
        token_path = _write_token_file(server.token(user), args.token_file)
        print(f"demo user '{user}': write token saved to {token_path} (mode 0600)", flush=True)
        print(f"try: HF_ENDPOINT={server.url} HF_TOKEN=$(cat {token_path}) hf auth whoami", flush=True)
    if args.local_run:
        print("local-run: inline uv jobs run on this machine, with HF_ENDPOINT set to this emulator", flush=True)
    repos = sorted(f"{r.repo_type} {r.repo_id}" + (" (private)" if r.private else "") +
                   (" (gated)" if r.gated else "") for r in server.repos.repos.values())
    if repos:
        print(f"repos: {', '.join(repos)}", flush=True)
    return token_path


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hfsecure hub-emulator``; serve until SIGINT/SIGTERM; return the exit code.

    Example:
        >>> import os, tempfile
        >>> bad = os.path.join(tempfile.mkdtemp(), "accounts.json")
        >>> with open(bad, "w") as fh:
        ...     _ = fh.write("{not json")
        >>> main(["--accounts", bad])  # a one-line error on stderr, nothing served
        2
    """
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # --help, or a usage error (argparse has printed it): an exit code, as the
        return int(exc.code or 0)  # other commands do

    if not 0 <= args.port <= 65535:
        print(f"hfsecure hub-emulator: error: port {args.port} is out of range", file=sys.stderr)
        return 2
    token_path = None
    try:
        if args.accounts:
            accounts = _load_accounts(args.accounts)
        else:
            accounts = demo_accounts()
    except AccountsError as exc:
        print(f"hfsecure hub-emulator: error: bad accounts file: {exc}", file=sys.stderr)
        return 2
    # Handlers first: a client may stop us as soon as it reads the first line.
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    handler: logging.Handler | None = None
    server = EmulatorServer(accounts, host=args.host, port=args.port, local_run=args.local_run,
                            timings=Timings(scheduling=1.0, line_interval=0.3, running=3.0),
                            device_auto_approve=args.auto_approve or None, device_interval=1)
    try:
        try:
            server.start()
        except (OSError, RuntimeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            print(f"hfsecure hub-emulator: error: cannot listen on {args.host}:{args.port}: {reason}",
                  file=sys.stderr)
            return 2
        print(f"hfsecure hub emulator listening on {server.url}", flush=True)
        if not args.quiet:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("hub-emulator: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        try:
            token_path = _announce(server, args)
        except OSError as exc:
            print(f"hfsecure hub-emulator: error: cannot write the token file: {exc.strerror}", file=sys.stderr)
            return 2
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if token_path and not args.token_file:
            # The token dies with this server: do not leave it behind in a temp dir.
            try:
                os.remove(token_path)
                os.rmdir(os.path.dirname(token_path))
            except OSError:
                pass
        for sig, old in previous.items():
            signal.signal(sig, old)
        if handler is not None:
            log.removeHandler(handler)
    print("hfsecure hub emulator stopped", flush=True)
    return 0

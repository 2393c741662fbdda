"""``hfsecure demo``: the whole product on one machine, offline: an emulated Hub, JupyterLab, the quickstart.

It starts, all on 127.0.0.1:

- the offline Hub emulator (in this process) with a demo account ``demo`` holding three tokens made now: a
  write token (``demo-write``, the active one), a read token (``demo-read``) and a fine-grained one
  (``demo-jobs``: ``job.write`` + ``repo.content.read`` on user ``demo``);
- an isolated ``HF_HOME`` logged in as that account (``token`` + ``stored_tokens``, mode 0600), isolated
  Jupyter, IPython and JupyterLab settings folders, in a private temporary folder removed on exit;
- JupyterLab in its own process group, with hfsecure's labextension, its server extension (save hook on)
  and the guard loaded in every kernel, ``HF_ENDPOINT`` on the emulator, opened on ``quickstart.ipynb``
  copied into DIR (a new folder by default; an existing file is never overwritten).

It prints the URL (with its token), waits, and on Ctrl-C (or SIGTERM) stops JupyterLab, its kernels and
the emulator, waiting for each: one Ctrl-C is enough. ``--scan-only`` keeps the older demo: write a leaky
sample notebook and scan it (:mod:`hfsecure_jupyter.leaky_sample`).

Example:
    >>> import contextlib, io, socket
    >>> with socket.socket() as s:  # a port someone else holds
    ...     s.bind(("127.0.0.1", 0)); s.listen()
    ...     err = io.StringIO()
    ...     with contextlib.redirect_stderr(err):
    ...         code = main(["--no-browser", "--port", str(s.getsockname()[1])])
    >>> code, "is in use" in err.getvalue()
    (2, True)
"""

from __future__ import annotations

import argparse
import configparser
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = ["main", "DemoAccount", "demo_account", "prepare_home", "lab_environment", "copy_quickstart",
           "descendants", "stop_process_tree", "port_is_free", "open_browser", "QUICKSTART", "DEFAULT_PORT"]

PROG = "hfsecure demo"
QUICKSTART = "quickstart.ipynb"
DEFAULT_PORT = 8888
#: Seconds JupyterLab gets to stop its kernels after SIGTERM before the demo kills what is left.
STOP_GRACE = 15.0
_START_TIMEOUT = 180.0


@dataclass
class DemoAccount:
    """The demo user and its three tokens (values only in memory and in the isolated ``HF_HOME``)."""

    name: str
    tokens: dict[str, str] = field(repr=False)  # displayName -> value
    active: str = "demo-write"

    def __repr__(self) -> str:
        return f"DemoAccount({self.name!r}, tokens={sorted(self.tokens)}, active={self.active!r})"


def demo_account(name: str = "demo") -> tuple[dict[str, Any], DemoAccount]:
    """The emulator's accounts (the emulator's demo repos) with ``name`` holding a write, a read and a
    fine-grained token made now.

    Example:
        >>> accounts, acct = demo_account()
        >>> sorted(acct.tokens), [t["role"] for t in accounts["users"][0]["tokens"]]
        (['demo-jobs', 'demo-read', 'demo-write'], ['write', 'read', 'fineGrained'])
        >>> "hf_" in repr(acct)
        False
    """
    from ..emulator import demo_accounts
    from ..testing import fake_token

    accounts = demo_accounts(name)
    user = accounts["users"][0]
    write = user["tokens"][0]
    created = write["createdAt"]
    user["tokens"] += [
        {"token": fake_token(), "role": "read", "displayName": "demo-read", "createdAt": created},
        {"token": fake_token(), "role": "fineGrained", "displayName": "demo-jobs", "createdAt": created,
         "fineGrained": {"global": [], "scoped": [
             {"entity": {"type": "user", "name": name}, "permissions": ["job.write", "repo.content.read"]}]}},
    ]
    return accounts, DemoAccount(name, {t["displayName"]: t["token"] for t in user["tokens"]})


def prepare_home(hf_home: Path, account: DemoAccount) -> None:
    """Log ``hf_home`` in as ``account`` the way ``hf auth login`` does: every token in ``stored_tokens``
    (one INI section per name), the active one in ``token``.

    Example:
        >>> import tempfile
        >>> home = Path(tempfile.mkdtemp())
        >>> prepare_home(home, demo_account()[1])
        >>> ini = configparser.ConfigParser()
        >>> _ = ini.read(home / "stored_tokens")
        >>> ini.sections()
        ['demo-write', 'demo-read', 'demo-jobs']
        >>> oct((home / "token").stat().st_mode & 0o777)
        '0o600'
    """
    from ..emulator.accounts import write_private

    hf_home.mkdir(parents=True, exist_ok=True)
    ini = configparser.ConfigParser()
    for name, value in account.tokens.items():
        ini[name] = {"hf_token": value}
    buf = io.StringIO()
    ini.write(buf)
    write_private(hf_home / "stored_tokens", buf.getvalue())
    write_private(hf_home / "token", account.tokens[account.active])


def _labextension_source() -> Path | None:
    """The built labextension inside the package folder (a source checkout), if any."""
    path = Path(__file__).parent.parent / "labextension"
    return path if (path / "package.json").exists() else None


def _installed_labextension() -> bool:
    """Whether JupyterLab finds hfsecure's labextension where ``pip install`` puts it."""
    from jupyter_core.paths import jupyter_path

    return any((Path(p) / "labextensions" / "hfsecure-jupyter" / "package.json").exists()
               for p in jupyter_path())


def lab_environment(base: Path, hub_url: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for JupyterLab and its kernels: isolated folders under ``base`` (made here),
    ``HF_ENDPOINT`` on the emulator, the guard in every kernel, the server extension on, no user token.

    Example:
        >>> import tempfile
        >>> env = lab_environment(Path(tempfile.mkdtemp()), "http://127.0.0.1:1", {"HF_TOKEN": "x"})
        >>> env["HF_ENDPOINT"], "HF_TOKEN" in env
        ('http://127.0.0.1:1', False)
        >>> "hfsecure_jupyter" in (Path(env["IPYTHONDIR"]) / "profile_default" / "ipython_kernel_config.py").read_text()
        True
    """
    dirs = {name: base / name for name in ("config", "data", "runtime", "settings", "workspaces", "ipython",
                                           "hf_home")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    profile = dirs["ipython"] / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(
        "# hfsecure demo: the guard, output redaction and the magics in every kernel\n"
        "c.InteractiveShellApp.extensions = ['hfsecure_jupyter']\n")
    (dirs["config"] / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"hfsecure_jupyter": True}},
         "HFSecure": {"on_save": "redact"}}, indent=1))
    # No news or update checks from the page (the demo is offline), and widget state is saved: the
    # save hook and the widgets keep tokens out of it.
    news = dirs["settings"] / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps(
        {"fetchNews": "false", "checkForUpdates": False}))
    env = {k: v for k, v in (os.environ if environ is None else environ).items()
           if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH",
                        "HF_HUB_OFFLINE", "JUPYTER_PATH")}
    data_path = [str(dirs["data"])]
    source = _labextension_source()
    if source is not None and not _installed_labextension():
        # A source checkout: show JupyterLab the package's build, as an installed prebuilt extension.
        (dirs["data"] / "labextensions").mkdir(exist_ok=True)
        link = dirs["data"] / "labextensions" / "hfsecure-jupyter"
        if not link.exists():
            link.symlink_to(source, target_is_directory=True)
    env.update({
        "HF_HOME": str(dirs["hf_home"]),
        "HF_ENDPOINT": hub_url,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_HUB_DISABLE_EXPERIMENTAL_WARNING": "1",
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_PATH": os.pathsep.join(data_path),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "IPYTHONDIR": str(dirs["ipython"]),
        "JUPYTER_PLATFORM_DIRS": "1",
        "HFSECURE_DEMO": "1",
    })
    return env


def _quickstart_source() -> Path:
    """The shipped quickstart: package data in a wheel, ``notebooks/`` in a source checkout."""
    shipped = Path(str(resources.files("hfsecure_jupyter"))) / "notebooks" / QUICKSTART
    if shipped.exists():
        return shipped
    return Path(__file__).parent.parent.parent / "notebooks" / QUICKSTART


def _new_folder(parent: Path, stem: str = "hfsecure-demo") -> Path:
    for i in range(1, 1000):
        candidate = parent / (stem if i == 1 else f"{stem}-{i}")
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free folder name {stem}-N in {parent}")


def copy_quickstart(directory: Path | None) -> Path:
    """Copy the quickstart into ``directory`` (made if missing; default a new ``./hfsecure-demo[-N]``)
    under a free name (``quickstart.ipynb``, else ``quickstart-2.ipynb`` ...): a file already there is never
    overwritten. Returns the copy's path.

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> [copy_quickstart(d).name for _ in range(2)]
        ['quickstart.ipynb', 'quickstart-2.ipynb']
    """
    folder = _new_folder(Path.cwd()) if directory is None else directory
    folder.mkdir(parents=True, exist_ok=True)
    source = _quickstart_source().read_bytes()
    for i in range(1, 1000):
        target = folder / (QUICKSTART if i == 1 else f"quickstart-{i}.ipynb")
        try:
            with open(target, "xb") as fh:  # exclusive: never over a file someone else wrote
                fh.write(source)
            return target
        except FileExistsError:
            continue
    raise FileExistsError(f"no free quickstart-N.ipynb name in {folder}")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``host:port`` can be bound now.

    Example:
        >>> with socket.socket() as s:
        ...     s.bind(("127.0.0.1", 0)); s.listen()
        ...     port_is_free(s.getsockname()[1])
        False
    """
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _children_map() -> dict[int, list[int]]:
    """ppid -> pids, read from /proc (psutil is not a dependency)."""
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, grandchildren ...), read from /proc.

    Example:
        >>> p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        >>> p.pid in descendants(os.getpid())
        True
        >>> p.kill(); _ = p.wait()
    """
    if not os.path.isdir("/proc"):
        return []
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(os.getpgid(pid), sig)
    except OSError:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def stop_process_tree(proc: subprocess.Popen, grace: float = STOP_GRACE) -> list[int]:
    """Stop ``proc`` (the leader of its own process group) and every process below it, and wait for them.

    SIGTERM to the group first (JupyterLab then shuts its kernels down, each in a session of its own), then
    SIGKILL to whatever of the group or of the descendants seen before is still alive after ``grace``.
    Returns the pids it found (``proc`` included).
    """
    tree = [proc.pid] + descendants(proc.pid)
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if proc.poll() is not None and not any(_alive(p) for p in tree[1:]):
            break
        time.sleep(0.1)
    for pid in tree:
        if pid == proc.pid and proc.poll() is not None:
            continue
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    return tree


def _browser_commands(url: str) -> list[list[str]]:
    """The command lines ``$BROWSER`` names (``os.pathsep``-separated; ``%s`` is the URL, else appended)."""
    out = []
    for line in os.environ.get("BROWSER", "").split(os.pathsep):
        try:
            words = shlex.split(line)
        except ValueError:  # an unbalanced quote: not a command line, skipped like a missing browser
            continue
        if words and words[-1] == "&":  # webbrowser's "in the background" mark: Popen never waits anyway
            words.pop()
        if words:
            out.append([w.replace("%s", url) for w in words] if any("%s" in w for w in words) else words + [url])
    return out


def open_browser(url: str) -> subprocess.Popen | None:
    """Open ``url`` in a browser; return the process when this started one, for the demo to end on stop.

    ``$BROWSER``'s commands (read here at each call: :mod:`webbrowser` reads it once per process) and a
    command-line choice of :mod:`webbrowser` (``xdg-open``, ...) are started here, in a session of their
    own. Other kinds (a running browser's remote control, macOS) are left to :func:`webbrowser.open` in a
    thread: None, nothing to end. (A command that hands the URL to a browser already open and exits has
    nothing left to end either.)

    Example:
        >>> import os
        >>> saved = os.environ.get("BROWSER")
        >>> os.environ["BROWSER"] = "true"  # a "browser" that exits at once
        >>> proc = open_browser("http://127.0.0.1:1/")
        >>> proc.wait(), proc.args
        (0, ['true', 'http://127.0.0.1:1/'])
        >>> _ = os.environ.pop("BROWSER") if saved is None else os.environ.update(BROWSER=saved)
    """
    commands = _browser_commands(url)
    if not commands:
        import webbrowser

        try:
            chosen = webbrowser.get()
        except webbrowser.Error:
            return None  # no browser here: the URL is printed
        if not isinstance(chosen, webbrowser.GenericBrowser):  # not a plain command line
            threading.Thread(target=chosen.open, args=(url,), daemon=True).start()
            return None
        commands = [[chosen.name] + [arg.replace("%s", url) for arg in chosen.args]]
    for cmd in commands:
        try:
            return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            continue  # not installed: the next one, as webbrowser does
    return None


def _wait_until_up(url: str, token: str, proc: subprocess.Popen, stop: threading.Event) -> bool:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        if proc.poll() is not None:
            return False
        try:
            req = urllib.request.Request(f"{url}/api/status", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=5):
                return True
        except OSError:
            stop.wait(0.3)
    return False


def _tail(path: Path, n: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Open JupyterLab with hfsecure on a quickstart notebook, against an offline Hugging Face "
                    "Hub emulator with a demo account (no account, no network needed). Ctrl-C stops it all.")
    parser.add_argument("--no-browser", action="store_true", help="print the URL only; do not open a browser")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"JupyterLab's port on 127.0.0.1 (default {DEFAULT_PORT}); refused when taken")
    parser.add_argument("--dir", metavar="DIR", type=Path,
                        help="where to copy the quickstart (default: a new folder ./hfsecure-demo[-N])")
    parser.add_argument("--scan-only", action="store_true",
                        help="only write a leaky sample notebook (fake tokens) and scan it; no JupyterLab")
    return parser


def _refusal(port: int) -> str | None:
    """Why the demo cannot start on ``port`` (out of range, taken, no JupyterLab), or None."""
    if not 1 <= port <= 65535:
        return f"{PROG}: error: port {port} is out of range (1-65535)"
    if not port_is_free(port):
        return (f"{PROG}: error: port {port} on 127.0.0.1 is in use (another Jupyter?); "
                f"choose a free one with --port N")
    import importlib.util

    if importlib.util.find_spec("jupyterlab") is None:
        return (f"{PROG}: error: JupyterLab is not installed in this environment ({sys.executable}); install it "
                "with: pip install 'hfsecure-jupyter[demo]'  (or: pip install jupyterlab)")
    return None


def _catch_stop_signals(stop: threading.Event, stopping: threading.Event) -> dict[int, Any]:
    """Ctrl-C, SIGTERM and SIGHUP set ``stop`` (in the main thread only); the handlers they replace."""
    def _on_signal(signum: int, frame: object) -> None:
        if stopping.is_set():
            print(f"\n{PROG}: still stopping, please wait (no second Ctrl-C is needed)", file=sys.stderr,
                  flush=True)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}


@dataclass
class _Started:
    """What the demo started, for the stop to end (each None until it runs)."""

    hub: Any = None
    lab: subprocess.Popen | None = None
    browser: subprocess.Popen | None = None

    def stop(self) -> None:
        """End the browser it opened, JupyterLab with its kernels, then the Hub, waiting for each."""
        if self.browser is not None and self.browser.poll() is None:
            print(f"{PROG}: closing the browser it opened ...", flush=True)
            stop_process_tree(self.browser, grace=5.0)
        if self.lab is not None:
            print(f"{PROG}: stopping JupyterLab and its kernels ...", flush=True)
            stop_process_tree(self.lab)
        if self.hub is not None:
            self.hub.stop()


def _lab_command(port: int, token: str, root: Path, notebook: Path) -> list[str]:
    """JupyterLab on 127.0.0.1:``port`` only, with this token, opened on the notebook."""
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", f"--LabApp.default_url=/lab/tree/{notebook.name}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def _run(args: argparse.Namespace, base: Path, started: _Started, stop: threading.Event,
         on_ready: Callable[[str], None] | None) -> int:
    """Start the Hub and JupyterLab (into ``started``), open the notebook, wait for ``stop``; the exit code."""
    try:
        notebook = copy_quickstart(args.dir.expanduser() if args.dir else None)
    except OSError as exc:
        print(f"{PROG}: error: cannot copy the quickstart into {args.dir or '.'}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    from ..emulator import EmulatorServer
    from ..emulator.jobs import Timings

    accounts, account = demo_account()
    # Jobs' inline scripts really run here, with this Python (never uv: it would fetch packages).
    started.hub = EmulatorServer(accounts, timings=Timings(scheduling=1.0, line_interval=0.3, running=3.0),
                                 local_run=True, use_uv=False, device_auto_approve=2, device_interval=1).start()
    env = lab_environment(base, started.hub.url)
    prepare_home(Path(env["HF_HOME"]), account)
    token = os.urandom(16).hex()
    root = notebook.parent.resolve()
    log_path = base / "jupyterlab.log"
    with open(log_path, "wb") as log:
        proc = started.lab = subprocess.Popen(_lab_command(args.port, token, root, notebook), env=env, stdout=log,
                                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(root),
                                              start_new_session=True)
    url = f"http://127.0.0.1:{args.port}"
    print(f"{PROG}: offline Hub emulator at {started.hub.url} (user '{account.name}': tokens demo-write "
          f"(active), demo-read, demo-jobs; made now, they die with the demo)", flush=True)
    print(f"{PROG}: starting JupyterLab with hfsecure on {notebook} ...", flush=True)
    if not _wait_until_up(url, token, proc, stop):
        if stop.is_set():
            return 0
        text = _tail(log_path)
        reason = "the port was taken meanwhile" if "already in use" in text else "see its log below"
        print(f"{PROG}: error: JupyterLab did not start ({reason})\n{text}", file=sys.stderr)
        return 2
    open_url = f"{url}/lab/tree/{notebook.name}?token={token}"
    print(f"\n    {open_url}\n", flush=True)
    print(f"{PROG}: open the URL above; press Ctrl-C once to stop JupyterLab, its kernels and the Hub.",
          flush=True)
    if on_ready is not None:
        on_ready(open_url)
    if not args.no_browser:
        started.browser = open_browser(open_url)
    while not stop.wait(0.5):
        if proc.poll() is not None:
            print(f"{PROG}: JupyterLab exited ({proc.returncode})\n{_tail(log_path)}", file=sys.stderr)
            return 1
    return 0


def main(argv: Sequence[str] | None = None, *, on_ready: Callable[[str], None] | None = None) -> int:
    """Run ``hfsecure demo``; return the exit code (0 after a Ctrl-C, 2 when it cannot start)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if "--scan-only" in args_list:
        from .. import leaky_sample

        return leaky_sample.main([a for a in args_list if a != "--scan-only"])
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    refusal = _refusal(args.port)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    stop, stopping = threading.Event(), threading.Event()
    previous = _catch_stop_signals(stop, stopping)
    base = Path(tempfile.mkdtemp(prefix="hfsecure-demo-"))  # 0700: tokens live here, removed on exit
    started = _Started()
    try:
        return _run(args, base, started, stop, on_ready)
    finally:
        stopping.set()
        started.stop()
        shutil.rmtree(base, ignore_errors=True)
        for sig, old in previous.items():
            signal.signal(sig, old)
        if started.lab is not None or started.hub is not None:
            print(f"{PROG}: stopped", flush=True)
